import { z } from 'zod'
import { formatIssues, quoted } from '../shared/issues'

const wholeNumber = z.string().regex(/^\d+$/, 'expected a whole number').transform(Number)
const positive = wholeNumber.refine((value) => value > 0, 'expected a number above 0')
const flag = z
  .enum(['true', 'false'], { error: 'expected true or false' })
  .transform((value) => value === 'true')
const commaSeparated = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)

/** An origin only (`https://api.example.com`): the routes, and the signed upload path, sit at its root. */
const origin = z.string().transform((text, ctx) => {
  const url = URL.canParse(text) ? new URL(text) : undefined
  const bare =
    url &&
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    !url.username &&
    !url.password &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash
  if (bare) return url.origin
  ctx.addIssue({
    code: 'custom',
    message: `must be the API's origin, such as https://api.example.com; got ${quoted(text)}`,
  })
  return z.NEVER
})

/**
 * Every setting of the edge: `[vars]` of wrangler.toml and the secrets. One schema validates and types them,
 * parsed once per isolate (`servicesOf`); modules receive the typed values, never the raw strings of `Env`.
 */
export const settingsSchema = z
  .object({
    /** The GPU worker pool: comma-separated base URLs. */
    WORKER_URLS: z
      .string()
      .transform(commaSeparated)
      .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1, 'name at least one GPU worker')),
    /** Bearer token of every edge → worker call (secret). */
    WORKER_TOKEN: z.string().min(1, 'the secret is not set'),
    /** Budget of one worker attempt, sent as `X-Deadline-Ms`. */
    WORKER_TIMEOUT_MS: positive,
    /** The API's origin as clients reach it: every link in an answer starts with it, never with the request's Host. */
    PUBLIC_BASE_URL: origin,
    /** Key of the signed upload URLs' HMAC (secret). */
    UPLOAD_SIGNING_SECRET: z.string().min(1, 'the secret is not set'),
    MAX_BODY_BYTES: positive,
    /** Request-body bytes one isolate holds at once (bodyBudget); over it, 503 + Retry-After. */
    MAX_BUFFERED_BODY_BYTES: positive,
    CACHE_TTL_SECONDS: positive,
    RATE_LIMIT_PER_MINUTE: positive,
    IMAGE_FETCH_TIMEOUT_MS: positive,
    /** DNS over HTTPS (JSON API) that `imageUrl` and webhook host names are resolved with before they are called. */
    DNS_RESOLVER_URL: z.url({ protocol: /^https?$/ }),
    /** `imageUrl` and webhooks may use http on loopback (the local stack only). */
    ALLOW_LOOPBACK_HTTP: flag,
    UPLOAD_URL_TTL_SECONDS: positive,
    UPLOAD_RETENTION_SECONDS: positive,
    JOB_ITEM_MAX_ATTEMPTS: positive,
    JOB_ITEM_RETRY_BASE_SECONDS: wholeNumber,
    JOB_ITEM_LEASE_SECONDS: positive,
    JOB_RETENTION_SECONDS: positive,
    WEBHOOK_TIMEOUT_MS: positive,
    /** Seconds to wait after failed delivery attempt 1, 2, …; after the last one the delivery is failed. */
    WEBHOOK_RETRY_SCHEDULE: z
      .string()
      .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, 'expected comma-separated seconds')
      .transform((text) => commaSeparated(text).map(Number)),
    /**
     * The key the demo page at `/` calls the API with (`GET /demo/config`): `npm start` sets the development key.
     * The local stack only: it is refused without ALLOW_LOOPBACK_HTTP, so that no deployment hands out a key.
     */
    DEMO_API_KEY: z.string().min(1).optional(),
  })
  .refine((settings) => settings.DEMO_API_KEY === undefined || settings.ALLOW_LOOPBACK_HTTP, {
    path: ['DEMO_API_KEY'],
    message: 'is for the local stack only (ALLOW_LOOPBACK_HTTP=true); a deployed page asks for a key',
  })

export type EdgeSettings = z.infer<typeof settingsSchema>

/** The settings in `env`, or an error naming each bad one (a secret's value is never quoted). */
export function parseSettings(env: object): EdgeSettings {
  const parsed = settingsSchema.safeParse(env)
  if (!parsed.success) throw new Error(`invalid edge settings: ${formatIssues(parsed.error)}`)
  return parsed.data
}
