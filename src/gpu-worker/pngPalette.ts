const SIGNATURE = Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')
const GRAY = 0
const INDEXED = 3

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** CRC-32 of a chunk's type and data (only the few header bytes rewritten here; IDAT is copied as it is). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  out.set(data, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/** The PLTE and tRNS chunks of a 256-entry palette: `rgb` 3 bytes per entry, `alpha` one opacity per entry. */
export function paletteChunks(rgb: Uint8Array, alpha: Uint8Array): Buffer {
  if (rgb.length !== 256 * 3 || alpha.length !== 256)
    throw new Error('a palette has 256 RGB and 256 alpha entries')
  return Buffer.concat([chunk('PLTE', rgb), chunk('tRNS', alpha)])
}

/**
 * An 8-bit grayscale PNG re-declared as an indexed PNG with the given palette chunks. Both store one byte per
 * pixel, so only the header changes (the compressed pixels are copied as they are), and whoever decodes it
 * looks each gray level up in the palette: a colour map applied by libvips' PNG decoder, not pixel by pixel
 * in JavaScript.
 */
export function withPalette(grayPng: Buffer, palette: Buffer): Buffer {
  if (!grayPng.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG')
  const parts: Buffer[] = [SIGNATURE]
  for (let at = 8; at + 12 <= grayPng.length; ) {
    const length = grayPng.readUInt32BE(at)
    const type = grayPng.toString('latin1', at + 4, at + 8)
    const whole = grayPng.subarray(at, at + 12 + length)
    at += 12 + length
    if (type === 'IHDR') {
      const header = Buffer.from(whole.subarray(8, 8 + length))
      if (header[8] !== 8 || header[9] !== GRAY) throw new Error('expected an 8-bit grayscale PNG')
      header[9] = INDEXED
      parts.push(chunk('IHDR', header), palette)
    } else if (type === 'IDAT' || type === 'IEND') {
      // Ancillary chunks (pHYs, and a gray image's own tRNS or bKGD, whose meaning differs) are left out.
      parts.push(whole)
    }
  }
  return Buffer.concat(parts)
}
