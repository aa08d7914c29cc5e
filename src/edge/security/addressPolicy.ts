/**
 * Which hosts a user-supplied URL may point at. The WHATWG URL parser has already normalised IPv4 forms
 * (`2130706433`, `0x7f.1`, `127.1`) to dotted quads and IPv6 to its compressed form, so literal checks hold.
 */

const BLOCKED_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'instance-data',
  'instance-data.ec2.internal',
])

/** [network, prefix length] of every IPv4 range that is not the public internet. */
const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
]

function v4ToInt(address: string): number | undefined {
  const parts = address.split('.')
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0)
}

function isPrivateV4(address: string): boolean | undefined {
  const ip = v4ToInt(address)
  if (ip === undefined) return undefined
  return PRIVATE_V4.some(([network, bits]) => {
    const size = 2 ** (32 - bits)
    return Math.floor(ip / size) === Math.floor((v4ToInt(network) as number) / size)
  })
}

function isPrivateV6(address: string): boolean {
  const a = address.toLowerCase()
  if (a === '::' || a === '::1') return true
  const mapped = /^::ffff:(.+)$/.exec(a)?.[1]
  if (mapped) {
    // The URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(mapped)
    const v4 = hex
      ? [
          parseInt(hex[1] as string, 16) >> 8,
          parseInt(hex[1] as string, 16) & 255,
          parseInt(hex[2] as string, 16) >> 8,
          parseInt(hex[2] as string, 16) & 255,
        ].join('.')
      : mapped
    return isPrivateV4(v4) ?? true
  }
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast, 64:ff9b::/96 NAT64 of anything.
  return /^(f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]|ff[0-9a-f]{2}):/.test(a) || a.startsWith('64:ff9b:')
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || (v4ToInt(host) !== undefined && host.startsWith('127.'))
}

/** Why `hostname` must not be fetched, or undefined if it may. */
export function blockedHostReason(hostname: string): string | undefined {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
  if (host.includes(':')) return isPrivateV6(host) ? 'a private or loopback IPv6 address' : undefined
  const privateV4 = isPrivateV4(host)
  if (privateV4 !== undefined) return privateV4 ? 'a private, loopback or link-local address' : undefined
  if (METADATA_NAMES.has(host)) return 'a cloud metadata endpoint'
  if (BLOCKED_NAMES.test(host) || !host.includes('.')) return 'a local or internal host name'
  return undefined
}

/**
 * Why a user-supplied URL (an imageUrl, a webhook) must not be called, or undefined if it may: https only (http
 * too for loopback where the local stack allows it), no credentials, no private, link-local or metadata host.
 */
export function urlRefusal(url: URL, allowLoopbackHttp: boolean): string | undefined {
  if (url.username || url.password) return 'URLs with credentials are not called.'
  const web = url.protocol === 'http:' || url.protocol === 'https:'
  if (allowLoopbackHttp && web && isLoopback(url.hostname)) return undefined
  if (url.protocol !== 'https:') return 'Only https URLs are called.'
  const reason = blockedHostReason(url.hostname)
  return reason && `The URL points at ${reason}.`
}
