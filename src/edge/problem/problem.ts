import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { problemDetails } from '../../shared/contract'
import type { EdgeContext } from '../context'

/** A failure with a precise status and a stable `code`; rendered as RFC 9457 problem+json by `renderProblem`. */
export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title)
  }
}

export function problemResponse(c: Context<EdgeContext>, error: ProblemError): Response {
  const { status, code, title, detail } = error
  const body = problemDetails({ status, code, title, detail, requestId: c.get('requestId') })
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value)
  c.header('Content-Type', 'application/problem+json')
  return c.body(JSON.stringify(body), error.status)
}

/** `app.onError`: every failure leaves as problem+json; unexpected ones are logged without request data. */
export function renderProblem(error: Error, c: Context<EdgeContext>): Response {
  if (error instanceof ProblemError) return problemResponse(c, error)
  if (error instanceof HTTPException) {
    const code =
      { 400: 'bad_request', 413: 'payload_too_large', 415: 'unsupported_media_type' }[
        error.status as number
      ] ?? `http_${error.status}`
    return problemResponse(c, new ProblemError(error.status, code, error.message || 'Request failed'))
  }
  console.error(JSON.stringify({ requestId: c.get('requestId'), error: error.name, message: error.message }))
  return problemResponse(c, new ProblemError(500, 'internal_error', 'Internal error'))
}

export const notFound = (c: Context<EdgeContext>) =>
  problemResponse(
    c,
    new ProblemError(404, 'not_found', 'Not found', `No route for ${c.req.method} ${c.req.path}`),
  )
