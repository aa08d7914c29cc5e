import { ProblemError } from '../shared/problem'

interface Waiter {
  grant: () => void
  signal: AbortSignal | undefined
  onAbort: () => void
}

/**
 * At most `slots` holders at once, the others waiting in arrival order, at most `maxWaiting` of them; beyond
 * that a request is refused at once (503 + Retry-After), and one whose signal aborts leaves the line.
 */
export class WorkSlots {
  readonly #slots: number
  readonly #maxWaiting: number
  readonly #what: string
  readonly #waiting: Waiter[] = []
  #active = 0

  constructor(slots: number, maxWaiting: number, what: string) {
    this.#slots = slots
    this.#maxWaiting = maxWaiting
    this.#what = what
  }

  get active(): number {
    return this.#active
  }

  get waiting(): number {
    return this.#waiting.length
  }

  /** Resolves with the function that frees the slot (once); rejects with `signal.reason` if it aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#active < this.#slots) return Promise.resolve(this.#take())
    if (this.#waiting.length >= this.#maxWaiting) {
      return Promise.reject(
        new ProblemError(
          'overloaded',
          `${this.#what}: ${this.#active} at work and ${this.#waiting.length} waiting, the most this worker takes`,
          { retryAfter: 1 },
        ),
      )
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => resolve(this.#take()),
        signal,
        onAbort: () => {
          this.#waiting.splice(this.#waiting.indexOf(waiter), 1)
          reject(signal?.reason)
        },
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true })
      this.#waiting.push(waiter)
    })
  }

  #take(): () => void {
    this.#active++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#active--
      const next = this.#waiting.shift()
      if (!next) return
      next.signal?.removeEventListener('abort', next.onAbort)
      next.grant()
    }
  }
}
