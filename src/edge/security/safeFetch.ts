import type { ImageBytes } from '../../shared/imageType'
import { ProblemError } from '../../shared/problem'
import { payloadTooLarge } from '../body/bodyLength'
import { urlRefusal } from './addressPolicy'
import { resolvedHostRefusal } from './hostResolver'

export interface SafeFetchOptions {
  maxBytes: number
  timeoutMs: number
  /** Local development only: lets `http://127.0.0.1/...` through (an image server next to the stack). */
  allowLoopbackHttp: boolean
  /** The DNS-over-HTTPS resolver that host names are checked with (DNS_RESOLVER_URL). */
  resolverUrl: string
  maxRedirects?: number
  /** Takes the image's bytes of the isolate's budget before they are read, or throws (`BodyHold.take`). */
  reserve: (bytes: number) => void
}

const rejected = (detail: string) => new ProblemError('image_url_rejected', detail)
const unreachable = (detail: string) => new ProblemError('image_url_unreachable', detail)

/** `raw` (resolved against `base`, a redirect's origin) as a URL the Security rules let us fetch. */
function checkUrl(raw: string, options: SafeFetchOptions, base?: URL): URL {
  let url: URL
  try {
    url = new URL(raw, base)
  } catch {
    throw rejected('Not a valid URL.')
  }
  const refusal = urlRefusal(url, options.allowLoopbackHttp)
  if (refusal) throw rejected(refusal)
  return url
}

/** Refuses `url` by the addresses its host resolves to now, before anything is sent to it. */
async function checkResolved(url: URL, options: SafeFetchOptions, signal: AbortSignal): Promise<void> {
  const verdict = await resolvedHostRefusal(url, { ...options, signal })
  if (verdict && 'refused' in verdict) throw rejected(verdict.refused)
  if (verdict) throw unreachable(verdict.unresolved)
}

async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw payloadTooLarge(maxBytes)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * Fetches a user-supplied image URL under the Security rules of the API (`addressPolicy.ts`): https only, no
 * special-purpose, local or metadata targets, by name and by every address the name resolves to
 * (`hostResolver.ts`), every redirect re-checked, one time budget and a size cap while streaming.
 */
export async function safeFetchImage(raw: string, options: SafeFetchOptions): Promise<ImageBytes> {
  const signal = AbortSignal.timeout(options.timeoutMs)
  let url = checkUrl(raw, options)
  for (let redirects = 0; ; redirects++) {
    await checkResolved(url, options, signal)
    let response: Response
    try {
      response = await fetch(url, { redirect: 'manual', signal, headers: { Accept: 'image/*' } })
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError'
      throw unreachable(
        timedOut ? `No answer within ${options.timeoutMs} ms.` : 'The image host could not be reached.',
      )
    }
    const location = response.headers.get('Location')
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel()
      if (redirects >= (options.maxRedirects ?? 3)) throw unreachable('Too many redirects.')
      url = checkUrl(location, options, url)
      continue
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel()
      throw unreachable(`The image host answered ${response.status}.`)
    }
    const length = Number(response.headers.get('Content-Length') ?? 0)
    try {
      if (length > options.maxBytes) throw payloadTooLarge(options.maxBytes)
      // Without a declared length the download may run up to the limit.
      options.reserve(length > 0 ? length : options.maxBytes)
    } catch (error) {
      await response.body.cancel()
      throw error
    }
    const bytes = await readLimited(response.body, options.maxBytes).catch((error: unknown) => {
      if (error instanceof ProblemError) throw error
      throw unreachable(`The image download did not finish within ${options.timeoutMs} ms.`)
    })
    return { bytes, contentType: response.headers.get('Content-Type') ?? '' }
  }
}
