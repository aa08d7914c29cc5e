import { env } from 'cloudflare:workers'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { app } from '../app'
import { uploadImage } from '../jobs/test/jobClient'
import { servicesOf } from '../services'
import { API_KEY, explain, jpeg, seedApiKey, testSettings } from '../test/fixtures'

beforeAll(() => Promise.all([seedApiKey(), seedApiKey('other-key')]))
afterEach(() => vi.useRealTimers())

const explainJson = (body: unknown, key?: string) =>
  explain(JSON.stringify(body), { type: 'application/json', key })

/** The answer without what differs per request, to compare two 404s. */
async function problemOf(response: Response) {
  expect(response.status).toBe(404)
  expect(response.headers.get('Content-Type')).toBe('application/problem+json')
  const { requestId, instance, ...problem } = (await response.json()) as Record<string, string>
  expect(requestId).toBeTruthy()
  return problem
}

describe('POST /v1/explain with an uploadId', () => {
  it('explains the uploaded bytes, sharing the cache entry of the same bytes sent raw', async () => {
    const bytes = jpeg(`by-upload-${crypto.randomUUID()}`)
    const uploadId = await uploadImage(bytes)
    const byUpload = await explainJson({ uploadId, topK: 1 })
    expect(byUpload.status).toBe(200)
    expect(byUpload.headers.get('X-Cache')).toBe('MISS')
    const raw = await explain(bytes, { query: '?topK=1' })
    expect(raw.headers.get('X-Cache')).toBe('HIT')
    expect(((await raw.json()) as { id: string }).id).toBe(((await byUpload.json()) as { id: string }).id)
  })

  it("takes the upload's size from the isolate's budget before reading it, like a body", async () => {
    const uploadId = await uploadImage(jpeg(`budget-${crypto.randomUUID()}`))
    // An isolate of its own (its own env), whose budget another request nearly fills.
    const bindings = { ...env, MAX_BUFFERED_BODY_BYTES: '1000' }
    const { heldBodies } = servicesOf(bindings)
    const explainByUpload = () =>
      app.request(
        '/v1/explain',
        {
          method: 'POST',
          body: JSON.stringify({ uploadId, topK: 1 }),
          headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
        },
        bindings,
      )
    const other = heldBodies.reserve(990, 1000) as () => void
    const refused = await explainByUpload()
    expect(refused.status).toBe(503)
    expect(refused.headers.get('Retry-After')).toBe('1')
    expect(await refused.json()).toMatchObject({ code: 'edge_busy' })
    expect(heldBodies.held).toBe(990)
    other()
    // Alone, a request is admitted whatever it holds; and it gives everything back when answered.
    expect((await explainByUpload()).status).toBe(200)
    expect(heldBodies.held).toBe(0)
  })

  it('answers 404 for an upload that never received its bytes', async () => {
    const response = await explainJson({ uploadId: 'upl_NeverUploadedNeverUplo' })
    expect((await problemOf(response)).code).toBe('upload_not_found')
  })

  it("answers another API key's upload exactly like an unknown one (404), so ids cannot be probed", async () => {
    const uploadId = await uploadImage(jpeg(`owned-${crypto.randomUUID()}`))
    const unknownId = `upl_${'A'.repeat(22)}`
    const foreign = await problemOf(await explainJson({ uploadId, topK: 1 }, 'other-key'))
    const unknown = await problemOf(await explainJson({ uploadId: unknownId, topK: 1 }, 'other-key'))
    expect(foreign).toEqual({ ...unknown, detail: unknown.detail?.replace(unknownId, uploadId) })
    expect((await explainJson({ uploadId, topK: 1 })).status).toBe(200)
  })

  it('answers 404 for an upload past UPLOAD_RETENTION_SECONDS', async () => {
    // A key of its own: the clock jump would also drain the rate limit of the key the other tests use.
    await seedApiKey('aging-key')
    const uploadId = await uploadImage(jpeg(`aging-${crypto.randomUUID()}`), 'aging-key')
    const retentionMs = testSettings().UPLOAD_RETENTION_SECONDS * 1000
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + retentionMs - 60_000)
    expect((await explainJson({ uploadId, topK: 1 }, 'aging-key')).status).toBe(200)
    vi.setSystemTime(Date.now() + 60_000)
    const expired = await explainJson({ uploadId, topK: 1 }, 'aging-key')
    expect((await problemOf(expired)).code).toBe('upload_not_found')
  })

  it.each([
    ['both sources', { uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA', imageUrl: 'https://example.com/a.jpg' }],
    ['neither source', { topK: 1 }],
    ['a malformed upload id', { uploadId: '../etc/passwd' }],
  ])('answers 400 for %s', async (_case, body) => {
    expect((await explainJson(body)).status).toBe(400)
  })
})
