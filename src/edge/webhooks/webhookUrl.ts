import { ProblemError } from '../../shared/problem'
import { urlRefusal } from '../security/addressPolicy'

const rejected = (detail: string) => new ProblemError('webhook_url_rejected', detail)

/** Webhook targets follow the Security rules of imageUrl: the same `urlRefusal`. */
export function checkWebhookUrl(raw: string, allowLoopbackHttp: boolean): URL {
  const url = new URL(raw)
  const refusal = urlRefusal(url, allowLoopbackHttp)
  if (refusal) throw rejected(refusal)
  return url
}
