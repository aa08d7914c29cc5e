import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ExplainResult,
  type JobResultItem,
  type JobView,
  ProblemError,
  TTameClient,
  verifyWebhook,
  WebhookVerificationError,
} from '../../src/client/node'
import { startWebhookReceiver } from '../../src/edge/webhooks/test/webhookReceiver'
import { hasModelPack } from '../../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import { LocalStack } from './localStack'

if (!hasSampleImages()) console.warn('client e2e skipped: ../shared/images/imagenet-samples.tar is absent')
if (!hasModelPack()) console.warn('client e2e skipped: the default model pack (models/cifar10-cnn) is absent')

const PNG = [0x89, 0x50, 0x4e, 0x47]
const RATE_LIMIT_PER_MINUTE = 60
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Every explanation of a result decodes to a PNG map (and a WebP overlay, the default, when asked). */
function expectImages(result: ExplainResult | undefined, overlay = false) {
  expect(result?.explanations.length).toBeGreaterThan(0)
  for (const explanation of result?.explanations ?? []) {
    expect([...explanation.mapBytes().subarray(0, 4)]).toEqual(PNG)
    if (overlay) expect(Buffer.from(explanation.overlayBytes() ?? []).toString('latin1', 8, 12)).toBe('WEBP')
  }
}

describe.skipIf(!hasSampleImages() || !hasModelPack())('the TypeScript SDK on the local stack', () => {
  // Fast webhook retries; a rate limit low enough to reach with a few dozen requests.
  const stack = new LocalStack({
    WEBHOOK_RETRY_SCHEDULE: '1,1,1',
    RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
  })
  const photos = hasSampleImages() ? [...readSampleImages().values()] : []
  const dir = mkdtempSync(join(tmpdir(), 't-tame-sdk-'))
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
  let client: TTameClient

  beforeAll(async () => {
    receiver = await startWebhookReceiver()
    await stack.start()
    client = new TTameClient({ baseUrl: stack.edgeUrl, apiKey: stack.apiKey })
  })
  afterAll(async () => {
    await stack.stop()
    await receiver?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('explains a photo given as a file path, Blob, ArrayBuffer, Uint8Array and ReadableStream', async () => {
    const bytes = photos[0] as Buffer
    const path = join(dir, 'photo.jpg')
    writeFileSync(path, bytes)
    const forms = {
      path,
      blob: new Blob([bytes]),
      arrayBuffer: new Uint8Array(bytes).buffer,
      uint8Array: new Uint8Array(bytes),
      stream: new Blob([bytes]).stream(),
    }
    const results: ExplainResult[] = []
    for (const form of Object.values(forms))
      results.push(await client.explain(form, { topK: 2, overlay: true }))
    // Content-addressed ids: every form delivered the same bytes with the same options.
    expect(new Set(results.map((result) => result.id)).size).toBe(1)
    for (const result of results) {
      expect(result.predictions).toHaveLength(2)
      expectImages(result, true)
    }
    expect(results[0]?.explanations[0]?.overlayBlob()?.type).toBe('image/webp')
  })

  it('uploads through a signed URL and explains by the upload id, classes by label', async () => {
    const result = await client.uploadAndExplain(photos[1] as Buffer, { classes: ['cat', 'dog'] })
    expect(result.explanations.map((explanation) => explanation.label)).toEqual(['cat', 'dog'])
    expectImages(result)
  })

  it('lists the models with their labels or without, and gets one by id@version, its graph the listed one', async () => {
    const [listed] = (await client.listModels()).filter((model) => model.default)
    if (!listed) throw new Error('no default model listed')
    const { labelsUrl, ...model } = listed
    expect(await client.getModel(`${model.id}@${model.version}`)).toEqual(model)
    expect(labelsUrl).toMatch(new RegExp(`/v1/models/${model.id}@${model.version}$`))
    const slim = await client.listModels({ labels: false })
    expect(slim.map(({ id, labels }) => ({ id, labels }))).toContainEqual({ id: model.id, labels: undefined })
    expect((await client.modelGraph(model)).byteLength).toBe(model.onnx.bytes)
    const unknown = await client.getModel('no-such-model').catch((error: unknown) => error)
    expect(unknown).toMatchObject({ status: 404, code: 'unknown_model' })
  })

  it('runs a job of 20 photos; its webhook, refused twice, is delivered and verified, a tampered one not', async () => {
    receiver.inbox('sdk-job').statuses = [500, 500, 200]
    const uploads = await Promise.all(photos.slice(2, 22).map((bytes) => client.upload(bytes)))
    const created = await client.createJob({
      items: uploads.map(({ uploadId }) => ({ uploadId, topK: 1 })),
      webhook: { url: receiver.url('sdk-job') },
    })
    const job = await client.waitForJob(created.jobId, { signal: AbortSignal.timeout(120_000) })
    expect(job).toMatchObject({ status: 'completed', counts: { total: 20, succeeded: 20, failed: 0 } })

    const items: JobResultItem[] = []
    for await (const item of client.jobResults(created.jobId, { limit: 7 })) items.push(item)
    expect(items.map((item) => item.index)).toEqual([...Array(20).keys()])
    for (const item of items) expectImages(item.result)

    let view: JobView = job
    for (
      const deadline = Date.now() + 30_000;
      view.webhook?.state !== 'delivered' && Date.now() < deadline;
    ) {
      await sleep(250)
      view = await client.getJob(created.jobId)
    }
    expect(view.webhook?.deliveries.map((d) => d.responseStatus)).toEqual([500, 500, 200])
    const received = receiver.inbox('sdk-job').received
    expect(received.map((r) => r.answered)).toEqual([500, 500, 200])
    const delivered = received[2] as (typeof received)[number]
    const event = await verifyWebhook(created.webhookSecret as string, delivered.headers, delivered.body)
    expect(event).toMatchObject({ type: 'job.completed', jobId: created.jobId, counts: { succeeded: 20 } })
    const tampered = delivered.body.replace('"succeeded":20', '"succeeded":21')
    await expect(verifyWebhook(created.webhookSecret as string, delivered.headers, tampered)).rejects.toThrow(
      WebhookVerificationError,
    )
  })

  it('throws a ProblemError with the problem fields and the request id', async () => {
    const stranger = new TTameClient({ baseUrl: stack.edgeUrl, apiKey: 'not-a-key' })
    const refused = await stranger.listModels().catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ProblemError)
    expect(refused).toMatchObject({ status: 401, requestId: expect.any(String) })

    const invalid = await client.explain(photos[0] as Buffer, { topK: 11 }).catch((error: unknown) => error)
    expect(invalid).toMatchObject({
      status: 400,
      code: 'bad_options',
      detail: expect.stringContaining('topK'),
    })
  })

  // Last: it spends the API key's rate limit.
  it('waits out a 429 for its Retry-After, then succeeds', async () => {
    const exchanges: { status: number; retryAfter: number; sentAt: number; answeredAt: number }[] = []
    const recording = new TTameClient({
      baseUrl: stack.edgeUrl,
      apiKey: stack.apiKey,
      fetch: async (input, init) => {
        const sentAt = Date.now()
        const response = await fetch(input, init)
        const retryAfter = Number(response.headers.get('Retry-After') ?? 0)
        exchanges.push({ status: response.status, retryAfter, sentAt, answeredAt: Date.now() })
        return response
      },
    })
    /** Requests until the edge refuses one: the key's bucket is then empty. */
    async function spendRateLimit() {
      for (let sent = 0; sent < 3 * RATE_LIMIT_PER_MINUTE; sent += 20) {
        const statuses = await Promise.all(
          Array.from({ length: 20 }, async () => {
            const response = await fetch(`${stack.edgeUrl}/v1/jobs/none`, {
              headers: { Authorization: `Bearer ${stack.apiKey}` },
            })
            await response.body?.cancel()
            return response.status
          }),
        )
        if (statuses.includes(429)) return
      }
      throw new Error('the rate limit never refused a request')
    }
    // A token may refill between the spending and the call (1 a second here): then spend again.
    for (let round = 0; round < 5 && !exchanges.some((e) => e.status === 429); round++) {
      await spendRateLimit()
      exchanges.length = 0
      expect(await recording.listModels({ labels: false })).not.toHaveLength(0)
    }
    const refused = exchanges.findIndex((exchange) => exchange.status === 429)
    const [first, retry] = exchanges.slice(refused)
    expect(first?.retryAfter).toBeGreaterThan(0)
    expect(retry?.status).toBe(200)
    expect((retry?.sentAt ?? 0) - (first?.answeredAt ?? 0)).toBeGreaterThanOrEqual(
      (first?.retryAfter ?? 0) * 1000,
    )
  })
})
