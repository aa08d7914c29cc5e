import { fromBase64, toBase64Url } from '../../shared/base64'

/** What a signed upload URL allows: one PUT of one content type, up to maxLength bytes, until expiresAt. */
export interface UploadGrant {
  uploadId: string
  /** The granting API key's id (its SHA-256, never the key): in the URL so the keyless PUT can record it. */
  owner: string
  /** Unix seconds. */
  expiresAt: number
  contentType: string
  maxLength: number
}

const encoder = new TextEncoder()

// Every field the PUT is checked against is signed, so none can be changed without breaking the signature.
function canonical(grant: UploadGrant): Uint8Array {
  return encoder.encode(
    ['PUT', grant.uploadId, grant.owner, grant.expiresAt, grant.contentType, grant.maxLength].join('\n'),
  )
}

function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  if (!secret) throw new Error('UPLOAD_SIGNING_SECRET is not configured')
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    usage,
  ])
}

/** HMAC-SHA256 of the grant, base64url. */
export async function signUpload(secret: string, grant: UploadGrant): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), canonical(grant))
  return toBase64Url(mac)
}

/** True when `signature` is the grant's HMAC; workerd's HMAC verify compares with CRYPTO_memcmp (constant time). */
export async function verifyUpload(secret: string, grant: UploadGrant, signature: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(signature)) return false
  const mac = fromBase64(signature)
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), mac, canonical(grant))
}
