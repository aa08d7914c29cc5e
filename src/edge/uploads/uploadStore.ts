import type { ImageBytes } from '../../shared/imageType'
import { ProblemError } from '../../shared/problem'
import type { UploadGrant } from './uploadSigner'

/** Uploaded images in R2, keyed by upload id; the same object serves /v1/explain and jobs. */

const key = (uploadId: string) => `uploads/${uploadId}`

/** True when the upload id has already received its bytes (signed URLs are single-use). */
export async function uploadExists(bucket: R2Bucket, uploadId: string): Promise<boolean> {
  return (await bucket.head(key(uploadId))) !== null
}

/**
 * Streams exactly `length` bytes into R2: FixedLengthStream makes the runtime enforce the length while
 * streaming (a body that runs over or short aborts the write), and R2 needs a known length to stream at all.
 * The granting key's id goes with the bytes. 'taken' when another PUT stored this upload first (the
 * conditional write lost the race).
 */
export async function storeUpload(
  bucket: R2Bucket,
  grant: UploadGrant,
  body: ReadableStream<Uint8Array>,
  length: number,
): Promise<'stored' | 'taken' | 'incomplete'> {
  let received = 0
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength
      controller.enqueue(chunk)
    },
  })
  const bounded = new FixedLengthStream(length)
  const [piped, put] = await Promise.allSettled([
    body.pipeThrough(counted).pipeTo(bounded.writable),
    bucket.put(key(grant.uploadId), bounded.readable, {
      httpMetadata: { contentType: grant.contentType },
      customMetadata: { owner: grant.owner },
      onlyIf: { etagDoesNotMatch: '*' },
    }),
  ])
  // A short body fails only R2's side (FixedLengthStream's close() resolves): the count tells it from an R2 error.
  if (piped.status === 'rejected' || received !== length) return 'incomplete'
  if (put.status === 'rejected') throw put.reason
  return put.value ? 'stored' : 'taken'
}

/** Who may read an upload, and for how long after its PUT (UPLOAD_RETENTION_SECONDS). */
export interface UploadAccess {
  owner: string
  retentionSeconds: number
}

/** Takes `bytes` of the isolate's budget before they are read, or throws (`BodyHold.take`). */
export type Reserve = (bytes: number) => void

// An R2 lifecycle rule deletes uploads/ in production (README), but in whole days, up to a day late and never
// locally; checking the age on every read makes retention exact without a cron sweep that lists the bucket.
const isExpired = (object: R2Object, retentionSeconds: number) =>
  object.uploaded.getTime() + retentionSeconds * 1000 <= Date.now()

/**
 * The image behind an upload id, for /v1/explain and job items. Never PUT, another key's and expired uploads
 * get the same 404, so an id tells a key that does not own it nothing.
 */
export async function loadUpload(
  bucket: R2Bucket,
  uploadId: string,
  access: UploadAccess,
  reserve: Reserve,
): Promise<ImageBytes> {
  const object = await bucket.get(key(uploadId))
  if (
    !object ||
    object.customMetadata?.owner !== access.owner ||
    isExpired(object, access.retentionSeconds)
  ) {
    const detail = `No image was uploaded for ${uploadId} with this API key, or it has expired.`
    await object?.body.cancel()
    throw new ProblemError('upload_not_found', detail)
  }
  try {
    reserve(object.size)
  } catch (error) {
    await object.body.cancel()
    throw error
  }
  return {
    bytes: new Uint8Array(await object.arrayBuffer()),
    contentType: object.httpMetadata?.contentType ?? 'application/octet-stream',
  }
}
