import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ADDRESS_BLOCKS, blockedHostReason, urlRefusal } from './addressPolicy'

/** The host as the URL parser hands it over (`[::127.0.0.1]` arrives as `[::7f00:1]`). */
const reasonFor = (host: string) => blockedHostReason(new URL(`https://${host}/`).hostname)

describe('the URL policy on embedded IPv4 and special-purpose IPv6', () => {
  it.each([
    ['[::127.0.0.1]', 'IPv4-compatible loopback'],
    ['[::a9fe:a9fe]', 'IPv4-compatible 169.254.169.254 (metadata)'],
    ['[::10.0.0.1]', 'IPv4-compatible private'],
    ['[::ffff:a9fe:a9fe]', 'IPv4-mapped metadata'],
    ['[2002:7f00:1::1]', '6to4 of 127.0.0.1'],
    ['[2002:a00:1::]', '6to4 of 10.0.0.1'],
    ['[2002:a9fe:a9fe::1]', '6to4 of 169.254.169.254'],
    ['[2001:0:4136:e378:8000:63bf:80ff:fffe]', 'Teredo, client 127.0.0.1 (obfuscated)'],
    ['[2001:0:4136:e378:8000:63bf:5601:5601]', 'Teredo, client 169.254.169.254 (obfuscated)'],
    ['[2001::1]', 'Teredo with server 0.0.0.0'],
    ['[64:ff9b::a9fe:a9fe]', 'NAT64 of 169.254.169.254'],
    ['[64:ff9b:1::1]', 'local-use NAT64'],
    ['[fec0::1]', 'site-local'],
    ['[100::1]', 'discard-only'],
    ['[::]', 'unspecified'],
    ['[2001:db8::1]', 'documentation'],
    ['[3fff::1]', 'documentation (RFC 9637)'],
    ['[5f00::1]', 'SRv6 SIDs'],
    ['[ff02::1]', 'multicast'],
    ['[4000::1]', 'outside global unicast 2000::/3'],
    ['192.88.99.1', 'deprecated 6to4 relay anycast'],
    ['198.18.0.1', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'limited broadcast'],
    ['localhost..', 'two trailing dots'],
    ['metadata.google.internal..', 'two trailing dots'],
    ['printer.local...', 'three trailing dots'],
    ['127.0.0.1..', 'an IPv4 literal with two trailing dots'],
    ['a..example.com', 'an empty label'],
  ])('blocks %s (%s)', (host) => {
    expect(reasonFor(host)).toBeDefined()
  })

  it.each([
    ['example.com.', 'one trailing dot: the DNS root'],
    ['8.8.8.8', 'public IPv4'],
    ['[2606:4700:4700::1111]', 'public IPv6'],
    ['[::ffff:5db8:d822]', 'IPv4-mapped 93.184.216.34'],
    ['[2002:5db8:d822::1]', '6to4 of 93.184.216.34'],
    ['[64:ff9b::5db8:d822]', 'NAT64 of 93.184.216.34'],
    ['[2001:0:4136:e378:8000:63bf:a247:27dd]', 'Teredo, server 65.54.227.120, client 93.184.216.34'],
  ])('allows %s (%s)', (host) => {
    expect(reasonFor(host)).toBeUndefined()
  })

  it('names the embedded address it decided by', () => {
    expect(reasonFor('[2002:7f00:1::1]')).toMatch(/6to4.*127\.0\.0\.1.*loopback/i)
    expect(reasonFor('[2001:0:4136:e378:8000:63bf:80ff:fffe]')).toMatch(/Teredo.*127\.0\.0\.1/)
  })

  it('lets http through only for a loopback address in local development', () => {
    expect(urlRefusal(new URL('http://[::ffff:7f00:1]:8788/a.jpg'), true)).toBeUndefined()
    expect(urlRefusal(new URL('http://localhost../a.jpg'), true)).toBeDefined()
    expect(urlRefusal(new URL('http://[2002:7f00:1::1]/a.jpg'), true)).toBeDefined()
  })
})

describe('ADDRESS_BLOCKS', () => {
  const refused = ADDRESS_BLOCKS.filter(([, rule]) => rule === 'refused').map(([block]) => block)

  it.each(refused)('refuses the first address of %s', (block) => {
    const network = block.split('/')[0] as string
    expect(reasonFor(network.includes(':') ? `[${network}]` : network)).toBeDefined()
  })

  it('judges every IPv6 form of an IPv4 address as that address', () => {
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16)
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number]
        const forms = [
          `[::ffff:${v4}]`,
          `[::${v4}]`,
          `[64:ff9b::${v4}]`,
          `[2002:${hex(a, b)}:${hex(c, d)}::1]`,
          // Teredo via the public server 65.54.227.120; the client address is stored XOR all ones.
          `[2001:0:4136:e378:8000:63bf:${hex(a ^ 255, b ^ 255)}:${hex(c ^ 255, d ^ 255)}]`,
        ]
        const blocked = reasonFor(v4) !== undefined
        for (const form of forms) expect([form, reasonFor(form) !== undefined]).toEqual([form, blocked])
      }),
    )
  })
})
