import { ProblemError } from '../../shared/problem'

/**
 * What one request (or job item) holds of its isolate's budget: its body, and the image it names (an upload read
 * from R2, an `imageUrl` fetched). Everything it takes is given back at once by `release`.
 */
export interface BodyHold {
  /** Takes `bytes` more before they are read, or throws 503 `edge_busy` when they do not fit now. */
  take(bytes: number): void
  release(): void
}

/**
 * Image and request-body bytes one isolate buffers right now, against a budget (MAX_BUFFERED_BODY_BYTES): a
 * Worker isolate has 128 MB, and an explain holds its whole image until it is answered.
 */
export class HeldBodies {
  #held = 0

  get held(): number {
    return this.#held
  }

  /**
   * Reserves `cost` bytes, or refuses (false) when they would take the total over `budget`; a request alone (all
   * that is held is its own, `own`) is always admitted, whatever its size. The returned function gives them back.
   */
  reserve(cost: number, budget: number, own = 0): (() => void) | false {
    if (cost > 0 && this.#held > own && this.#held + cost > budget) return false
    this.#held += cost
    return () => {
      this.#held -= cost
    }
  }

  /** A hold of one request or job item against `budget`. */
  hold(budget: number): BodyHold {
    const releases: (() => void)[] = []
    let own = 0
    return {
      take: (bytes) => {
        const release = this.reserve(bytes, budget, own)
        if (!release) {
          const detail = `This edge instance holds ${this.#held} bytes of images and request bodies (limit ${budget}); try again.`
          throw new ProblemError('edge_busy', detail, { retryAfter: 1 })
        }
        own += bytes
        releases.push(release)
      },
      release: () => {
        for (const release of releases.splice(0)) release()
        own = 0
      },
    }
  }
}
