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

/** A valid PNG header declaring `width` x `height` RGB, followed by only `rows` rows of data: a decompression bomb. */
export function pngDeclaring(width: number, height: number, rows: number) {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(rows * (1 + width * 3)))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
