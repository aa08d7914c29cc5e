import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { decodeImage } from '../gpu-worker/decodeImage'
import { hasSampleImages, readSampleImages, SAMPLE_TAR } from '../gpu-worker/testing/sampleImages'
import { type ImageType, sniffImageType } from '../shared/imageType'
import { modelInput } from './modelInput'

const limits = { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000 }
const preprocessing = (resizeShorter: number, crop: number) =>
  ({ resizeShorter, crop, mean: [0, 0, 0], std: [1, 1, 1] }) as Parameters<typeof decodeImage>[1]

/** The photo as a browser hands it to the page: displayed orientation, sRGB, RGBA at full size. */
async function asBrowserDecodes(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes)
    .autoOrient()
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** |page - worker| over every input value of every photo, in 8-bit levels. */
async function differences(photos: Uint8Array[], pre: ReturnType<typeof preprocessing>) {
  const levels: number[] = []
  for (const bytes of photos) {
    const worker = await decodeImage(bytes, pre, limits)
    const page = modelInput(await asBrowserDecodes(bytes), pre, sniffImageType(bytes) as ImageType)
    expect(page.crop).toEqual(worker.crop)
    for (let i = 0; i < page.pixels.length; i++)
      levels.push(Math.round(Math.abs((page.pixels[i] as number) - (worker.pixels[i] as number)) * 255))
  }
  levels.sort((a, b) => a - b)
  return {
    mean: levels.reduce((s, v) => s + v, 0) / levels.length,
    p99: levels[Math.floor(levels.length * 0.99)] as number,
    max: levels.at(-1) as number,
  }
}

describe("modelInput: the page makes the worker's model input from browser-decoded pixels", () => {
  it('flattens transparency on white and enlarges a photo smaller than the crop as libvips does', async () => {
    const png = await sharp({
      create: { width: 20, height: 12, channels: 4, background: { r: 200, g: 40, b: 90, alpha: 0.5 } },
    })
      .composite([
        {
          input: Buffer.from([0, 255, 0, 255]),
          raw: { width: 1, height: 1, channels: 4 },
          tile: true,
          left: 0,
          top: 0,
        },
      ])
      .png()
      .toBuffer()
    const { max } = await differences([png], preprocessing(32, 32))
    expect(max).toBeLessThanOrEqual(1)
  })

  it('reproduces a WebP reduced while decoding', async () => {
    const webp = await sharp({
      create: {
        width: 400,
        height: 300,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .blur(3)
      .webp({ lossless: true })
      .toBuffer()
    const { mean } = await differences([webp], preprocessing(32, 32))
    expect(mean).toBeLessThan(0.1)
  })

  describe.skipIf(!hasSampleImages())(`on the sample photographs (${SAMPLE_TAR})`, () => {
    // Every 10th photo: the same photos each run, 50 sizes from ~70 to 2400 px, some grayscale.
    const photos = () => [...readSampleImages().values()].filter((_, i) => i % 10 === 0)

    it('within a level of the worker on average at 32 px (JPEGs reduced 10-40x while decoding)', async () => {
      const { mean, p99 } = await differences(photos(), preprocessing(32, 32))
      expect(mean).toBeLessThan(1)
      expect(p99).toBeLessThanOrEqual(3)
    })

    it('within a level of the worker on average at 224 px', async () => {
      const { mean, p99 } = await differences(photos().slice(0, 15), preprocessing(256, 224))
      expect(mean).toBeLessThan(1)
      expect(p99).toBeLessThanOrEqual(2)
    })
  })
})
