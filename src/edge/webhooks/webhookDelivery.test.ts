import { describe, expect, it } from 'vitest'
import { testSettings } from '../test/fixtures'
import { inbox, inboxUrl } from './test/inbox'
import { deliverWebhook } from './webhookDelivery'

const message = (url: string) => ({
  url,
  secret: `whsec_${btoa('0123456789abcdef0123456789abcdef')}`,
  messageId: `msg_${crypto.randomUUID()}`,
  body: '{"type":"job.completed"}',
  at: Date.now(),
})

describe('deliverWebhook', () => {
  it('posts to a receiver the rules allow', async () => {
    const name = `allowed-${crypto.randomUUID()}`
    expect(await deliverWebhook(testSettings(), message(inboxUrl(name)))).toEqual({
      ok: true,
      responseStatus: 200,
    })
    expect(await inbox(name)).toHaveLength(1)
  })

  it('calls no host whose name resolves to a private or loopback address, nor one that does not resolve', async () => {
    const settings = testSettings()
    expect(await deliverWebhook(settings, message('https://private.example/hook'))).toEqual({
      ok: false,
      error: expect.stringContaining('resolves to 10.0.0.7: private-use'),
    })
    expect(await deliverWebhook(settings, message('https://loopback6.example/hook'))).toEqual({
      ok: false,
      error: expect.stringContaining('resolves to ::1: loopback'),
    })
    expect(await deliverWebhook(settings, message('https://missing.example/hook'))).toEqual({
      ok: false,
      error: expect.stringContaining('does not resolve'),
    })
  })
})
