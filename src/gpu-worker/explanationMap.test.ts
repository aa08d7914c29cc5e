import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { encodeMapPng } from './explanationMap'

describe('encodeMapPng', () => {
  it('writes an 8-bit grayscale PNG of the map size, 0..1 scaled to 0..255', async () => {
    const data = Float32Array.from([0, 0.5, 1, 1.2, -0.1, 0.25])
    const png = await encodeMapPng({ data, width: 3, height: 2 })
    expect(await sharp(png).metadata()).toMatchObject({
      format: 'png',
      width: 3,
      height: 2,
      channels: 1,
      depth: 'uchar',
    })
    const pixels = await sharp(png).toColourspace('b-w').raw().toBuffer()
    expect([...pixels]).toEqual([0, 128, 255, 255, 0, 64])
  })
})
