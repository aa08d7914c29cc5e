import { HEIC_HINT, type ImageType, imageTypeOf, SUPPORTED_IMAGE_TYPES } from '../../shared/imageType'
import { quoted } from '../../shared/issues'
import { ProblemError } from '../../shared/problem'
import { type MediaType, parseMediaType } from './mediaType'

/** Declared types that say nothing about the format; the bytes decide. */
const GENERIC_TYPES = new Set(['application/octet-stream', 'binary/octet-stream'])
const HEIC_TYPES = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'])

const unsupported = (detail: string) => new ProblemError('unsupported_media_type', detail)

/**
 * A request's Content-Type, parsed (RFC 9110); one that does not parse is a 415 naming it, cut short. Undefined
 * when there is none.
 */
export function requestMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined || header === '') return undefined
  const parsed = parseMediaType(header)
  if (!parsed) throw unsupported(`The Content-Type ${quoted(header)} is not a media type (RFC 9110).`)
  return parsed
}

/**
 * Rejects a declared image type we do not accept; none and generic types pass (the bytes decide). `refusal`
 * says what to send instead, in the words of where the type came from.
 */
export function checkDeclaredImageType(
  declared: string,
  refusal = (type: string) => `Send one of ${SUPPORTED_IMAGE_TYPES.join(', ')}; got ${quoted(type)}.`,
): void {
  const type = requestMediaType(declared)?.essence
  if (type === undefined || GENERIC_TYPES.has(type)) return
  if (HEIC_TYPES.has(type)) throw unsupported(HEIC_HINT)
  if (!(SUPPORTED_IMAGE_TYPES as readonly string[]).includes(type)) throw unsupported(refusal(type))
}

/**
 * Checks an image before it costs a worker call: the declared type must be one we accept (or generic), and
 * the bytes must be one (`imageTypeOf`, the worker's decision too). Answers the type to forward, the bytes'.
 */
export function checkImage(bytes: Uint8Array, declaredType: string): ImageType {
  checkDeclaredImageType(declaredType)
  return imageTypeOf(bytes)
}
