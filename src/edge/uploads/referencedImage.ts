import type { Env } from '../env'
import { safeFetchImage } from '../security/safeFetch'
import { loadUpload, type StoredImage } from './uploadStore'

/**
 * The bytes of an image named rather than sent, for `POST /v1/explain` with JSON and for job items alike:
 * an earlier upload of the same API key (`apiKeyId`), or else a URL fetched under the Security rules.
 * The schemas ensure exactly one is given.
 */
export function referencedImage(
  env: Env,
  reference: { uploadId?: string; imageUrl?: string },
  apiKeyId: string,
): Promise<StoredImage> {
  if (reference.uploadId !== undefined) {
    return loadUpload(env.BLOBS, reference.uploadId, {
      owner: apiKeyId,
      retentionSeconds: Number(env.UPLOAD_RETENTION_SECONDS),
    })
  }
  return safeFetchImage(reference.imageUrl ?? '', {
    maxBytes: Number(env.MAX_BODY_BYTES),
    timeoutMs: Number(env.IMAGE_FETCH_TIMEOUT_MS),
    allowLoopbackHttp: env.ALLOW_LOOPBACK_HTTP === 'true',
  })
}
