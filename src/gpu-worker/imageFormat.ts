import { imageTypeOf } from '../shared/imageType'

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif'

/**
 * The format by the magic bytes (the shared decision the edge makes too), never by the declared Content-Type, so
 * that a mislabelled upload is still decoded and a disguised one is still refused: 415 for a format we do not
 * decode, 422 for bytes that are no image.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  return imageTypeOf(bytes).slice('image/'.length) as ImageFormat
}
