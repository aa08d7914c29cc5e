import { serve } from '@hono/node-server'
import sharp from 'sharp'
import { loadConfig } from './config'
import { jsonLogger as log } from './log'
import { createWorker } from './worker'

/** Starts the worker: configuration, model packs, then HTTP; exits 1 with the reason if any of them is wrong. */
async function main(): Promise<void> {
  const config = loadConfig()
  // Every request brings a different image: libvips' operation cache would only hold memory.
  sharp.cache(false)
  const worker = await createWorker(config, log)
  const server = serve({ fetch: worker.app.fetch, port: config.PORT, hostname: config.HOST }, (info) =>
    log.info('gpu-worker listening', {
      address: `http://${info.address}:${info.port}`,
      models: worker.registry.list().map((m) => `${m.id}@${m.version}`),
      maxBatch: config.MAX_BATCH,
      maxBatchDelayMs: config.MAX_BATCH_DELAY_MS,
    }),
  )

  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('shutting down', { signal })
    worker.drain()
    setTimeout(() => process.exit(1), 10_000).unref()
    server.close(() => void worker.close().then(() => process.exit(0)))
    if ('closeIdleConnections' in server) server.closeIdleConnections()
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((err: unknown) => {
  log.error('gpu-worker failed to start', { reason: err instanceof Error ? err.message : String(err) })
  process.exit(1)
})
