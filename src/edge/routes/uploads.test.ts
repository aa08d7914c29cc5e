import { SELF } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../crypto'
import { API_KEY, jpeg, seedApiKey, testSettings } from '../test/fixtures'
import { buildUploadUrl, newUploadId } from '../uploads/signedUploadUrl'
import { signUpload } from '../uploads/uploadSigner'

beforeAll(() => seedApiKey())

async function createUpload(body: unknown) {
  return SELF.fetch('https://edge.test/v1/uploads', {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
}

async function grantFor(bytes: Uint8Array, contentType = 'image/jpeg') {
  const response = await createUpload({ contentType, contentLength: bytes.byteLength })
  expect(response.status).toBe(201)
  return (await response.json()) as { uploadId: string; uploadUrl: string; headers: Record<string, string> }
}

const put = (url: string, body: BodyInit, contentType = 'image/jpeg') =>
  SELF.fetch(url, { method: 'PUT', body, headers: { 'Content-Type': contentType } })

const storedBytes = async (uploadId: string) =>
  new Uint8Array((await (await env.BLOBS.get(`uploads/${uploadId}`))?.arrayBuffer()) ?? new ArrayBuffer(0))

async function problemOf(response: Response) {
  expect(response.headers.get('Content-Type')).toBe('application/problem+json')
  return (await response.json()) as { code: string; detail?: string; requestId?: string }
}

describe('POST /v1/uploads', () => {
  it('grants a signed PUT URL for the declared type and length', async () => {
    const grant = await grantFor(jpeg('grant'))
    const url = new URL(grant.uploadUrl)
    expect(url.pathname).toBe(`/uploads/${grant.uploadId}`)
    expect(url.searchParams.get('maxLength')).toBe(String(jpeg('grant').byteLength))
    expect(grant.headers).toEqual({ 'Content-Type': 'image/jpeg' })
  })

  it('builds the upload URL from PUBLIC_BASE_URL, never from the Host header', async () => {
    const response = await SELF.fetch('https://evil.example/v1/uploads', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${API_KEY}`,
        'Content-Type': 'application/json',
        Host: 'evil.example',
        'X-Forwarded-Host': 'evil.example',
      },
      body: JSON.stringify({ contentType: 'image/jpeg', contentLength: 10 }),
    })
    expect(response.status).toBe(201)
    const { uploadId, uploadUrl } = (await response.json()) as { uploadId: string; uploadUrl: string }
    expect(uploadUrl.slice(0, uploadUrl.indexOf('?'))).toBe(`https://edge.test/uploads/${uploadId}`)
  })

  it('needs an API key', async () => {
    const response = await SELF.fetch('https://edge.test/v1/uploads', { method: 'POST', body: '{}' })
    expect(response.status).toBe(401)
  })

  it.each([
    [{ contentType: 'image/heic', contentLength: 10 }, 415, 'unsupported_media_type'],
    [
      { contentType: 'image/jpeg', contentLength: testSettings().MAX_BODY_BYTES + 1 },
      413,
      'payload_too_large',
    ],
    [{ contentType: 'image/jpeg', contentLength: 0 }, 400, 'bad_options'],
    [{ contentType: 'image/jpeg', contentLength: 10, extra: 1 }, 400, 'bad_options'],
  ])('refuses %j with %i', async (body, status, code) => {
    const response = await createUpload(body)
    expect(response.status).toBe(status)
    expect((await problemOf(response)).code).toBe(code)
  })
})

const flipFirst = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1)

describe('PUT to a signed upload URL', () => {
  it('stores the bytes once with the granting key id (204), then refuses the same URL (409)', async () => {
    const bytes = jpeg('stored-once')
    const { uploadId, uploadUrl } = await grantFor(bytes)
    expect((await put(uploadUrl, bytes)).status).toBe(204)
    const stored = await env.BLOBS.head(`uploads/${uploadId}`)
    expect(stored?.httpMetadata?.contentType).toBe('image/jpeg')
    expect(stored?.customMetadata).toEqual({ owner: await sha256Hex(API_KEY) })
    expect([...(await storedBytes(uploadId))]).toEqual([...bytes])

    const again = await put(uploadUrl, jpeg('second-copy'))
    expect(again.status).toBe(409)
    expect((await problemOf(again)).code).toBe('upload_url_used')
    expect([...(await storedBytes(uploadId))]).toEqual([...bytes])
  })

  it('lets only one of two concurrent PUTs store the image', async () => {
    const bytes = jpeg('race')
    const { uploadUrl } = await grantFor(bytes)
    const statuses = await Promise.all([put(uploadUrl, bytes), put(uploadUrl, bytes)]).then((rs) =>
      rs.map((r) => r.status).sort(),
    )
    expect(statuses).toEqual([204, 409])
  })

  it.each([
    [
      'signature',
      (url: URL) => url.searchParams.set('signature', flipFirst(url.searchParams.get('signature') ?? '')),
    ],
    ['maxLength', (url: URL) => url.searchParams.set('maxLength', '99999')],
    ['contentType', (url: URL) => url.searchParams.set('contentType', 'image/png')],
    [
      'expiry',
      (url: URL) => url.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600)),
    ],
    ['upload id', (url: URL) => (url.pathname = `/uploads/${newUploadId()}`)],
    ['owner', (url: URL) => url.searchParams.set('owner', 'f'.repeat(64))],
    ['missing signature', (url: URL) => url.searchParams.delete('signature')],
  ])('refuses a URL with a tampered %s (403) and stores nothing', async (_part, tamper) => {
    const bytes = jpeg('tampered')
    const { uploadId, uploadUrl } = await grantFor(bytes)
    const url = new URL(uploadUrl)
    tamper(url)
    const response = await put(url.toString(), bytes, url.searchParams.get('contentType') ?? 'image/jpeg')
    expect(response.status).toBe(403)
    const problem = await problemOf(response)
    expect(problem.code).toBe('upload_url_invalid')
    expect(JSON.stringify(problem)).not.toContain(new URL(uploadUrl).searchParams.get('signature'))
    expect(await env.BLOBS.head(`uploads/${uploadId}`)).toBeNull()
  })

  it('refuses an expired URL (403)', async () => {
    const grant = {
      uploadId: newUploadId(),
      owner: await sha256Hex(API_KEY),
      expiresAt: Math.floor(Date.now() / 1000) - 1,
      contentType: 'image/jpeg',
      maxLength: 100,
    }
    const settings = testSettings()
    const url = buildUploadUrl(settings, grant, await signUpload(settings.UPLOAD_SIGNING_SECRET, grant))
    const response = await put(url, jpeg('late'))
    expect(response.status).toBe(403)
    expect((await problemOf(response)).code).toBe('upload_url_expired')
  })

  it('refuses another content type (415)', async () => {
    const { uploadUrl } = await grantFor(jpeg('typed'))
    const response = await put(uploadUrl, jpeg('typed'), 'image/png')
    expect(response.status).toBe(415)
  })

  it('refuses more bytes than signed (413) and leaves the URL usable', async () => {
    const bytes = jpeg('long')
    const { uploadId, uploadUrl } = await grantFor(bytes)
    const response = await put(uploadUrl, jpeg('long-and-then-some'))
    expect(response.status).toBe(413)
    expect(await env.BLOBS.head(`uploads/${uploadId}`)).toBeNull()
    expect((await put(uploadUrl, bytes)).status).toBe(204)
  })

  it('needs a Content-Length (411), as S3 presigned PUTs do', async () => {
    const { uploadUrl } = await grantFor(jpeg('chunked'))
    // A plain TransformStream has no known length, so the body goes out chunked.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
    const writer = writable.getWriter()
    void writer.write(jpeg('chunked')).then(() => writer.close())
    const response = await put(uploadUrl, readable)
    expect(response.status).toBe(411)
  })

  it.each([
    ['shorter', (bytes: Uint8Array) => bytes.slice(0, -4)],
    ['longer', (bytes: Uint8Array) => new Uint8Array([...bytes, 1, 2, 3, 4])],
  ])('refuses a body %s than its Content-Length (400) and stores nothing', async (_case, resize) => {
    const bytes = jpeg('declared-length')
    const { uploadId, uploadUrl } = await grantFor(bytes)
    const body = resize(bytes)
    const response = await SELF.fetch(uploadUrl, {
      method: 'PUT',
      body: new Blob([body]).stream(),
      headers: { 'Content-Type': 'image/jpeg', 'Content-Length': String(bytes.byteLength) },
    })
    expect(response.status).toBe(400)
    expect((await problemOf(response)).code).toBe('upload_incomplete')
    expect(await env.BLOBS.head(`uploads/${uploadId}`)).toBeNull()
  })
})
