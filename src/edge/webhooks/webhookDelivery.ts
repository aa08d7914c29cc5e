import { resolvedHostRefusal } from '../security/hostResolver'
import type { EdgeSettings } from '../settings'
import { signWebhook } from './webhookSigner'
import { webhookUrlRefusal } from './webhookUrl'

export interface WebhookMessage {
  url: string
  secret: string
  /** Stable across retries: receivers dedupe on it (at-least-once delivery). */
  messageId: string
  body: string
  /** When this attempt is made (epoch ms): its `webhook-timestamp`. */
  at: number
}

export interface DeliveryOutcome {
  ok: boolean
  responseStatus?: number
  error?: string
}

/**
 * One signed POST attempt. Only a 2xx counts as delivered; redirects are not followed (a 3xx is a failure,
 * so a receiver cannot bounce the call to an address the URL rules forbid), and the answer body is ignored.
 */
export async function deliverWebhook(
  settings: Pick<EdgeSettings, 'ALLOW_LOOPBACK_HTTP' | 'WEBHOOK_TIMEOUT_MS' | 'DNS_RESOLVER_URL'>,
  message: WebhookMessage,
): Promise<DeliveryOutcome> {
  const refusal = webhookUrlRefusal(message.url, settings.ALLOW_LOOPBACK_HTTP)
  if (refusal) return { ok: false, error: refusal }
  const timeoutMs = settings.WEBHOOK_TIMEOUT_MS
  const signal = AbortSignal.timeout(timeoutMs)
  const resolved = await resolvedHostRefusal(new URL(message.url), {
    resolverUrl: settings.DNS_RESOLVER_URL,
    allowLoopbackHttp: settings.ALLOW_LOOPBACK_HTTP,
    signal,
  })
  if (resolved) return { ok: false, error: 'refused' in resolved ? resolved.refused : resolved.unresolved }
  const headers = await signWebhook(
    message.secret,
    message.messageId,
    Math.floor(message.at / 1000),
    message.body,
  )
  try {
    const response = await fetch(message.url, {
      method: 'POST',
      body: message.body,
      redirect: 'manual',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 't-tame-webhooks/1', ...headers },
      signal,
    })
    await response.body?.cancel()
    return { ok: response.ok, responseStatus: response.status }
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError'
    return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : 'connection failed' }
  }
}
