import { ProblemError, TTameClient } from '../client/index'
import type { ExplainResponse, Model } from '../shared/contract'
import type { Ask, ClassMap, Explainer, PageExplanation } from './explanation'
import type { Photo } from './photo'

/** Whether the API refused the key: the page forgets it and asks for another. */
export const isKeyRefused = (error: unknown): boolean => error instanceof ProblemError && error.status === 401

/**
 * The public API through the SDK, as any client calls it: a bearer key, the page's own origin, and the SDK's
 * retries of 429 and 503 after their `Retry-After`.
 */
export class Api implements Explainer {
  readonly #client: TTameClient

  constructor(apiKey: string) {
    this.#client = new TTameClient({ baseUrl: location.origin, apiKey })
  }

  models(): Promise<Model[]> {
    return this.#client.listModels()
  }

  /** A model's ONNX graph (`onnx.url`); the browser keeps it, immutable, in its HTTP cache. */
  graph(model: Model): Promise<Uint8Array> {
    return this.#client.modelGraph(model)
  }

  async explain(photo: Photo, model: Model, ask: Ask): Promise<PageExplanation> {
    const started = performance.now()
    const answer = await this.#client.explain(photo.blob, {
      model: `${model.id}@${model.version}`,
      topK: ask.topK,
      classes: ask.classes,
    })
    const roundTrip = performance.now() - started
    return {
      crop: answer.crop,
      predictions: answer.predictions,
      maps: await Promise.all(answer.explanations.map(decodeMap)),
      timing:
        `server · ${Math.round(roundTrip)} ms round trip · ${answer.cached ? 'cache hit' : 'cache miss'} · ` +
        `inference ${answer.timings.inferenceMs.toFixed(1)} ms`,
    }
  }
}

/** An explanation's base64 8-bit grayscale PNG -> its levels, decoded by the browser without colour management. */
async function decodeMap(explanation: ExplainResponse['explanations'][number]): Promise<ClassMap> {
  const png = Uint8Array.from(atob(explanation.map), (c) => c.charCodeAt(0))
  const bitmap = await createImageBitmap(new Blob([png], { type: 'image/png' }), {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  })
  const { width, height } = bitmap
  const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })
  if (!context) throw new Error('no 2D canvas')
  context.drawImage(bitmap, 0, 0)
  const rgba = context.getImageData(0, 0, width, height).data
  const levels = Uint8Array.from({ length: width * height }, (_, i) => rgba[4 * i] as number)
  return { classId: explanation.classId, label: explanation.label, levels, width, height }
}
