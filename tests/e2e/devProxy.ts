/**
 * `fetch` for requests to the local edge that carry a body. wrangler dev serves the edge through its ProxyWorker,
 * which forwards over a pool of keep-alive connections to the edge's workerd; kj closes an idle connection after
 * 5 s at both ends, so a request that takes one up at that instant is lost before it reaches the edge. The proxy
 * retries such a GET or HEAD itself and answers anything else with the 503 below (cloudflare/workers-sdk#14641;
 * measured by gap: docs/reliability.md). Production has no such hop, and the SDK retries any 503 after its
 * `Retry-After`; tests that call the edge directly repeat only this one.
 */

/** How wrangler dev's ProxyWorker words the 503 it answers when its forward to the edge failed. */
export const DEV_PROXY_LOST = 'Your worker restarted mid-request.'

/** A body `fetch` can send again (not a stream). */
export type ReplayableBody = string | Uint8Array | URLSearchParams | FormData | Blob
type ReplayableInit = Omit<RequestInit, 'body'> & { body?: ReplayableBody }

/**
 * The same race one hop earlier: the proxy (kj too) closes a keep-alive connection of the test's own fetch pool as
 * the pool reuses it, and fetch fails with ECONNRESET before any answer.
 */
const resetBeforeAnswer = (error: unknown) =>
  error instanceof TypeError && (error.cause as { code?: string } | undefined)?.code === 'ECONNRESET'

export async function edgeFetch(url: string | URL, init: ReplayableInit, attempts = 3): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let response: Response
    try {
      response = await fetch(url, init)
    } catch (error) {
      if (attempt < attempts && resetBeforeAnswer(error)) continue
      throw error
    }
    if (response.status !== 503 || attempt === attempts) return response
    if (!(await response.clone().text()).startsWith(DEV_PROXY_LOST)) return response
    await response.body?.cancel()
  }
}
