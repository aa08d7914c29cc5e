import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ProblemError } from '../../shared/problem'
import type { Logger } from '../log'

/** Every error as RFC 9457 problem+json; unexpected ones are logged and answered 500 without internals. */
export function problemResponse(err: unknown, c: Context, log: Logger): Response {
  const requestId = c.get('requestId') as string | undefined
  const problem =
    err instanceof ProblemError
      ? err
      : new ProblemError('internal_error', 'the worker failed to process the request')
  if (!(err instanceof ProblemError)) {
    log.error('unhandled error', { requestId, error: err instanceof Error ? err.stack : String(err) })
  }
  const headers = { ...problem.headers, 'Content-Type': 'application/problem+json' }
  return c.body(JSON.stringify(problem.toProblem(requestId)), problem.status as ContentfulStatusCode, headers)
}
