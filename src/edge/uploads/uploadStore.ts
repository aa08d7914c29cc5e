import { ProblemError } from '../problem/problem'

/** Uploaded images in R2, keyed by upload id; the same object serves /v1/explain and jobs. */

const key = (uploadId: string) => `uploads/${uploadId}`

export interface StoredImage {
  bytes: Uint8Array
  contentType: string
}

/** True when the upload id has already received its bytes (signed URLs are single-use). */
export async function uploadExists(bucket: R2Bucket, uploadId: string): Promise<boolean> {
  return (await bucket.head(key(uploadId))) !== null
}

/**
 * Streams exactly `length` bytes into R2: FixedLengthStream makes the runtime enforce the length while
 * streaming (a body that runs over or short aborts the write), and R2 needs a known length to stream at all.
 * 'taken' when another PUT stored this upload first (the conditional write lost the race).
 */
export async function storeUpload(
  bucket: R2Bucket,
  uploadId: string,
  body: ReadableStream<Uint8Array>,
  length: number,
  contentType: string,
): Promise<'stored' | 'taken' | 'incomplete'> {
  const bounded = new FixedLengthStream(length)
  const [piped, put] = await Promise.allSettled([
    body.pipeTo(bounded.writable),
    bucket.put(key(uploadId), bounded.readable, {
      httpMetadata: { contentType },
      onlyIf: { etagDoesNotMatch: '*' },
    }),
  ])
  if (piped.status === 'rejected') return 'incomplete'
  if (put.status === 'rejected') throw put.reason
  return put.value ? 'stored' : 'taken'
}

/** The image behind an upload id, for /v1/explain and job items; 404 until its bytes were PUT. */
export async function loadUpload(bucket: R2Bucket, uploadId: string): Promise<StoredImage> {
  const object = await bucket.get(key(uploadId))
  if (!object) {
    throw new ProblemError(
      404,
      'upload_not_found',
      'Upload not found',
      `No image was uploaded for ${uploadId}.`,
    )
  }
  return {
    bytes: new Uint8Array(await object.arrayBuffer()),
    contentType: object.httpMetadata?.contentType ?? 'application/octet-stream',
  }
}
