import fc from 'fast-check'
import sharp, { type Sharp } from 'sharp'
import { describe, expect, it } from 'vitest'
import { ProblemError } from '../shared/problem'
import { type DecodedImage, decodeImage } from './decodeImage'
import { at, halves, pngDeclaring, solid } from './testing/images'

const pre = { resizeShorter: 16, crop: 16, mean: [0, 0, 0], std: [1, 1, 1] } as Parameters<
  typeof decodeImage
>[1]
const limits = { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000 }
const side = pre.crop

const red: [number, number, number] = [255, 0, 0]
const blue: [number, number, number] = [0, 0, 255]

async function expectProblem(promise: Promise<unknown>, code: string) {
  const err = await promise.catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ProblemError)
  expect((err as ProblemError).code).toBe(code)
  return err as ProblemError
}

/** RGB of the input pixel at (x, y), in 0..255. */
const rgbAt = (pixels: Float32Array, x: number, y: number) =>
  [0, 1, 2].map((c) => Math.round(at(pixels, side, c, x, y) * 255))

describe('decodeImage', () => {
  it.each([
    ['jpeg', (s: Sharp) => s.jpeg({ quality: 95 })],
    ['png', (s: Sharp) => s.png()],
    ['webp', (s: Sharp) => s.webp({ lossless: true })],
    ['gif', (s: Sharp) => s.gif()],
    ['avif', (s: Sharp) => s.avif({ lossless: true })],
  ])('decodes %s into a CHW float32 input in [0, 1]', async (format, encode) => {
    const bytes = await encode(solid(40, 30, [200, 100, 50])).toBuffer()
    const image = await decodeImage(bytes, pre, limits)
    expect(image.format).toBe(format)
    expect([image.width, image.height]).toEqual([40, 30])
    expect(image.pixels).toHaveLength(3 * side * side)
    const [r, g, b] = rgbAt(image.pixels, 8, 8)
    expect(Math.abs((r as number) - 200)).toBeLessThanOrEqual(6)
    expect(Math.abs((g as number) - 100)).toBeLessThanOrEqual(6)
    expect(Math.abs((b as number) - 50)).toBeLessThanOrEqual(6)
  })

  it('takes the first frame of an animated GIF', async () => {
    const frame = (rgb: [number, number, number]) => solid(16, 16, rgb).png().toBuffer()
    const bytes = await sharp([await frame(red), await frame(blue)], { join: { animated: true } })
      .gif({ delay: [100, 100] })
      .toBuffer()
    expect((await sharp(bytes).metadata()).pages).toBe(2)
    const image = await decodeImage(bytes, pre, limits)
    expect([image.width, image.height]).toEqual([16, 16])
    expect(rgbAt(image.pixels, 8, 8)).toEqual([255, 0, 0])
  })

  it('applies the EXIF orientation', async () => {
    // Stored 40x20, left red / right blue; orientation 6 displays it turned 90° clockwise: red on top.
    const bytes = await halves(40, 20, red, blue)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer()
    const image = await decodeImage(bytes, pre, limits)
    expect([image.width, image.height]).toEqual([20, 40])
    expect(rgbAt(image.pixels, 8, 1)[0]).toBeGreaterThan(200)
    expect(rgbAt(image.pixels, 8, 14)[2]).toBeGreaterThan(200)
  })

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'gives EXIF orientation %i the input of the same photo turned in its pixels',
    async (orientation) => {
      // Smooth texture, no symmetry: a wrong turn or mirror of the crop shows as large differences.
      const noise = Buffer.from(
        Array.from({ length: 301 * 199 * 3 }, (_, i) => Math.imul(i, 2654435761) >>> 24),
      )
      const photo = await sharp(noise, { raw: { width: 301, height: 199, channels: 3 } })
        .blur(2)
        .png()
        .toBuffer()
      const tagged = await sharp(photo).png().withMetadata({ orientation }).toBuffer()
      const turned = await sharp(tagged).autoOrient().png().toBuffer()
      const [a, b] = (await Promise.all(
        [tagged, turned].map((bytes) => decodeImage(bytes, pre, limits)),
      )) as [DecodedImage, DecodedImage]
      expect([a.width, a.height]).toEqual([b.width, b.height])
      const diffs = Array.from(a.pixels, (v, i) => Math.abs(v - (b.pixels[i] as number)) * 255)
      expect(Math.max(...diffs)).toBeLessThanOrEqual(4)
      expect(diffs.reduce((s, d) => s + d, 0) / diffs.length).toBeLessThanOrEqual(1)
    },
  )

  it('turns grayscale into three equal channels', async () => {
    const bytes = await solid(20, 20, [128, 128, 128]).removeAlpha().toColourspace('b-w').png().toBuffer()
    expect((await sharp(bytes).metadata()).channels).toBe(1)
    const image = await decodeImage(bytes, pre, limits)
    expect(rgbAt(image.pixels, 3, 3)).toEqual([128, 128, 128])
  })

  it('converts CMYK to sRGB', async () => {
    const bytes = await solid(20, 20, [200, 30, 30]).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer()
    expect((await sharp(bytes).metadata()).space).toBe('cmyk')
    const [r, g, b] = rgbAt((await decodeImage(bytes, pre, limits)).pixels, 5, 5) as [number, number, number]
    expect(r).toBeGreaterThan(150)
    expect(g).toBeLessThan(90)
    expect(b).toBeLessThan(90)
  })

  it('reduces 16-bit PNG to the same [0, 1] range', async () => {
    const bytes = await solid(20, 20, [255, 128, 0]).toColourspace('rgb16').png().toBuffer()
    expect((await sharp(bytes).metadata()).depth).toBe('ushort')
    const image = await decodeImage(bytes, pre, limits)
    for (const [c, v] of rgbAt(image.pixels, 5, 5).entries()) {
      expect(Math.abs(v - ([255, 128, 0][c] as number))).toBeLessThanOrEqual(1)
    }
    expect(Math.max(...image.pixels)).toBeLessThanOrEqual(1)
  })

  it('flattens alpha onto white', async () => {
    const transparent = await decodeImage(await solid(20, 20, [0, 0, 0], 0).png().toBuffer(), pre, limits)
    expect(rgbAt(transparent.pixels, 5, 5)).toEqual([255, 255, 255])
    const halfRed = await decodeImage(await solid(20, 20, red, 0.5).png().toBuffer(), pre, limits)
    const [r, g] = rgbAt(halfRed.pixels, 5, 5) as [number, number]
    expect(r).toBe(255)
    expect(Math.abs(g - 127)).toBeLessThanOrEqual(2)
  })

  it('resizes the shorter side and takes the centre crop, reporting it in original pixels', async () => {
    // 60x20: red | blue halves; the centre 20x20 crop straddles the boundary.
    const bytes = await halves(60, 20, red, blue).png().toBuffer()
    const image = await decodeImage(bytes, { ...pre, resizeShorter: 20 }, limits)
    expect(image.crop).toEqual({ x: 22, y: 2, width: 16, height: 16 })
    expect(rgbAt(image.pixels, 2, 8)[0]).toBe(255)
    expect(rgbAt(image.pixels, 13, 8)[2]).toBe(255)
    const scaled = await decodeImage(
      await solid(300, 200, red).png().toBuffer(),
      { ...pre, resizeShorter: 32, crop: 32 },
      limits,
    )
    expect(scaled.crop).toEqual({ x: 50, y: 0, width: 200, height: 200 })
  })
})

describe('decodeImage refusals', () => {
  it('refuses a 30000x30000 PNG of ~100 KB from its header, without decoding it', async () => {
    const bomb = pngDeclaring(30_000, 30_000, 1000)
    expect(bomb.length).toBeLessThan(150_000)
    const rssBefore = process.memoryUsage().rss
    const err = await expectProblem(decodeImage(bomb, pre, limits), 'image_too_large')
    expect(err.status).toBe(422)
    expect(err.message).toContain('30000x30000')
    // Decoding would need 2.7 GB of raster.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024)
  })

  it('refuses more pixels than the configured limit', async () => {
    const bytes = await solid(100, 100, red).png().toBuffer()
    await expectProblem(decodeImage(bytes, pre, { ...limits, maxPixels: 9_999 }), 'image_too_large')
  })

  it('refuses more bytes than the configured limit', async () => {
    const bytes = await solid(100, 100, red).png().toBuffer()
    const err = await expectProblem(
      decodeImage(bytes, pre, { ...limits, maxBytes: 100 }),
      'payload_too_large',
    )
    expect(err.status).toBe(413)
  })

  it('refuses HEIC with a hint to send JPEG', async () => {
    const heic = Buffer.concat([
      Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'),
      Buffer.alloc(64),
    ])
    const err = await expectProblem(decodeImage(heic, pre, limits), 'unsupported_media_type')
    expect(err.status).toBe(415)
    expect(err.message).toMatch(/send JPEG/)
  })

  it.each([
    ['TIFF', (s: Sharp) => s.tiff()],
    ['SVG', () => ({ toBuffer: async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') })],
  ])('refuses %s as unsupported', async (_, encode) => {
    const bytes = await encode(solid(10, 10, red)).toBuffer()
    await expectProblem(decodeImage(bytes, pre, limits), 'unsupported_media_type')
  })

  it('refuses a truncated PNG as undecodable', async () => {
    const bytes = await halves(64, 64, red, blue).png().toBuffer()
    const err = await expectProblem(
      decodeImage(bytes.subarray(0, bytes.length / 2), pre, limits),
      'undecodable_image',
    )
    expect(err.status).toBe(422)
  })
})

describe('decodeImage under random and corrupted bytes', () => {
  const isTypedOutcome = async (bytes: Uint8Array) => {
    try {
      const image = await decodeImage(bytes, pre, { ...limits, maxPixels: 4_000_000 })
      return image.pixels.length === 3 * side * side && image.pixels.every((v) => v >= 0 && v <= 1)
    } catch (err) {
      return err instanceof ProblemError && err.status >= 400 && err.status < 500
    }
  }

  it('never crashes or hangs on random bytes, with or without a valid signature', async () => {
    const signatures = [
      '\xff\xd8\xff',
      '\x89PNG\r\n\x1a\n',
      'GIF89a',
      'RIFF\0\0\0\0WEBPVP8 ',
      '\0\0\0\x1cftypavif',
    ]
    const bytes = fc
      .tuple(fc.constantFrom('', ...signatures), fc.uint8Array({ maxLength: 4096 }))
      .map(([signature, rest]) => Uint8Array.from([...Buffer.from(signature, 'latin1'), ...rest]))
    await fc.assert(fc.asyncProperty(bytes, isTypedOutcome), { numRuns: 300, timeout: 5000 })
  })

  it('never crashes or hangs on corrupted images of every format', async () => {
    const seeds = await Promise.all(
      [
        (s: Sharp) => s.jpeg(),
        (s: Sharp) => s.png(),
        (s: Sharp) => s.webp(),
        (s: Sharp) => s.gif(),
        (s: Sharp) => s.avif(),
      ].map((encode) => encode(halves(48, 32, red, blue)).toBuffer()),
    )
    const corrupted = fc
      .record({
        seed: fc.constantFrom(...seeds),
        flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          maxLength: 8,
        }),
        keep: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map(({ seed, flips, keep }) => {
        const bytes = Uint8Array.from(seed)
        for (const { at: i, value } of flips) bytes[i % bytes.length] = value
        return bytes.subarray(0, Math.max(1, Math.round(bytes.length * keep)))
      })
    await fc.assert(fc.asyncProperty(corrupted, isTypedOutcome), { numRuns: 300, timeout: 5000 })
  })
})
