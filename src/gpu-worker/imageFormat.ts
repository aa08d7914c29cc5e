import { HEIC_HINT, sniffImageType } from '../shared/imageType'
import { ProblemError } from '../shared/problem'

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif'

/**
 * Identifies the format from the magic bytes (the edge's sniffer), never from the declared Content-Type, so
 * that a mislabelled upload is still decoded and a disguised one is still refused. Throws 415 for anything we
 * do not decode.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  const type = sniffImageType(bytes)
  if (type === 'image/heic') {
    throw new ProblemError('unsupported_media_type', HEIC_HINT)
  }
  if (!type) {
    throw new ProblemError(
      'unsupported_media_type',
      'unsupported image format; send JPEG, PNG, WebP, GIF or AVIF',
    )
  }
  return type.slice('image/'.length) as ImageFormat
}
