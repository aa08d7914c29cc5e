/** The image types the API accepts, as the edge declares them and the worker decodes them. */
export const SUPPORTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
] as const
export type ImageType = (typeof SUPPORTED_IMAGE_TYPES)[number]

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

/** The format by its magic bytes, never by a declared type; 'image/heic' for HEIC/HEIF, undefined for the rest. */
export function sniffImageType(bytes: Uint8Array): ImageType | 'image/heic' | undefined {
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
  return undefined
}
