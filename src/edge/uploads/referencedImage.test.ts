import { beforeAll, describe, expect, it } from 'vitest'
import { uploadImage } from '../jobs/test/jobClient'
import { explain, jpeg, seedApiKey } from '../test/fixtures'

beforeAll(() => seedApiKey())

const explainJson = (body: unknown) => explain(JSON.stringify(body), { type: 'application/json' })

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

  it('answers 404 for an upload that never received its bytes', async () => {
    const response = await explainJson({ uploadId: 'upl_NeverUploadedNeverUplo' })
    expect(response.status).toBe(404)
    expect(((await response.json()) as { code: string }).code).toBe('upload_not_found')
  })

  it.each([
    ['both sources', { uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA', imageUrl: 'https://example.com/a.jpg' }],
    ['neither source', { topK: 1 }],
    ['a malformed upload id', { uploadId: '../etc/passwd' }],
  ])('answers 400 for %s', async (_case, body) => {
    expect((await explainJson(body)).status).toBe(400)
  })
})
