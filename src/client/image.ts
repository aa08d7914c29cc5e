import { sniffImageType } from '../shared/imageType'

/** An image's bytes in any of the forms browsers, React Native, Workers and Node hand them over. */
export type ImageInput = Blob | ArrayBuffer | Uint8Array | ReadableStream<Uint8Array>

/** An image the API fetches itself: one uploaded before (`uploadId`) or a public https URL (`imageUrl`). */
export type ImageReference = { uploadId: string; imageUrl?: never } | { imageUrl: string; uploadId?: never }

// Enough for every signature sniffImageType reads, the longest an AVIF's ftyp brands.
const SNIFF_BYTES = 64

export const isImageReference = (image: ImageInput | ImageReference): image is ImageReference =>
  typeof image === 'object' && image !== null && ('uploadId' in image || 'imageUrl' in image)

/**
 * The image as a Blob typed by its bytes, as the API will judge it, else by the type it declared. A stream is
 * read whole first: a request body must be replayable for retries, and streamed request bodies are not
 * available in every browser nor in React Native.
 */
export async function imageBlob(image: ImageInput): Promise<Blob> {
  const blob =
    image instanceof Blob
      ? image
      : image instanceof ArrayBuffer
        ? new Blob([image])
        : ArrayBuffer.isView(image)
          ? new Blob([
              image.buffer instanceof ArrayBuffer ? (image as Uint8Array<ArrayBuffer>) : image.slice(),
            ])
          : await new Response(image).blob()
  const type = sniffImageType(new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer()))
  return blob.slice(0, blob.size, type ?? (blob.type || 'application/octet-stream'))
}
