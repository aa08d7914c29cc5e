import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { ProblemError } from '../../shared/problem'

const digest = (s: string) => createHash('sha256').update(s).digest()

/** `Authorization: Bearer <WORKER_TOKEN>`, compared in constant time. */
export function bearerToken(token: string): MiddlewareHandler {
  const expected = digest(token)
  return async (c, next) => {
    const presented = c.req.header('Authorization')?.match(/^Bearer (.+)$/)?.[1]
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      throw new ProblemError('unauthorized', 'missing or invalid worker token')
    }
    await next()
  }
}
