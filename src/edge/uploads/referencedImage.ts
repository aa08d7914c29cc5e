import { DECODED_FORMATS, type ImageBytes, imageTypeOf } from '../../shared/imageType'
import { quoted } from '../../shared/issues'
import { mediaTypeOf } from '../explain/mediaType'
import { safeFetchImage } from '../security/safeFetch'
import type { EdgeSettings } from '../settings'
import { loadUpload, type Reserve } from './uploadStore'

export type ReferenceSettings = Pick<
  EdgeSettings,
  | 'UPLOAD_RETENTION_SECONDS'
  | 'MAX_BODY_BYTES'
  | 'IMAGE_FETCH_TIMEOUT_MS'
  | 'ALLOW_LOOPBACK_HTTP'
  | 'DNS_RESOLVER_URL'
>

/**
 * The bytes of an image named rather than sent, for `POST /v1/explain` with JSON and for job items alike:
 * an earlier upload of the same API key (`apiKeyId`), or else a URL fetched under the Security rules.
 * The schemas ensure exactly one is given. Its bytes are taken from the isolate's budget (`reserve`) before
 * they are read.
 */
export async function referencedImage(
  blobs: R2Bucket,
  settings: ReferenceSettings,
  reference: { uploadId?: string; imageUrl?: string },
  apiKeyId: string,
  reserve: Reserve,
): Promise<ImageBytes> {
  if (reference.uploadId !== undefined) {
    const access = { owner: apiKeyId, retentionSeconds: settings.UPLOAD_RETENTION_SECONDS }
    return loadUpload(blobs, reference.uploadId, access, reserve)
  }
  const fetched = await safeFetchImage(reference.imageUrl ?? '', {
    maxBytes: settings.MAX_BODY_BYTES,
    timeoutMs: settings.IMAGE_FETCH_TIMEOUT_MS,
    allowLoopbackHttp: settings.ALLOW_LOOPBACK_HTTP,
    resolverUrl: settings.DNS_RESOLVER_URL,
    reserve,
  })
  return { bytes: fetched.bytes, contentType: fetchedImageType(fetched) }
}

/**
 * What a fetched resource is, by its bytes: image hosts often serve photos as `text/html` or
 * `application/octet-stream`, and the caller chose the URL, not that header. Bytes that are no image are
 * refused naming what the host declared, not as if the caller had sent that type.
 */
function fetchedImageType({ bytes, contentType }: ImageBytes): string {
  const declared = mediaTypeOf(contentType)
  const served = `${bytes.length} bytes of ${declared ? quoted(declared) : 'an undeclared type'}`
  return imageTypeOf(bytes, `The imageUrl served ${served} that are not ${DECODED_FORMATS}.`)
}
