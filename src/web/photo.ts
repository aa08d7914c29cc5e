import { DECODED_FORMATS, type ImageType, imageTypeOf } from '../shared/imageType'
import type { RgbaImage } from './modelInput'

/** A photo the visitor chose, decoded by the browser in its displayed orientation (EXIF applied). */
export interface Photo {
  name: string
  /** The bytes as chosen: what the API gets. */
  blob: Blob
  /** By its magic bytes, as the edge and the worker tell it. */
  type: ImageType
  bitmap: ImageBitmap
}

/**
 * Throws, with a message for the visitor, for a file that is no image the API takes (the edge's and the worker's
 * own decision, `imageTypeOf`: HEIC with its hint) or that the browser cannot show.
 */
export async function loadPhoto(blob: Blob, name: string): Promise<Photo> {
  const type = imageTypeOf(
    new Uint8Array(await blob.slice(0, 64).arrayBuffer()),
    `${name} is not ${DECODED_FORMATS}.`,
  )
  try {
    const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' })
    return { name, blob, type, bitmap }
  } catch {
    throw new Error(`This browser cannot decode ${name}.`)
  }
}

/** Every pixel of the photo at full size, 8-bit RGBA: what the model's input is made from on the device. */
export function photoPixels(photo: Photo): RgbaImage {
  const { width, height } = photo.bitmap
  const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })
  if (!context) throw new Error('no 2D canvas')
  context.drawImage(photo.bitmap, 0, 0)
  return { data: context.getImageData(0, 0, width, height).data, width, height }
}
