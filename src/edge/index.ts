import { DurableObject } from 'cloudflare:workers'
import { app } from './app'
import type { Env } from './env'

export { RateLimiter } from './middleware/rateLimit/rateLimiter'

/**
 * Placeholder for the batch-jobs issue, which replaces it with the real tracker: wrangler.toml binds JOBS
 * to this class name, and workerd refuses to start while a bound class is missing.
 */
export class JobTracker extends DurableObject<Env> {}

/** The Worker: the HTTP API; the batch-jobs issue adds `queue` (job items) here. */
export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>
