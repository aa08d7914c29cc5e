import { DurableObject } from 'cloudflare:workers'

export interface RateDecision {
  allowed: boolean
  remaining: number
  /** Whole seconds until one more request would be allowed (0 when allowed). */
  retryAfterSeconds: number
}

/**
 * One token bucket per API key. A Durable Object gives one exact, global counter per key with a precise
 * Retry-After; KV is eventually consistent (limits leak across PoPs) and the Rate Limiting binding answers
 * only yes/no with a fixed limit in wrangler.toml. The bucket lives in memory: if the object is evicted the
 * key simply starts with a full bucket again, which is harmless for a limiter.
 */
export class RateLimiter extends DurableObject {
  #tokens = -1
  #updatedAt = 0

  take(limitPerMinute: number, now = Date.now()): RateDecision {
    const refillPerMs = limitPerMinute / 60_000
    this.#tokens =
      this.#tokens < 0
        ? limitPerMinute
        : Math.min(limitPerMinute, this.#tokens + (now - this.#updatedAt) * refillPerMs)
    this.#updatedAt = now
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return { allowed: true, remaining: Math.floor(this.#tokens), retryAfterSeconds: 0 }
    }
    return {
      allowed: false,
      remaining: 0,
      retryAfterSeconds: Math.ceil((1 - this.#tokens) / refillPerMs / 1000),
    }
  }
}
