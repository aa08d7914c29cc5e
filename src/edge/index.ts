import { app } from './app'
import { consumeJobItems } from './jobs/jobItemConsumer'
import type { JobItemMessage } from './jobs/jobModel'

export { JobTracker } from './jobs/JobTracker'
export { RateLimiter } from './middleware/rateLimit/rateLimiter'

/** The Worker: the HTTP API and the consumer of job items. */
export default {
  fetch: app.fetch,
  queue: consumeJobItems,
} satisfies ExportedHandler<Env, JobItemMessage>
