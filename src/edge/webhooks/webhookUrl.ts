import { ProblemError } from '../problem/problem'
import { blockedHostReason, isLoopback } from '../security/addressPolicy'

const rejected = (detail: string) =>
  new ProblemError(400, 'webhook_url_rejected', 'Webhook URL rejected', detail)

/**
 * Webhook targets follow the Security rules of imageUrl (the same address policy): https only, no private,
 * link-local or metadata hosts; http to loopback only where the local stack allows it.
 */
export function checkWebhookUrl(raw: string, allowLoopbackHttp: boolean): URL {
  const url = new URL(raw)
  if (url.username || url.password) throw rejected('URLs with credentials are not called.')
  if (
    allowLoopbackHttp &&
    isLoopback(url.hostname) &&
    (url.protocol === 'http:' || url.protocol === 'https:')
  ) {
    return url
  }
  if (url.protocol !== 'https:') throw rejected('Only https webhook URLs are called.')
  const reason = blockedHostReason(url.hostname)
  if (reason) throw rejected(`The URL points at ${reason}.`)
  return url
}
