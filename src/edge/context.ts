import type { RequestIdVariables } from 'hono/request-id'
import type { BodyHold } from './body/heldBodies'
import type { EdgeServices } from './services'

/** The Hono context of the edge, typed once: bindings plus what the middlewares establish. */
export type EdgeContext = {
  /** As wrangler.toml declares them: `npm run types` generates `Env` (worker-configuration.d.ts). */
  Bindings: Env
  Variables: RequestIdVariables & {
    /** The isolate's settings and services (middleware/services). */
    services: EdgeServices
    /** SHA-256 of the caller's API key: what rate limits and logs refer to, never the key itself. */
    apiKeyId: string
    /** This request's share of the isolate's byte budget (middleware/bodyBudget), on `/v1/*`. */
    bodyHold: BodyHold
  }
}
