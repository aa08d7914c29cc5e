import sharp from 'sharp'
import { TURBO } from './colormap'
import { displayedImage } from './decodeImage'
import { type SaliencyMap, toGray8 } from './explanationMap'
import type { Crop } from './inputGeometry'

/** Opacity of the heat colours over the photo: enough to read the map, enough to see the photo. */
export const OVERLAY_OPACITY = 0.5

/**
 * Each map, upsampled bilinearly onto the crop it covers, coloured with turbo and blended over the original
 * image at its original size and displayed orientation; outside the crop the photo is left as it is.
 * The photo is decoded once for all maps.
 */
export async function renderOverlays(
  imageBytes: Uint8Array,
  maps: readonly SaliencyMap[],
  crop: Crop,
  maxPixels: number,
): Promise<Buffer[]> {
  const photo = await displayedImage(imageBytes, maxPixels).raw().toBuffer({ resolveWithObject: true })
  const raw = { width: photo.info.width, height: photo.info.height, channels: photo.info.channels }
  return Promise.all(
    maps.map(async (map) =>
      sharp(photo.data, { raw })
        .composite([
          { input: await heatLayer(map, crop), raw: { ...crop, channels: 4 }, left: crop.x, top: crop.y },
        ])
        .png()
        .toBuffer(),
    ),
  )
}

/** The map at crop size as turbo colours with constant opacity (RGBA). */
async function heatLayer(map: SaliencyMap, crop: Crop): Promise<Buffer> {
  const heat = await sharp(toGray8(map), { raw: { width: map.width, height: map.height, channels: 1 } })
    .resize(crop.width, crop.height, { fit: 'fill', kernel: 'linear' })
    .toColourspace('b-w')
    .raw()
    .toBuffer()
  const alpha = Math.round(OVERLAY_OPACITY * 255)
  const rgba = Buffer.alloc(heat.length * 4)
  for (const [i, level] of heat.entries()) {
    rgba[4 * i] = TURBO[3 * level] as number
    rgba[4 * i + 1] = TURBO[3 * level + 1] as number
    rgba[4 * i + 2] = TURBO[3 * level + 2] as number
    rgba[4 * i + 3] = alpha
  }
  return rgba
}
