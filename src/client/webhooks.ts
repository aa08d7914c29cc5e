import { fromBase64 } from '../shared/base64'
import { WebhookVerificationError } from './errors'
import type { WebhookEvent } from './types'

/** A delivery's headers: a fetch `Headers`, or a plain record such as Node's `request.headers`. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | readonly string[] | undefined>

/** How `verifyWebhook` judges a delivery. */
export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, in seconds (default 300, the Standard Webhooks value). */
  toleranceSeconds?: number
}

const SECRET_PREFIX = 'whsec_'
const DEFAULT_TOLERANCE_SECONDS = 300

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined
  const record = headers as Record<string, string | readonly string[] | undefined>
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name)
  const value = key === undefined ? undefined : record[key]
  return typeof value === 'string' ? value : value?.[0]
}

const decodeOrUndefined = (text: string) => {
  try {
    return fromBase64(text) as Uint8Array<ArrayBuffer>
  } catch {
    return undefined
  }
}

/**
 * Verifies a job webhook per Standard Webhooks (https://www.standardwebhooks.com) and returns its event.
 * `body` must be the raw body as received: re-serialised JSON does not verify. The signature is an
 * HMAC-SHA256 of `webhook-id.webhook-timestamp.body` under the job's `webhookSecret`, checked with WebCrypto
 * (constant time); the timestamp must be within `toleranceSeconds` of now, which bounds replays. Receivers
 * still dedupe on `webhook-id`: deliveries are at least once.
 *
 * @throws {WebhookVerificationError} on a missing header, a stale or future timestamp, or no matching signature.
 */
export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array | ArrayBuffer,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = headerOf(headers, 'webhook-id')
  const timestamp = headerOf(headers, 'webhook-timestamp')
  const signatures = headerOf(headers, 'webhook-signature')
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header')
  }
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is not within ${tolerance} s of now`)
  }
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body)
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`)
  const signed = new Uint8Array(prefix.length + bytes.length)
  signed.set(prefix)
  signed.set(bytes, prefix.length)
  const rawSecret = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  const key = await crypto.subtle.importKey(
    'raw',
    fromBase64(rawSecret) as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  // Several signatures (space-separated, `v1,<base64>`) while a secret is being rotated; any one suffices.
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',', 2)
    const mac = version === 'v1' && signature ? decodeOrUndefined(signature) : undefined
    if (mac && (await crypto.subtle.verify('HMAC', key, mac, signed))) {
      return JSON.parse(new TextDecoder().decode(bytes)) as WebhookEvent
    }
  }
  throw new WebhookVerificationError('No webhook-signature matches the body')
}
