import { describe, expect, inject, it } from 'vitest'
import '../test/providedContext'
import { ProblemError } from '../../shared/problem'
import { blockedHostReason } from './addressPolicy'
import { safeFetchImage } from './safeFetch'

const base = inject('standinUrl')
const dev = { maxBytes: 64 * 1024, timeoutMs: 1000, allowLoopbackHttp: true, reserve: () => {} }

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

  it('re-checks every redirect target', async () => {
    const to = encodeURIComponent('http://169.254.169.254/latest/meta-data/')
    expect(await codeOf(safeFetchImage(`${base}/images/redirect?to=${to}`, dev))).toBe(
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
