import type { ExplainResponse, Model, Problem } from '../shared/contract'
import type { Ask, ClassMap, Explainer, PageExplanation } from './explanation'
import type { Photo } from './photo'

/** A refusal of the API, with its problem+json when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `The API answered ${status}.`)
  }
}

/** The public API, called as any client calls it: with a bearer key, from the page's own origin. */
export class Api implements Explainer {
  readonly #key: string

  constructor(key: string) {
    this.#key = key
  }

  async models(): Promise<Model[]> {
    const response = await this.#fetch('/v1/models')
    return ((await response.json()) as { models: Model[] }).models
  }

  /** A model's ONNX graph (`onnx.url`); the browser keeps it, immutable, in its HTTP cache. */
  async graph(model: Model): Promise<ArrayBuffer> {
    return (await this.#fetch(model.onnx.url)).arrayBuffer()
  }

  async explain(photo: Photo, model: Model, ask: Ask): Promise<PageExplanation> {
    const query = new URLSearchParams({ model: `${model.id}@${model.version}`, topK: String(ask.topK) })
    if (ask.classes) query.set('classes', ask.classes.join(','))
    const started = performance.now()
    const response = await this.#fetch(`/v1/explain?${query}`, {
      method: 'POST',
      body: photo.blob,
      headers: { 'Content-Type': photo.type },
    })
    const answer = (await response.json()) as ExplainResponse
    const roundTrip = performance.now() - started
    const cache = response.headers.get('X-Cache') ?? '?'
    return {
      crop: answer.crop,
      predictions: answer.predictions,
      maps: await Promise.all(answer.explanations.map(decodeMap)),
      timing:
        `server · ${Math.round(roundTrip)} ms round trip · X-Cache: ${cache} · ` +
        `inference ${answer.timings.inferenceMs.toFixed(1)} ms`,
    }
  }

  async #fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.set('Authorization', `Bearer ${this.#key}`)
    const response = await fetch(url, { ...init, headers })
    if (!response.ok) {
      const problem = response.headers.get('Content-Type')?.includes('json')
        ? ((await response.json()) as Problem)
        : undefined
      throw new ApiError(response.status, problem)
    }
    return response
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
