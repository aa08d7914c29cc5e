import sharp, { type Sharp } from 'sharp'
import type { Manifest } from '../shared/manifest'
import { type ImageFormat, sniffImageFormat } from './imageFormat'
import { type Crop, planInput } from './inputGeometry'
import { ProblemError } from './problem'

export interface DecodeLimits {
  maxBytes: number
  maxPixels: number
}

export interface DecodedImage {
  format: ImageFormat
  /** Displayed size, i.e. after the EXIF orientation is applied. */
  width: number
  height: number
  crop: Crop
  /** The model input: float32 CHW [3, S, S], values in [0, 1]. */
  pixels: Float32Array
}

/** Transparent pixels become white, as a browser shows them on a page. */
const FLATTEN_BACKGROUND = '#ffffff'

/** `failOn: 'error'` decodes what a browser would show (a slightly damaged JPEG) and refuses real damage. */
const baseOptions = { failOn: 'error', pages: 1 } as const

/**
 * Bytes -> model input. Format and pixel count are checked from the header before any pixel is decoded,
 * so a tiny file declaring 30000x30000 is refused without allocating its raster.
 */
export async function decodeImage(
  bytes: Uint8Array,
  pre: Manifest['preprocessing'],
  limits: DecodeLimits,
): Promise<DecodedImage> {
  if (bytes.length > limits.maxBytes) {
    throw new ProblemError(
      'payload_too_large',
      `image is ${bytes.length} bytes; the limit is ${limits.maxBytes}`,
    )
  }
  if (bytes.length === 0) throw new ProblemError('undecodable_image', 'the request body is empty')
  const format = sniffImageFormat(bytes)
  const { width, height } = await readDisplaySize(bytes, limits.maxPixels)
  const plan = planInput(width, height, pre)
  const raster = await runSharp(() =>
    displayedImage(bytes, limits.maxPixels)
      .resize(plan.resized.width, plan.resized.height, { fit: 'fill' })
      .extract(plan.extract)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
  )
  return { format, width, height, crop: plan.crop, pixels: toChwFloat(raster.data, raster.info.channels) }
}

/** The image as a viewer shows it: EXIF orientation applied, alpha flattened, 8-bit sRGB (also for overlays). */
export function displayedImage(bytes: Uint8Array, maxPixels: number): Sharp {
  return sharp(bytes, { ...baseOptions, limitInputPixels: maxPixels })
    .autoOrient()
    .flatten({ background: FLATTEN_BACKGROUND })
    .toColourspace('srgb')
}

async function readDisplaySize(bytes: Uint8Array, maxPixels: number) {
  // Header only; the limit is ours to enforce so that the answer carries its own code.
  const meta = await runSharp(() => sharp(bytes, { ...baseOptions, limitInputPixels: false }).metadata())
  const { width, height } = meta
  if (!width || !height) throw new ProblemError('undecodable_image', 'image has no dimensions')
  const frameHeight = meta.pageHeight ?? height
  if (width * frameHeight > maxPixels) {
    throw new ProblemError(
      'image_too_large',
      `image is ${width}x${frameHeight} pixels; the limit is ${maxPixels} pixels`,
    )
  }
  // EXIF orientations 5-8 are transposed.
  return (meta.orientation ?? 1) >= 5 ? { width: frameHeight, height: width } : { width, height: frameHeight }
}

async function runSharp<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (err) {
    if (err instanceof ProblemError) throw err
    const reason = err instanceof Error ? err.message : String(err)
    if (/pixel limit/i.test(reason)) throw new ProblemError('image_too_large', reason, { cause: err })
    throw new ProblemError('undecodable_image', `could not decode the image: ${reason}`, { cause: err })
  }
}

/** Interleaved HWC uint8 -> planar CHW float32 in [0, 1]. */
function toChwFloat(hwc: Buffer, channels: number): Float32Array {
  const plane = hwc.length / channels
  const chw = new Float32Array(plane * 3)
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) chw[c * plane + i] = (hwc[i * channels + c] as number) / 255
  }
  return chw
}
