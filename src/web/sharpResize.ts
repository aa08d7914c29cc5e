/**
 * The worker's resize (sharp `resize(w, h, { fit: 'fill' })`, libvips 8.18) reproduced over 8-bit RGB pixels
 * that a browser decoded at full size: sharp's shrink-on-load, then libvips' `vips_resize` with its default
 * Lanczos-3 kernel (an integer box shrink, then the residual reduce, one axis at a time, fixed-point as the C
 * path of `reducev`/`reduceh`), or bicubic interpolation where it enlarges.
 */

import type { ImageType } from '../shared/imageType'

/** Interleaved 8-bit RGB. */
export interface RgbImage {
  data: Uint8Array
  width: number
  height: number
}

const CHANNELS = 3
/** libvips' sub-pixel positions per pixel (VIPS_TRANSFORM_SCALE) and fixed-point weights (VIPS_INTERPOLATE_SHIFT). */
const SUBPIXELS = 64
const WEIGHT_SHIFT = 12
const WEIGHT_SCALE = 1 << WEIGHT_SHIFT
/** `vips_resize` leaves at least this much of the reduction to the kernel (its `gap`). */
const GAP = 2

/** `image`, decoded from a file of type `type` (sharp shrinks JPEG and WebP while decoding them), to width x height. */
export function resizeAsSharp(image: RgbImage, width: number, height: number, type: ImageType): RgbImage {
  const loaded = shrinkOnLoad(image, width, height, type)
  let out = loaded
  if (loaded.height > height) out = reduce(out, 'y', loaded.height / height)
  if (loaded.width > width) out = reduce(out, 'x', loaded.width / width)
  if (out.width < width || out.height < height) out = enlarge(out, width, height)
  return out
}

/**
 * What libjpeg (DCT scaling by 1/2, 1/4 or 1/8, chosen as sharp chooses it) or libwebp (scaled decoding) hand
 * libvips instead of the full-size image: here a box average of the full-size pixels, which those decoders
 * approximate (libjpeg's 1/8 is the block's DC term, its mean).
 */
function shrinkOnLoad(image: RgbImage, width: number, height: number, type: ImageType): RgbImage {
  const shrink = Math.min(image.width / width, image.height / height)
  if (type === 'image/jpeg') {
    let factor = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1
    // sharp steps down where libjpeg is known to round badly.
    if (factor > 1 && Math.floor(shrink) === factor) factor /= 2
    // libvips keeps whole blocks only (jpeg2vips.c: "we must strictly round down").
    return factor > 1 ? boxShrink(image, factor, factor, Math.floor) : image
  }
  if (type === 'image/webp' && shrink > 1) {
    return areaAverage(image, roundHalfEven(image.width / shrink), roundHalfEven(image.height / shrink))
  }
  return image
}

/** Means of `fx` x `fy` blocks, rounded half up; a part block at the edges extended by copying (libvips `shrink`). */
function boxShrink(image: RgbImage, fx: number, fy: number, blocks = Math.ceil): RgbImage {
  const width = blocks(image.width / fx)
  const height = blocks(image.height / fy)
  const data = new Uint8Array(width * height * CHANNELS)
  const count = fx * fy
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < CHANNELS; c++) {
        let sum = 0
        for (let j = 0; j < fy; j++) {
          const row = Math.min(image.height - 1, y * fy + j) * image.width
          for (let i = 0; i < fx; i++)
            sum += image.data[(row + Math.min(image.width - 1, x * fx + i)) * CHANNELS + c] as number
        }
        data[(y * width + x) * CHANNELS + c] = Math.floor((sum + (count >> 1)) / count)
      }
    }
  }
  return { data, width, height }
}

/** Each output pixel the area-weighted mean of the input pixels it covers (libwebp's rescaler). */
function areaAverage(image: RgbImage, width: number, height: number): RgbImage {
  const xs = coverage(image.width, width)
  const ys = coverage(image.height, height)
  const data = new Uint8Array(width * height * CHANNELS)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < CHANNELS; c++) {
        let sum = 0
        for (const [row, wy] of ys[y] as [number, number][])
          for (const [col, wx] of xs[x] as [number, number][])
            sum += wy * wx * (image.data[(row * image.width + col) * CHANNELS + c] as number)
        data[(y * width + x) * CHANNELS + c] = Math.round(sum)
      }
    }
  }
  return { data, width, height }
}

/** For each of `to` output cells, the input cells under it with the share of the output cell each covers. */
function coverage(from: number, to: number): [number, number][][] {
  const step = from / to
  return Array.from({ length: to }, (_, o) => {
    const start = o * step
    const end = start + step
    const cells: [number, number][] = []
    for (let i = Math.floor(start); i < Math.min(from, Math.ceil(end)); i++) {
      cells.push([i, (Math.min(end, i + 1) - Math.max(start, i)) / step])
    }
    return cells
  })
}

/**
 * libvips `reducev` / `reduceh` by `factor` along one axis: first an integer box shrink that leaves at least
 * `GAP` to the kernel, then Lanczos-3 with `2 * rint(3 * residual) + 1` taps, centred on each output pixel
 * (what is cut off is cut evenly from both ends), positions snapped to 1/64 pixel, 12-bit fixed-point weights.
 */
function reduce(image: RgbImage, axis: 'x' | 'y', factor: number): RgbImage {
  const length = axis === 'x' ? image.width : image.height
  const outLength = Math.floor(length / factor + 0.5)
  let extra = outLength * factor - length
  let residual = factor
  let source = image
  const intShrink = Math.max(1, Math.floor(length / outLength / GAP))
  if (intShrink > 1) {
    source = axis === 'x' ? boxShrink(image, intShrink, 1) : boxShrink(image, 1, intShrink)
    extra /= intShrink
    residual /= intShrink
  }
  if (residual === 1) return source
  const taps = 2 * roundHalfEven(3 * residual) + 1
  const masks = Array.from({ length: SUBPIXELS + 1 }, (_, t) => lanczos3Mask(taps, residual, t / SUBPIXELS))
  const offset = (1 + extra) / 2 - 1
  const pad = Math.ceil(taps / 2) - 1
  const sourceLength = axis === 'x' ? source.width : source.height
  const across = axis === 'x' ? source.height : source.width
  const width = axis === 'x' ? outLength : source.width
  const height = axis === 'x' ? source.height : outLength
  const data = new Uint8Array(width * height * CHANNELS)
  const at = (along: number, other: number) =>
    (axis === 'x' ? other * source.width + along : along * source.width + other) * CHANNELS
  for (let o = 0; o < outLength; o++) {
    const position = (o + 0.5) * residual - 0.5 - offset
    const first = Math.trunc(position)
    const subpixel = ((Math.trunc(position * SUBPIXELS * 2) & (SUBPIXELS * 2 - 1)) + 1) >> 1
    const mask = masks[subpixel] as Int16Array
    for (let k = 0; k < across; k++) {
      const out = axis === 'x' ? (k * width + o) * CHANNELS : (o * width + k) * CHANNELS
      for (let c = 0; c < CHANNELS; c++) {
        let sum = 0
        for (let i = 0; i < taps; i++) {
          const along = Math.min(sourceLength - 1, Math.max(0, first + i - pad))
          sum += (mask[i] as number) * (source.data[at(along, k) + c] as number)
        }
        data[out + c] = Math.min(255, Math.max(0, (sum + (WEIGHT_SCALE >> 1)) >> WEIGHT_SHIFT))
      }
    }
  }
  return { data, width, height }
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x)
}

/** libvips `calculate_coefficients` for Lanczos-3 at sub-pixel `x`, normalised, then truncated to fixed point. */
function lanczos3Mask(taps: number, shrink: number, x: number): Int16Array {
  const half = x + taps / 2 - 1
  const weights = Array.from({ length: taps }, (_, i) => {
    const d = (i - half) / shrink
    return d >= -3 && d <= 3 ? sinc(d) * sinc(d / 3) : 0
  })
  const total = weights.reduce((s, w) => s + w, 0)
  return Int16Array.from(weights, (w) => Math.trunc((w / total) * WEIGHT_SCALE))
}

/**
 * Catmull-Rom bicubic, edges extended: libvips `affine` with its bicubic interpolator and `vips_resize`'s input
 * offset of half a pixel, which samples output pixel o at input position o * scale - 0.5.
 */
function enlarge(image: RgbImage, width: number, height: number): RgbImage {
  const sx = image.width / width
  const sy = image.height / height
  const data = new Uint8Array(width * height * CHANNELS)
  const pixel = (x: number, y: number, c: number) =>
    image.data[
      (Math.min(image.height - 1, Math.max(0, y)) * image.width + Math.min(image.width - 1, Math.max(0, x))) *
        CHANNELS +
        c
    ] as number
  for (let y = 0; y < height; y++) {
    const fy = y * sy - 0.5
    const iy = Math.floor(fy)
    const wy = cubicWeights(fy - iy)
    for (let x = 0; x < width; x++) {
      const fx = x * sx - 0.5
      const ix = Math.floor(fx)
      const wx = cubicWeights(fx - ix)
      for (let c = 0; c < CHANNELS; c++) {
        let sum = 0
        for (let j = 0; j < 4; j++)
          for (let i = 0; i < 4; i++)
            sum += (wy[j] as number) * (wx[i] as number) * pixel(ix - 1 + i, iy - 1 + j, c)
        data[(y * width + x) * CHANNELS + c] = Math.min(255, Math.max(0, Math.round(sum)))
      }
    }
  }
  return { data, width, height }
}

/** Catmull-Rom (a = -0.5) weights of the four neighbours of a point `t` past the second one. */
function cubicWeights(t: number): [number, number, number, number] {
  const t2 = t * t
  const t3 = t2 * t
  return [
    -0.5 * t3 + t2 - 0.5 * t,
    1.5 * t3 - 2.5 * t2 + 1,
    -1.5 * t3 + 2 * t2 + 0.5 * t,
    0.5 * t3 - 0.5 * t2,
  ]
}

/** C's `rint` in the default rounding mode: halves to even. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x)
  const diff = x - floor
  if (diff !== 0.5) return Math.round(x)
  return floor % 2 === 0 ? floor : floor + 1
}
