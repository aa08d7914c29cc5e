import type { Problem } from './types'

/**
 * The API refused a request: the RFC 9457 problem it answered with, its HTTP status and the request id to
 * quote to support. A body that is not problem+json (a proxy's page) still gives a ProblemError, titled by
 * the status.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError'
  /** The HTTP status. */
  readonly status: number
  /** A URI naming the kind of problem (`https://t-tame.dev/problems/<code>`), or `about:blank`. */
  readonly type: string
  /** A short summary of the kind of problem. */
  readonly title: string
  /** What went wrong with this request, when the API said. */
  readonly detail: string | undefined
  /** A stable machine-readable code (`rate_limited`, `bad_options`, …), when the API sent one. */
  readonly code: string | undefined
  /** The request's id (`X-Request-Id`), for support. */
  readonly requestId: string | undefined
  /** Seconds the API asked to wait before a retry (`Retry-After`), when it did. */
  readonly retryAfterSeconds: number | undefined

  constructor(
    problem: Problem,
    options: { retryAfterSeconds?: number | undefined; requestId?: string | undefined } = {},
  ) {
    const requestId = problem.requestId ?? options.requestId
    super(
      `${problem.title}${problem.detail ? `: ${problem.detail}` : ''} ` +
        `(HTTP ${problem.status}${requestId ? `, request ${requestId}` : ''})`,
    )
    this.status = problem.status
    this.type = problem.type
    this.title = problem.title
    this.detail = problem.detail
    this.code = problem.code
    this.requestId = requestId
    this.retryAfterSeconds = options.retryAfterSeconds
  }
}

/** The API could not be reached or did not answer in time; `cause` holds what fetch threw. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError'
  /** True when the request's own timeout (`timeoutMs`) ran out. */
  readonly timedOut: boolean

  constructor(message: string, options: { timedOut: boolean; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.timedOut = options.timedOut
  }
}

/** A webhook delivery failed verification: missing headers, a stale timestamp or no matching signature. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError'
}
