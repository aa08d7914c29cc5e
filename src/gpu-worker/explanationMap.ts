import sharp from 'sharp'
import { saliencyLevels } from '../shared/saliencyLevels'

/** One class's saliency over the model input, values in [0, 1] (min-max scaled by the model). */
export interface SaliencyMap {
  data: Float32Array
  width: number
  height: number
}

/** [0, 1] -> 0..255, the form both the map PNG and the overlay use. */
export function toGray8(map: SaliencyMap): Buffer {
  const levels = saliencyLevels(map.data)
  return Buffer.from(levels.buffer, levels.byteOffset, levels.byteLength)
}

/** The map as an 8-bit grayscale PNG at the model's map size. */
export function encodeMapPng(map: SaliencyMap): Promise<Buffer> {
  return sharp(toGray8(map), { raw: { width: map.width, height: map.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer()
}
