import { type Problem, problemDetails } from '../shared/contract'

/** The stable error codes of docs/internal-protocol.md, with the HTTP status the edge maps each onto. */
const problemStatus = {
  bad_options: 400,
  unknown_model: 400,
  unauthorized: 401,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  undecodable_image: 422,
  image_too_large: 422,
  overloaded: 503,
  deadline_exceeded: 504,
  internal: 500,
} as const

export type ProblemCode = keyof typeof problemStatus

const titles: Record<ProblemCode, string> = {
  bad_options: 'Invalid options',
  unknown_model: 'Unknown model',
  unauthorized: 'Unauthorized',
  not_found: 'Not found',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  undecodable_image: 'Undecodable image',
  image_too_large: 'Image too large',
  overloaded: 'Overloaded',
  deadline_exceeded: 'Deadline exceeded',
  internal: 'Internal error',
}

/** Every failure the worker expects is one of these; anything else is a bug and answers 500. */
export class ProblemError extends Error {
  readonly code: ProblemCode
  readonly status: number
  /** Seconds, sent as `Retry-After` (503). */
  readonly retryAfter: number | undefined

  constructor(code: ProblemCode, detail: string, options: { retryAfter?: number; cause?: unknown } = {}) {
    super(detail, { cause: options.cause })
    this.name = 'ProblemError'
    this.code = code
    this.status = problemStatus[code]
    this.retryAfter = options.retryAfter
  }

  toProblem(requestId?: string): Problem {
    return problemDetails({
      status: this.status,
      code: this.code,
      title: titles[this.code],
      detail: this.message,
      requestId,
    })
  }
}
