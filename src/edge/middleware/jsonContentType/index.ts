import type { MiddlewareHandler } from 'hono'
import type { EdgeContext } from '../../context'
import { parseMediaType } from '../../explain/mediaType'

const JSON_TYPE = 'application/json'

/**
 * A JSON body's Content-Type in its one plain spelling before any route reads it: zod-openapi's body gate
 * refuses valid ones (`application/json;`, `application/json ; charset=utf-8`) with a 415, and JSON has no
 * parameters that change how it is read (RFC 8259 §11). Every other type is left as sent.
 */
export function jsonContentType(): MiddlewareHandler<EdgeContext> {
  return async (c, next) => {
    const header = c.req.header('Content-Type')
    if (header && header !== JSON_TYPE && parseMediaType(header)?.essence === JSON_TYPE) {
      const headers = new Headers(c.req.raw.headers)
      headers.set('Content-Type', JSON_TYPE)
      c.req.raw = new Request(c.req.raw, { headers })
    }
    await next()
  }
}
