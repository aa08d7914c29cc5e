/** How a request is retried: a bounded number of attempts, each wait bounded. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 3); 0 disables retries. */
  maxRetries?: number
  /**
   * The longest wait before one retry, in ms (default 60 000). A `Retry-After` asking for longer is not waited
   * for: the error is thrown at once, carrying `retryAfterSeconds`.
   */
  maxDelayMs?: number
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { maxRetries: 3, maxDelayMs: 60_000 }

/** Statuses the API answers before it does any work, so a retry is always safe: rate limit and overload. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503])

const FIRST_BACKOFF_MS = 500
const MAX_BACKOFF_MS = 8_000

/** `Retry-After` in seconds (RFC 9110: delay-seconds or an HTTP-date), or undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text)
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-3" as a year.
  const date = /^[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

/**
 * The wait before retry `attempt` (1 for the first retry): at least what the server asked, plus up to a tenth
 * more so that clients refused together do not return together; without a `Retry-After`, exponential backoff
 * with jitter.
 */
export function retryDelayMs(
  attempt: number,
  serverSeconds: number | undefined,
  random = Math.random,
): number {
  if (serverSeconds !== undefined) return serverSeconds * 1000 * (1 + random() / 10)
  const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1))
  return ceiling / 2 + (random() * ceiling) / 2
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
