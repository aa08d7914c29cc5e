import { quoted } from '../../shared/issues'
import { blockedHostReason, isIpLiteral, isLoopback } from './addressPolicy'

/** A record type of the DNS JSON API: A (IPv4) or AAAA (IPv6). */
const ADDRESS_TYPES = { A: 1, AAAA: 28 } as const
/** DNS RCODEs: NOERROR; NXDOMAIN, the name does not exist. */
const NOERROR = 0
const NXDOMAIN = 3

interface DnsJsonAnswer {
  Status: number
  Answer?: { type: number; data: string; TTL?: number }[]
}

/** What a host name resolves to now: its addresses, or why there are none. */
export type Resolution = { addresses: string[] } | { unresolved: string }

/** The longest an answer is reused, whatever its TTL: a name that moves is judged anew within a minute. */
const MAX_REUSE_SECONDS = 60
/** Names remembered per isolate; the oldest answer goes first. */
const MAX_NAMES = 512
/** The longest one shared lookup may take; each caller still gives up at its own deadline. */
const LOOKUP_TIMEOUT_MS = 5000

/**
 * Address answers kept for their DNS TTL (at most MAX_REUSE_SECONDS), so that a job's items from one host and a
 * webhook's retries ask the resolver once rather than per hop; lookups under way are shared, so that a burst of
 * requests for one new name asks once too. Failures and names without addresses are not kept: they are asked
 * again. Per isolate, like any cache in a Worker's memory.
 */
export class ResolutionCache {
  readonly #answers = new Map<string, { addresses: string[]; expiresAt: number }>()
  readonly #underWay = new Map<string, Promise<Resolution>>()

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string[] | undefined {
    const answer = this.#answers.get(key)
    if (answer && answer.expiresAt > this.now()) return answer.addresses
    this.#answers.delete(key)
    return undefined
  }

  set(key: string, addresses: string[], ttlSeconds: number): void {
    const seconds = Math.min(ttlSeconds, MAX_REUSE_SECONDS)
    if (!(seconds > 0)) return
    this.#answers.delete(key) // re-inserted last: Map order is the eviction order
    this.#answers.set(key, { addresses, expiresAt: this.now() + seconds * 1000 })
    const oldest = this.#answers.keys().next().value
    if (this.#answers.size > MAX_NAMES && oldest !== undefined) this.#answers.delete(oldest)
  }

  /** The lookup of `key` under way, or `lookUp()` started and shared until it settles. */
  shared(key: string, lookUp: () => Promise<Resolution>): Promise<Resolution> {
    let underWay = this.#underWay.get(key)
    if (!underWay) {
      underWay = lookUp().finally(() => this.#underWay.delete(key))
      this.#underWay.set(key, underWay)
    }
    return underWay
  }
}

const isolateCache = new ResolutionCache()

/**
 * The A and AAAA addresses of `host`, asked of a DNS-over-HTTPS resolver's JSON API (`resolverUrl`, e.g.
 * https://cloudflare-dns.com/dns-query): Workers have no DNS API of their own, and fetch() resolves inside the
 * runtime, out of sight. CNAME chains are followed by the resolver; the answer's address records are the ends.
 */
export async function resolveHost(
  host: string,
  resolverUrl: string,
  signal?: AbortSignal,
  cache: ResolutionCache = isolateCache,
): Promise<Resolution> {
  const key = `${resolverUrl} ${host}`
  const cached = cache.get(key)
  if (cached) return { addresses: cached }
  // The shared lookup runs on its own clock: one caller's deadline must not end it for the others.
  const lookup = cache.shared(key, () => lookUp(host, resolverUrl, cache, key))
  return signal ? untilAborted(lookup, signal, host) : lookup
}

async function lookUp(
  host: string,
  resolverUrl: string,
  cache: ResolutionCache,
  key: string,
): Promise<Resolution> {
  const signal = AbortSignal.timeout(LOOKUP_TIMEOUT_MS)
  let ttl = Number.POSITIVE_INFINITY
  const ask = async (type: keyof typeof ADDRESS_TYPES) => {
    const url = new URL(resolverUrl)
    url.searchParams.set('name', host)
    url.searchParams.set('type', type)
    const response = await fetch(url, { headers: { Accept: 'application/dns-json' }, signal })
    if (!response.ok) throw new Error(`the resolver answered ${response.status}`)
    const answer = (await response.json()) as DnsJsonAnswer
    if (answer.Status === NXDOMAIN) return 'nxdomain' as const
    if (answer.Status !== NOERROR) throw new Error(`the resolver answered RCODE ${answer.Status}`)
    const records = (answer.Answer ?? []).filter((record) => record.type === ADDRESS_TYPES[type])
    for (const record of records) ttl = Math.min(ttl, record.TTL ?? 0)
    return records.map((record) => record.data)
  }
  let answers: (string[] | 'nxdomain')[]
  try {
    answers = await Promise.all([ask('A'), ask('AAAA')])
  } catch (error) {
    const reason = error instanceof Error && error.name !== 'TypeError' ? error.message : 'no answer'
    return noAnswer(host, reason)
  }
  const addresses = answers.flatMap((answer) => (answer === 'nxdomain' ? [] : answer))
  if (addresses.length === 0)
    return { unresolved: `The name ${quoted(host)} does not resolve to an address.` }
  cache.set(key, addresses, ttl)
  return { addresses }
}

function noAnswer(host: string, reason: string): Resolution {
  return { unresolved: `The name ${quoted(host)} could not be resolved (${reason}).` }
}

/** `lookup`'s answer, or "no answer" as soon as the caller's `signal` aborts. */
function untilAborted(lookup: Promise<Resolution>, signal: AbortSignal, host: string): Promise<Resolution> {
  const timedOut = () => noAnswer(host, 'no answer in time')
  if (signal.aborted) return Promise.resolve(timedOut())
  return new Promise((resolve) => {
    const onAbort = () => resolve(timedOut())
    signal.addEventListener('abort', onAbort, { once: true })
    void lookup.then((resolution) => {
      signal.removeEventListener('abort', onAbort)
      resolve(resolution)
    })
  })
}

export interface ResolverOptions {
  /** A DNS-over-HTTPS JSON endpoint (DNS_RESOLVER_URL). */
  resolverUrl: string
  /** The local stack's http exception: loopback hosts (`localhost` too) are called without asking DNS. */
  allowLoopbackHttp: boolean
  signal?: AbortSignal
}

/**
 * Why `url` (already allowed by `urlRefusal`) must not be called, judged by every address its host name resolves
 * to now: a public-looking name that points at 127.0.0.1, 10.x or the metadata address is refused like the address
 * itself. `unresolved` when the name has no address or the resolver gave no answer: nothing is called then
 * either. An IP literal was judged as it is by `urlRefusal`.
 */
export async function resolvedHostRefusal(
  url: URL,
  options: ResolverOptions,
): Promise<{ refused: string } | { unresolved: string } | undefined> {
  if (isIpLiteral(url.hostname) || (options.allowLoopbackHttp && isLoopback(url.hostname))) return undefined
  const resolution = await resolveHost(url.hostname, options.resolverUrl, options.signal)
  if ('unresolved' in resolution) return resolution
  for (const address of resolution.addresses) {
    const reason = blockedHostReason(address)
    if (reason) return { refused: `The URL's host ${quoted(url.hostname)} resolves to ${reason}.` }
  }
  return undefined
}
