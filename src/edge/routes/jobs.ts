import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { fromBase64, toBase64Url } from '../../shared/base64'
import { quoted } from '../../shared/issues'
import {
  createJobRequestSchema,
  createJobResponseSchema,
  type JobResults,
  jobResultsSchema,
  jobViewSchema,
  webhookEventSchema,
} from '../../shared/jobSchemas'
import { ProblemError } from '../../shared/problem'
import type { EdgeContext } from '../context'
import { sha256Hex } from '../crypto'
import { readResult } from '../jobs/jobResultStore'
import { problemResponses, V1_PROBLEMS, validationHook } from '../problem/openapi'
import { publicUrl } from '../security/publicUrl'
import { webhookUrlRefusal } from '../webhooks/webhookUrl'

const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
})

const jobParams = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) })
const PAGE_MAX = 100

const notFound = (id: string) => new ProblemError('job_not_found', `No job ${quoted(id)}.`)

/** The tracker of an existing job id; ids are Durable Object ids, so a malformed one is simply unknown. */
function tracker(env: Pick<Env, 'JOBS'>, id: string) {
  try {
    return env.JOBS.get(env.JOBS.idFromString(id))
  } catch {
    throw notFound(id)
  }
}

const createJob = createRoute({
  method: 'post',
  path: '/v1/jobs',
  security: [{ apiKey: [] }],
  summary: 'Explain up to 1000 images in the background',
  request: {
    headers: z.object({
      'idempotency-key': z.string().min(1).max(255).optional().openapi({
        description: 'The same key (per API key) with the same body returns the same job.',
      }),
    }),
    body: { required: true, content: { 'application/json': { schema: createJobRequestSchema } } },
  },
  responses: {
    202: json('Job accepted (or replayed for a known Idempotency-Key)', createJobResponseSchema),
    ...problemResponses(
      ...V1_PROBLEMS,
      'bad_request',
      'bad_options',
      'webhook_url_rejected',
      'idempotency_key_reused',
    ),
  },
})

const getJob = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  security: [{ apiKey: [] }],
  summary: 'Job status, counts and webhook deliveries',
  description: 'A job is kept for JOB_RETENTION_SECONDS (7 days) after it ends, then answers 404.',
  request: { params: jobParams },
  responses: { 200: json('Job', jobViewSchema), ...problemResponses(...V1_PROBLEMS, 'job_not_found') },
})

const getResults = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/results',
  security: [{ apiKey: [] }],
  summary: 'Per-item status and results, in item order',
  request: {
    params: jobParams,
    query: z.object({
      cursor: z.string().optional().openapi({ description: '`nextCursor` of the previous page.' }),
      limit: z.coerce.number().int().min(1).max(PAGE_MAX).default(50),
    }),
  },
  responses: {
    200: json('One page of items', jobResultsSchema),
    ...problemResponses(...V1_PROBLEMS, 'bad_options', 'bad_cursor', 'job_not_found'),
  },
})

const cancelJob = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  security: [{ apiKey: [] }],
  summary: 'Cancel the items that have not started',
  request: { params: jobParams },
  responses: {
    200: json('Job after cancellation', jobViewSchema),
    ...problemResponses(...V1_PROBLEMS, 'job_not_found'),
  },
})

const encodeCursor = (index: number) => toBase64Url(new TextEncoder().encode(`after:${index}`))
function decodeText(cursor: string): string {
  try {
    return new TextDecoder().decode(fromBase64(cursor))
  } catch {
    return ''
  }
}
function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return -1
  const match = /^after:(\d{1,6})$/.exec(decodeText(cursor))
  if (!match) throw new ProblemError('bad_cursor', 'Pass nextCursor from the previous page.')
  return Number(match[1])
}

/** `/v1/jobs`: batch explanation, one JobTracker Durable Object per job. */
export const jobRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook })
  .openapi(createJob, async (c) => {
    const request = c.req.valid('json')
    const idempotencyKey = c.req.valid('header')['idempotency-key']
    const { settings } = c.var.services
    const refusal = request.webhook && webhookUrlRefusal(request.webhook.url, settings.ALLOW_LOOPBACK_HTTP)
    if (refusal) throw new ProblemError('webhook_url_rejected', refusal)
    const owner = c.get('apiKeyId')
    const id = idempotencyKey ? c.env.JOBS.idFromName(`${owner}:${idempotencyKey}`) : c.env.JOBS.newUniqueId()
    const statusUrl = publicUrl(settings, `/v1/jobs/${id}`)
    const created = await c.env.JOBS.get(id).create({
      owner,
      fingerprint: await sha256Hex(JSON.stringify(request)),
      model: request.model,
      items: request.items,
      webhookUrl: request.webhook?.url,
      metadata: request.metadata,
      resultsUrl: `${statusUrl}/results`,
    })
    if (created.outcome === 'conflict') {
      throw new ProblemError(
        'idempotency_key_reused',
        'This Idempotency-Key was used for a different request.',
      )
    }
    if (created.outcome === 'replayed') c.header('Idempotent-Replayed', 'true')
    c.header('Location', statusUrl)
    return c.json(
      {
        jobId: created.view.jobId,
        status: created.view.status,
        statusUrl,
        resultsUrl: created.view.resultsUrl,
        ...(created.webhookSecret ? { webhookSecret: created.webhookSecret } : {}),
      },
      202,
    )
  })
  .openapi(getJob, async (c) => {
    const { id } = c.req.valid('param')
    const view = await tracker(c.env, id).status(c.get('apiKeyId'))
    if (!view) throw notFound(id)
    return c.json(view, 200)
  })
  .openapi(getResults, async (c) => {
    const { id } = c.req.valid('param')
    const { cursor, limit } = c.req.valid('query')
    const rows = await tracker(c.env, id).results(c.get('apiKeyId'), decodeCursor(cursor), limit + 1)
    if (!rows) throw notFound(id)
    const page = rows.slice(0, limit)
    const items: JobResults['items'] = await Promise.all(
      page.map(async ({ result, ...row }) => ({
        ...row,
        ...(result ? { result: await readResult(c.env.BLOBS, result) } : {}),
      })),
    )
    const last = page.at(-1)
    return c.json({ items, nextCursor: rows.length > limit && last ? encodeCursor(last.index) : null }, 200)
  })
  .openapi(cancelJob, async (c) => {
    const { id } = c.req.valid('param')
    const view = await tracker(c.env, id).cancel(c.get('apiKeyId'))
    if (!view) throw notFound(id)
    return c.json(view, 200)
  })

// The event a job's webhook receives, documented in the OpenAPI 3.1 `webhooks` section.
jobRoutes.openAPIRegistry.registerWebhook({
  method: 'post',
  path: 'job.finished',
  summary: 'A job completed or failed (Standard Webhooks signed); a cancelled job sends no event',
  request: {
    headers: z.object({
      'webhook-id': z.string().openapi({ description: 'Same on every retry: dedupe on it.' }),
      'webhook-timestamp': z.string().openapi({ description: 'Unix seconds of this attempt.' }),
      'webhook-signature': z.string().openapi({
        description: '`v1,` + base64 HMAC-SHA256(secret, `id.timestamp.body`), secret = webhookSecret.',
      }),
    }),
    body: { content: { 'application/json': { schema: webhookEventSchema } } },
  },
  responses: { 200: { description: 'Any 2xx acknowledges; anything else is retried with backoff.' } },
})
