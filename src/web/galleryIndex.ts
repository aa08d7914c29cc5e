import { STATIC_ASSETS } from '../shared/staticAssets'

/** A gallery image as the page build (scripts/build-web.ts) lists it in `gallery/index.json`. */
export interface GalleryEntry {
  /** File name under the gallery folder. */
  file: string
  caption: string
  /** The class a CIFAR-10 test image shows, which the default model answers; absent for photographs. */
  label?: string
}

export const GALLERY_INDEX = `${STATIC_ASSETS.gallery}index.json`
