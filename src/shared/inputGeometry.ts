import type { z } from 'zod'
import type { cropSchema } from './contract'
import type { Manifest } from './manifest'

export type Crop = z.infer<typeof cropSchema>

export interface InputPlan {
  /** Size after resizing the shorter side to `resizeShorter`. */
  resized: { width: number; height: number }
  /** The centre `crop` x `crop` square, in resized pixels. */
  extract: { left: number; top: number; width: number; height: number }
  /** The same square in original-image pixels: where the model's maps lie on the photo. */
  crop: Crop
}

/** Resize-shorter-side then centre-crop (the manifest's preprocessing), as geometry only. */
export function planInput(
  width: number,
  height: number,
  pre: Pick<Manifest['preprocessing'], 'resizeShorter' | 'crop'>,
): InputPlan {
  const side = pre.crop
  const scale = pre.resizeShorter / Math.min(width, height)
  const resized = {
    width: Math.max(side, Math.round(width * scale)),
    height: Math.max(side, Math.round(height * scale)),
  }
  const left = Math.floor((resized.width - side) / 2)
  const top = Math.floor((resized.height - side) / 2)
  const toOriginalX = width / resized.width
  const toOriginalY = height / resized.height
  const x = Math.round(left * toOriginalX)
  const y = Math.round(top * toOriginalY)
  return {
    resized,
    extract: { left, top, width: side, height: side },
    crop: {
      x,
      y,
      width: Math.min(width - x, Math.max(1, Math.round(side * toOriginalX))),
      height: Math.min(height - y, Math.max(1, Math.round(side * toOriginalY))),
    },
  }
}

/** Where pixel (x, y) of a `width` x `height` image as displayed lies in it as stored, for EXIF orientation 1..8. */
export function storedPoint(
  orientation: number,
  x: number,
  y: number,
  width: number,
  height: number,
): [number, number] {
  switch (orientation) {
    case 2:
      return [width - 1 - x, y]
    case 3:
      return [width - 1 - x, height - 1 - y]
    case 4:
      return [x, height - 1 - y]
    case 5:
      return [y, x]
    case 6:
      return [y, width - 1 - x]
    case 7:
      return [height - 1 - y, width - 1 - x]
    case 8:
      return [height - 1 - y, x]
    default:
      return [x, y]
  }
}

/** The plan's resize and crop in the stored (not yet oriented) image's pixels: resize and crop first, turn last. */
export function storedInput(plan: InputPlan, orientation: number): Pick<InputPlan, 'resized' | 'extract'> {
  const { resized, extract } = plan
  const corner = (x: number, y: number) => storedPoint(orientation, x, y, resized.width, resized.height)
  const [ax, ay] = corner(extract.left, extract.top)
  const [bx, by] = corner(extract.left + extract.width - 1, extract.top + extract.height - 1)
  return {
    resized: orientation >= 5 ? { width: resized.height, height: resized.width } : resized,
    extract: {
      left: Math.min(ax, bx),
      top: Math.min(ay, by),
      width: Math.abs(ax - bx) + 1,
      height: Math.abs(ay - by) + 1,
    },
  }
}
