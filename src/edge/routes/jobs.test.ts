import { runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { Webhook } from 'standardwebhooks'
import { beforeAll, describe, expect, it } from 'vitest'
import type { JobView, WebhookEvent } from '../../shared/jobSchemas'
import { storeResult } from '../jobs/jobResultStore'
import {
  cancelJob,
  createJob,
  getJob,
  isSettled,
  jobView,
  postJob,
  resultsPage,
  uploadImage,
  waitForJob,
} from '../jobs/test/jobClient'
import { API_KEY, explain, jpeg, seedApiKey, standin, standinUrl, testSettings } from '../test/fixtures'
import { inbox, inboxUrl } from '../webhooks/test/inbox'

beforeAll(() => seedApiKey())

const tracker = (jobId: string) => env.JOBS.get(env.JOBS.idFromString(jobId))
const alarmOf = (jobId: string) => runInDurableObject(tracker(jobId), (_, state) => state.storage.getAlarm())
const retentionMs = testSettings().JOB_RETENTION_SECONDS * 1000
/** When a job that has nothing left to do is deleted. */
const expiryOf = (job: JobView) => Date.parse(job.finishedAt ?? '') + retentionMs
const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`

// These wait on the real queue, alarms and receiver: generous timeouts for a loaded machine.
describe('a batch job', { timeout: 30_000 }, () => {
  it('explains every item, pages its results and posts one signed job.completed event', async () => {
    const images = [0, 1, 2, 3].map((i) => jpeg(unique(`job-${i}`)))
    const uploadIds = await Promise.all(images.map((bytes) => uploadImage(bytes)))
    const hook = unique('completed')
    const created = await createJob({
      items: [
        ...uploadIds.map((uploadId) => ({ uploadId, topK: 2 })),
        { imageUrl: `${standinUrl()}/images/photo.jpg` },
      ],
      webhook: { url: inboxUrl(hook) },
      metadata: { batch: 'nightly' },
    })
    expect(created.status).toBe('queued')
    expect(created.webhookSecret).toMatch(/^whsec_/)

    const job = await waitForJob(created.jobId, isSettled)
    expect(job).toMatchObject({
      status: 'completed',
      counts: { total: 5, succeeded: 5, failed: 0, queued: 0, running: 0, cancelled: 0 },
      metadata: { batch: 'nightly' },
      webhook: { state: 'delivered', deliveries: [{ attempt: 1, status: 'succeeded', responseStatus: 200 }] },
    })

    const received = await inbox(hook)
    expect(received).toHaveLength(1)
    const [delivery] = received
    const event = new Webhook(created.webhookSecret as string).verify(
      delivery?.body as string,
      delivery?.headers as Record<string, string>,
    ) as WebhookEvent
    expect(event).toEqual({
      type: 'job.completed',
      jobId: created.jobId,
      status: 'completed',
      counts: job.counts,
      resultsUrl: `${created.statusUrl}/results`,
    })
    expect(delivery?.headers['webhook-id']).toBe(`msg_${created.jobId}`)

    const first = await resultsPage(created.jobId, '?limit=2')
    const second = await resultsPage(created.jobId, `?limit=2&cursor=${first.nextCursor}`)
    const third = await resultsPage(created.jobId, `?limit=2&cursor=${second.nextCursor}`)
    expect(third.nextCursor).toBeNull()
    const items = [...first.items, ...second.items, ...third.items]
    expect(items.map((item) => [item.index, item.status])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i, 'succeeded']),
    )
    expect(items[0]?.result?.predictions).toHaveLength(2)
    expect(items[4]?.result?.predictions).toHaveLength(3)

    // Job results fill the same cache as synchronous explains.
    const sync = await explain(images[0] as Uint8Array, { query: '?topK=2' })
    expect(sync.headers.get('X-Cache')).toBe('HIT')
    expect(((await sync.json()) as { id: string }).id).toBe(items[0]?.result?.id)
  })

  it('records three attempts when the receiver answers 500, 500, then 200', async () => {
    const hook = unique('flaky')
    await inbox(hook, [500, 500, 200])
    const created = await createJob({
      items: [{ uploadId: await uploadImage(jpeg(unique('flaky'))) }],
      webhook: { url: inboxUrl(hook) },
    })
    // The first retry waits 0.3 s here (WEBHOOK_RETRY_SCHEDULE of the test project), long enough to see it pending.
    const pending = await waitForJob(created.jobId, (j) => (j.webhook?.deliveries.length ?? 0) >= 1)
    expect(pending.webhook).toMatchObject({
      state: 'pending',
      deliveries: [{ attempt: 1, status: 'failed' }],
    })
    expect(Date.parse(pending.webhook?.nextAttemptAt ?? '')).toBeGreaterThan(
      Date.parse(pending.webhook?.deliveries[0]?.at ?? ''),
    )

    const job = await waitForJob(created.jobId, isSettled)
    expect(job.webhook?.state).toBe('delivered')
    expect(job.webhook?.deliveries.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'succeeded', 200],
    ])
    const received = await inbox(hook)
    expect(received.map((r) => r.answered)).toEqual([500, 500, 200])
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1)
    for (const r of received) new Webhook(created.webhookSecret as string).verify(r.body, r.headers)
    expect(await alarmOf(created.jobId)).toBe(expiryOf(job)) // no further attempt is scheduled
  })

  it('retries a delivery the receiver never answers (timeout)', async () => {
    const hook = unique('silent')
    await inbox(hook, [0, 204])
    const created = await createJob({
      items: [{ uploadId: await uploadImage(jpeg(unique('silent'))) }],
      webhook: { url: inboxUrl(hook) },
    })
    const job = await waitForJob(created.jobId, isSettled)
    expect(job.webhook?.deliveries.map((d) => [d.attempt, d.status, d.responseStatus, d.error])).toEqual([
      [1, 'failed', undefined, 'no answer within 500 ms'],
      [2, 'succeeded', 204, undefined],
    ])
  })

  it('gives up after the last attempt of the schedule and marks the delivery failed', async () => {
    const hook = unique('down')
    await inbox(hook, [503])
    const created = await createJob({
      items: [{ uploadId: await uploadImage(jpeg(unique('down'))) }],
      webhook: { url: inboxUrl(hook) },
    })
    const job = await waitForJob(created.jobId, isSettled)
    expect(job.webhook?.state).toBe('failed')
    expect(job.webhook?.nextAttemptAt).toBeUndefined()
    expect(job.webhook?.deliveries).toHaveLength(8)
    expect(job.webhook?.deliveries.every((d) => d.status === 'failed' && d.responseStatus === 503)).toBe(true)
    expect(await alarmOf(created.jobId)).toBe(expiryOf(job)) // no further attempt is scheduled
    expect(await inbox(hook)).toHaveLength(8)
  })

  it('fails an item with its reason, and a job whose items all failed is job.failed', async () => {
    await seedApiKey('other-key')
    const foreignUpload = await uploadImage(jpeg(unique('foreign')), 'other-key')
    const hook = unique('failed')
    const created = await createJob({
      items: [
        { uploadId: 'upl_NeverUploadedNeverUplo' },
        { uploadId: foreignUpload },
        { imageUrl: `${standinUrl()}/images/missing.jpg` },
      ],
      webhook: { url: inboxUrl(hook) },
    })
    const job = await waitForJob(created.jobId, isSettled)
    expect(job).toMatchObject({ status: 'failed', counts: { total: 3, succeeded: 0, failed: 3 } })
    const { items } = await resultsPage(created.jobId)
    // Another key's upload fails exactly like an unknown one: a job cannot probe upload ids.
    expect(items.map((item) => [item.status, item.error?.code])).toEqual([
      ['failed', 'upload_not_found'],
      ['failed', 'upload_not_found'],
      ['failed', 'image_url_unreachable'],
    ])
    expect(items[1]?.error?.detail).toBe(
      items[0]?.error?.detail?.replace('upl_NeverUploadedNeverUplo', foreignUpload),
    )
    const [delivery] = await inbox(hook)
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ type: 'job.failed', status: 'failed' })
  })

  it('answers the same job for the same Idempotency-Key, and 422 for a different body', async () => {
    const uploadId = await uploadImage(jpeg(unique('idempotent')))
    const key = { 'Idempotency-Key': unique('key') }
    const body = { items: [{ uploadId }], webhook: { url: inboxUrl(unique('idem')) } }
    const first = await postJob(body, key)
    const again = await postJob(body, key)
    expect([first.status, again.status]).toEqual([202, 202])
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    const [a, b] = (await Promise.all([first.json(), again.json()])) as {
      jobId: string
      webhookSecret: string
    }[]
    expect(b?.jobId).toBe(a?.jobId)
    expect(b?.webhookSecret).toBe(a?.webhookSecret)

    const different = await postJob({ items: [{ uploadId, topK: 1 }] }, key)
    expect(different.status).toBe(422)
    expect(((await different.json()) as { code: string }).code).toBe('idempotency_key_reused')
    const unkeyed = (await (await postJob(body)).json()) as { jobId: string }
    expect(unkeyed.jobId).not.toBe(a?.jobId)
  })

  it('cancels what has not run, nothing cancelled runs later, and sends no webhook event', async () => {
    const uploadId = await uploadImage(jpeg(unique('cancel')))
    const hook = unique('cancel')
    const created = await createJob({
      items: Array.from({ length: 30 }, () => ({ uploadId })),
      webhook: { url: inboxUrl(hook) },
    })
    const cancelled = await cancelJob(created.jobId)
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.counts.cancelled).toBeGreaterThan(0)
    const cancelledAt = (await resultsPage(created.jobId, '?limit=100')).items
      .filter((item) => item.status === 'cancelled')
      .map((item) => item.index)

    await new Promise((resolve) => setTimeout(resolve, 1500))
    const later = await resultsPage(created.jobId, '?limit=100')
    expect(
      later.items.filter((item) => cancelledAt.includes(item.index)).every((i) => i.status === 'cancelled'),
    ).toBe(true)
    expect(later.items.some((item) => item.status === 'queued')).toBe(false)
    expect(await jobView(created.jobId)).toMatchObject({
      status: 'cancelled',
      webhook: { state: 'cancelled', deliveries: [] },
    })
    // api.md's events are job.completed and job.failed; the canceller has its answer from DELETE.
    expect(await inbox(hook)).toEqual([])
  })

  it('is deleted with its R2 results JOB_RETENTION_SECONDS after it ended, then answers 404', async () => {
    const created = await createJob({ items: [{ uploadId: await uploadImage(jpeg(unique('retained'))) }] })
    const job = await waitForJob(created.jobId, isSettled)
    expect(await alarmOf(created.jobId)).toBe(expiryOf(job))
    // Results over 16 KiB live in R2: make this one such a result.
    const [item] = (await resultsPage(created.jobId)).items
    if (!item?.result) throw new Error('the item has no result')
    const large = {
      ...item.result,
      explanations: item.result.explanations.map((map) => ({ ...map, map: 'A'.repeat(20_000) })),
    }
    const stored = await storeResult(env.BLOBS, created.jobId, 0, large)
    if (!('blobKey' in stored)) throw new Error('the large result stayed inline')
    await runInDurableObject(tracker(created.jobId), (_, state) => {
      state.storage.sql.exec('UPDATE items SET result = ?', JSON.stringify(stored))
    })

    await runDurableObjectAlarm(tracker(created.jobId)) // early: the job stays
    expect((await getJob(created.jobId)).status).toBe(200)
    expect(await alarmOf(created.jobId)).toBe(expiryOf(job))

    await runInDurableObject(tracker(created.jobId), (_, state) => {
      state.storage.sql.exec('UPDATE job SET finished_at = ?', Date.now() - retentionMs)
    })
    expect(await runDurableObjectAlarm(tracker(created.jobId))).toBe(true)
    expect((await getJob(created.jobId)).status).toBe(404)
    const results = await SELF.fetch(`${created.statusUrl}/results`, {
      headers: { Authorization: `Bearer ${API_KEY}` },
    })
    expect(results.status).toBe(404)
    expect(await env.BLOBS.head(stored.blobKey)).toBeNull()
    const left = await runInDurableObject(tracker(created.jobId), async (_, state) => ({
      alarm: await state.storage.getAlarm(),
      jobs: state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM job').one().n,
      items: state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM items').one().n,
    }))
    expect(left).toEqual({ alarm: null, jobs: 0, items: 0 })
  })

  it('retries an item while no worker answers, then fails it with the last reason', async () => {
    await standin('main', { mode: 'error' })
    try {
      const created = await createJob({ items: [{ uploadId: await uploadImage(jpeg(unique('no-worker'))) }] })
      const job = await waitForJob(created.jobId, isSettled, 25_000)
      expect(job.status).toBe('failed')
      const { items } = await resultsPage(created.jobId)
      expect(items[0]).toMatchObject({ status: 'failed', error: { code: 'no_worker_available' } })
    } finally {
      await standin('main', { mode: 'ok' })
    }
  })
})

describe('job requests', () => {
  it.each([
    ['no items', { items: [] }],
    [
      '1001 items',
      { items: Array.from({ length: 1001 }, () => ({ imageUrl: 'https://example.com/a.jpg' })) },
    ],
    [
      'two sources',
      { items: [{ uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA', imageUrl: 'https://example.com/a.jpg' }] },
    ],
    ['an unknown option', { items: [{ imageUrl: 'https://example.com/a.jpg', colour: 'red' }] }],
    [
      'nested metadata',
      { items: [{ imageUrl: 'https://example.com/a.jpg' }], metadata: { deep: { nested: true } } },
    ],
  ])('refuses %s with 400', async (_case, body) => {
    const response = await postJob(body)
    expect(response.status).toBe(400)
    expect(response.headers.get('Content-Type')).toBe('application/problem+json')
  })

  it('refuses a webhook URL that the Security rules forbid', async () => {
    const response = await postJob({
      items: [{ imageUrl: 'https://example.com/a.jpg' }],
      webhook: { url: 'https://169.254.169.254/latest' },
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { code: string }).code).toBe('webhook_url_rejected')
  })

  it('links the job under PUBLIC_BASE_URL whatever Host the request names', async () => {
    const response = await SELF.fetch('https://evil.example/v1/jobs', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${API_KEY}`,
        'Content-Type': 'application/json',
        Host: 'evil.example',
        'X-Forwarded-Host': 'evil.example',
      },
      body: JSON.stringify({ items: [{ uploadId: await uploadImage(jpeg(unique('host'))) }] }),
    })
    expect(response.status).toBe(202)
    const created = (await response.json()) as { jobId: string; statusUrl: string; resultsUrl: string }
    expect(created.statusUrl).toBe(`https://edge.test/v1/jobs/${created.jobId}`)
    expect(created.resultsUrl).toBe(`https://edge.test/v1/jobs/${created.jobId}/results`)
    expect(response.headers.get('Location')).toBe(created.statusUrl)
    expect((await waitForJob(created.jobId, isSettled)).resultsUrl).toBe(created.resultsUrl)
  })

  it('answers 404 for unknown ids and for jobs of another API key', async () => {
    expect((await getJob('not-a-job')).status).toBe(404)
    expect((await getJob(env.JOBS.newUniqueId().toString())).status).toBe(404)
    const { jobId } = await createJob({ items: [{ uploadId: await uploadImage(jpeg(unique('owner'))) }] })
    await seedApiKey('other-key')
    expect((await getJob(jobId, 'other-key')).status).toBe(404)
  })
})
