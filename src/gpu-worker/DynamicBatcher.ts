import { ProblemError } from '../shared/problem'

export interface BatcherOptions {
  /** Most requests run together in one call. */
  maxBatch: number
  /** Longest a request waits for others to join its batch. */
  maxDelayMs: number
  /** Most requests waiting; beyond it `submit` fails fast with 503 instead of queueing forever. */
  maxQueue: number
  /**
   * Requests on their way to `submit` (being decoded). When none are, waiting cannot grow the batch, so it
   * runs at once: a lone request pays no batching delay. Without this hint every batch waits out the delay.
   */
  arriving?: () => number
  /** Observes every batch run (metrics). */
  onBatch?: (size: number, durationMs: number) => void
}

interface Waiting<I, O> {
  input: I
  enqueuedAt: number
  resolve: (output: O) => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
  onAbort: () => void
}

/**
 * Gathers requests for one model into batches run by ONE call of `runBatch` (one `session.run`), and hands
 * each caller its own output. One batch runs at a time: the accelerator is serial anyway, and requests that
 * arrive meanwhile form the next batch.
 */
export class DynamicBatcher<I, O> {
  readonly #runBatch: (inputs: I[]) => Promise<O[]>
  readonly #options: BatcherOptions
  readonly #queue: Waiting<I, O>[] = []
  #timer: NodeJS.Timeout | undefined
  #running = false

  constructor(runBatch: (inputs: I[]) => Promise<O[]>, options: BatcherOptions) {
    this.#runBatch = runBatch
    this.#options = options
  }

  get queueDepth(): number {
    return this.#queue.length
  }

  /** Resolves with this input's output; rejects with `signal.reason` as soon as the signal aborts. */
  submit(input: I, signal?: AbortSignal): Promise<O> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(
        new ProblemError('overloaded', `queue is full (${this.#options.maxQueue} waiting)`, {
          retryAfter: 1,
        }),
      )
    }
    return new Promise<O>((resolve, reject) => {
      const waiting: Waiting<I, O> = {
        input,
        enqueuedAt: performance.now(),
        resolve,
        reject,
        signal,
        // Leaves the queue, or, once in flight, drops its result: the batch itself carries on.
        onAbort: () => {
          const at = this.#queue.indexOf(waiting)
          if (at >= 0) this.#queue.splice(at, 1)
          reject(signal?.reason)
        },
      }
      signal?.addEventListener('abort', waiting.onAbort, { once: true })
      this.#queue.push(waiting)
      this.#schedule()
    })
  }

  #schedule(): void {
    const oldest = this.#queue[0]
    if (this.#running || !oldest) return
    clearTimeout(this.#timer)
    const wait = oldest.enqueuedAt + this.#options.maxDelayMs - performance.now()
    const nobodyComing = this.#options.arriving?.() === 0
    if (this.#queue.length >= this.#options.maxBatch || wait <= 0 || nobodyComing) {
      this.#timer = undefined
      void this.#run()
    } else {
      this.#timer = setTimeout(() => void this.#run(), wait)
    }
  }

  async #run(): Promise<void> {
    const batch = this.#queue.splice(0, this.#options.maxBatch)
    if (batch.length === 0) return
    this.#running = true
    const started = performance.now()
    try {
      const outputs = await this.#runBatch(batch.map((w) => w.input))
      for (const [i, w] of batch.entries()) w.resolve(outputs[i] as O)
    } catch (err) {
      for (const w of batch) w.reject(err)
    } finally {
      for (const w of batch) w.signal?.removeEventListener('abort', w.onAbort)
      this.#running = false
      this.#options.onBatch?.(batch.length, performance.now() - started)
      this.#schedule()
    }
  }
}
