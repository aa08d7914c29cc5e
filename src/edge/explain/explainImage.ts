import type { ExplainOptions, ExplainResponse, WorkerExplainResult } from '../../shared/contract'
import { ExplanationCache, explanationKey } from '../cache/explanationCache'
import { SingleFlight } from '../cache/singleFlight'
import { sha256Hex } from '../crypto'
import type { Env } from '../env'
import { listModels, resolveClasses, resolveModel } from '../models/modelCatalog'
import { explainOnWorker } from '../pool/workerApi'
import { workerPoolFor } from '../pool/workerPool'
import { checkImage } from './imageType'

export type CacheStatus = 'HIT' | 'MISS'

export interface ExplainOutcome {
  result: ExplainResponse
  cache: CacheStatus
}

const flights = new SingleFlight<WorkerExplainResult>()

/**
 * The explain core, shared by `POST /v1/explain` and batch job items: check the image, resolve model and
 * classes, answer from the cache or from one (coalesced) worker call, and store what the worker computed.
 */
export async function explainImage(
  env: Env,
  image: { bytes: Uint8Array; contentType: string },
  options: ExplainOptions,
  requestId: string,
): Promise<ExplainOutcome> {
  const startedAt = Date.now()
  const contentType = checkImage(image.bytes, image.contentType)
  const [sha256, models] = await Promise.all([sha256Hex(image.bytes), listModels(env, requestId)])
  const model = resolveModel(models, options.model)
  const classes = options.classes && resolveClasses(model, options.classes)
  const query = {
    model: `${model.id}@${model.version}`,
    topK: options.topK,
    classes,
    overlay: options.overlay,
    overlayFormat: options.overlayFormat,
    overlayMaxSide: options.overlayMaxSide,
  }
  const key = explanationKey(sha256, model, query)
  const cache = new ExplanationCache(env.EXPLANATION_CACHE, Number(env.CACHE_TTL_SECONDS))

  let computed = await cache.get(key)
  const status: CacheStatus = computed ? 'HIT' : 'MISS'
  if (!computed) {
    computed = await flights.run(key, async () => {
      const result = await explainOnWorker(
        workerPoolFor(env),
        { bytes: image.bytes, contentType },
        query,
        requestId,
      )
      await cache.put(key, result)
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
    cached: status === 'HIT',
    // A hit ran no model: its inference time is 0, not the time of the call that filled the cache.
    timings: {
      totalMs: Date.now() - startedAt,
      inferenceMs: status === 'HIT' ? 0 : computed.timings.inferenceMs,
    },
  }
  return { result, cache: status }
}
