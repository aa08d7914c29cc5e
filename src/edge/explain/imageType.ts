import { HEIC_HINT, type ImageType, SUPPORTED_IMAGE_TYPES, sniffImageType } from '../../shared/imageType'
import { ProblemError } from '../problem/problem'

/** Declared types that say nothing about the format; the bytes decide. */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream'])
const HEIC_TYPES = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'])

/** A Content-Type's media type, lower-case and without parameters (`image/JPEG; q=1` is `image/jpeg`). */
export const mediaTypeOf = (contentType: string | undefined): string =>
  contentType?.split(';')[0]?.trim().toLowerCase() ?? ''

const heicHint = () => new ProblemError(415, 'unsupported_media_type', 'Unsupported media type', HEIC_HINT)

/** Rejects a declared image type we do not accept; generic types pass (the bytes decide). */
export function checkDeclaredImageType(declaredType: string): void {
  const declared = mediaTypeOf(declaredType)
  if (HEIC_TYPES.has(declared)) throw heicHint()
  if (!GENERIC_TYPES.has(declared) && !(SUPPORTED_IMAGE_TYPES as readonly string[]).includes(declared)) {
    throw new ProblemError(
      415,
      'unsupported_media_type',
      'Unsupported media type',
      `Send one of ${SUPPORTED_IMAGE_TYPES.join(', ')}, multipart/form-data or application/json; got ${declared || 'none'}.`,
    )
  }
}

/**
 * Checks an image before it costs a worker call: the declared type must be one we accept (or generic), and
 * the bytes must look like an image. Answers the type to forward, taken from the bytes.
 */
export function checkImage(bytes: Uint8Array, declaredType: string): ImageType {
  checkDeclaredImageType(declaredType)
  const actual = sniffImageType(bytes)
  if (actual === 'image/heic') throw heicHint()
  if (!actual)
    throw new ProblemError(
      422,
      'undecodable_image',
      'Undecodable image',
      'The body is not a JPEG, PNG, WebP, GIF or AVIF image.',
    )
  return actual
}
