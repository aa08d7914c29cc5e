import {
  DEFAULT_OVERLAY_FORMAT,
  type ExplainOptions,
  type ExplainResponse,
  type WorkerExplainResult,
} from '../../shared/contract'
import type { ImageBytes } from '../../shared/imageType'
import { type ExplanationCache, explanationKey } from '../cache/explanationCache'
import { SingleFlight } from '../cache/singleFlight'
import { sha256Hex } from '../crypto'
import { type ModelCatalog, resolveClasses, resolveModel } from '../models/modelCatalog'
import { explainOnWorker } from '../pool/workerApi'
import type { WorkerPool } from '../pool/workerPool'
import { checkImage } from './imageType'

export interface ExplainOutcome {
  result: ExplainResponse
  /** The worker's own times (queue, inference, total), when a worker computed this answer: not on a cache hit. */
  worker?: WorkerExplainResult['timings']
}

/**
 * The explain core, shared by `POST /v1/explain` and batch job items: check the image, resolve model and
 * classes, answer from the cache or from one (coalesced) worker call, and store what the worker computed.
 */
export class Explainer {
  /** Concurrent identical misses of this isolate share one worker call. */
  readonly #flights = new SingleFlight<WorkerExplainResult>()

  constructor(
    private readonly models: ModelCatalog,
    private readonly pool: WorkerPool,
    private readonly cache: ExplanationCache,
  ) {}

  async explain(image: ImageBytes, options: ExplainOptions, requestId: string): Promise<ExplainOutcome> {
    const startedAt = Date.now()
    const contentType = checkImage(image.bytes, image.contentType)
    const [sha256, models] = await Promise.all([sha256Hex(image.bytes), this.models.list(requestId)])
    const model = resolveModel(models, options.model)
    const classes = options.classes && resolveClasses(model, options.classes)
    const query = {
      model: `${model.id}@${model.version}`,
      topK: options.topK,
      classes,
      overlay: options.overlay,
      // The overlay's format and size mean something only with an overlay; without one they stay at the default.
      ...(options.overlay
        ? { overlayFormat: options.overlayFormat, overlayMaxSide: options.overlayMaxSide }
        : { overlayFormat: DEFAULT_OVERLAY_FORMAT }),
    }
    const key = explanationKey(sha256, model, query)

    const cached = await this.cache.get(key)
    let computed = cached
    if (!computed) {
      computed = await this.#flights.run(key, async () => {
        const result = await explainOnWorker(this.pool, { bytes: image.bytes, contentType }, query, requestId)
        await this.cache.put(key, result)
        return result
      })
    }
    const result: ExplainResponse = {
      id: (await sha256Hex(key)).slice(0, 32),
      model: computed.model,
      image: { sha256, width: computed.image.width, height: computed.image.height },
      crop: computed.crop,
      predictions: computed.predictions,
      explanations: computed.explanations,
      cached: cached !== null,
      // A hit ran no model: its inference time is 0, not the time of the call that filled the cache.
      timings: {
        totalMs: Date.now() - startedAt,
        inferenceMs: cached ? 0 : computed.timings.inferenceMs,
      },
    }
    return cached ? { result } : { result, worker: computed.timings }
  }
}
