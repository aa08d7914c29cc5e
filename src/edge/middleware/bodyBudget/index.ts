import type { MiddlewareHandler } from 'hono'
import { declaredLength } from '../../body/bodyLength'
import type { EdgeContext } from '../../context'

/**
 * Keeps the bytes one isolate buffers at once under `MAX_BUFFERED_BODY_BYTES`: a Worker isolate has 128 MB, and
 * an explain holds its whole image (for its hash and the hop to a GPU worker) until it is answered. The request's
 * hold (`bodyHold`) takes its body before it is read — its Content-Length, or `MAX_BODY_BYTES` when chunked — and
 * a route takes from it the image a body names (an upload, an `imageUrl`); all of it is given back once the
 * response is built. What does not fit now is refused with 503 and `Retry-After`, unread.
 */
export function bodyBudget(): MiddlewareHandler<EdgeContext> {
  return async (c, next) => {
    const { settings, heldBodies } = c.var.services
    const hold = heldBodies.hold(settings.MAX_BUFFERED_BODY_BYTES)
    c.set('bodyHold', hold)
    try {
      if (c.req.raw.body) {
        const declared = declaredLength(c.req)
        hold.take(declared !== undefined && declared >= 0 ? declared : settings.MAX_BODY_BYTES)
      }
      await next()
    } finally {
      hold.release()
    }
  }
}
