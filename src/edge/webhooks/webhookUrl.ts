import { urlRefusal } from '../security/addressPolicy'

/**
 * Why a webhook target is refused, or undefined when it is allowed: the Security rules of imageUrl (the same
 * `urlRefusal`), checked when a job is created and again before each delivery.
 */
export function webhookUrlRefusal(raw: string, allowLoopbackHttp: boolean): string | undefined {
  if (!URL.canParse(raw)) return 'Not a valid URL.'
  return urlRefusal(new URL(raw), allowLoopbackHttp)
}
