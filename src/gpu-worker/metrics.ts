import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The worker's Prometheus metrics, on their own registry (no global state). */
export class WorkerMetrics {
  readonly registry = new Registry()
  readonly #queueDepths = new Map<string, () => number>()
  #overlayPixels: () => number = () => 0

  readonly requestDuration = new Histogram({
    name: 'worker_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['route', 'status'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  })

  readonly inferenceDuration = new Histogram({
    name: 'worker_inference_duration_seconds',
    help: 'Duration of one batched session.run',
    labelNames: ['model'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  })

  readonly batchSize = new Histogram({
    name: 'worker_batch_size',
    help: 'Requests per session.run',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  })

  readonly queueDepth = new Gauge({
    name: 'worker_queue_depth',
    help: 'Requests waiting for a batch',
    labelNames: ['model'] as const,
    registers: [this.registry],
    // Read at scrape time, so the gauge is never stale.
    collect: () => {
      for (const [model, depth] of this.#queueDepths) this.queueDepth.set({ model }, depth())
    },
  })

  readonly overlayPixels = new Gauge({
    name: 'worker_overlay_pixels_in_use',
    help: 'Pixels of overlay work reserved now, out of OVERLAY_PIXEL_BUDGET',
    registers: [this.registry],
    collect: () => {
      this.overlayPixels.set(this.#overlayPixels())
    },
  })

  readonly executionProvider = new Gauge({
    name: 'worker_execution_provider',
    help: 'Execution provider each model session runs on (1 = active)',
    labelNames: ['model', 'provider'] as const,
    registers: [this.registry],
  })

  readonly problems = new Counter({
    name: 'worker_problems_total',
    help: 'Requests answered with a problem, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry })
  }

  trackQueueDepth(model: string, depth: () => number): void {
    this.#queueDepths.set(model, depth)
  }

  trackOverlayPixels(inUse: () => number): void {
    this.#overlayPixels = inUse
  }

  observeBatch(model: string, size: number, durationMs: number): void {
    this.batchSize.observe({ model }, size)
    this.inferenceDuration.observe({ model }, durationMs / 1000)
  }
}
