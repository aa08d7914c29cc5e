import type { Env } from '../env'
import { signWebhook } from './webhookSigner'
import { checkWebhookUrl } from './webhookUrl'

interface WebhookMessage {
  url: string
  secret: string
  /** Stable across retries: receivers dedupe on it (at-least-once delivery). */
  messageId: string
  body: string
}

interface DeliveryOutcome {
  ok: boolean
  responseStatus?: number
  error?: string
}

/**
 * One signed POST attempt. Only a 2xx counts as delivered; redirects are not followed (a 3xx is a failure,
 * so a receiver cannot bounce the call to an address the URL rules forbid), and the answer body is ignored.
 */
export async function deliverWebhook(env: Env, message: WebhookMessage): Promise<DeliveryOutcome> {
  let url: URL
  try {
    url = checkWebhookUrl(message.url, env.ALLOW_LOOPBACK_HTTP === 'true')
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : 'rejected' }
  }
  const timeoutMs = Number(env.WEBHOOK_TIMEOUT_MS)
  const headers = await signWebhook(
    message.secret,
    message.messageId,
    Math.floor(Date.now() / 1000),
    message.body,
  )
  try {
    const response = await fetch(url, {
      method: 'POST',
      body: message.body,
      redirect: 'manual',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 't-tame-webhooks/1', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    })
    await response.body?.cancel()
    return { ok: response.ok, responseStatus: response.status }
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError'
    return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : 'connection failed' }
  }
}
