import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookReceiver } from '../../src/edge/webhooks/test/webhookReceiver'
import { hasModelPack } from '../../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import type { JobResults, JobView, WebhookEvent } from '../../src/shared/jobSchemas'
import { edgeFetch } from './devProxy'
import { LocalStack } from './localStack'

if (!hasSampleImages()) console.warn('jobs e2e skipped: ../shared/images/imagenet-samples.tar is absent')
if (!hasModelPack()) console.warn('jobs e2e skipped: the default model pack (models/cifar10-cnn) is absent')

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

describe.skipIf(!hasSampleImages() || !hasModelPack())('batch jobs on the local stack', () => {
  // Short clocks so that retries, leases and URL expiry happen within a test; two workers for re-routing.
  const stack = new LocalStack(
    {
      WEBHOOK_RETRY_SCHEDULE: '1,1,1',
      JOB_ITEM_LEASE_SECONDS: '6',
      JOB_ITEM_RETRY_BASE_SECONDS: '1',
      UPLOAD_URL_TTL_SECONDS: '10',
    },
    { workers: 2 },
  )
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  const photos = hasSampleImages() ? [...readSampleImages().values()] : []
  const auth = () => ({ Authorization: `Bearer ${stack.apiKey}` })

  async function grant(bytes: Buffer) {
    const response = await edgeFetch(`${stack.edgeUrl}/v1/uploads`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/jpeg', contentLength: bytes.length }),
    })
    expect(response.status, await response.clone().text()).toBe(201)
    return (await response.json()) as { uploadId: string; uploadUrl: string }
  }
  const put = (url: string, bytes: Buffer) =>
    edgeFetch(url, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'image/jpeg' } })
  async function upload(bytes: Buffer) {
    const { uploadId, uploadUrl } = await grant(bytes)
    const stored = await put(uploadUrl, bytes)
    expect(stored.status, await stored.clone().text()).toBe(204)
    return uploadId
  }
  async function createJob(body: unknown, headers: Record<string, string> = {}) {
    const response = await edgeFetch(`${stack.edgeUrl}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
    expect(response.status).toBe(202)
    return (await response.json()) as { jobId: string; webhookSecret?: string }
  }
  async function job(jobId: string) {
    return (await (await fetch(`${stack.edgeUrl}/v1/jobs/${jobId}`, { headers: auth() })).json()) as JobView
  }
  async function waitFor(jobId: string, done: (view: JobView) => boolean, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const view = await job(jobId).catch(() => undefined) // the edge may be restarting
      if (view && done(view)) return view
      if (Date.now() > deadline) throw new Error(`job ${jobId}: ${JSON.stringify(view)}`)
      await sleep(200)
    }
  }
  async function allResults(jobId: string) {
    const items: JobResults['items'] = []
    let cursor: string | null = ''
    while (cursor !== null) {
      const query = cursor ? `?limit=7&cursor=${cursor}` : '?limit=7'
      const page = (await (
        await fetch(`${stack.edgeUrl}/v1/jobs/${jobId}/results${query}`, { headers: auth() })
      ).json()) as JobResults
      items.push(...page.items)
      cursor = page.nextCursor
    }
    return items
  }
  /** Every item present exactly once, in order, succeeded with its maps. */
  function expectAllSucceeded(items: JobResults['items'], total: number) {
    expect(items.map((item) => item.index)).toEqual([...Array(total).keys()])
    for (const item of items) {
      expect(item.status, JSON.stringify(item.error)).toBe('succeeded')
      expect(item.result?.explanations.length).toBeGreaterThan(0)
    }
  }

  beforeAll(async () => {
    receiver = await startWebhookReceiver()
    await stack.start()
  })
  afterAll(async () => {
    await stack.stop()
    await receiver.close()
  })

  it('explains 20 photos uploaded through signed URLs and posts exactly one verified webhook', async () => {
    const uploadIds = await Promise.all(photos.slice(0, 20).map(upload))
    const created = await createJob({
      items: uploadIds.map((uploadId) => ({ uploadId })),
      webhook: { url: receiver.url('twenty') },
    })
    const done = await waitFor(created.jobId, (view) => view.webhook?.state === 'delivered')
    expect(done).toMatchObject({ status: 'completed', counts: { total: 20, succeeded: 20, failed: 0 } })
    expectAllSucceeded(await allResults(created.jobId), 20)

    await sleep(1500) // a duplicate delivery would have arrived by now
    const { received } = receiver.inbox('twenty')
    expect(received).toHaveLength(1)
    const [delivery] = received
    const event = new Webhook(created.webhookSecret as string).verify(
      delivery?.body as string,
      delivery?.headers as Record<string, string>,
    ) as WebhookEvent
    expect(event).toMatchObject({ type: 'job.completed', jobId: created.jobId, counts: { succeeded: 20 } })
  })

  it('retries a webhook answered 500 twice, records three attempts, and is accepted once', async () => {
    receiver.inbox('flaky').statuses = [500, 500, 200]
    const created = await createJob({
      items: [{ uploadId: await upload(photos[20] as Buffer) }],
      webhook: { url: receiver.url('flaky') },
    })
    const done = await waitFor(created.jobId, (view) => view.webhook?.state === 'delivered', 60_000)
    expect(done.webhook?.deliveries.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'succeeded', 200],
    ])
    const { received } = receiver.inbox('flaky')
    expect(received).toHaveLength(3)
    for (const r of received) new Webhook(created.webhookSecret as string).verify(r.body, r.headers)
  })

  it('refuses tampered (403), expired (403) and reused (409) upload URLs', async () => {
    const bytes = photos[21] as Buffer
    const tampered = new URL((await grant(bytes)).uploadUrl)
    tampered.searchParams.set('maxLength', String(bytes.length * 2))
    expect((await put(tampered.toString(), bytes)).status).toBe(403)

    const used = await grant(bytes)
    expect((await put(used.uploadUrl, bytes)).status).toBe(204)
    expect((await put(used.uploadUrl, bytes)).status).toBe(409)

    const late = await grant(bytes)
    await sleep(11_000) // UPLOAD_URL_TTL_SECONDS is 10 in this stack
    const expired = await put(late.uploadUrl, bytes)
    expect(expired.status).toBe(403)
    expect(((await expired.json()) as { code: string }).code).toBe('upload_url_expired')
  })

  it('completes every item when a worker is killed mid-job (items re-routed, none lost or doubled)', async () => {
    const uploadIds = await Promise.all(photos.slice(30, 90).map(upload))
    const created = await createJob({ items: uploadIds.map((uploadId) => ({ uploadId, topK: 2 })) })
    const running = await waitFor(created.jobId, (view) => view.counts.succeeded > 0, 60_000)
    await stack.killWorker(0)
    expect(running.counts.succeeded).toBeLessThan(60) // the kill really happened mid-job
    const done = await waitFor(created.jobId, (view) => view.status !== 'running' && view.status !== 'queued')
    expect(done).toMatchObject({ status: 'completed', counts: { total: 60, succeeded: 60, failed: 0 } })
    expectAllSucceeded(await allResults(created.jobId), 60)
    await stack.startWorker(0)
  })

  it('resumes and completes a job across an edge restart (state persisted, lost queue messages re-sent)', async () => {
    const uploadIds = await Promise.all(photos.slice(100, 160).map(upload))
    const created = await createJob({
      items: uploadIds.map((uploadId) => ({ uploadId, topK: 3 })),
      webhook: { url: receiver.url('restart') },
    })
    const before = await waitFor(created.jobId, (view) => view.counts.succeeded > 0, 60_000)
    await stack.restartEdge()
    expect(before.counts.succeeded).toBeLessThan(60)
    const done = await waitFor(created.jobId, (view) => view.webhook?.state === 'delivered')
    expect(done).toMatchObject({ status: 'completed', counts: { total: 60, succeeded: 60, failed: 0 } })
    expectAllSucceeded(await allResults(created.jobId), 60)
    expect(receiver.inbox('restart').received).toHaveLength(1)
  })

  it('answers the same job for the same Idempotency-Key', async () => {
    const body = { items: [{ uploadId: await upload(photos[22] as Buffer) }] }
    const first = await createJob(body, { 'Idempotency-Key': 'e2e-once' })
    const second = await createJob(body, { 'Idempotency-Key': 'e2e-once' })
    expect(second.jobId).toBe(first.jobId)
  })

  it('uploads bursts sent as wrangler dev times out the idle connections of the burst before', async () => {
    // 4 to 4.5 s after a burst ends, the dev proxy's connections that it left idle time out (see devProxy.ts)
    const burst = (first: number) => Promise.all(photos.slice(first, first + 40).map(upload))
    await burst(160)
    for (const [i, gapMs] of [4000, 4500, 4000, 4500].entries()) {
      await sleep(gapMs)
      expect(await burst(200 + 40 * i)).toHaveLength(40) // each upload asserts its own 201 and 204
    }
  })
})
