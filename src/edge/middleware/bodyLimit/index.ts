import type { MiddlewareHandler } from 'hono'
import { bodyLimit as honoBodyLimit } from 'hono/body-limit'
import type { EdgeContext } from '../../context'
import { ProblemError } from '../../problem/problem'

export const payloadTooLarge = (maxBytes: number) =>
  new ProblemError(413, 'payload_too_large', 'Payload too large', `The body limit is ${maxBytes} bytes.`)

/**
 * Rejects bodies over `MAX_BODY_BYTES`: by Content-Length before reading, otherwise while streaming, so an
 * oversized chunked upload is cut off at the limit instead of being buffered whole.
 */
export function bodyLimit(): MiddlewareHandler<EdgeContext> {
  return (c, next) => {
    const maxSize = Number(c.env.MAX_BODY_BYTES)
    return honoBodyLimit({
      maxSize,
      onError: () => {
        throw payloadTooLarge(maxSize)
      },
    })(c, next)
  }
}
