import type { MiddlewareHandler } from 'hono'
import { ProblemError } from '../../../shared/problem'
import { declaredLength } from '../../body/bodyLength'
import type { EdgeContext } from '../../context'

/**
 * Keeps the request bodies one isolate buffers at once under `MAX_BUFFERED_BODY_BYTES`: a Worker isolate has
 * 128 MB, and an explain holds its whole image (for its hash and the hop to a GPU worker) until it is answered.
 * A body is reserved before it is read — its Content-Length, or `MAX_BODY_BYTES` when chunked — and released
 * once the response is built; a request that does not fit now is refused with 503 and `Retry-After`, unread.
 */
export function bodyBudget(): MiddlewareHandler<EdgeContext> {
  return async (c, next) => {
    if (!c.req.raw.body) return next()
    const { settings, heldBodies } = c.var.services
    const declared = declaredLength(c.req)
    const cost = declared !== undefined && declared >= 0 ? declared : settings.MAX_BODY_BYTES
    const budget = settings.MAX_BUFFERED_BODY_BYTES
    const release = heldBodies.reserve(cost, budget)
    if (!release) {
      const detail = `This edge instance holds ${heldBodies.held} bytes of request bodies (limit ${budget}); try again.`
      throw new ProblemError('edge_busy', detail, { retryAfter: 1 })
    }
    try {
      await next()
    } finally {
      release()
    }
  }
}
