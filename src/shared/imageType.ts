import { ProblemError } from './problem'

/** The image types the API accepts, as the edge declares them and the worker decodes them. */
export const SUPPORTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
] as const
export type ImageType = (typeof SUPPORTED_IMAGE_TYPES)[number]

/** An image as it travels: its bytes and the media type it came with (or, once checked, the one they have). */
export interface ImageBytes {
  bytes: Uint8Array
  contentType: string
}

/** The formats the API decodes, as refusals name them. */
export const DECODED_FORMATS = 'a JPEG, PNG, WebP, GIF or AVIF image'

/** What a client sending HEIC/HEIF is told, by the edge and by the worker alike. */
export const HEIC_HINT =
  'HEIC/HEIF is not supported: send JPEG (on iOS: Settings > Camera > Formats > Most Compatible).'

const AVIF_BRANDS = new Set(['avif', 'avis'])
// mif1/msf1 are the generic HEIF brands: without an AVIF brand beside them, an iPhone photo.
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1'])

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, end))

/** ISO-BMFF `ftyp` brands (major + compatible): an AVIF may name a HEIF brand first, so all of them count. */
function ftypBrands(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const boxSize = Math.min(view.getUint32(0), bytes.length)
  const brands = [ascii(bytes, 8, 12)]
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(bytes, at, at + 4))
  return brands
}

/** Image formats recognised by their bytes that the API does not decode. */
type RecognisedOnly = 'image/heic' | 'image/tiff' | 'image/bmp' | 'image/svg+xml'

/** The format by its magic bytes, never by a declared type; undefined for bytes that are no image we know. */
export function sniffImageType(bytes: Uint8Array): ImageType | RecognisedOnly | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png'
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return 'image/gif'
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP')
    return 'image/webp'
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    const brands = ftypBrands(bytes)
    if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'image/avif'
    if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'image/heic'
  }
  if (bytes.length >= 4 && ['II*\0', 'MM\0*'].includes(ascii(bytes, 0, 4))) return 'image/tiff'
  // "BM", the file size, then two reserved 16-bit fields that are zero: more than a text starting with "BM".
  if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM' && bytes.subarray(6, 10).every((b) => b === 0))
    return 'image/bmp'
  if (/^(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(ascii(bytes, 0, 256))) return 'image/svg+xml'
  return undefined
}

/**
 * What an image is, by its bytes: the one decision the edge (before a worker call) and the worker (before
 * decoding) both make. A format the API decodes is its type; one it recognises but does not decode is 415 (HEIC
 * with a hint to send JPEG); bytes that are no image are 422 `undecodable_image`, worded by `notAnImage`.
 */
export function imageTypeOf(
  bytes: Uint8Array,
  notAnImage = `The body is not ${DECODED_FORMATS}.`,
): ImageType {
  const type = sniffImageType(bytes)
  if (type === 'image/heic') throw new ProblemError('unsupported_media_type', HEIC_HINT)
  if (type === undefined) throw new ProblemError('undecodable_image', notAnImage)
  if (!(SUPPORTED_IMAGE_TYPES as readonly string[]).includes(type)) {
    throw new ProblemError('unsupported_media_type', `${type} is not supported: send ${DECODED_FORMATS}.`)
  }
  return type as ImageType
}
