import type { ImageType } from '../shared/imageType'
import { type Crop, planInput } from '../shared/inputGeometry'
import type { Manifest } from '../shared/manifest'
import { resizeAsSharp } from './sharpResize'

/** Pixels as a canvas hands them out: 8-bit RGBA, row by row, the photo in its displayed orientation. */
export interface RgbaImage {
  data: Uint8Array | Uint8ClampedArray
  width: number
  height: number
}

export interface ModelInput {
  /** float32 CHW [3, S, S], values in [0, 1]: the graph's `image` input for one photo. */
  pixels: Float32Array
  /** Where the maps lie on the photo, in its pixels (the `crop` of an explanation answer). */
  crop: Crop
}

/**
 * A decoded photo -> the model input, as the worker makes it (src/gpu-worker/decodeImage.ts): transparency on
 * white, the shorter side resized to `resizeShorter` the way sharp resizes a file of `type`, the centre `crop` x
 * `crop` square.
 */
export function modelInput(
  image: RgbaImage,
  pre: Pick<Manifest['preprocessing'], 'resizeShorter' | 'crop'>,
  type: ImageType,
): ModelInput {
  const plan = planInput(image.width, image.height, pre)
  const { resized, extract } = plan
  const rgb = resizeAsSharp(onWhite(image), resized.width, resized.height, type)
  const plane = extract.width * extract.height
  const pixels = new Float32Array(3 * plane)
  for (let y = 0; y < extract.height; y++) {
    for (let x = 0; x < extract.width; x++) {
      const from = ((extract.top + y) * rgb.width + extract.left + x) * 3
      for (let c = 0; c < 3; c++)
        pixels[c * plane + y * extract.width + x] = (rgb.data[from + c] as number) / 255
    }
  }
  return { pixels, crop: plan.crop }
}

/** RGBA -> RGB over a white background (libvips `flatten`: integer blend, truncated). */
function onWhite(image: RgbaImage) {
  const count = image.width * image.height
  const data = new Uint8Array(count * 3)
  for (let i = 0; i < count; i++) {
    const alpha = image.data[4 * i + 3] as number
    for (let c = 0; c < 3; c++) {
      const value = image.data[4 * i + c] as number
      data[3 * i + c] = alpha === 255 ? value : Math.floor((value * alpha + 255 * (255 - alpha)) / 255)
    }
  }
  return { data, width: image.width, height: image.height }
}
