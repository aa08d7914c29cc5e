import { serve } from '@hono/node-server'
import { loadConfig } from './config'
import { ExplainService } from './explainService'
import { createApp } from './http/app'
import { jsonLogger as log } from './log'
import { WorkerMetrics } from './metrics'
import { loadModelRegistry } from './modelRegistry'

/** Starts the worker: configuration, model packs, then HTTP; exits 1 with the reason if any of them is wrong. */
async function main(): Promise<void> {
  const config = loadConfig()
  const registry = await loadModelRegistry(
    {
      modelsDir: config.MODELS_DIR,
      defaultModel: config.DEFAULT_MODEL,
      executionProviders: config.EXECUTION_PROVIDERS,
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
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) =>
    log.info('gpu-worker listening', {
      address: `http://${info.address}:${info.port}`,
      models: registry.list().map((m) => `${m.id}@${m.version}`),
      maxBatch: config.MAX_BATCH,
      maxBatchDelayMs: config.MAX_BATCH_DELAY_MS,
    }),
  )

  // Drain: /readyz turns 503, in-flight requests finish, then the sessions are released.
  const shutdown = (signal: string) => {
    if (draining) return
    draining = true
    log.info('shutting down', { signal })
    setTimeout(() => process.exit(1), 10_000).unref()
    server.close(() => void registry.close().then(() => process.exit(0)))
    if ('closeIdleConnections' in server) server.closeIdleConnections()
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((err: unknown) => {
  log.error('gpu-worker failed to start', { reason: err instanceof Error ? err.message : String(err) })
  process.exit(1)
})
