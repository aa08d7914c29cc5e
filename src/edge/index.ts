import { app } from './app'
import type { JobItemMessage } from './jobs/itemDispatch'
import { consumeJobItems } from './jobs/jobItemConsumer'

export { JobTracker } from './jobs/JobTracker'
export { RateLimiter } from './middleware/rateLimit/rateLimiter'

/** The Worker: the HTTP API and the consumer of job items. */
export default {
  fetch: app.fetch,
  queue: consumeJobItems,
} satisfies ExportedHandler<Env, JobItemMessage>
