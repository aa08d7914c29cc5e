import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { TURBO } from './colormap'
import { OVERLAY_OPACITY, renderOverlays } from './renderOverlay'
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

const blend = (level: number, photo: number, c: number) =>
  Math.round((TURBO[3 * level + c] as number) * OVERLAY_OPACITY + photo * (1 - OVERLAY_OPACITY))

describe('renderOverlay', () => {
  it('blends the turbo-coloured map over its crop and leaves the rest of the photo alone', async () => {
    const photo = await solid(300, 200, gray).jpeg({ quality: 100 }).toBuffer()
    const crop = { x: 50, y: 0, width: 200, height: 200 }
    const [png] = await renderOverlays(photo, [map], crop, 40e6)
    const { info, rgb } = await pixelsOf(png as Buffer)
    expect([info.width, info.height]).toEqual([300, 200])
    for (const v of rgb(10, 100)) expect(Math.abs(v - 100)).toBeLessThanOrEqual(2)
    // The crop's top-left corner is cold (0), its top-right hot (1).
    for (const [c, v] of rgb(52, 2).entries()) expect(Math.abs(v - blend(0, 100, c))).toBeLessThanOrEqual(3)
    for (const [c, v] of rgb(247, 2).entries())
      expect(Math.abs(v - blend(255, 100, c))).toBeLessThanOrEqual(3)
  })

  it('renders one overlay per map over the same photo', async () => {
    const photo = await solid(64, 64, gray).png().toBuffer()
    const inverted = { ...map, data: map.data.map((v) => 1 - v) }
    const overlays = await renderOverlays(photo, [map, inverted], { x: 0, y: 0, width: 64, height: 64 }, 40e6)
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
    const [png] = await renderOverlays(photo, [map], { x: 0, y: 10, width: 20, height: 20 }, 40e6)
    const meta = await sharp(png as Buffer).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 20, 40])
  })
})
