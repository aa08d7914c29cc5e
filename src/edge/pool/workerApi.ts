import type { z } from '@hono/zod-openapi'
import {
  type ModelInfo,
  problemSchema,
  type WorkerExplainQuery,
  type WorkerExplainResult,
  workerExplainQueryText,
  workerExplainResultSchema,
  workerModelListSchema,
} from '../../shared/contract'
import type { ImageBytes } from '../../shared/imageType'
import { isProblemCode, ProblemError } from '../../shared/problem'
import type { WorkerPool, WorkerReply } from './workerPool'

const badWorkerResponse = () =>
  new ProblemError('bad_worker_response', 'A GPU worker answered out of protocol.')

/** The worker's 4xx codes (docs/internal-protocol.md) are the client's fault and pass through 1:1. */
function clientProblem(reply: WorkerReply): ProblemError {
  const parsed = problemSchema.safeParse(safeJson(reply.body))
  const code = parsed.data?.code
  if (!code || !isProblemCode(code)) return badWorkerResponse()
  return new ProblemError(code, parsed.data?.detail ?? '')
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
  if (!parsed.success) throw badWorkerResponse()
  return parsed.data
}

export async function fetchModels(pool: WorkerPool, requestId: string): Promise<ModelInfo[]> {
  const reply = await pool.call({ method: 'GET', path: '/internal/v1/models', requestId })
  return parseReply(reply, workerModelListSchema).models
}

export async function explainOnWorker(
  pool: WorkerPool,
  image: ImageBytes,
  query: WorkerExplainQuery,
  requestId: string,
): Promise<WorkerExplainResult> {
  const reply = await pool.call({
    method: 'POST',
    path: `/internal/v1/explain?${workerExplainQueryText(query)}`,
    requestId,
    body: image.bytes,
    headers: { 'Content-Type': image.contentType },
  })
  return parseReply(reply, workerExplainResultSchema)
}
