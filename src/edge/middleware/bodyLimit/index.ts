import type { MiddlewareHandler } from 'hono'
import { ProblemError } from '../../../shared/problem'
import { BODY_IDLE_MS, bodyTimeout, readWithin, withIdleDeadline } from '../../body/bodyDeadline'
import { declaredLength, payloadTooLarge } from '../../body/bodyLength'
import type { EdgeContext } from '../../context'

const bodyNotAllowed = (method: string) =>
  new ProblemError(
    'body_not_allowed',
    `A ${method} request carries no body; send its parameters in the query.`,
  )

export interface BodyLimitOptions {
  /** A body that sends nothing for this long is answered 408 instead of being waited on for ever. */
  idleMs?: number
  /** How much more of an oversized chunked body is read and dropped before the 413 (see `refuse`). */
  drainBytes?: number
}

/**
 * The request body, safely: over `MAX_BODY_BYTES` is 413, by Content-Length before reading, otherwise
 * counted while streaming (an oversized chunked body is cut off at the limit instead of being buffered
 * whole); a body that stops arriving is 408; a GET or HEAD with a body is 400.
 */
export function bodyLimit({
  idleMs = BODY_IDLE_MS,
  drainBytes = 64 * 2 ** 20,
}: BodyLimitOptions = {}): MiddlewareHandler<EdgeContext> {
  return async (c, next) => {
    const body = c.req.raw.body
    const declared = declaredLength(c.req)
    if (!body || declared === 0) return next()
    // Rebuilding such a request throws in the runtime (a 500 before); the query carries what a GET asks.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') throw bodyNotAllowed(c.req.method)
    const maxBytes = c.var.services.settings.MAX_BODY_BYTES
    if (declared !== undefined) {
      if (declared > maxBytes) throw payloadTooLarge(maxBytes)
      const guarded = withIdleDeadline(body, idleMs)
      c.req.raw = new Request(c.req.raw, { body: guarded.body })
      await next()
      if (guarded.timedOut()) throw bodyTimeout(idleMs)
      return
    }
    const reader = body.getReader()
    const bytes = await readAtMost(reader, maxBytes, idleMs).catch(async (error: unknown) => {
      if (error instanceof ProblemError && error.status === 413) await refuse(reader, drainBytes, idleMs)
      else await reader.cancel().catch(() => {})
      throw error
    })
    c.req.raw = new Request(c.req.raw, { body: bytes })
    return next()
  }
}

/** The whole body if it is at most `maxBytes`, else 413 at the first chunk over. */
async function readAtMost(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  idleMs: number,
): Promise<Uint8Array> {
  let buffer = new Uint8Array(0)
  let size = 0
  for (;;) {
    const { done, value } = await readWithin(reader, idleMs)
    if (done) return buffer.subarray(0, size)
    if (size + value.byteLength > maxBytes) throw payloadTooLarge(maxBytes)
    if (size + value.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(
        Math.min(maxBytes, Math.max(size + value.byteLength, buffer.byteLength * 2)),
      )
      grown.set(buffer.subarray(0, size))
      buffer = grown
    }
    buffer.set(value, size)
    size += value.byteLength
  }
}

/**
 * Ends an oversized body before its 413. A body the Worker has half read and then left (or cancelled) breaks
 * the HTTP/1.1 connection it came on: under `wrangler dev` the dev proxy reused that connection for the next
 * request of any client and answered it with its own 503 "Your worker restarted mid-request". So the rest
 * is read and dropped, kept in no buffer, up to `drainBytes` and while it keeps coming; past that it is
 * cancelled.
 */
async function refuse(reader: ReadableStreamDefaultReader<Uint8Array>, drainBytes: number, idleMs: number) {
  try {
    for (let drained = 0; drained < drainBytes; ) {
      const { done, value } = await readWithin(reader, idleMs)
      if (done) return
      drained += value.byteLength
    }
  } catch {}
  await reader.cancel().catch(() => {})
}
