import type { Config } from './config'
import { ExplainService } from './explainService'
import { createApp } from './http/app'
import { installedProviders } from './inferenceSession'
import type { Logger } from './log'
import { WorkerMetrics } from './metrics'
import { loadModelRegistry } from './modelRegistry'

/** The whole worker wired from its configuration: model packs, explain pipeline, HTTP app. */
export async function createWorker(config: Config, log: Logger) {
  const registry = await loadModelRegistry(
    {
      modelsDir: config.MODELS_DIR,
      defaultModel: config.DEFAULT_MODEL,
      executionProviders: installedProviders(config.EXECUTION_PROVIDERS, log),
    },
    log,
  )
  const metrics = new WorkerMetrics()
  const explainService = new ExplainService(
    registry,
    {
      limits: { maxBytes: config.MAX_BODY_BYTES, maxPixels: config.MAX_PIXELS },
      maxBatch: config.MAX_BATCH,
      maxBatchDelayMs: config.MAX_BATCH_DELAY_MS,
      maxQueue: config.MAX_QUEUE,
      largeImages: { pixels: config.LARGE_IMAGE_PIXELS, slots: config.LARGE_IMAGE_DECODES },
      overlay: { maxSide: config.OVERLAY_MAX_SIDE, pixelBudget: config.OVERLAY_PIXEL_BUDGET },
    },
    metrics,
  )
  let draining = false
  const app = createApp({
    token: config.WORKER_TOKEN,
    maxBodyBytes: config.MAX_BODY_BYTES,
    registry,
    explainService,
    metrics,
    log,
    isReady: () => !draining,
  })
  return {
    app,
    registry,
    /** /readyz turns 503 so that the edge routes elsewhere while in-flight work finishes. */
    drain: () => {
      draining = true
    },
    close: () => registry.close(),
  }
}
