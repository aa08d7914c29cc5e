import { ProblemError } from '../../shared/problem'

export interface WorkerPoolOptions {
  urls: string[]
  /** Shared secret every worker checks (`Authorization: Bearer`). */
  token: string
  /** Budget of one attempt; sent as `X-Deadline-Ms` so the worker gives up at the same time. */
  timeoutMs: number
  probeTimeoutMs?: number
  now?: () => number
  random?: () => number
}

export interface WorkerCall {
  method: 'GET' | 'POST'
  path: string
  requestId: string
  body?: Uint8Array
  headers?: Record<string, string>
}

/** A worker's answer below 500, read whole (so `outstanding` covers the transfer). */
export interface WorkerReply {
  status: number
  body: string
}

/** A worker's answer below 500 whose body is still to be read: a file passed on to the client as it comes. */
export interface WorkerStream {
  status: number
  headers: Headers
  body: ReadableStream<Uint8Array> | null
}

interface WorkerState {
  url: string
  outstanding: number
  /** Down: no traffic until a `/readyz` probe passes. */
  down: boolean
  /**
   * Failures (calls and probes) since the worker last answered a call. A passing probe leaves them: a worker
   * that passes `/readyz` but fails its calls (flapping) keeps its backoff, not re-admitted every 0.1 s.
   */
  failures: number
  nextProbeAt: number
  probe?: Promise<void>
}

// The backoff stops at 1 s: a restarted worker gets traffic within a second of its /readyz passing (a cooldown
// doubling to 10 s kept it idle for 5-8 s), at the cost of one small GET a second per isolate while it is down.
const FIRST_PROBE_DELAY_MS = 100
const MAX_PROBE_DELAY_MS = 1000

type AttemptOutcome<T> = { reply: T } | { failure: 'timeout' | 'unreachable'; retryAfter?: string }

/**
 * The GPU workers behind the edge: power-of-two-choices on outstanding calls among healthy workers, passive
 * failure tracking, `/readyz` probes with exponential backoff (0.1 s doubling to 1 s) while a worker is down,
 * re-admission on the first passing probe, and one retry on another worker after a connect error, 5xx or
 * timeout.
 */
export class WorkerPool {
  readonly #workers: WorkerState[]
  readonly #options: Required<WorkerPoolOptions>

  constructor(options: WorkerPoolOptions) {
    this.#options = { probeTimeoutMs: 1000, now: Date.now, random: Math.random, ...options }
    this.#workers = options.urls.map((url) => ({
      url: url.replace(/\/+$/, ''),
      outstanding: 0,
      down: false,
      failures: 0,
      nextProbeAt: 0,
    }))
  }

  call(call: WorkerCall): Promise<WorkerReply> {
    return this.#route(call, async (response) => ({ status: response.status, body: await response.text() }))
  }

  /**
   * As `call`, but the answer's body is handed over unread: the deadline covers the worker's headers, not the
   * transfer, and the worker counts as busy until then only.
   */
  open(call: WorkerCall): Promise<WorkerStream> {
    return this.#route(call, async ({ status, headers, body }) => ({ status, headers, body }))
  }

  async #route<T>(call: WorkerCall, read: (response: Response) => Promise<T>): Promise<T> {
    const tried = new Set<WorkerState>()
    let timedOut = false
    let retryAfter: string | undefined
    for (let attempt = 0; attempt < 2; attempt++) {
      const worker = await this.#pick(tried)
      if (!worker) break
      tried.add(worker)
      const outcome = await this.#attempt(worker, call, read)
      if ('reply' in outcome) return outcome.reply
      timedOut ||= outcome.failure === 'timeout'
      retryAfter = outcome.retryAfter ?? retryAfter
    }
    if (timedOut) throw new ProblemError('worker_timeout', 'The explanation took too long.')
    throw new ProblemError('no_worker_available', 'Every GPU worker is down or busy.', {
      headers: { 'Retry-After': retryAfter ?? String(this.#secondsUntilRecovery()) },
    })
  }

  async #attempt<T>(
    worker: WorkerState,
    call: WorkerCall,
    read: (response: Response) => Promise<T>,
  ): Promise<AttemptOutcome<T>> {
    worker.outstanding++
    const deadline = new AbortController()
    const timer = setTimeout(
      () => deadline.abort(new DOMException('worker deadline', 'TimeoutError')),
      this.#options.timeoutMs,
    )
    try {
      const response = await fetch(worker.url + call.path, {
        method: call.method,
        body: call.body,
        headers: {
          ...call.headers,
          Authorization: `Bearer ${this.#options.token}`,
          'X-Request-Id': call.requestId,
          'X-Deadline-Ms': String(this.#options.timeoutMs),
        },
        signal: deadline.signal,
      })
      // 401 means this worker does not share our token: as unusable as a crashed one.
      if (response.status >= 500 || response.status === 401) {
        await response.body?.cancel()
        this.#markFailed(worker)
        if (response.status === 401)
          console.error(
            JSON.stringify({
              requestId: call.requestId,
              worker: worker.url,
              error: 'worker rejected the worker token',
            }),
          )
        return {
          failure: response.status === 504 ? 'timeout' : 'unreachable',
          retryAfter: response.headers.get('Retry-After') ?? undefined,
        }
      }
      const reply = await read(response)
      worker.down = false
      worker.failures = 0
      return { reply }
    } catch (error) {
      this.#markFailed(worker)
      return { failure: error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'unreachable' }
    } finally {
      clearTimeout(timer)
      worker.outstanding--
    }
  }

  async #pick(exclude: Set<WorkerState>): Promise<WorkerState | undefined> {
    const now = this.#options.now()
    const candidates = this.#workers.filter((w) => !exclude.has(w))
    await Promise.all(candidates.filter((w) => w.down && w.nextProbeAt <= now).map((w) => this.#probe(w)))
    const healthy = candidates.filter((w) => !w.down)
    if (healthy.length <= 1) return healthy[0]
    const random = this.#options.random
    const a = Math.floor(random() * healthy.length)
    const b = (a + 1 + Math.floor(random() * (healthy.length - 1))) % healthy.length
    const [first, second] = [healthy[a] as WorkerState, healthy[b] as WorkerState]
    return second.outstanding < first.outstanding ? second : first
  }

  /** One `/readyz` probe per down worker at a time, shared by concurrent requests; the first pass re-admits. */
  #probe(worker: WorkerState): Promise<void> {
    worker.probe ??= fetch(`${worker.url}/readyz`, {
      signal: AbortSignal.timeout(this.#options.probeTimeoutMs),
    })
      .then(
        (response) => {
          if (response.ok) worker.down = false
          else this.#markFailed(worker)
          return response.body?.cancel()
        },
        () => this.#markFailed(worker),
      )
      .finally(() => {
        worker.probe = undefined
      })
    return worker.probe
  }

  #markFailed(worker: WorkerState) {
    worker.down = true
    worker.failures++
    const nextProbeMs = Math.min(MAX_PROBE_DELAY_MS, FIRST_PROBE_DELAY_MS * 2 ** (worker.failures - 1))
    worker.nextProbeAt = this.#options.now() + nextProbeMs
    console.warn(
      JSON.stringify({ worker: worker.url, event: 'worker down', failures: worker.failures, nextProbeMs }),
    )
  }

  #secondsUntilRecovery() {
    const next = Math.min(...this.#workers.filter((w) => w.down).map((w) => w.nextProbeAt))
    return Number.isFinite(next) ? Math.max(1, Math.ceil((next - this.#options.now()) / 1000)) : 1
  }
}
