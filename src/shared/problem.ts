import type { Problem } from './contract'

interface ProblemEntry {
  /** The HTTP status the code is answered with. */
  readonly status: number
  /** RFC 9457: the same title for every occurrence of the type; what differs goes into `detail`. */
  readonly title: string
  /** Other statuses the code may take, chosen where it is raised (`status` in ProblemError's options). */
  readonly alsoAs?: readonly number[]
}

/**
 * Every problem the API answers, at the edge and at the worker alike: a stable `code`, its status and title.
 * The type URI, the OpenAPI error responses and docs/api.md's error table all come from this one list.
 */
export const PROBLEMS = {
  bad_request: { status: 400, title: 'Bad request' },
  bad_options: { status: 400, title: 'Invalid options' },
  missing_image: { status: 400, title: 'Missing image' },
  body_not_allowed: { status: 400, title: 'Body not allowed' },
  bad_cursor: { status: 400, title: 'Bad cursor' },
  image_url_rejected: { status: 400, title: 'Image URL rejected' },
  webhook_url_rejected: { status: 400, title: 'Webhook URL rejected' },
  upload_incomplete: { status: 400, title: 'Upload incomplete' },
  // 400 where the model is an option of a request, 404 where it is the resource asked for.
  unknown_model: { status: 400, title: 'Unknown model', alsoAs: [404] },
  unauthorized: { status: 401, title: 'Unauthorized' },
  upload_url_invalid: { status: 403, title: 'Upload URL invalid' },
  upload_url_expired: { status: 403, title: 'Upload URL expired' },
  not_found: { status: 404, title: 'Not found' },
  job_not_found: { status: 404, title: 'Job not found' },
  upload_not_found: { status: 404, title: 'Upload not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  body_timeout: { status: 408, title: 'Request body timeout' },
  upload_url_used: { status: 409, title: 'Upload URL already used' },
  length_required: { status: 411, title: 'Length required' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  undecodable_image: { status: 422, title: 'Undecodable image' },
  image_too_large: { status: 422, title: 'Image too large' },
  image_url_unreachable: { status: 422, title: 'Image URL unreachable' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  bad_worker_response: { status: 502, title: 'Bad worker response' },
  no_worker_available: { status: 503, title: 'No worker available' },
  edge_busy: { status: 503, title: 'Edge busy' },
  overloaded: { status: 503, title: 'Overloaded' },
  worker_timeout: { status: 504, title: 'Worker timed out' },
  deadline_exceeded: { status: 504, title: 'Deadline exceeded' },
} as const satisfies Record<string, ProblemEntry>

export type ProblemCode = keyof typeof PROBLEMS

type StatusOf<C extends ProblemCode> =
  | (typeof PROBLEMS)[C]['status']
  | ((typeof PROBLEMS)[C] extends { alsoAs: readonly (infer S)[] } ? S : never)

export const isProblemCode = (code: string): code is ProblemCode => Object.hasOwn(PROBLEMS, code)

/** One stable URI per code: what a client may switch on besides `code` itself. */
export const problemType = (code: ProblemCode) => `https://t-tame.dev/problems/${code}`

export interface ProblemOptions<C extends ProblemCode> {
  /** Seconds until a retry may succeed: sent as `Retry-After`. */
  retryAfter?: number
  headers?: Record<string, string>
  /** One of the code's other statuses (`alsoAs`). */
  status?: StatusOf<C>
  cause?: unknown
}

/** An expected failure: status and title come from its code; rendered as RFC 9457 problem+json. */
export class ProblemError<C extends ProblemCode = ProblemCode> extends Error {
  readonly code: C
  readonly status: StatusOf<C>
  readonly title: string
  readonly detail: string
  readonly headers: Readonly<Record<string, string>>
  readonly retryAfter: number | undefined

  constructor(code: C, detail: string, options: ProblemOptions<C> = {}) {
    super(detail, { cause: options.cause })
    this.name = 'ProblemError'
    this.code = code
    this.status = options.status ?? PROBLEMS[code].status
    this.title = PROBLEMS[code].title
    this.detail = detail
    this.retryAfter = options.retryAfter
    this.headers = {
      ...options.headers,
      ...(options.retryAfter === undefined ? {} : { 'Retry-After': String(options.retryAfter) }),
    }
  }

  /** The problem+json body; `requestId` ties it to the logs of the call. */
  toProblem(requestId?: string): Problem {
    return problemDetails(this.code, this.detail, requestId, this.status as number)
  }
}

/** The body of a problem: `type` and `title` from the catalogue, the occurrence in `detail`. */
export function problemDetails(
  code: ProblemCode,
  detail?: string,
  requestId?: string,
  status: number = PROBLEMS[code].status,
): Problem {
  return {
    type: problemType(code),
    title: PROBLEMS[code].title,
    status,
    ...(detail ? { detail } : {}),
    code,
    ...(requestId === undefined ? {} : { requestId }),
  }
}
