import type { ExplainOptions, WorkerExplainResult } from '../shared/contract'
import { selectClasses } from './classSelection'
import { DynamicBatcher } from './DynamicBatcher'
import { type DecodeLimits, decodeImage } from './decodeImage'
import { encodeMapPng } from './explanationMap'
import type { WorkerMetrics } from './metrics'
import type { LoadedModel, ModelRegistry } from './modelRegistry'
import { type ModelRequest, type ModelResult, runExplainBatch } from './modelRunner'
import { topPredictions } from './predictions'
import { renderOverlays } from './renderOverlay'

export interface ExplainSettings {
  limits: DecodeLimits
  maxBatch: number
  maxBatchDelayMs: number
  maxQueue: number
}

/** An image in, predictions and explanation maps out: decode -> batch -> one forward pass -> post-process. */
export class ExplainService {
  readonly #batchers = new Map<string, DynamicBatcher<ModelRequest, ModelResult>>()
  /** Requests being decoded, per model: the batcher waits for them only. */
  readonly #decoding = new Map<string, number>()
  readonly #registry: ModelRegistry
  readonly #settings: ExplainSettings

  constructor(registry: ModelRegistry, settings: ExplainSettings, metrics: WorkerMetrics) {
    this.#registry = registry
    this.#settings = settings
    for (const model of registry.all()) {
      const id = model.manifest.id
      const batcher = new DynamicBatcher((requests: ModelRequest[]) => runExplainBatch(model, requests), {
        maxBatch: settings.maxBatch,
        maxDelayMs: settings.maxBatchDelayMs,
        maxQueue: settings.maxQueue,
        arriving: () => this.#decoding.get(id) ?? 0,
        onBatch: (size, ms) => metrics.observeBatch(id, size, ms),
      })
      this.#batchers.set(id, batcher)
      metrics.trackQueueDepth(id, () => batcher.queueDepth)
      metrics.executionProvider.set({ model: id, provider: model.executionProvider }, 1)
    }
  }

  /** Rejects with a ProblemError for every expected failure, or with `signal.reason` once it aborts. */
  async explain(
    bytes: Uint8Array,
    options: ExplainOptions,
    signal?: AbortSignal,
  ): Promise<WorkerExplainResult> {
    const started = performance.now()
    const model = this.#registry.get(options.model)
    const classes = selectClasses(options, model.manifest)
    const image = await this.#decode(model, bytes)
    signal?.throwIfAborted()
    const submitted = performance.now()
    const result = await this.#batcherFor(model).submit({ pixels: image.pixels, classes }, signal)
    const queueMs = performance.now() - submitted - result.inferenceMs
    const { labels } = model.manifest
    const overlays = options.overlay
      ? await renderOverlays(
          bytes,
          result.explained.map((e) => e.map),
          image.crop,
          this.#settings.limits.maxPixels,
        )
      : undefined
    const explanations = await Promise.all(
      result.explained.map(async ({ classId, map }, j) => ({
        classId,
        label: labels[classId] ?? String(classId),
        width: map.width,
        height: map.height,
        map: (await encodeMapPng(map)).toString('base64'),
        ...(overlays && { overlay: overlays[j]?.toString('base64') }),
      })),
    )
    return {
      model: { id: model.manifest.id, version: model.manifest.version },
      image: { width: image.width, height: image.height },
      crop: image.crop,
      predictions: topPredictions(result.logits, labels, options.topK),
      explanations,
      timings: { inferenceMs: result.inferenceMs, queueMs, totalMs: performance.now() - started },
    }
  }

  async #decode(model: LoadedModel, bytes: Uint8Array) {
    const id = model.manifest.id
    this.#decoding.set(id, (this.#decoding.get(id) ?? 0) + 1)
    try {
      return await decodeImage(bytes, model.manifest.preprocessing, this.#settings.limits)
    } finally {
      this.#decoding.set(id, (this.#decoding.get(id) ?? 1) - 1)
    }
  }

  #batcherFor(model: LoadedModel): DynamicBatcher<ModelRequest, ModelResult> {
    return this.#batchers.get(model.manifest.id) as DynamicBatcher<ModelRequest, ModelResult>
  }
}
