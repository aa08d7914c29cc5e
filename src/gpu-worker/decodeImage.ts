import sharp, { type Sharp } from 'sharp'
import { type Crop, type InputPlan, planInput, storedInput, storedPoint } from '../shared/inputGeometry'
import type { Manifest } from '../shared/manifest'
import { ProblemError } from '../shared/problem'
import { type ImageFormat, sniffImageFormat } from './imageFormat'

export interface DecodeLimits {
  maxBytes: number
  maxPixels: number
}

/** What the header says, before any pixel is decoded. */
export interface ImageHeader {
  format: ImageFormat
  /** Displayed size, i.e. after the EXIF orientation is applied. */
  width: number
  height: number
  /** EXIF orientation, 1 (none) to 8. */
  orientation: number
}

/** The photo as displayed, scaled down to fit a square of `maxSide` (never up): what overlays are drawn on. */
export interface DisplayImage {
  /** Interleaved 8-bit sRGB. */
  data: Buffer
  width: number
  height: number
  channels: number
}

export interface DecodedImage extends ImageHeader {
  crop: Crop
  /** The model input: float32 CHW [3, S, S], values in [0, 1]. */
  pixels: Float32Array
  /** Only when asked for (`displayMaxSide`). */
  display?: DisplayImage
}

export interface DecodeOptions {
  /** The header as `readImageHeader` gave it, so that it is not read twice. */
  header?: ImageHeader
  /** Also keep a display copy whose longer side is at most this many pixels. */
  displayMaxSide?: number
}

/** Transparent pixels become white, as a browser shows them on a page. */
const FLATTEN_BACKGROUND = '#ffffff'

/** `failOn: 'error'` decodes what a browser would show (a slightly damaged JPEG) and refuses real damage. */
const baseOptions = { failOn: 'error', pages: 1 } as const

/**
 * Bytes -> model input (and, when asked, a display copy). Format and pixel count are checked from the header
 * before any pixel is decoded, so a tiny file declaring 30000x30000 is refused without allocating its raster.
 */
export async function decodeImage(
  bytes: Uint8Array,
  pre: Manifest['preprocessing'],
  limits: DecodeLimits,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  const header = options.header ?? (await readImageHeader(bytes, limits))
  const { width, height } = header
  const plan = planInput(width, height, pre)
  // libvips streams the photo through each pipeline (shrink-on-load for JPEG and WebP): neither holds the
  // full-size raster, and the model input is the same with or without a display copy. The model's crop is cut
  // from the photo as stored and turned alone: sharp's `autoOrient` with `extract` would turn the full-size
  // photo before resizing it.
  const stored = storedInput(plan, header.orientation)
  const raster = await runSharp(() =>
    storedImage(bytes, limits.maxPixels)
      .resize(stored.resized.width, stored.resized.height, { fit: 'fill' })
      .extract(stored.extract)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
  )
  const display =
    options.displayMaxSide === undefined
      ? undefined
      : await decodeDisplay(bytes, displaySize(width, height, options.displayMaxSide), limits.maxPixels)
  return {
    ...header,
    crop: plan.crop,
    pixels: orientedChwFloat(raster.data, raster.info.channels, plan, stored.extract, header.orientation),
    ...(display && { display }),
  }
}

/** Size and format from the header only, with every refusal that needs no pixel (bytes, format, pixel count). */
export async function readImageHeader(bytes: Uint8Array, limits: DecodeLimits): Promise<ImageHeader> {
  if (bytes.length > limits.maxBytes) {
    throw new ProblemError(
      'payload_too_large',
      `image is ${bytes.length} bytes; the limit is ${limits.maxBytes}`,
    )
  }
  if (bytes.length === 0) throw new ProblemError('undecodable_image', 'the request body is empty')
  const format = sniffImageFormat(bytes)
  return { format, ...(await readDisplaySize(bytes, limits.maxPixels)) }
}

/** `width` x `height` scaled to fit a `maxSide` square, aspect kept, never enlarged. */
export function displaySize(width: number, height: number, maxSide: number) {
  const scale = Math.min(1, maxSide / Math.max(width, height))
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  }
}

async function decodeDisplay(
  bytes: Uint8Array,
  size: { width: number; height: number },
  maxPixels: number,
): Promise<DisplayImage> {
  const { data, info } = await runSharp(() =>
    displayedImage(bytes, maxPixels)
      .resize(size.width, size.height, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
  )
  return { data, width: info.width, height: info.height, channels: info.channels }
}

/** The image as stored (EXIF orientation not applied), alpha flattened, 8-bit sRGB. */
function storedImage(bytes: Uint8Array, maxPixels: number): Sharp {
  return sharp(bytes, { ...baseOptions, limitInputPixels: maxPixels })
    .flatten({ background: FLATTEN_BACKGROUND })
    .toColourspace('srgb')
}

/** The image as a viewer shows it: EXIF orientation applied, alpha flattened, 8-bit sRGB. */
function displayedImage(bytes: Uint8Array, maxPixels: number): Sharp {
  return storedImage(bytes, maxPixels).autoOrient()
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
  const orientation = meta.orientation ?? 1
  // EXIF orientations 5-8 are transposed.
  return orientation >= 5
    ? { width: frameHeight, height: width, orientation }
    : { width, height: frameHeight, orientation }
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

/**
 * The model's crop, cut from the resized photo as stored (`raster`, the region `region` of it), in the displayed
 * orientation -> planar CHW float32 in [0, 1].
 */
function orientedChwFloat(
  raster: Buffer,
  channels: number,
  plan: InputPlan,
  region: InputPlan['extract'],
  orientation: number,
): Float32Array {
  const { resized, extract } = plan
  const plane = extract.width * extract.height
  const chw = new Float32Array(plane * 3)
  for (let y = 0; y < extract.height; y++) {
    for (let x = 0; x < extract.width; x++) {
      const [sx, sy] = storedPoint(
        orientation,
        extract.left + x,
        extract.top + y,
        resized.width,
        resized.height,
      )
      const from = ((sy - region.top) * region.width + sx - region.left) * channels
      for (let c = 0; c < 3; c++) chw[c * plane + y * extract.width + x] = (raster[from + c] as number) / 255
    }
  }
  return chw
}
