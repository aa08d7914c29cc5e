import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { TURBO } from '../shared/colormap'
import { paletteChunks, withPalette } from './pngPalette'

describe('withPalette', () => {
  const alpha = Uint8Array.from({ length: 256 }, (_, v) => 255 - v)

  it('turns every gray level into its palette colour and opacity when decoded', async () => {
    const levels = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))
    const gray = await sharp(levels, { raw: { width: 32, height: 16, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer()
    const { data, info } = await sharp(withPalette(gray, paletteChunks(TURBO, alpha)))
      .raw()
      .toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, info.channels]).toEqual([32, 16, 4])
    for (const [i, level] of levels.entries()) {
      expect([...data.subarray(4 * i, 4 * i + 4)]).toEqual([
        ...TURBO.subarray(3 * level, 3 * level + 3),
        255 - level,
      ])
    }
  })

  it('refuses what is not an 8-bit grayscale PNG', async () => {
    const rgb = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } })
      .png()
      .toBuffer()
    expect(() => withPalette(rgb, paletteChunks(TURBO, alpha))).toThrow(/8-bit grayscale/)
    expect(() => withPalette(Buffer.from('GIF89a'), paletteChunks(TURBO, alpha))).toThrow(/not a PNG/)
  })
})
