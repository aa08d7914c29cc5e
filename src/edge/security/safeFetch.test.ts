import { describe, expect, inject, it } from 'vitest'
import '../test/providedContext'
import { ProblemError } from '../../shared/problem'
import { blockedHostReason } from './addressPolicy'
import { safeFetchImage } from './safeFetch'

const base = inject('standinUrl')
const dev = {
  maxBytes: 64 * 1024,
  timeoutMs: 1000,
  allowLoopbackHttp: true,
  resolverUrl: `${base}/dns-query`,
  reserve: () => {},
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  return error instanceof ProblemError ? `${error.status} ${error.code}` : `no problem: ${String(error)}`
}

describe('blockedHostReason', () => {
  it.each([
    '127.0.0.1',
    '2130706433', // 127.0.0.1 as one number, normalised by the URL parser below
    '10.0.0.5',
    '172.20.1.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[fd00::1]',
    '[fe80::1]',
    'localhost',
    'printer.local',
    'metadata.google.internal',
    'intranet',
  ])('blocks %s', (host) => {
    expect(blockedHostReason(new URL(`https://${host}/`).hostname)).toBeDefined()
  })

  it.each(['example.com', '93.184.216.34', '[2606:2800:220:1::1]', '172.32.0.1'])('allows %s', (host) => {
    expect(blockedHostReason(new URL(`https://${host}/`).hostname)).toBeUndefined()
  })
})

describe('safeFetchImage', () => {
  it('fetches an image and its type', async () => {
    const image = await safeFetchImage(`${base}/images/photo.jpg`, dev)
    expect(image.contentType).toBe('image/jpeg')
    expect(image.bytes[0]).toBe(0xff)
  })

  it('refuses http outside local development, and private targets always', async () => {
    expect(
      await codeOf(safeFetchImage(`${base}/images/photo.jpg`, { ...dev, allowLoopbackHttp: false })),
    ).toBe('400 image_url_rejected')
    expect(await codeOf(safeFetchImage('https://192.168.0.10/cam.jpg', dev))).toBe('400 image_url_rejected')
    expect(await codeOf(safeFetchImage('https://user:pw@example.com/a.jpg', dev))).toBe(
      '400 image_url_rejected',
    )
  })

  it.each([
    ['private.example', 'resolves to 10.0.0.7: private-use'],
    ['loopback6.example', 'resolves to ::1: loopback'],
    ['mapped.example', 'IPv4-mapped (::ffff:0:0/96, RFC 4291) of 169.254.169.254: link-local'],
    ['cname.example', 'resolves to 192.168.1.20: private-use'],
  ])('refuses a name by the addresses it resolves to: %s', async (host, reason) => {
    const refused = await safeFetchImage(`https://${host}/photo.jpg`, dev).catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'image_url_rejected', status: 400 })
    expect((refused as ProblemError).detail).toContain(reason)
  })

  it('calls nothing for a name without an address, and calls a name with public addresses only', async () => {
    for (const host of ['missing.example', 'nothing.example', 'servfail.example']) {
      const unresolved = await safeFetchImage(`https://${host}/a.jpg`, dev).catch((e: unknown) => e)
      expect(unresolved).toMatchObject({ code: 'image_url_unreachable' })
      expect((unresolved as ProblemError).detail).toMatch(/could not be resolved|does not resolve/)
    }
    // Resolved and public: the fetch itself is made (and fails here, where the machine has no DNS of its own).
    const called = await safeFetchImage('https://public.example/a.jpg', dev).catch((e: unknown) => e)
    expect((called as ProblemError).detail).toMatch(/could not be reached|No answer within/)
  })

  it('re-checks every redirect target', async () => {
    const to = encodeURIComponent('http://169.254.169.254/latest/meta-data/')
    expect(await codeOf(safeFetchImage(`${base}/images/redirect?to=${to}`, dev))).toBe(
      '400 image_url_rejected',
    )
    const byName = encodeURIComponent('https://private.example/cam.jpg')
    expect(await codeOf(safeFetchImage(`${base}/images/redirect?to=${byName}`, dev))).toBe(
      '400 image_url_rejected',
    )
    const ok = encodeURIComponent(`${base}/images/photo.jpg`)
    expect((await safeFetchImage(`${base}/images/redirect?to=${ok}`, dev)).contentType).toBe('image/jpeg')
  })

  it('rejects a redirect to something that is not a URL', async () => {
    const to = encodeURIComponent('http://[not-a-host')
    expect(await codeOf(safeFetchImage(`${base}/images/redirect?to=${to}`, dev))).toBe(
      '400 image_url_rejected',
    )
  })

  it('cuts off bodies over the size limit while streaming', async () => {
    expect(await codeOf(safeFetchImage(`${base}/images/endless`, dev))).toBe('413 payload_too_large')
  })

  it("takes the image's bytes from the budget before reading them: the declared length, else the limit", async () => {
    const taken: number[] = []
    const image = await safeFetchImage(`${base}/images/photo.jpg`, { ...dev, reserve: (n) => taken.push(n) })
    expect(taken).toEqual([image.bytes.length])
    await codeOf(safeFetchImage(`${base}/images/endless`, { ...dev, reserve: (n) => taken.push(n) }))
    expect(taken).toEqual([image.bytes.length, dev.maxBytes])
  })

  it('reads nothing of an image the budget has no room for', async () => {
    const full = () => {
      throw new ProblemError('edge_busy', 'full', { retryAfter: 1 })
    }
    expect(await codeOf(safeFetchImage(`${base}/images/endless`, { ...dev, reserve: full }))).toBe(
      '503 edge_busy',
    )
  })

  it('gives up after the time limit', async () => {
    expect(await codeOf(safeFetchImage(`${base}/images/slow`, { ...dev, timeoutMs: 200 }))).toBe(
      '422 image_url_unreachable',
    )
  })

  it('reports hosts that answer with an error', async () => {
    expect(await codeOf(safeFetchImage(`${base}/images/missing.jpg`, dev))).toBe('422 image_url_unreachable')
  })
})
