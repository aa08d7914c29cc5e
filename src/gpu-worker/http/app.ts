import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { type RequestIdVariables, requestId } from 'hono/request-id'
import type { StatusCode } from 'hono/utils/http-status'
import { ProblemError } from '../../shared/problem'
import type { ExplainService } from '../explainService'
import type { Logger } from '../log'
import type { WorkerMetrics } from '../metrics'
import type { ModelRegistry } from '../modelRegistry'
import { bearerToken } from './auth'
import { requestDeadline } from './deadline'
import { parseExplainQuery } from './explainQuery'
import { problemResponse } from './problemResponse'

export interface AppDeps {
  token: string
  maxBodyBytes: number
  registry: ModelRegistry
  explainService: ExplainService
  metrics: WorkerMetrics
  log: Logger
  /** False while draining for shutdown: the edge stops routing here, in-flight work finishes. */
  isReady: () => boolean
}

/** The worker's HTTP surface (docs/internal-protocol.md); never exposed publicly. */
export function createApp(deps: AppDeps) {
  const app = new Hono<{ Variables: RequestIdVariables }>()

  app.use(requestId())
  app.use(async (c, next) => {
    const started = performance.now()
    await next()
    const route = c.req.routePath
    deps.metrics.requestDuration.observe(
      { route, status: c.res.status },
      (performance.now() - started) / 1000,
    )
  })
  app.onError((err, c) => {
    // The client hung up and its work was dropped: nobody reads this answer, and it is no worker fault.
    if (c.req.raw.signal.aborted && !(err instanceof ProblemError)) return c.body(null, 499 as StatusCode)
    if (err instanceof ProblemError) deps.metrics.problems.inc({ code: err.code })
    return problemResponse(err, c, deps.log)
  })
  app.notFound((c) =>
    problemResponse(new ProblemError('not_found', `no route ${c.req.method} ${c.req.path}`), c, deps.log),
  )

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', (c) =>
    deps.isReady()
      ? c.json({ status: 'ready', models: deps.registry.all().map((m) => m.manifest.id) })
      : c.json({ status: 'draining' }, 503),
  )
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'Content-Type': deps.metrics.registry.contentType }),
  )

  app.use('/internal/*', bearerToken(deps.token))
  app.get('/internal/v1/models', (c) => c.json({ models: deps.registry.list() }))
  // The edge streams these to clients that run a model themselves; the sha256 was checked at start-up.
  app.get('/internal/v1/files/:sha256', (c) => {
    const file = deps.registry.graphFile(c.req.param('sha256'))
    if (!file) throw new ProblemError('not_found', 'no model file has this sha256; see /internal/v1/models')
    const body = Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>
    return c.body(body, 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(file.bytes),
    })
  })
  app.post(
    '/internal/v1/explain',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new ProblemError('payload_too_large', `the body exceeds ${deps.maxBodyBytes} bytes`)
      },
    }),
    async (c) => {
      const options = parseExplainQuery(c.req.query())
      const deadline = requestDeadline(c.req.raw.signal, c.req.header('X-Deadline-Ms'))
      try {
        const bytes = new Uint8Array(await c.req.arrayBuffer())
        return c.json(await deps.explainService.explain(bytes, options, deadline.signal))
      } finally {
        deadline.clear()
      }
    },
  )
  return app
}
