import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { verifyWebhook, WebhookVerificationError } from './index'

// The reference implementation (standardwebhooks) signs; ours must agree with it both ways.
const secret = `whsec_${btoa('a secret of 32 bytes, for tests!')}`
const event = {
  type: 'job.completed',
  jobId: 'j1',
  status: 'completed',
  counts: { total: 1 },
  resultsUrl: 'x',
}
const body = JSON.stringify(event)

function delivery(options: { at?: Date; payload?: string; signingSecret?: string } = {}) {
  const at = options.at ?? new Date()
  const signature = new Webhook(options.signingSecret ?? secret).sign('msg_1', at, options.payload ?? body)
  return {
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  }
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (e: unknown) => e,
  )

describe('verifyWebhook', () => {
  it('accepts a delivery signed by the reference implementation, with headers in any form', async () => {
    const headers = delivery()
    expect(await verifyWebhook(secret, headers, body)).toEqual(event)
    expect(await verifyWebhook(secret, new Headers(headers), new TextEncoder().encode(body))).toEqual(event)
    const nodeStyle = { 'Webhook-Id': [headers['webhook-id']], ...headers, 'webhook-id': undefined }
    expect(await verifyWebhook(secret, nodeStyle, body)).toEqual(event)
  })

  it('accepts any one matching signature of a list (secret rotation)', async () => {
    const headers = delivery()
    const other = delivery({ signingSecret: `whsec_${btoa('another secret of 32 bytes, yes!')}` })
    const list = `${other['webhook-signature']} ${headers['webhook-signature']}`
    expect(await verifyWebhook(secret, { ...headers, 'webhook-signature': list }, body)).toEqual(event)
  })

  it('agrees with the reference implementation on what it accepts', async () => {
    const headers = delivery()
    expect(new Webhook(secret).verify(body, headers)).toEqual(await verifyWebhook(secret, headers, body))
  })

  it.each([
    ['a tampered body', () => ({ headers: delivery(), payload: body.replace('completed', 'failed') })],
    ['another secret', () => ({ headers: delivery({ signingSecret: `whsec_${btoa('x'.repeat(32))}` }) })],
    ['a stale timestamp', () => ({ headers: delivery({ at: new Date(Date.now() - 10 * 60_000) }) })],
    ['a future timestamp', () => ({ headers: delivery({ at: new Date(Date.now() + 10 * 60_000) }) })],
    [
      'a timestamp re-dated',
      () => ({ headers: { ...delivery(), 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 1) } }),
    ],
    ['a missing signature', () => ({ headers: { ...delivery(), 'webhook-signature': undefined } })],
    ['a signature that is not base64', () => ({ headers: { ...delivery(), 'webhook-signature': 'v1,%%%' } })],
    [
      'an unknown signature version',
      () => ({
        headers: {
          ...delivery(),
          'webhook-signature': delivery()['webhook-signature'].replace('v1,', 'v2,'),
        },
      }),
    ],
  ])('rejects %s', async (_, make) => {
    const { headers, payload } = make() as { headers: Record<string, string | undefined>; payload?: string }
    expect(await rejection(verifyWebhook(secret, headers, payload ?? body))).toBeInstanceOf(
      WebhookVerificationError,
    )
  })
})
