import { HEAT_ALPHA, TURBO } from '../shared/colormap'
import type { Crop } from '../shared/inputGeometry'
import type { ClassMap } from './explanation'

/** Canvas pixels of a map figure's square: sharp enough on a 2x phone screen at half the page width. */
export const FIGURE_SIDE = 480

/** The scale and offset that fit a photo, whole, centred in the figure's square. */
function fitted(size: { width: number; height: number }) {
  const scale = FIGURE_SIDE / Math.max(size.width, size.height)
  return { scale, x: (FIGURE_SIDE - size.width * scale) / 2, y: (FIGURE_SIDE - size.height * scale) / 2 }
}

function context2d(canvas: HTMLCanvasElement | OffscreenCanvas) {
  const context = canvas.getContext('2d') as
    | CanvasRenderingContext2D
    | OffscreenCanvasRenderingContext2D
    | null
  if (!context) throw new Error('no 2D canvas')
  return context
}

/** The photo, whole, in the square; a tiny one (CIFAR's 32 px) with its pixels kept sharp. */
export function drawPhoto(canvas: HTMLCanvasElement, photo: ImageBitmap) {
  const { scale, x, y } = fitted(photo)
  const context = context2d(canvas)
  context.clearRect(0, 0, FIGURE_SIDE, FIGURE_SIDE)
  context.imageSmoothingEnabled = scale < 4
  context.drawImage(photo, x, y, photo.width * scale, photo.height * scale)
}

/**
 * The map over the crop it covers: each level coloured with turbo at the saliency-weighted opacity the API's
 * overlays have (`HEAT_ALPHA`: transparent where the model looked least, so the photo shows through), upsampled
 * bilinearly by the canvas. The page's opacity slider scales the whole layer.
 */
export function drawHeat(canvas: HTMLCanvasElement, map: ClassMap, crop: Crop, photo: ImageBitmap) {
  const heat = new OffscreenCanvas(map.width, map.height)
  const pixels = new ImageData(map.width, map.height)
  map.levels.forEach((level, i) => {
    pixels.data.set(TURBO.subarray(3 * level, 3 * level + 3), 4 * i)
    pixels.data[4 * i + 3] = HEAT_ALPHA[level] as number
  })
  context2d(heat).putImageData(pixels, 0, 0)
  const { scale, x, y } = fitted(photo)
  const context = context2d(canvas)
  context.clearRect(0, 0, FIGURE_SIDE, FIGURE_SIDE)
  context.imageSmoothingEnabled = true
  context.drawImage(heat, x + crop.x * scale, y + crop.y * scale, crop.width * scale, crop.height * scale)
}

/** The colour bar's CSS gradient: turbo from low (0) to high (255) saliency, 16 stops. */
export function colorBarGradient(): string {
  const stops = Array.from({ length: 16 }, (_, i) => {
    const level = Math.round((i * 255) / 15)
    const [r, g, b] = TURBO.subarray(3 * level, 3 * level + 3)
    return `rgb(${r} ${g} ${b}) ${((i * 100) / 15).toFixed(1)}%`
  })
  return `linear-gradient(to right, ${stops.join(', ')})`
}
