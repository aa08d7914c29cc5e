import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasModelPack } from '../../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import type { JobView } from '../../src/shared/jobSchemas'
import { edgeFetch } from './devProxy'
import { LocalStack } from './localStack'

// `.invalid` never resolves (RFC 6761): the runtime's own fetch fails in DNS, here and on any network. The edge's
// resolver (a stand-in on loopback) gives the names a public address, so that the edge goes on to fetch them.
const IMAGE_HOST = 'images.invalid'
const HOOK_HOST = 'hooks.invalid'

/** A DNS-over-HTTPS JSON resolver that answers every name with one public IPv4 address. */
async function startResolver(): Promise<Server> {
  const server = createServer((request, response) => {
    const name = new URL(request.url ?? '/', 'http://resolver').searchParams.get('name')
    const isA = new URL(request.url ?? '/', 'http://resolver').searchParams.get('type') === 'A'
    const Answer = isA ? [{ name, type: 1, TTL: 60, data: '93.184.216.34' }] : []
    response
      .writeHead(200, { 'Content-Type': 'application/dns-json' })
      .end(JSON.stringify({ Status: 0, Answer }))
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return server
}

describe.skipIf(!hasModelPack() || !hasSampleImages())('the local stack’s logs', () => {
  let resolver: Server
  // DNS_RESOLVER_URL is set once the resolver listens, before the stack starts.
  const settings: Record<string, string> = { WEBHOOK_RETRY_SCHEDULE: '0.2', JOB_ITEM_RETRY_BASE_SECONDS: '0' }
  const stack = new LocalStack(settings)
  const auth = () => ({ Authorization: `Bearer ${stack.apiKey}` })
  const json = (body: unknown) => ({
    method: 'POST',
    headers: { ...auth(), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })

  beforeAll(async () => {
    resolver = await startResolver()
    settings.DNS_RESOLVER_URL = `http://127.0.0.1:${(resolver.address() as AddressInfo).port}/`
    await stack.start()
  })
  afterAll(async () => {
    await stack.stop()
    resolver?.close()
  })

  it('hold no error when clients’ URLs fail, one warning per failed fetch instead', async () => {
    const form = new FormData()
    const photo = [...readSampleImages().values()][0] as Buffer
    form.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg')
    const explained = await edgeFetch(`${stack.edgeUrl}/v1/explain`, {
      method: 'POST',
      headers: auth(),
      body: form,
    })
    expect(explained.status).toBe(200)

    const byUrl = await edgeFetch(
      `${stack.edgeUrl}/v1/explain`,
      json({ imageUrl: `https://${IMAGE_HOST}/a.jpg` }),
    )
    expect(byUrl.status).toBeGreaterThanOrEqual(400)
    expect(byUrl.status).toBeLessThan(500)

    const created = await edgeFetch(
      `${stack.edgeUrl}/v1/jobs`,
      json({
        items: [{ imageUrl: `https://${IMAGE_HOST}/b.jpg` }],
        webhook: { url: `https://${HOOK_HOST}/t` },
      }),
    )
    expect(created.status).toBe(202)
    const { jobId } = (await created.json()) as { jobId: string }
    let view: JobView | undefined
    for (let waited = 0; waited < 60_000 && view?.webhook?.state !== 'failed'; waited += 250) {
      await new Promise((done) => setTimeout(done, 250))
      view = (await (await fetch(`${stack.edgeUrl}/v1/jobs/${jobId}`, { headers: auth() })).json()) as JobView
    }
    expect(view?.webhook?.state).toBe('failed')
    expect(view?.webhook?.deliveries.length).toBe(2)

    const output = stack.edgeOutput
    expect(output).not.toMatch(/\[ERROR\]|Uncaught|ENOTFOUND|stack:|Request\.cf/)
    expect(output).toMatch(
      new RegExp(`warn: an outbound request to ${IMAGE_HOST} failed \\(DNS lookup failed\\)`),
    )
    expect(output).toMatch(
      new RegExp(`warn: an outbound request to ${HOOK_HOST} failed \\(DNS lookup failed\\)`),
    )
  })
})
