import { ProblemError } from './problem'

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif'

const heifBrands = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs'])
const avifBrands = new Set(['avif', 'avis'])

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, end))

/** ISO-BMFF `ftyp` brands (major + compatible), which tell AVIF from HEIC. */
function ftypBrands(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const boxSize = Math.min(view.getUint32(0), bytes.length)
  const brands = [ascii(bytes, 8, 12)]
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(bytes, at, at + 4))
  return brands
}

/**
 * Identifies the format from the magic bytes, never from the declared Content-Type, so that a mislabelled
 * upload is still decoded and a disguised one is still refused. Throws 415 for anything we do not decode.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png'
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return 'gif'
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp'
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    const brands = ftypBrands(bytes)
    if (brands.some((b) => avifBrands.has(b))) return 'avif'
    if (brands.some((b) => heifBrands.has(b))) {
      throw new ProblemError(
        'unsupported_media_type',
        'HEIC/HEIF images are not supported; please send JPEG (on iOS: Settings > Camera > Formats > Most Compatible)',
      )
    }
  }
  throw new ProblemError(
    'unsupported_media_type',
    'unsupported image format; send JPEG, PNG, WebP, GIF or AVIF',
  )
}
