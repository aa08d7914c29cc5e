import { describe, expect, it } from 'vitest'
import { signUpload, type UploadGrant, verifyUpload } from './uploadSigner'

const grant: UploadGrant = {
  uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA',
  owner: 'a'.repeat(64),
  expiresAt: 1_900_000_000,
  contentType: 'image/png',
  maxLength: 1000,
}

describe('uploadSigner', () => {
  it('verifies its own signature', async () => {
    const signature = await signUpload('secret', grant)
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await verifyUpload('secret', grant, signature)).toBe(true)
  })

  it.each([
    ['uploadId', { uploadId: 'upl_BBBBBBBBBBBBBBBBBBBBBB' }],
    ['owner', { owner: 'b'.repeat(64) }],
    ['expiry', { expiresAt: grant.expiresAt + 1 }],
    ['content type', { contentType: 'image/jpeg' }],
    ['maximum length', { maxLength: 1001 }],
  ])('rejects a grant whose %s was changed', async (_field, change) => {
    const signature = await signUpload('secret', grant)
    expect(await verifyUpload('secret', { ...grant, ...change }, signature)).toBe(false)
  })

  it('rejects another secret, a flipped bit and garbage', async () => {
    const signature = await signUpload('secret', grant)
    expect(await verifyUpload('other', grant, signature)).toBe(false)
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)
    expect(await verifyUpload('secret', grant, flipped)).toBe(false)
    expect(await verifyUpload('secret', grant, 'not a signature')).toBe(false)
  })

  it('refuses to sign without a configured secret', async () => {
    await expect(signUpload('', grant)).rejects.toThrow(/UPLOAD_SIGNING_SECRET/)
  })
})
