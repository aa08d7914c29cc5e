/**
 * Edge benchmark (`npm run bench:edge [-- --seconds n]`): starts the real local stack (wrangler dev + the CPU
 * worker with the default model pack, fresh state) and measures with autocannon:
 *  - cache hits: the same photograph again and again (answered at the edge, no worker call);
 *  - cache misses: every request a different photograph from ../shared/images (a worker call each).
 * Prints a Markdown table of p50/p99 latency and throughput.
 */
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { hasModelPack } from '../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../src/gpu-worker/testing/sampleImages'
import { LocalStack } from '../tests/e2e/localStack'
import { fixed, markdownTable } from './worker/table'

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } })

if (!hasSampleImages() || !hasModelPack()) {
  console.error('bench:edge needs ../shared/images/imagenet-samples.tar and models/cifar10-cnn')
  process.exit(1)
}

interface Row {
  scenario: string
  connections: number
  requests: number
  p50: number
  p99: number
  throughput: number
  errors: number
}

const photos = [...readSampleImages().values()]
// The per-key limit would otherwise turn most of the load into 429s.
const stack = new LocalStack({ RATE_LIMIT_PER_MINUTE: '10000000' })

async function run(
  scenario: string,
  connections: number,
  options: Partial<autocannon.Options>,
): Promise<Row> {
  let unexpected = 0
  const result = await autocannon({
    url: `${stack.edgeUrl}/v1/explain`,
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'image/jpeg' },
    connections,
    ...options,
    requests: [
      {
        ...options.requests?.[0],
        onResponse: (status, _body, _context, headers) => {
          const expected = scenario.startsWith('hit') ? 'HIT' : 'MISS'
          const cache = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'x-cache')?.[1]
          if (status !== 200 || cache !== expected) unexpected++
        },
      },
    ],
  })
  return {
    scenario,
    connections,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    throughput: result.requests.average,
    errors: unexpected + result.errors + result.timeouts,
  }
}

/** Each miss request takes the next photograph not yet sent. */
function distinctPhotos(from: number) {
  let next = from
  return {
    setupRequest: (request: autocannon.Request) => ({ ...request, body: photos[next++ % photos.length] }),
  }
}

try {
  await stack.start()
  const seconds = Number(args.seconds)
  const hitPhoto = photos[0] as Buffer
  await fetch(`${stack.edgeUrl}/v1/explain`, {
    method: 'POST',
    body: hitPhoto,
    headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'image/jpeg' },
  })
  const rows = [
    await run('hit', 1, { duration: seconds, body: hitPhoto }),
    await run('hit', 8, { duration: seconds, body: hitPhoto }),
    // Photos 1..200 at one connection, 201..499 at four: every request is a first sight.
    await run('miss', 1, { amount: 200, requests: [distinctPhotos(1)] }),
    await run('miss', 4, { amount: 299, requests: [distinctPhotos(201)] }),
  ]
  // The load average says how much else was running: the machine is shared (training, other benchmarks).
  const load = loadavg().map((l) => l.toFixed(1))
  console.log(
    `\nEdge benchmark: ${cpus().length} CPU cores, load ${load.join(' ')}, ${new Date().toISOString()}\n`,
  )
  console.log(
    markdownTable(
      ['scenario', 'connections', 'requests', 'p50 ms', 'p99 ms', 'req/s', 'errors'],
      rows.map((r) => [
        r.scenario,
        r.connections,
        r.requests,
        r.p50,
        r.p99,
        fixed(r.throughput, 1),
        r.errors,
      ]),
    ),
  )
} finally {
  await stack.stop()
}
