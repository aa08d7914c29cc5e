import type { MiddlewareHandler } from 'hono'
import { ProblemError } from '../../../shared/problem'
import type { EdgeContext } from '../../context'

/** Per-API-key rate limit (runs after auth); the limit is the setting `RATE_LIMIT_PER_MINUTE`. */
export function rateLimit(): MiddlewareHandler<EdgeContext> {
  return async (c, next) => {
    const limit = c.var.services.settings.RATE_LIMIT_PER_MINUTE
    const limiter = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(c.get('apiKeyId')))
    const decision = await limiter.take(limit)
    c.header('RateLimit-Limit', String(limit))
    c.header('RateLimit-Remaining', String(decision.remaining))
    if (!decision.allowed) {
      throw new ProblemError('rate_limited', `This API key may send ${limit} requests per minute.`, {
        retryAfter: decision.retryAfterSeconds,
      })
    }
    await next()
  }
}
