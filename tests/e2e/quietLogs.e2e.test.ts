import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasModelPack } from '../../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import type { JobView } from '../../src/shared/jobSchemas'
import { LocalStack } from './localStack'

// `.invalid` never resolves (RFC 6761): the runtime's fetch fails in DNS, here and on any network.
const IMAGE_HOST = 'images.invalid'
const HOOK_HOST = 'hooks.invalid'

describe.skipIf(!hasModelPack() || !hasSampleImages())('the local stack’s logs', () => {
  const stack = new LocalStack({ WEBHOOK_RETRY_SCHEDULE: '0.2', JOB_ITEM_RETRY_BASE_SECONDS: '0' })
  const auth = () => ({ Authorization: `Bearer ${stack.apiKey}` })
  const json = (body: unknown) => ({
    method: 'POST',
    headers: { ...auth(), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })

  beforeAll(() => stack.start())
  afterAll(() => stack.stop())

  it('hold no error when clients’ URLs fail, one warning per failed fetch instead', async () => {
    const form = new FormData()
    const photo = [...readSampleImages().values()][0] as Buffer
    form.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg')
    const explained = await fetch(`${stack.edgeUrl}/v1/explain`, {
      method: 'POST',
      headers: auth(),
      body: form,
    })
    expect(explained.status).toBe(200)

    const byUrl = await fetch(
      `${stack.edgeUrl}/v1/explain`,
      json({ imageUrl: `https://${IMAGE_HOST}/a.jpg` }),
    )
    expect(byUrl.status).toBeGreaterThanOrEqual(400)
    expect(byUrl.status).toBeLessThan(500)

    const created = await fetch(
      `${stack.edgeUrl}/v1/jobs`,
      json({
        items: [{ imageUrl: `https://${IMAGE_HOST}/b.jpg` }],
        webhook: { url: `https://${HOOK_HOST}/t` },
      }),
    )
    expect(created.status).toBe(202)
    const { jobId } = (await created.json()) as { jobId: string }
    let view: JobView | undefined
    for (let waited = 0; waited < 60_000 && view?.webhook?.state !== 'failed'; waited += 250) {
      await new Promise((done) => setTimeout(done, 250))
      view = (await (await fetch(`${stack.edgeUrl}/v1/jobs/${jobId}`, { headers: auth() })).json()) as JobView
    }
    expect(view?.webhook?.state).toBe('failed')
    expect(view?.webhook?.deliveries.length).toBe(2)

    const output = stack.edgeOutput
    expect(output).not.toMatch(/\[ERROR\]|Uncaught|ENOTFOUND|stack:|Request\.cf/)
    expect(output).toMatch(
      new RegExp(`warn: an outbound request to ${IMAGE_HOST} failed \\(DNS lookup failed\\)`),
    )
    expect(output).toMatch(
      new RegExp(`warn: an outbound request to ${HOOK_HOST} failed \\(DNS lookup failed\\)`),
    )
  })
})
