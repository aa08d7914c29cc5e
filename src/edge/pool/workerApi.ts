import type { z } from '@hono/zod-openapi'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import {
  explainOptionsToText,
  type ModelInfo,
  problemSchema,
  type WorkerExplainQuery,
  type WorkerExplainResult,
  workerExplainResultSchema,
  workerModelListSchema,
} from '../../shared/contract'
import { ProblemError } from '../problem/problem'
import type { WorkerPool, WorkerReply } from './workerPool'

/** The worker's 4xx codes (docs/internal-protocol.md) are the client's fault and pass through 1:1. */
function clientProblem(reply: WorkerReply): ProblemError {
  const parsed = problemSchema.safeParse(safeJson(reply.body))
  const problem = parsed.success ? parsed.data : undefined
  return new ProblemError(
    reply.status as ContentfulStatusCode,
    problem?.code ?? `worker_${reply.status}`,
    problem?.title ?? 'Rejected by the worker',
    problem?.detail,
  )
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function parseReply<T>(reply: WorkerReply, schema: z.ZodType<T>): T {
  if (reply.status >= 400) throw clientProblem(reply)
  const parsed = schema.safeParse(safeJson(reply.body))
  if (!parsed.success) throw new ProblemError(502, 'bad_worker_response', 'Bad worker response')
  return parsed.data
}

export async function fetchModels(pool: WorkerPool, requestId: string): Promise<ModelInfo[]> {
  const reply = await pool.call({ method: 'GET', path: '/internal/v1/models', requestId })
  return parseReply(reply, workerModelListSchema).models
}

export async function explainOnWorker(
  pool: WorkerPool,
  image: { bytes: Uint8Array; contentType: string },
  query: WorkerExplainQuery,
  requestId: string,
): Promise<WorkerExplainResult> {
  const reply = await pool.call({
    method: 'POST',
    path: `/internal/v1/explain?${explainOptionsToText(query)}`,
    requestId,
    body: image.bytes,
    headers: { 'Content-Type': image.contentType },
  })
  return parseReply(reply, workerExplainResultSchema)
}
