import type { OverlayFormat, WorkerExplainQuery, WorkerExplainResult } from '../shared/contract'
import { topPredictions } from '../shared/predictions'
import { selectClasses } from './classSelection'
import { DynamicBatcher } from './DynamicBatcher'
import { type DecodeLimits, decodeImage, displaySize, type ImageHeader, readImageHeader } from './decodeImage'
import { encodeMapPng } from './explanationMap'
import type { WorkerMetrics } from './metrics'
import type { LoadedModel, ModelRegistry } from './modelRegistry'
import { type ModelRequest, type ModelResult, runExplainBatch } from './modelRunner'
import { PixelBudget } from './pixelBudget'
import { renderOverlays } from './renderOverlay'
import { WorkSlots } from './workSlots'

const OVERLAY_MEDIA_TYPES = {
  webp: 'image/webp',
  png: 'image/png',
  jpeg: 'image/jpeg',
} as const satisfies Record<OverlayFormat, string>

export interface ExplainSettings {
  limits: DecodeLimits
  maxBatch: number
  maxBatchDelayMs: number
  maxQueue: number
  /** Photos above `pixels` are decoded at most `slots` at a time, so that they cannot take every thread. */
  largeImages: { pixels: number; slots: number }
  overlay: {
    /** Overlays are drawn on the photo scaled down to fit this square. */
    maxSide: number
    /** Pixels of overlay rasters (display copies and overlays) in flight across all requests. */
    pixelBudget: number
  }
}

/** An image in, predictions and explanation maps out: decode -> batch -> one forward pass -> post-process. */
export class ExplainService {
  readonly #batchers = new Map<string, DynamicBatcher<ModelRequest, ModelResult>>()
  /** Requests being decoded, per model: the batcher waits for them only. */
  readonly #decoding = new Map<string, number>()
  readonly #registry: ModelRegistry
  readonly #settings: ExplainSettings
  readonly #overlayBudget: PixelBudget
  readonly #largeDecodes: WorkSlots

  constructor(registry: ModelRegistry, settings: ExplainSettings, metrics: WorkerMetrics) {
    this.#registry = registry
    this.#settings = settings
    this.#overlayBudget = new PixelBudget(settings.overlay.pixelBudget)
    // A few seconds of waiting at most (a 40-megapixel decode takes about a second here); beyond it, 503.
    const { slots } = settings.largeImages
    this.#largeDecodes = new WorkSlots(slots, 4 * slots, 'decoding large images')
    metrics.trackOverlayPixels(() => this.#overlayBudget.inUse)
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
    options: WorkerExplainQuery,
    signal?: AbortSignal,
  ): Promise<WorkerExplainResult> {
    const started = performance.now()
    const model = this.#registry.get(options.model)
    const classes = selectClasses(options, model.manifest)
    const header = await readImageHeader(bytes, this.#settings.limits)
    // Reserved before any pixel is decoded, held until the answer is built.
    // The overlay fits the side asked for, never beyond the worker's own limit.
    const overlaySide = options.overlay
      ? Math.min(options.overlayMaxSide ?? Number.POSITIVE_INFINITY, this.#settings.overlay.maxSide)
      : undefined
    const releaseOverlay = overlaySide ? this.#reserveOverlay(header, classes.length, overlaySide) : undefined
    try {
      const image = await this.#decode(model, bytes, header, overlaySide, signal)
      signal?.throwIfAborted()
      const submitted = performance.now()
      const result = await this.#batcherFor(model).submit({ pixels: image.pixels, classes }, signal)
      const queueMs = performance.now() - submitted - result.inferenceMs
      const { labels } = model.manifest
      const overlays = image.display
        ? await renderOverlays(
            image.display,
            result.explained.map((e) => e.map),
            image.crop,
            image,
            options.overlayFormat,
            signal,
          )
        : undefined
      const explanations = await Promise.all(
        result.explained.map(async ({ classId, map }, j) => ({
          classId,
          label: labels[classId] ?? String(classId),
          width: map.width,
          height: map.height,
          map: (await encodeMapPng(map)).toString('base64'),
          ...(overlays && {
            overlay: overlays[j]?.toString('base64'),
            overlayType: OVERLAY_MEDIA_TYPES[options.overlayFormat],
          }),
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
    } finally {
      releaseOverlay?.()
    }
  }

  /** The display copy and one overlay per map, all at the display size, against the worker's overlay budget. */
  #reserveOverlay(header: ImageHeader, maps: number, maxSide: number): () => void {
    const { width, height } = displaySize(header.width, header.height, maxSide)
    return this.#overlayBudget.reserve(
      width * height * (maps + 1),
      `an overlay of ${maps} map${maps === 1 ? '' : 's'} at ${width}x${height} (the photo scaled to fit ${maxSide}x${maxSide})`,
    )
  }

  async #decode(
    model: LoadedModel,
    bytes: Uint8Array,
    header: ImageHeader,
    overlaySide: number | undefined,
    signal: AbortSignal | undefined,
  ) {
    const large = header.width * header.height > this.#settings.largeImages.pixels
    const release = large ? await this.#largeDecodes.acquire(signal) : undefined
    const id = model.manifest.id
    this.#decoding.set(id, (this.#decoding.get(id) ?? 0) + 1)
    try {
      return await decodeImage(bytes, model.manifest.preprocessing, this.#settings.limits, {
        header,
        ...(overlaySide && { displayMaxSide: overlaySide }),
      })
    } finally {
      this.#decoding.set(id, (this.#decoding.get(id) ?? 1) - 1)
      release?.()
    }
  }

  #batcherFor(model: LoadedModel): DynamicBatcher<ModelRequest, ModelResult> {
    return this.#batchers.get(model.manifest.id) as DynamicBatcher<ModelRequest, ModelResult>
  }
}
