import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { TrieRouter } from 'hono/router/trie-router'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { problemDetails } from '../../shared/contract'
import { quoted } from '../../shared/issues'
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
  return (c: Context<EdgeContext>) => {
    allowed ??= methodsByPath(app.routes)
    const { method, path } = c.req
    const methods = allowed(path)
    const asked = quoted(`${method} ${path}`)
    if (methods.length > 0 && !methods.includes(method)) {
      const allow = methods.join(', ')
      return problemResponse(
        c,
        new ProblemError(
          405,
          'method_not_allowed',
          'Method not allowed',
          `No route for ${asked}; the path serves ${allow}.`,
          { Allow: allow },
        ),
      )
    }
    return problemResponse(c, new ProblemError(404, 'not_found', 'Not found', `No route for ${asked}.`))
  }
}
