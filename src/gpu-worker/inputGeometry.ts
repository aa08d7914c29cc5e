import type { z } from 'zod'
import type { cropSchema } from '../shared/contract'
import type { Manifest } from '../shared/manifest'

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
export function planInput(width: number, height: number, pre: Manifest['preprocessing']): InputPlan {
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
