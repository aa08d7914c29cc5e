import { ProblemError } from '../problem/problem'

export const SUPPORTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
] as const
export type ImageType = (typeof SUPPORTED_IMAGE_TYPES)[number]

/** Declared types that say nothing about the format; the bytes decide. */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream'])
const HEIC_TYPES = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'])

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, end))

/** The format by magic bytes (what the worker's decoder will see), or undefined for anything else. */
export function sniffImageType(bytes: Uint8Array): ImageType | 'image/heic' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png'
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp'
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'image/gif'
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12)
    if (brand === 'avif' || brand === 'avis') return 'image/avif'
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'image/heic'
  }
  return undefined
}

const heicHint = () =>
  new ProblemError(
    415,
    'unsupported_media_type',
    'Unsupported media type',
    'HEIC/HEIF is not supported: send JPEG (on iOS, export or capture as "Most Compatible").',
  )

/** Rejects a declared image type we do not accept; generic types pass (the bytes decide). */
export function checkDeclaredImageType(declaredType: string): void {
  const declared = declaredType.split(';')[0]?.trim().toLowerCase() ?? ''
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
