import { describe, expect, it } from 'vitest'
import { decodeImage } from './decodeImage'
import { hasSampleImages, readSampleImages, SAMPLE_TAR } from './testing/sampleImages'

const pre = { resizeShorter: 32, crop: 32, mean: [0, 0, 0], std: [1, 1, 1] } as Parameters<
  typeof decodeImage
>[1]

describe.skipIf(!hasSampleImages())(`decodeImage on the shared sample photographs (${SAMPLE_TAR})`, () => {
  it('decodes every one of the 500 photographs, grayscale included, into a valid input', async () => {
    const photos = readSampleImages()
    expect(photos.size).toBe(500)
    for (const [name, bytes] of photos) {
      const image = await decodeImage(bytes, pre, { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000 })
      expect(image.pixels, name).toHaveLength(3 * 32 * 32)
      const { x, y, width, height } = image.crop
      expect(x >= 0 && y >= 0 && x + width <= image.width && y + height <= image.height, name).toBe(true)
      // Square up to the rounding of the resized size, spanning the whole shorter side.
      expect(image.width < image.height ? width : height, name).toBe(Math.min(image.width, image.height))
      expect(Math.abs(width - height) / Math.max(width, height), name).toBeLessThan(0.04)
    }
  })
})
