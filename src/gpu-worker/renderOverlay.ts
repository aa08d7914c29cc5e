import sharp, { type Sharp } from 'sharp'
import { HEAT_ALPHA, TURBO } from '../shared/colormap'
import type { OverlayFormat } from '../shared/contract'
import type { Crop } from '../shared/inputGeometry'
import type { DisplayImage } from './decodeImage'
import { type SaliencyMap, toGray8 } from './explanationMap'
import { paletteChunks, withPalette } from './pngPalette'

/** Turbo colours, each at its saliency-weighted opacity: cold parts of a map leave the photo as it is. */
const HEAT_PALETTE = paletteChunks(TURBO, HEAT_ALPHA)

/**
 * The overlay encoders. WebP and JPEG at quality 90 (docs/overlays.md: their bytes and clarity against lossless
 * PNG, `npm run bench:overlays`); PNG with adaptive filtering at a low level, about a third smaller than the
 * defaults on photographs in the same time.
 */
const ENCODERS: Record<OverlayFormat, (image: Sharp) => Sharp> = {
  webp: (image) => image.webp({ quality: 90 }),
  png: (image) => image.png({ adaptiveFiltering: true, compressionLevel: 3 }),
  jpeg: (image) => image.jpeg({ quality: 90, mozjpeg: true }),
}

/**
 * Each map, upsampled bilinearly onto the crop it covers, coloured with turbo and blended over the display copy
 * of the photo (the original in its displayed orientation, scaled down to fit the overlay's maximum side) at an
 * opacity that grows with the map's value; outside the crop the photo is left as it is. All pixel work is
 * libvips'; maps are rendered one after another, and none starts once `signal` has aborted.
 */
export async function renderOverlays(
  display: DisplayImage,
  maps: readonly SaliencyMap[],
  crop: Crop,
  original: { width: number; height: number },
  format: OverlayFormat,
  signal?: AbortSignal,
): Promise<Buffer[]> {
  const onDisplay = cropOnDisplay(crop, original, display)
  const raw = { width: display.width, height: display.height, channels: display.channels as 3 | 4 }
  const overlays: Buffer[] = []
  for (const map of maps) {
    signal?.throwIfAborted()
    const heat = await heatLayer(map, onDisplay)
    const blended = sharp(display.data, { raw }).composite([
      { input: heat, left: onDisplay.x, top: onDisplay.y },
    ])
    overlays.push(await ENCODERS[format](blended).toBuffer())
  }
  return overlays
}

/** The crop (original pixels) on the display copy, at least 1x1 and inside it. */
export function cropOnDisplay(
  crop: Crop,
  original: { width: number; height: number },
  display: { width: number; height: number },
): Crop {
  const axis = (start: number, length: number, from: number, to: number) => {
    const scaled = Math.min(to - 1, Math.round((start * to) / from))
    const end = Math.min(to, Math.max(scaled + 1, Math.round(((start + length) * to) / from)))
    return [scaled, end - scaled] as const
  }
  const [x, width] = axis(crop.x, crop.width, original.width, display.width)
  const [y, height] = axis(crop.y, crop.height, original.height, display.height)
  return { x, y, width, height }
}

/** The map at crop size as an indexed PNG: gray levels looked up in the heat palette by the decoder. */
async function heatLayer(map: SaliencyMap, size: Crop): Promise<Buffer> {
  const gray = await sharp(toGray8(map), { raw: { width: map.width, height: map.height, channels: 1 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
    .toColourspace('b-w')
    .png({ compressionLevel: 1 })
    .toBuffer()
  return withPalette(gray, HEAT_PALETTE)
}
