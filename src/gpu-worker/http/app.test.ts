import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { problemSchema, workerExplainResultSchema, workerModelListSchema } from '../../shared/contract'
import { configSchema } from '../config'
import { silentLogger } from '../log'
import { pngDeclaring, solid } from '../testing/images'
import { hasModelPack, MODELS_DIR, PACK_ID } from '../testing/modelPack'
import { hasSampleImages, readSampleImages } from '../testing/sampleImages'
import { createWorker } from '../worker'

const token = 'test-token-0123456789abcdef'
const auth = { Authorization: `Bearer ${token}` }

describe.skipIf(!hasModelPack() || !hasSampleImages())(
  `worker HTTP surface (needs models/${PACK_ID} and ../shared/images)`,
  () => {
    let worker: Awaited<ReturnType<typeof createWorker>>
    let photo: Buffer
    let largestPhoto: Buffer
    const request = (path: string, init: RequestInit = {}) => worker.app.request(path, init)
    const explain = (query: string, body: Uint8Array, headers: Record<string, string> = {}) =>
      request(`/internal/v1/explain${query}`, { method: 'POST', body, headers: { ...auth, ...headers } })

    beforeAll(async () => {
      const config = configSchema.parse({
        WORKER_TOKEN: token,
        MODELS_DIR,
        EXECUTION_PROVIDERS: 'cpu',
        MAX_BODY_BYTES: String(4 * 1024 * 1024),
        MAX_BATCH: '1',
        MAX_QUEUE: '1',
      })
      worker = await createWorker(config, silentLogger)
      const photos = readSampleImages()
      photo = photos.get('n02123159_tiger_cat.JPEG') as Buffer
      largestPhoto = [...photos.values()].reduce((a, b) => (a.length > b.length ? a : b))
    })
    afterAll(() => worker.close())

    async function expectProblem(response: Response, status: number, code: string) {
      expect(response.status).toBe(status)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      const problem = problemSchema.parse(await response.json())
      expect(problem).toMatchObject({ status, code })
      return problem
    }

    it('explains a real photograph: top-k predictions, 8-bit maps in [0, 255], overlays at the original size', async () => {
      const response = await explain('?topK=3&overlay=true', photo, { 'X-Request-Id': 'req-1' })
      expect(response.status).toBe(200)
      expect(response.headers.get('x-request-id')).toBe('req-1')
      const result = workerExplainResultSchema.parse(await response.json())
      const original = await sharp(photo).metadata()
      expect(result.image).toEqual({ width: original.width, height: original.height })
      const { x, y, width, height } = result.crop
      expect(x >= 0 && y >= 0 && x + width <= result.image.width && y + height <= result.image.height).toBe(
        true,
      )

      expect(result.predictions).toHaveLength(3)
      const scores = result.predictions.map((p) => p.score)
      expect(scores).toEqual([...scores].sort((a, b) => b - a))
      expect(scores.reduce((s, v) => s + v, 0)).toBeLessThanOrEqual(1 + 1e-6)
      // Maps for the top-3 classes, in the same order as the predictions.
      expect(result.explanations.map((e) => e.classId)).toEqual(result.predictions.map((p) => p.classId))

      for (const explanation of result.explanations) {
        const map = Buffer.from(explanation.map, 'base64')
        const meta = await sharp(map).metadata()
        expect(meta).toMatchObject({ format: 'png', channels: 1, depth: 'uchar' })
        expect([meta.width, meta.height]).toEqual([explanation.width, explanation.height])
        const levels = await sharp(map).toColourspace('b-w').raw().toBuffer()
        expect(Math.min(...levels)).toBe(0)
        expect(Math.max(...levels)).toBe(255)

        const overlay = await sharp(Buffer.from(explanation.overlay as string, 'base64')).metadata()
        expect([overlay.format, overlay.width, overlay.height]).toEqual([
          'webp',
          original.width,
          original.height,
        ])
        expect(explanation.overlayType).toBe('image/webp')
      }
      expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.inferenceMs)
    })

    it('draws the overlays of a large photo on a copy scaled to fit OVERLAY_MAX_SIDE', async () => {
      const large = await sharp(photo).resize(3000, 2000, { fit: 'fill' }).jpeg().toBuffer()
      const response = await explain('?topK=2&overlay=true', large)
      const result = workerExplainResultSchema.parse(await response.json())
      expect(result.image).toEqual({ width: 3000, height: 2000 })
      expect(result.crop).toEqual({ x: 500, y: 0, width: 2000, height: 2000 })
      for (const { overlay } of result.explanations) {
        const meta = await sharp(Buffer.from(overlay as string, 'base64')).metadata()
        expect([meta.format, meta.width, meta.height]).toEqual(['webp', 1024, 683])
      }
    })

    it('encodes overlays as asked and fits them to overlayMaxSide, at most OVERLAY_MAX_SIDE', async () => {
      const large = await sharp(photo).resize(3000, 2000, { fit: 'fill' }).jpeg().toBuffer()
      const sizes = { 300: [300, 200], 5000: [1024, 683] } as const
      for (const [side, size] of Object.entries(sizes)) {
        const response = await explain(`?topK=1&overlay=true&overlayFormat=png&overlayMaxSide=${side}`, large)
        const [explanation] = workerExplainResultSchema.parse(await response.json()).explanations
        expect(explanation?.overlayType).toBe('image/png')
        const meta = await sharp(Buffer.from(explanation?.overlay as string, 'base64')).metadata()
        expect([meta.format, meta.width, meta.height]).toEqual(['png', ...size])
      }
      const jpeg = await explain('?topK=1&overlay=true&overlayFormat=jpeg', photo)
      const [explanation] = workerExplainResultSchema.parse(await jpeg.json()).explanations
      expect(explanation?.overlayType).toBe('image/jpeg')
      expect((await sharp(Buffer.from(explanation?.overlay as string, 'base64')).metadata()).format).toBe(
        'jpeg',
      )
    })

    it('explains the classes asked for by id, without overlays unless asked', async () => {
      const models = workerModelListSchema.parse(
        await (await request('/internal/v1/models', { headers: auth })).json(),
      )
      const labels = models.models.find((m) => m.id === PACK_ID)?.labels ?? []
      const response = await explain('?topK=1&classes=3,7', photo)
      const result = workerExplainResultSchema.parse(await response.json())
      expect(result.predictions).toHaveLength(1)
      expect(result.explanations.map((e) => [e.classId, e.label])).toEqual([
        [3, labels[3]],
        [7, labels[7]],
      ])
      expect(result.explanations.every((e) => e.overlay === undefined)).toBe(true)
    })

    it('lists the models with the default marked', async () => {
      const list = workerModelListSchema.parse(
        await (await request('/internal/v1/models', { headers: auth })).json(),
      )
      expect(list.models).toContainEqual(expect.objectContaining({ id: PACK_ID, default: true }))
      expect(list.models.filter((m) => m.default)).toHaveLength(1)
    })

    it('serves each listed explanation graph by its sha256, with its preprocessing in the list', async () => {
      const list = workerModelListSchema.parse(
        await (await request('/internal/v1/models', { headers: auth })).json(),
      )
      const model = list.models.find((m) => m.id === PACK_ID)
      const manifest = JSON.parse(await readFile(join(MODELS_DIR, PACK_ID, 'manifest.json'), 'utf8'))
      expect(model?.preprocessing).toEqual({
        resizeShorter: manifest.preprocessing.resizeShorter,
        crop: manifest.preprocessing.crop,
      })
      const graph = await readFile(join(MODELS_DIR, PACK_ID, manifest.onnx.file))
      expect(model?.onnx).toEqual({ sha256: manifest.onnx.sha256, bytes: graph.length })

      const response = await request(`/internal/v1/files/${manifest.onnx.sha256}`, { headers: auth })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-length')).toBe(String(graph.length))
      expect(Buffer.from(await response.arrayBuffer()).equals(graph)).toBe(true)

      const other = createHash('sha256').update('not a pack file').digest('hex')
      await expectProblem(await request(`/internal/v1/files/${other}`, { headers: auth }), 404, 'not_found')
      await expectProblem(await request(`/internal/v1/files/${manifest.onnx.sha256}`), 401, 'unauthorized')
    })

    it('answers 401 without the worker token or with a wrong one', async () => {
      await expectProblem(await request('/internal/v1/models'), 401, 'unauthorized')
      const wrong = await request('/internal/v1/explain', {
        method: 'POST',
        body: photo,
        headers: { Authorization: 'Bearer nope' },
      })
      await expectProblem(wrong, 401, 'unauthorized')
    })

    it('maps every bad input onto its problem code', async () => {
      await expectProblem(await explain('?topK=99', photo), 400, 'bad_options')
      await expectProblem(await explain('?classes=unicorn', photo), 400, 'bad_options')
      await expectProblem(await explain('?model=imagenet-vit', photo), 400, 'unknown_model')
      await expectProblem(await explain('', Buffer.alloc(5 * 1024 * 1024, 0xff)), 413, 'payload_too_large')
      const heic = Buffer.concat([
        Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'),
        Buffer.alloc(64),
      ])
      const problem = await expectProblem(await explain('', heic), 415, 'unsupported_media_type')
      expect(problem.detail).toMatch(/JPEG/)
      await expectProblem(await explain('', photo.subarray(0, 200)), 422, 'undecodable_image')
      await expectProblem(await explain('', pngDeclaring(8000, 6000, 10)), 422, 'image_too_large')
    })

    it('answers 504 when the deadline passes before the answer is ready', async () => {
      const problem = await expectProblem(
        await explain('', largestPhoto, { 'X-Deadline-Ms': '1' }),
        504,
        'deadline_exceeded',
      )
      expect(problem.detail).toMatch(/1 ms/)
    })

    it('answers 503 with Retry-After when the queue is full', async () => {
      const small = await solid(64, 64, [120, 80, 40]).jpeg().toBuffer()
      const responses = await Promise.all(Array.from({ length: 24 }, () => explain('', small)))
      const refused = responses.filter((r) => r.status === 503)
      expect(refused.length).toBeGreaterThan(0)
      expect(refused[0]?.headers.get('retry-after')).toBe('1')
      await expectProblem(refused[0] as Response, 503, 'overloaded')
      expect(responses.every((r) => r.status === 200 || r.status === 503)).toBe(true)
    })

    it('reports liveness, readiness and Prometheus metrics', async () => {
      expect((await request('/healthz')).status).toBe(200)
      expect(await (await request('/readyz')).json()).toMatchObject({
        status: 'ready',
        models: expect.arrayContaining([PACK_ID]),
      })
      const metrics = await (await request('/metrics')).text()
      expect(metrics).toContain(`worker_execution_provider{model="${PACK_ID}",provider="cpu"} 1`)
      expect(metrics).toMatch(new RegExp(`worker_batch_size_count\\{model="${PACK_ID}"\\} [1-9]`))
      expect(metrics).toContain(`worker_queue_depth{model="${PACK_ID}"} 0`)
      expect(metrics).toContain('worker_overlay_pixels_in_use 0')
      expect(metrics).toMatch(
        /worker_request_duration_seconds_bucket\{le="[^"]+",route="\/internal\/v1\/explain",status="200"\}/,
      )
      worker.drain()
      expect((await request('/readyz')).status).toBe(503)
    })
  },
)
