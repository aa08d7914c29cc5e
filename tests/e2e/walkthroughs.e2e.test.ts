import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookReceiver } from '../../src/edge/webhooks/test/webhookReceiver'
import { hasModelPack } from '../../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import { LocalStack } from './localStack'

if (!hasSampleImages()) console.warn('walk-throughs skipped: ../shared/images/imagenet-samples.tar is absent')
if (!hasModelPack())
  console.warn('walk-throughs skipped: the default model pack (models/cifar10-cnn) is absent')

const WALKTHROUGHS = resolve(import.meta.dirname, '../../docs/walkthroughs')

/**
 * The walk-throughs of the docs are scripts: each runs here, as written, against the real local stack, with a
 * sample photograph, a loopback image host for `imageUrl` and a loopback webhook receiver.
 */
describe.skipIf(!hasSampleImages() || !hasModelPack())('docs/walkthroughs on the local stack', () => {
  const stack = new LocalStack()
  const dir = mkdtempSync(join(tmpdir(), 'ttame-walkthrough-'))
  const photoPath = join(dir, 'n02123159_tiger_cat.JPEG')
  let photo: Buffer
  let imageHost: Server
  let imageUrl = ''
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>

  beforeAll(async () => {
    photo = readSampleImages().get('n02123159_tiger_cat.JPEG') as Buffer
    writeFileSync(photoPath, photo)
    imageHost = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(photo)
    })
    await new Promise<void>((done) => imageHost.listen(0, '127.0.0.1', done))
    imageUrl = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}/cat.jpg`
    receiver = await startWebhookReceiver()
    await stack.start()
  })

  afterAll(async () => {
    await stack.stop()
    await receiver?.close()
    imageHost?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function run(script: string, env: Record<string, string> = {}) {
    const { stdout } = await promisify(execFile)('bash', [join(WALKTHROUGHS, script)], {
      env: {
        ...process.env,
        EDGE: stack.edgeUrl,
        KEY: stack.apiKey,
        PHOTO: photoPath,
        IMAGE_URL: imageUrl,
        ...env,
      },
      timeout: 150_000,
    })
    return stdout
  }

  it('explain.sh: every way to send a photo, the cache, models, errors and operations', async () => {
    const out = await run('explain.sh')
    expect(out.match(/^== \d+\./gm)).toHaveLength(10)
    expect(out).toMatch(/^x-cache: HIT/im)
    expect(out).toMatch(/^server-timing: edge;dur=[\d.]+$/im)
    expect(out).toMatch(/WebP, \d+ bytes/)
    expect(out).toContain('"model":{"id":"cifar10-vit"')
    expect(out).toContain('"code":"undecodable_image"')
  }, 180_000)

  it('jobs.sh: an upload, a job with a signed webhook, its results page by page, a cancelled job', async () => {
    const out = await run('jobs.sh', { WEBHOOK_URL: receiver.url('walkthrough') })
    expect(out.match(/^== \d+\./gm)).toHaveLength(7)
    expect(out).toMatch(/^idempotent-replayed: true/im)
    expect(out).toMatch(/"status":"completed","counts":\{"total":2,"queued":0,"running":0,"succeeded":2/)
    expect(out.match(/^\{"index":\d,"status":"succeeded"/gm)).toHaveLength(2)
    expect(out).toMatch(/"status":"cancelled"/)
    const secret = /"webhookSecret":"(whsec_[^"]+)"/.exec(out)?.[1] ?? ''
    const [delivery] = receiver.inbox('walkthrough').received
    expect(new Webhook(secret).verify(delivery?.body ?? '', delivery?.headers ?? {})).toMatchObject({
      type: 'job.completed',
      counts: { total: 2, succeeded: 2 },
    })
  }, 180_000)
})
