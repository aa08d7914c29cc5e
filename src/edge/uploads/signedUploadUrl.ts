import { randomBytes, toBase64Url } from '../../shared/base64'
import { uploadIdSchema } from '../../shared/contract'
import { publicUrl } from '../security/publicUrl'
import type { EdgeSettings } from '../settings'
import type { UploadGrant } from './uploadSigner'

/** Signed PUTs live outside /v1: the signature, not an API key, authorises them. */
export const SIGNED_UPLOAD_PATH = '/uploads'

/** 128 random bits: ids cannot be guessed, and only the granting API key may use one. */
export function newUploadId(): string {
  return `upl_${toBase64Url(randomBytes(16))}`
}

function isUploadId(value: string): boolean {
  return uploadIdSchema.safeParse(value).success
}

export function buildUploadUrl(
  settings: Pick<EdgeSettings, 'PUBLIC_BASE_URL'>,
  grant: UploadGrant,
  signature: string,
): string {
  const query = new URLSearchParams({
    owner: grant.owner,
    expires: String(grant.expiresAt),
    contentType: grant.contentType,
    maxLength: String(grant.maxLength),
    signature,
  })
  return publicUrl(settings, `${SIGNED_UPLOAD_PATH}/${grant.uploadId}?${query}`)
}

/** The grant a URL claims, or null when a part is missing or malformed (treated as tampered). */
export function parseUploadUrl(url: URL): { grant: UploadGrant; signature: string } | null {
  const uploadId = url.pathname.slice(SIGNED_UPLOAD_PATH.length + 1)
  const { owner, expires, contentType, maxLength, signature } = Object.fromEntries(url.searchParams)
  if (!isUploadId(uploadId) || !owner || !contentType || !signature) return null
  if (!/^\d{1,12}$/.test(expires ?? '') || !/^\d{1,12}$/.test(maxLength ?? '')) return null
  return {
    grant: { uploadId, owner, expiresAt: Number(expires), contentType, maxLength: Number(maxLength) },
    signature,
  }
}
