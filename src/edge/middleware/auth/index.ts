import type { MiddlewareHandler } from 'hono'
import { ProblemError } from '../../../shared/problem'
import type { EdgeContext } from '../../context'
import { sha256Hex } from '../../crypto'

/** What `API_KEYS` holds under the SHA-256 of a key; the key itself is never stored. */
export interface ApiKeyRecord {
  name: string
  createdAt: string
}

export interface AuthOptions {
  /** Seconds a PoP may serve a key lookup from its local KV cache (bounds how long a revoked key lingers). */
  cacheTtlSeconds?: number
}

const unauthorized = (detail: string) =>
  new ProblemError('unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } })

/** Bearer API-key auth against hashed keys in KV. */
export function apiKeyAuth({ cacheTtlSeconds = 60 }: AuthOptions = {}): MiddlewareHandler<EdgeContext> {
  return async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')
    if (!match?.[1]) throw unauthorized('Send `Authorization: Bearer <api-key>`.')
    const keyId = await sha256Hex(match[1])
    const record = await c.env.API_KEYS.get<ApiKeyRecord>(keyId, { type: 'json', cacheTtl: cacheTtlSeconds })
    if (!record) throw unauthorized('Unknown API key.')
    c.set('apiKeyId', keyId)
    await next()
  }
}
