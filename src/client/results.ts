import { fromBase64 } from '../shared/base64'
import type { ExplainResponse, JobResultItemResponse } from './types'

type ExplanationData = ExplainResponse['explanations'][number]

/** The images of one explanation, decoded on demand from the answer's base64. */
export interface ExplanationImages {
  /** The saliency map: an 8-bit grayscale PNG over the model's input crop (0..255 = min-max scaled). */
  mapBytes(): Uint8Array<ArrayBuffer>
  /** The saliency map as an `image/png` Blob (for `URL.createObjectURL`, uploads, files). */
  mapBlob(): Blob
  /** The colour overlay on the photo, encoded as `overlayType` says (WebP by default), when asked for. */
  overlayBytes(): Uint8Array<ArrayBuffer> | undefined
  /** The overlay as a Blob of its `overlayType`, when it was asked for. */
  overlayBlob(): Blob | undefined
}

/** One explained class: its id, label, map size and base64 images, plus helpers that decode them. */
export type Explanation = ExplanationData & ExplanationImages

/** An explanation answer whose maps and overlays decode to bytes or Blobs. Serialises as the API's JSON. */
export type ExplainResult = Omit<ExplainResponse, 'explanations'> & { explanations: Explanation[] }

/** One item of a job's results, its result (when it succeeded) with the same helpers. */
export type JobResultItem = Omit<JobResultItemResponse, 'result'> & { result?: ExplainResult }

// On the prototype, not own properties: JSON.stringify of a result gives back exactly the API's answer.
const images: ExplanationImages & ThisType<Explanation> = {
  mapBytes() {
    return fromBase64(this.map) as Uint8Array<ArrayBuffer>
  },
  mapBlob() {
    return new Blob([this.mapBytes()], { type: 'image/png' })
  },
  overlayBytes() {
    return this.overlay === undefined ? undefined : (fromBase64(this.overlay) as Uint8Array<ArrayBuffer>)
  },
  overlayBlob() {
    const bytes = this.overlayBytes()
    // An answer of a server from before overlayType had PNG overlays.
    return bytes && new Blob([bytes], { type: this.overlayType ?? 'image/png' })
  },
}

/** The API's answer with decoding helpers on each explanation. */
export function explainResult(response: ExplainResponse): ExplainResult {
  return {
    ...response,
    explanations: response.explanations.map(
      (explanation) => Object.assign(Object.create(images), explanation) as Explanation,
    ),
  }
}

/** A job result item with its result's helpers. */
export function jobResultItem(item: JobResultItemResponse): JobResultItem {
  return item.result ? { ...item, result: explainResult(item.result) } : (item as JobResultItem)
}
