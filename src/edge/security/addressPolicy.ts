/**
 * Which hosts a user-supplied URL (an `imageUrl`, a webhook) may point at.
 *
 * An IP address is judged by the most specific block of ADDRESS_BLOCKS that holds it. Blocks that carry an IPv4
 * address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are judged by the IPv4 address inside, so no
 * spelling of 127.0.0.1 or 169.254.169.254 gets through. The WHATWG URL parser has already written every IPv4
 * spelling (`2130706433`, `0x7f.1`, `127.1`) as a dotted quad and IPv6 as hex groups (`[::127.0.0.1]` is
 * `[::7f00:1]`).
 *
 * A host name is judged here by the name (local and metadata names), then by every address it resolves to
 * (`hostResolver.ts`, DNS over HTTPS: Workers have no DNS API, and fetch() resolves inside the runtime). That
 * check cannot bind the connection to the address checked: a rebinding name may answer differently to the
 * runtime a moment later. Deployed, subrequests leave from Cloudflare's network, which does not route into
 * private ranges, and that closes the gap; on the local stack workerd connects anywhere, and the resolved check is
 * what stands.
 */

/** `public`: may be called; `refused`; or judged by the IPv4 address(es) the block carries. */
type Rule = 'public' | 'refused' | 'last-32-bits' | '6to4' | 'teredo'

/**
 * [block, rule, what it is, where it is defined]: the IANA IPv4 and IPv6 Special-Purpose Address Registries,
 * plus multicast, site-local and, for IPv6, the address-space rule that only 2000::/3 is global unicast. Every
 * special-purpose block is refused, the ones marked globally reachable too (anycast relays, AS112): no image or
 * webhook lives there. The most specific block holding an address decides.
 */
export const ADDRESS_BLOCKS: readonly (readonly [block: string, rule: Rule, name: string, rfc: string])[] = [
  ['0.0.0.0/0', 'public', 'any other IPv4 address', 'RFC 791'],
  ['0.0.0.0/8', 'refused', '"this network"', 'RFC 791'],
  ['10.0.0.0/8', 'refused', 'private-use', 'RFC 1918'],
  ['100.64.0.0/10', 'refused', 'shared address space, carrier-grade NAT', 'RFC 6598'],
  ['127.0.0.0/8', 'refused', 'loopback', 'RFC 1122'],
  ['169.254.0.0/16', 'refused', 'link-local, cloud metadata endpoints', 'RFC 3927'],
  ['172.16.0.0/12', 'refused', 'private-use', 'RFC 1918'],
  ['192.0.0.0/24', 'refused', 'IETF protocol assignments', 'RFC 6890'],
  ['192.0.0.0/29', 'refused', 'IPv4 service continuity prefix, DS-Lite', 'RFC 7335'],
  ['192.0.0.8/32', 'refused', 'IPv4 dummy address', 'RFC 7600'],
  ['192.0.0.9/32', 'refused', 'Port Control Protocol anycast', 'RFC 7723'],
  ['192.0.0.10/32', 'refused', 'TURN anycast', 'RFC 8155'],
  ['192.0.0.170/31', 'refused', 'NAT64/DNS64 discovery', 'RFC 8880'],
  ['192.0.2.0/24', 'refused', 'documentation, TEST-NET-1', 'RFC 5737'],
  ['192.31.196.0/24', 'refused', 'AS112-v4', 'RFC 7535'],
  ['192.52.193.0/24', 'refused', 'AMT', 'RFC 7450'],
  ['192.88.99.0/24', 'refused', 'deprecated 6to4 relay anycast', 'RFC 7526'],
  ['192.168.0.0/16', 'refused', 'private-use', 'RFC 1918'],
  ['192.175.48.0/24', 'refused', 'direct delegation AS112 service', 'RFC 7534'],
  ['198.18.0.0/15', 'refused', 'benchmarking', 'RFC 2544'],
  ['198.51.100.0/24', 'refused', 'documentation, TEST-NET-2', 'RFC 5737'],
  ['203.0.113.0/24', 'refused', 'documentation, TEST-NET-3', 'RFC 5737'],
  ['224.0.0.0/4', 'refused', 'multicast', 'RFC 5771'],
  ['240.0.0.0/4', 'refused', 'reserved', 'RFC 1112'],
  ['255.255.255.255/32', 'refused', 'limited broadcast', 'RFC 919'],
  ['::/0', 'refused', 'not global unicast', 'RFC 4291'],
  ['2000::/3', 'public', 'global unicast', 'RFC 4291'],
  ['::/128', 'refused', 'unspecified', 'RFC 4291'],
  ['::1/128', 'refused', 'loopback', 'RFC 4291'],
  ['::/96', 'last-32-bits', 'deprecated IPv4-compatible', 'RFC 4291'],
  ['::ffff:0:0/96', 'last-32-bits', 'IPv4-mapped', 'RFC 4291'],
  ['64:ff9b::/96', 'last-32-bits', 'NAT64 well-known prefix', 'RFC 6052'],
  ['64:ff9b:1::/48', 'refused', 'local-use NAT64', 'RFC 8215'],
  ['100::/64', 'refused', 'discard-only', 'RFC 6666'],
  // Its sub-blocks (PCP and TURN anycast, AMT, AS112-v6, ORCHIDv2, drone DETs) are refused with it.
  ['2001::/23', 'refused', 'IETF protocol assignments', 'RFC 2928'],
  ['2001::/32', 'teredo', 'Teredo', 'RFC 4380'],
  ['2001:2::/48', 'refused', 'benchmarking', 'RFC 5180'],
  ['2001:db8::/32', 'refused', 'documentation', 'RFC 3849'],
  ['2002::/16', '6to4', '6to4', 'RFC 3056'],
  ['2620:4f:8000::/48', 'refused', 'direct delegation AS112 service', 'RFC 7534'],
  ['3fff::/20', 'refused', 'documentation', 'RFC 9637'],
  ['5f00::/16', 'refused', 'SRv6 segment identifiers', 'RFC 9602'],
  ['fc00::/7', 'refused', 'unique local', 'RFC 4193'],
  ['fe80::/10', 'refused', 'link-local', 'RFC 4291'],
  ['fec0::/10', 'refused', 'deprecated site-local', 'RFC 3879'],
  ['ff00::/8', 'refused', 'multicast', 'RFC 4291'],
]

interface Address {
  family: 4 | 6
  value: bigint
}

interface Block extends Address {
  bits: number
  rule: Rule
  label: string
}

const width = (family: 4 | 6) => (family === 4 ? 32 : 128)
const LOW_32 = 0xffff_ffffn

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n)
}

function parseV6(text: string): bigint | undefined {
  // A dotted tail (`::ffff:1.2.3.4`) as two hex groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  let hex = text
  if (dotted) {
    const v4 = parseV4(dotted[2] as string)
    if (v4 === undefined) return undefined
    hex = `${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const halves = hex.split('::')
  if (halves.length > 2) return undefined
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'))
  const head = groupsOf(halves[0] as string)
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n)
}

function parseAddress(text: string): Address | undefined {
  const v4 = parseV4(text)
  if (v4 !== undefined) return { family: 4, value: v4 }
  const v6 = text.includes(':') ? parseV6(text) : undefined
  return v6 === undefined ? undefined : { family: 6, value: v6 }
}

/** Most specific first, so the first block that holds an address is the one that decides. */
const BLOCKS: Block[] = ADDRESS_BLOCKS.map(([block, rule, name, rfc]) => {
  const [network, bits] = block.split('/') as [string, string]
  const address = parseAddress(network) as Address
  return { ...address, bits: Number(bits), rule, label: `${name} (${block}, ${rfc})` }
}).sort((a, b) => b.bits - a.bits)

function blockOf({ family, value }: Address): Block {
  const shiftOf = (bits: number) => BigInt(width(family) - bits)
  return BLOCKS.find(
    (b) => b.family === family && value >> shiftOf(b.bits) === b.value >> shiftOf(b.bits),
  ) as Block
}

const formatV4 = (value: bigint) => [24n, 16n, 8n, 0n].map((shift) => (value >> shift) & 255n).join('.')

/** The IPv4 addresses a block carries: Teredo's client (XOR all ones) and server, 6to4's bits 16-47. */
function carriedV4(rule: Rule, value: bigint): bigint[] {
  if (rule === 'last-32-bits') return [value & LOW_32]
  if (rule === '6to4') return [(value >> 80n) & LOW_32]
  if (rule === 'teredo') return [(value & LOW_32) ^ LOW_32, (value >> 64n) & LOW_32]
  return []
}

/** Why `address` must not be called (its block, and the IPv4 address inside that decided), or undefined. */
function addressRefusal(address: Address): string | undefined {
  const block = blockOf(address)
  if (block.rule === 'public') return undefined
  if (block.rule === 'refused') return block.label
  for (const v4 of carriedV4(block.rule, address.value)) {
    const inner = addressRefusal({ family: 4, value: v4 })
    if (inner) return `${block.label} of ${formatV4(v4)}: ${inner}`
  }
  return undefined
}

const BLOCKED_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'instance-data',
  'instance-data.ec2.internal',
])

/** `hostname` (as URL.hostname has it) without brackets, in lower case, without the DNS root's dot. */
const bare = (hostname: string) =>
  hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()

/** An IP address written as a host (`URL.hostname`, brackets or not), not a name to resolve. */
export const isIpLiteral = (hostname: string) => parseAddress(bare(hostname)) !== undefined

/** Loopback for the local stack's http exception: 127.0.0.0/8, ::1 or IPv4-mapped 127.0.0.0/8, or localhost. */
export function isLoopback(hostname: string): boolean {
  const host = bare(hostname)
  const address = parseAddress(host)
  if (!address) return host === 'localhost'
  if (address.family === 6 && address.value === 1n) return true
  const mapped = address.family === 6 && address.value >> 32n === 0xffffn
  const v4 = address.family === 4 || mapped ? address.value & LOW_32 : undefined
  return v4 !== undefined && v4 >> 24n === 127n
}

/** Why `hostname` must not be fetched, or undefined if it may. */
export function blockedHostReason(hostname: string): string | undefined {
  const host = bare(hostname)
  const address = parseAddress(host)
  if (address) {
    const reason = addressRefusal(address)
    return reason && `${host}: ${reason}`
  }
  if (host.includes(':')) return 'a malformed IPv6 address'
  // `localhost..` and `a..b`: an empty label is no host name, whatever a resolver would make of it.
  if (host.split('.').some((label) => label === '')) return 'a malformed host name'
  if (METADATA_NAMES.has(host)) return 'a cloud metadata endpoint'
  if (BLOCKED_NAMES.test(host) || !host.includes('.')) return 'a local or internal host name'
  return undefined
}

/**
 * Why a user-supplied URL (an imageUrl, a webhook) must not be called, or undefined if it may: https only (http
 * too for loopback where the local stack allows it), no credentials, no special-purpose, local or metadata
 * host.
 */
export function urlRefusal(url: URL, allowLoopbackHttp: boolean): string | undefined {
  if (url.username || url.password) return 'URLs with credentials are not called.'
  const web = url.protocol === 'http:' || url.protocol === 'https:'
  if (allowLoopbackHttp && web && isLoopback(url.hostname)) return undefined
  if (url.protocol !== 'https:') return 'Only https URLs are called.'
  const reason = blockedHostReason(url.hostname)
  return reason && `The URL points at ${reason}.`
}
