import { NetworkError, ProblemError } from './errors'
import {
  DEFAULT_RETRY,
  RETRYABLE_STATUSES,
  type RetryPolicy,
  retryAfterSeconds,
  retryDelayMs,
  sleep,
} from './retry'
import type { Problem } from './types'

/** Per-call options every client method takes. */
export interface RequestOptions {
  /** Aborts the call, its retries and waits; the call rejects with the signal's reason. */
  signal?: AbortSignal
  /** Time allowed for each attempt, response body included, in ms (default: the client's `timeoutMs`). */
  timeoutMs?: number
}

/** How the client reaches the API. */
export interface TransportOptions {
  /** The API's origin, e.g. `https://api.example.net` or `http://127.0.0.1:8787`; a path prefix is kept. */
  baseUrl: string
  /** The API key, sent as `Authorization: Bearer …` to the API's `v1/` paths only (never to signed upload URLs). */
  apiKey: string
  /** The fetch to use (default: the global one); for instrumentation or a platform's own. */
  fetch?: typeof fetch
  /** Time allowed for each attempt, in ms (default 60 000). */
  timeoutMs?: number
  /** Retries of 429 and 503 answers (honouring `Retry-After`) and of failed connections. */
  retry?: RetryPolicy
}

/** One HTTP exchange as the client methods describe it; the body must be replayable (no stream). */
export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /**
   * A path under `baseUrl` (`v1/explain`), or an absolute URL the API handed out: a model's `onnx.url` (under
   * `v1/`, so it gets the key) or a signed upload URL (outside `v1/`: its signature authorises it, not the key).
   */
  url: string
  headers?: Record<string, string>
  body?: string | Blob | Uint8Array<ArrayBuffer>
  /**
   * Whether a connection that failed or timed out may be tried again: true when repeating the call cannot do
   * anything twice. 429 and 503 are retried whatever this says: the API answers them before doing anything.
   */
  repeatable: boolean
}

const DEFAULT_TIMEOUT_MS = 60_000

/** Sends calls to the API: base URL, API key, per-attempt timeout, abort, bounded retries, problem errors. */
export class Transport {
  readonly #base: URL
  /** The URL prefix whose requests carry the API key: `baseUrl` + `v1/`. */
  readonly #keyed: string
  readonly #apiKey: string
  readonly #fetch: typeof fetch
  readonly #timeoutMs: number
  readonly #retry: Required<RetryPolicy>

  constructor(options: TransportOptions) {
    if (!options.apiKey) throw new TypeError('apiKey is required')
    // A trailing slash, so that `v1/…` resolves below a path prefix rather than replacing its last segment.
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`)
    this.#keyed = new URL('v1/', this.#base).href
    this.#apiKey = options.apiKey
    // Looked up at each call, not bound now: a polyfill installed later is used, and browsers refuse an unbound fetch.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init))
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#retry = { ...DEFAULT_RETRY, ...options.retry }
  }

  /** The JSON body of a successful answer. */
  json<T>(call: Call, options: RequestOptions = {}): Promise<T> {
    return this.send(call, options, (response) => response.json() as Promise<T>)
  }

  /** Sends `call` until it succeeds, reads the answer with `read` (within the attempt's timeout), or throws. */
  async send<T>(call: Call, options: RequestOptions, read: (response: Response) => Promise<T>): Promise<T> {
    const url = new URL(call.url, this.#base)
    const headers = new Headers(call.headers)
    // The key guards the API's v1/ tree (as the edge does); nothing else hears it, a signed URL least of all.
    if (url.href.startsWith(this.#keyed)) headers.set('Authorization', `Bearer ${this.#apiKey}`)
    for (let retry = 1; ; retry++) {
      let failure: ProblemError | NetworkError
      try {
        return await this.#attempt(url, { method: call.method, headers, body: call.body }, options, read)
      } catch (error) {
        if (!(error instanceof ProblemError || error instanceof NetworkError)) throw error
        failure = error
      }
      const wait = this.#retryWait(failure, call.repeatable, retry)
      if (wait === undefined) throw failure
      await sleep(wait, options.signal)
    }
  }

  /** One attempt: a ProblemError for an answer that is not 2xx, a NetworkError for no answer in time. */
  async #attempt<T>(
    url: URL,
    init: RequestInit,
    options: RequestOptions,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    const deadline = attemptSignal(options.signal, options.timeoutMs ?? this.#timeoutMs)
    try {
      const response = await this.#fetch(url, { ...init, signal: deadline.signal })
      if (!response.ok) throw await problemOf(response)
      return await read(response)
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason
      if (error instanceof ProblemError) throw error
      const what = `${init.method} ${url.origin}${url.pathname}`
      throw new NetworkError(
        deadline.timedOut() ? `${what} timed out` : `${what} failed: ${reasonOf(error)}`,
        {
          timedOut: deadline.timedOut(),
          cause: error,
        },
      )
    } finally {
      deadline.clear()
    }
  }

  /** How long to wait before retry number `retry` after `failure`, or undefined when it is not retried. */
  #retryWait(failure: ProblemError | NetworkError, repeatable: boolean, retry: number): number | undefined {
    if (retry > this.#retry.maxRetries) return undefined
    if (failure instanceof NetworkError) return repeatable ? retryDelayMs(retry, undefined) : undefined
    if (!RETRYABLE_STATUSES.has(failure.status)) return undefined
    const wait = retryDelayMs(retry, failure.retryAfterSeconds)
    return wait <= this.#retry.maxDelayMs ? wait : undefined
  }
}

/** Why fetch failed: its cause when it has one (undici's "fetch failed" hides "connect ECONNREFUSED …"). */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause
  return String(
    (cause instanceof Error ? cause : error instanceof Error ? error : undefined)?.message ?? error,
  )
}

/** The ProblemError an unsuccessful answer stands for, whatever its body. */
async function problemOf(response: Response): Promise<ProblemError> {
  const text = await response.text().catch(() => '')
  let body: Partial<Problem> = {}
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Partial<Problem>
  } catch {
    // Not JSON (a proxy's page): the status speaks for it.
  }
  return new ProblemError(
    {
      type: body.type ?? 'about:blank',
      title: body.title ?? (response.statusText || `HTTP ${response.status}`),
      status: response.status,
      detail: body.detail,
      code: body.code,
      requestId: body.requestId,
    },
    {
      retryAfterSeconds: retryAfterSeconds(response.headers.get('Retry-After')),
      requestId: response.headers.get('X-Request-Id') ?? undefined,
    },
  )
}

/**
 * A signal for one attempt: aborted by the caller's signal or when `timeoutMs` runs out. Built by hand rather
 * than with AbortSignal.any/timeout, which React Native lacks.
 */
function attemptSignal(outer: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)
  const onAbort = () => controller.abort(outer?.reason)
  if (outer?.aborted) onAbort()
  else outer?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear: () => {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onAbort)
    },
  }
}
