import type { RequestIdVariables } from 'hono/request-id'
import type { Env } from './env'

/** The Hono context of the edge, typed once: bindings plus what the middlewares establish. */
export type EdgeContext = {
  Bindings: Env
  Variables: RequestIdVariables & {
    /** SHA-256 of the caller's API key: what rate limits and logs refer to, never the key itself. */
    apiKeyId: string
  }
}
