import { ProblemError } from '../shared/problem'

/**
 * Pixels of work the worker holds at once, across requests (overlays: their rasters are what grows with the
 * photo). A request reserves what it needs before any of that work; one that cannot be afforded now is
 * refused at once (503 + Retry-After) instead of queueing behind the others, one that never could gets 422.
 */
export class PixelBudget {
  readonly capacity: number
  #inUse = 0

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get inUse(): number {
    return this.#inUse
  }

  /** Reserves `pixels` for `what` (named in a refusal); the returned function gives them back, once. */
  reserve(pixels: number, what: string): () => void {
    if (pixels > this.capacity) {
      throw new ProblemError(
        'image_too_large',
        `${what} needs ${pixels} pixels of work, more than this worker's budget of ${this.capacity}`,
      )
    }
    if (this.#inUse + pixels > this.capacity) {
      throw new ProblemError(
        'overloaded',
        `${what} needs ${pixels} pixels of work; ${this.#inUse} of this worker's ${this.capacity} are in use`,
        { retryAfter: 1 },
      )
    }
    this.#inUse += pixels
    let released = false
    return () => {
      if (released) return
      released = true
      this.#inUse -= pixels
    }
  }
}
