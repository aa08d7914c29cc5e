import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { HEAT_ALPHA, MAX_HEAT_OPACITY, TURBO } from '../shared/colormap'
import type { OverlayFormat } from '../shared/contract'
import type { Crop } from '../shared/inputGeometry'
import { type DisplayImage, decodeImage } from './decodeImage'
import type { SaliencyMap } from './explanationMap'
import { cropOnDisplay, renderOverlays } from './renderOverlay'
import { solid } from './testing/images'

const map = { data: Float32Array.from([0, 1, 1, 0]), width: 2, height: 2 }
const gray: [number, number, number] = [100, 100, 100]

async function pixelsOf(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return {
    info,
    rgb: (x: number, y: number) => [...data.subarray(3 * (y * info.width + x), 3 * (y * info.width + x) + 3)],
  }
}

const pre = { resizeShorter: 16, crop: 16, mean: [0, 0, 0], std: [1, 1, 1] } as Parameters<
  typeof decodeImage
>[1]

/** As the worker does it: one decode gives the display copy, the overlays are drawn on it. */
async function overlaysOf(
  photo: Buffer,
  maps: SaliencyMap[],
  crop: Crop,
  maxSide = 1024,
  format: OverlayFormat = 'png',
) {
  const image = await decodeImage(
    photo,
    pre,
    { maxBytes: 1 << 24, maxPixels: 40e6 },
    { displayMaxSide: maxSide },
  )
  return renderOverlays(image.display as DisplayImage, maps, crop, image, format)
}

/** Turbo's colour of `level` over a photo channel, at the level's saliency-weighted opacity. */
const blend = (level: number, photo: number, c: number) => {
  const alpha = (HEAT_ALPHA[level] as number) / 255
  return Math.round((TURBO[3 * level + c] as number) * alpha + photo * (1 - alpha))
}

describe('renderOverlay', () => {
  it('blends the turbo-coloured map over its crop and leaves the rest of the photo alone', async () => {
    const photo = await solid(300, 200, gray).jpeg({ quality: 100 }).toBuffer()
    const crop = { x: 50, y: 0, width: 200, height: 200 }
    const [png] = await overlaysOf(photo, [map], crop)
    const { info, rgb } = await pixelsOf(png as Buffer)
    expect([info.width, info.height]).toEqual([300, 200])
    for (const v of rgb(10, 100)) expect(Math.abs(v - 100)).toBeLessThanOrEqual(2)
    // The crop's top-left corner is cold (0), its top-right hot (1).
    for (const [c, v] of rgb(52, 2).entries()) expect(Math.abs(v - blend(0, 100, c))).toBeLessThanOrEqual(3)
    for (const [c, v] of rgb(247, 2).entries())
      expect(Math.abs(v - blend(255, 100, c))).toBeLessThanOrEqual(3)
  })

  it('leaves the photo as it is where the map is cold and colours it most where the map is hot', async () => {
    expect(HEAT_ALPHA[0]).toBe(0)
    expect(HEAT_ALPHA[255]).toBe(Math.round(255 * MAX_HEAT_OPACITY))
    for (let level = 1; level < 256; level++)
      expect(HEAT_ALPHA[level]).toBeGreaterThanOrEqual(HEAT_ALPHA[level - 1] as number)
    const photo = await solid(64, 64, gray).png().toBuffer()
    const ramp = { data: Float32Array.from([0, 0.1, 0.6, 1]), width: 4, height: 1 }
    const [png] = await overlaysOf(photo, [ramp], { x: 0, y: 0, width: 64, height: 64 })
    const { rgb } = await pixelsOf(png as Buffer)
    // The left end (map 0) is the photo; the right end (map 1) is turbo's red at the maximum opacity.
    expect(rgb(0, 30)).toEqual(gray)
    for (const [c, v] of rgb(63, 30).entries())
      expect(Math.abs(v - blend(255, 100, c))).toBeLessThanOrEqual(3)
  })

  it('encodes as WebP, PNG or JPEG at the same size', async () => {
    const photo = await solid(120, 80, gray).jpeg().toBuffer()
    const crop = { x: 20, y: 0, width: 80, height: 80 }
    for (const format of ['webp', 'png', 'jpeg'] as const) {
      const [encoded] = await overlaysOf(photo, [map], crop, 1024, format)
      const meta = await sharp(encoded as Buffer).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual([format, 120, 80])
      // Lossy or not, the hot corner is the hot colour.
      const { rgb } = await pixelsOf(encoded as Buffer)
      for (const [c, v] of rgb(97, 2).entries())
        expect(Math.abs(v - blend(255, 100, c))).toBeLessThanOrEqual(12)
    }
  })

  it('renders one overlay per map over the same photo', async () => {
    const photo = await solid(64, 64, gray).png().toBuffer()
    const inverted = { ...map, data: map.data.map((v) => 1 - v) }
    const overlays = await overlaysOf(photo, [map, inverted], { x: 0, y: 0, width: 64, height: 64 })
    expect(overlays).toHaveLength(2)
    const [a, b] = await Promise.all(overlays.map(pixelsOf))
    // Top-left is cold in the first map and hot in the second.
    for (const [c, v] of (a?.rgb(1, 1) ?? []).entries())
      expect(Math.abs(v - blend(0, 100, c))).toBeLessThanOrEqual(3)
    for (const [c, v] of (b?.rgb(1, 1) ?? []).entries())
      expect(Math.abs(v - blend(255, 100, c))).toBeLessThanOrEqual(3)
  })

  it('keeps the original size in the displayed orientation', async () => {
    const photo = await solid(40, 20, gray).jpeg().withMetadata({ orientation: 6 }).toBuffer()
    const [png] = await overlaysOf(photo, [map], { x: 0, y: 10, width: 20, height: 20 })
    const meta = await sharp(png as Buffer).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 20, 40])
  })

  it('draws on the photo scaled down to fit the maximum side, the crop scaled with it', async () => {
    const photo = await solid(3000, 2000, gray).png().toBuffer()
    const [png] = await overlaysOf(photo, [map], { x: 500, y: 0, width: 2000, height: 2000 }, 300)
    const { info, rgb } = await pixelsOf(png as Buffer)
    expect([info.width, info.height]).toEqual([300, 200])
    // The crop lies at x 50..249 of the 300x200 copy: left of it the photo, then cold, then hot.
    for (const v of rgb(20, 100)) expect(Math.abs(v - 100)).toBeLessThanOrEqual(2)
    for (const [c, v] of rgb(52, 2).entries()) expect(Math.abs(v - blend(0, 100, c))).toBeLessThanOrEqual(3)
    for (const [c, v] of rgb(247, 2).entries())
      expect(Math.abs(v - blend(255, 100, c))).toBeLessThanOrEqual(3)
  })

  it('renders nothing once the request is aborted', async () => {
    const display: DisplayImage = { data: Buffer.alloc(64 * 64 * 3), width: 64, height: 64, channels: 3 }
    const gone = new Error('deadline')
    const crop = { x: 0, y: 0, width: 64, height: 64 }
    await expect(renderOverlays(display, [map], crop, display, 'png', AbortSignal.abort(gone))).rejects.toBe(
      gone,
    )
  })
})

describe('cropOnDisplay', () => {
  it('scales the crop onto the display copy, inside it and at least one pixel', () => {
    const original = { width: 6000, height: 4000 }
    const display = { width: 1024, height: 683 }
    expect(cropOnDisplay({ x: 1000, y: 0, width: 4000, height: 4000 }, original, display)).toEqual({
      x: 171,
      y: 0,
      width: 682,
      height: 683,
    })
    expect(cropOnDisplay({ x: 5999, y: 3999, width: 1, height: 1 }, original, display)).toEqual({
      x: 1023,
      y: 682,
      width: 1,
      height: 1,
    })
    const same = { x: 50, y: 0, width: 200, height: 200 }
    expect(cropOnDisplay(same, { width: 300, height: 200 }, { width: 300, height: 200 })).toEqual(same)
  })
})
