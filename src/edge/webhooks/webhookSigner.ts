import { fromBase64, randomBytes, toBase64 } from '../../shared/base64'

/** Standard Webhooks signing (https://www.standardwebhooks.com): `whsec_` + base64 key, HMAC-SHA256. */

const PREFIX = 'whsec_'

export function newWebhookSecret(): string {
  return PREFIX + toBase64(randomBytes(32))
}

/** The three headers of one delivery attempt; the timestamp is the attempt's, so receivers can bound replay. */
export async function signWebhook(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  const key = await crypto.subtle.importKey(
    'raw',
    fromBase64(secret.slice(PREFIX.length)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const signed = new TextEncoder().encode(`${messageId}.${timestampSeconds}.${body}`)
  const mac = await crypto.subtle.sign('HMAC', key, signed)
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${toBase64(mac)}`,
  }
}
