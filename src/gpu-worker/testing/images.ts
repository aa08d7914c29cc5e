import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'

/** A solid-colour image, encoded by sharp, for decoder tests. */
export function solid(width: number, height: number, rgb: [number, number, number], alpha = 1) {
  return sharp({
    create: { width, height, channels: 4, background: { r: rgb[0], g: rgb[1], b: rgb[2], alpha } },
  })
}

/** Left half `left`, right half `right`: shows which way an image was turned. */
export function halves(
  width: number,
  height: number,
  left: [number, number, number],
  right: [number, number, number],
) {
  return solid(width, height, left).composite([
    {
      input: { create: { width: width / 2, height, channels: 3, background: toColour(right) } },
      left: width / 2,
      top: 0,
    },
  ])
}

const toColour = ([r, g, b]: [number, number, number]) => ({ r, g, b })

/** The value of channel `c` at (x, y) of a CHW [3, side, side] tensor. */
export const at = (pixels: Float32Array, side: number, c: number, x: number, y: number) =>
  pixels[c * side * side + y * side + x] as number

/** One PNG chunk: length, type, data, CRC. */
function pngChunk(type: string, data: Buffer) {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** `orientation`: an EXIF orientation in an eXIf chunk (1..8). */
function png(
  width: number,
  height: number,
  bitDepthAndColour: [number, number],
  idat: Buffer,
  orientation?: number,
) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([...bitDepthAndColour, 0, 0, 0], 8) // deflate, no filter, no interlace
  // A big-endian TIFF whose one IFD has one entry: Orientation (0x0112), one SHORT; no next IFD.
  const exif = Buffer.alloc(26)
  exif.write('MM\0*', 0, 'latin1')
  exif.writeUInt32BE(8, 4)
  exif.writeUInt16BE(1, 8)
  exif.writeUInt16BE(0x0112, 10)
  exif.writeUInt16BE(3, 12)
  exif.writeUInt32BE(1, 14)
  exif.writeUInt16BE(orientation ?? 1, 18)
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    pngChunk('IHDR', header),
    ...(orientation === undefined ? [] : [pngChunk('eXIf', exif)]),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** A valid PNG header declaring `width` x `height` RGB, followed by only `rows` rows of data: a decompression bomb. */
export function pngDeclaring(width: number, height: number, rows: number) {
  return png(width, height, [8, 2], deflateSync(Buffer.alloc(rows * (1 + width * 3))))
}

/** A complete, valid black 1-bit grayscale PNG: 6000x6000 is 36 megapixels in about 4.5 KB. */
export function bilevelPng(width: number, height: number) {
  const row = 1 + Math.ceil(width / 8)
  return png(width, height, [1, 0], deflateSync(Buffer.alloc(row * height), { level: 9 }))
}

/** A complete, valid black 16-bit RGB PNG with an EXIF orientation: 6000x6000 is 216 MB of pixels in 210 KB. */
export function rgb16Png(width: number, height: number, orientation: number) {
  const idat = deflateSync(Buffer.alloc((1 + width * 6) * height), { level: 9 })
  return png(width, height, [16, 2], idat, orientation)
}
