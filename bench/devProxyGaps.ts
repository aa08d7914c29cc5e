/**
 * Requests that `wrangler dev`'s proxy loses, by the idle gap before them (docs/reliability.md, "Requests that
 * wrangler dev's proxy loses"; `npm run bench:dev-proxy [-- --tries 4 --burst 40]`), on the real local stack: a
 * burst of uploads (grant, then PUT), a gap, the same burst again, then 8 s for the proxy's connections to close.
 * Counts the answers that are wrangler's lost-request 503 (plain `fetch`, no repeat). Traffic goes to 127.0.0.1
 * only; every loop is bounded.
 */
import { parseArgs } from 'node:util'
import { hasModelPack } from '../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../src/gpu-worker/testing/sampleImages'
import { DEV_PROXY_LOST } from '../tests/e2e/devProxy'
import { LocalStack } from '../tests/e2e/localStack'
import { machineLoad } from './machine'
import { markdownTable } from './worker/table'

const { values: args } = parseArgs({
  options: {
    tries: { type: 'string', default: '4' },
    burst: { type: 'string', default: '40' },
    gaps: { type: 'string', default: '3,4,4.5,4.8,5,5.2,5.5,6,8' },
  },
})
if (!hasSampleImages() || !hasModelPack()) {
  console.error('bench:dev-proxy needs ../shared/images/imagenet-samples.tar and models/cifar10-cnn')
  process.exit(1)
}
const tries = Number(args.tries)
const burstSize = Number(args.burst)
const gapsS = args.gaps.split(',').map(Number)
const photos = [...readSampleImages().values()]
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

const stack = new LocalStack({ UPLOAD_URL_TTL_SECONDS: '60' })
const isLost = async (response: Response) =>
  response.status === 503 && (await response.text()).startsWith(DEV_PROXY_LOST)

/** One upload through a grant and its PUT; true when the proxy lost either request. */
async function uploadLost(bytes: Buffer): Promise<boolean> {
  const granted = await fetch(`${stack.edgeUrl}/v1/uploads`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ contentType: 'image/jpeg', contentLength: bytes.length }),
  })
  if (granted.status !== 201) {
    if (await isLost(granted)) return true
    throw new Error(`upload grant answered ${granted.status}`)
  }
  const { uploadUrl } = (await granted.json()) as { uploadUrl: string }
  const stored = await fetch(uploadUrl, {
    method: 'PUT',
    body: bytes,
    headers: { 'Content-Type': 'image/jpeg' },
  })
  if (stored.status === 204) {
    await stored.body?.cancel()
    return false
  }
  if (await isLost(stored)) return true
  throw new Error(`upload PUT answered ${stored.status}`)
}

console.log(`# wrangler dev's lost requests by gap: ${machineLoad()} at start, ${new Date().toISOString()}\n`)
await stack.start()
const lostByGap = new Map<number, number[]>(gapsS.map((gap) => [gap, []]))
try {
  let next = 0
  const burst = async () => {
    const slice = Array.from({ length: burstSize }, (_, i) => photos[(next + i) % photos.length] as Buffer)
    next += burstSize
    return (await Promise.all(slice.map(uploadLost))).filter(Boolean).length
  }
  for (let attempt = 0; attempt < tries; attempt++) {
    for (const gap of gapsS) {
      const lost = await burst()
      await sleep(gap * 1000)
      lostByGap.get(gap)?.push(lost + (await burst()))
      await sleep(8000)
    }
  }
} finally {
  await stack.stop()
}
console.log(
  markdownTable(
    ['gap (s)', 'tries that lost requests', `requests lost per try (of ${2 * burstSize})`],
    [...lostByGap].map(([gap, lost]) => [
      gap,
      `${lost.filter((n) => n > 0).length} of ${lost.length}`,
      lost.join(', '),
    ]),
  ),
)
console.log(`\n${machineLoad()} at the end`)
