import type { JobTracker } from './jobs/JobTracker'
import type { RateLimiter } from './middleware/rateLimit/rateLimiter'

/** Every binding of the edge Worker, as declared in wrangler.toml. */
export interface Env {
  API_KEYS: KVNamespace
  EXPLANATION_CACHE: KVNamespace
  BLOBS: R2Bucket
  JOBS: DurableObjectNamespace<JobTracker>
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>
  JOB_ITEMS: Queue
  WORKER_URLS: string
  /** The API's origin as clients reach it (`https://api.example.com`): every link in an answer starts with it. */
  PUBLIC_BASE_URL: string
  WORKER_TOKEN: string
  UPLOAD_SIGNING_SECRET: string
  MAX_BODY_BYTES: string
  /** Request-body bytes one isolate buffers at once (the middleware bodyBudget); over it, 503 + Retry-After. */
  MAX_BUFFERED_BODY_BYTES: string
  CACHE_TTL_SECONDS: string
  WORKER_TIMEOUT_MS: string
  RATE_LIMIT_PER_MINUTE: string
  IMAGE_FETCH_TIMEOUT_MS: string
  ALLOW_LOOPBACK_HTTP: string
  UPLOAD_URL_TTL_SECONDS: string
  UPLOAD_RETENTION_SECONDS: string
  JOB_ITEM_MAX_ATTEMPTS: string
  JOB_ITEM_RETRY_BASE_SECONDS: string
  JOB_ITEM_LEASE_SECONDS: string
  JOB_RETENTION_SECONDS: string
  WEBHOOK_TIMEOUT_MS: string
  WEBHOOK_RETRY_SCHEDULE: string
  /** The key the demo page at `/` calls the API with; `npm start` sets its development key, production none. */
  DEMO_API_KEY?: string
}
