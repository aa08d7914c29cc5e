import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { RequestIdVariables } from 'hono/request-id'
import { TrieRouter } from 'hono/router/trie-router'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { quoted } from '../../shared/issues'
import { type ProblemCode, ProblemError } from '../../shared/problem'

/** What rendering a problem needs of a request: its id, nothing else of the app. */
type WithRequestId = { Variables: RequestIdVariables }

/** `error` as problem+json, on the context so that headers set earlier (rate limits, request id) stay. */
export function problemResponse<E extends WithRequestId>(c: Context<E>, error: ProblemError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value)
  c.header('Content-Type', 'application/problem+json')
  return c.body(JSON.stringify(error.toProblem(c.get('requestId'))), error.status as ContentfulStatusCode)
}

/** Hono's own refusals (its validators) by status; any other is unexpected. */
const HTTP_EXCEPTION_CODES: Partial<Record<number, ProblemCode>> = {
  400: 'bad_request',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/** `app.onError`: every failure leaves as problem+json; unexpected ones are logged without request data. */
export function renderProblem<E extends WithRequestId>(error: Error, c: Context<E>): Response {
  if (error instanceof ProblemError) return problemResponse(c, error)
  const code = error instanceof HTTPException ? HTTP_EXCEPTION_CODES[error.status] : undefined
  if (code) return problemResponse(c, new ProblemError(code, error.message))
  console.error(JSON.stringify({ requestId: c.get('requestId'), error: error.name, message: error.message }))
  return problemResponse(c, new ProblemError('internal_error', ''))
}

/** The routes of an app as Hono lists them (`app.routes`); `ALL` entries are middleware. */
type RouteTable = readonly { method: string; path: string }[]

/** The methods a path is served with, HEAD wherever GET is (Hono answers it with the GET route). */
function methodsByPath(routes: RouteTable): (path: string) => string[] {
  const router = new TrieRouter<string>()
  for (const { method, path } of routes) if (method !== 'ALL') router.add('ALL', path, method)
  return (path) => {
    const methods = new Set(router.match('ALL', path)[0].map(([method]) => method))
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods].sort()
  }
}

/**
 * `app.notFound` for `app`: a path that routes serve with other methods is 405 with `Allow` (RFC 9110 §15.5.6),
 * anything else 404. The table is read on the first miss, when every route is registered.
 */
export function notFoundFor(app: { routes: RouteTable }) {
  let allowed: ((path: string) => string[]) | undefined
  return <E extends WithRequestId>(c: Context<E>) => {
    allowed ??= methodsByPath(app.routes)
    const { method, path } = c.req
    const methods = allowed(path)
    const asked = quoted(`${method} ${path}`)
    if (methods.length > 0 && !methods.includes(method)) {
      const allow = methods.join(', ')
      const detail = `No route for ${asked}; the path serves ${allow}.`
      return problemResponse(c, new ProblemError('method_not_allowed', detail, { headers: { Allow: allow } }))
    }
    return problemResponse(c, new ProblemError('not_found', `No route for ${asked}.`))
  }
}
