import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasModelPack } from '../../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import type { ExplainResponse, ModelListEntry, Problem } from '../../src/shared/contract'
import { edgeFetch, type ReplayableBody } from './devProxy'
import { LocalStack } from './localStack'

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47])

if (!hasSampleImages())
  console.warn('e2e skipped: ../shared/images/imagenet-samples.tar is absent (shared data not mounted)')
if (!hasModelPack())
  console.warn('e2e skipped: models/cifar10-cnn is absent (the default model pack has not landed)')

describe.skipIf(!hasSampleImages() || !hasModelPack())('the local stack explains photographs', () => {
  const stack = new LocalStack()
  const photos = [...(hasSampleImages() ? readSampleImages() : new Map<string, Buffer>())]
  const photo = (i: number) => {
    const entry = photos[i]
    if (!entry) throw new Error(`no sample photo ${i}`)
    return { name: entry[0], bytes: entry[1] }
  }
  let imageHost: Server

  const explain = (
    body: ReplayableBody,
    init: { query?: string; type?: string | null; key?: string } = {},
  ) => {
    const headers = new Headers({ Authorization: `Bearer ${init.key ?? stack.apiKey}` })
    if (init.type !== null) headers.set('Content-Type', init.type ?? 'image/jpeg')
    return edgeFetch(`${stack.edgeUrl}/v1/explain${init.query ?? ''}`, { method: 'POST', body, headers })
  }
  const multipart = (bytes: Buffer, fields: Record<string, string> = {}) => {
    const form = new FormData()
    form.set('image', new File([bytes], 'photo.jpg', { type: 'image/jpeg' }))
    for (const [name, value] of Object.entries(fields)) form.set(name, value)
    return form
  }

  beforeAll(async () => {
    imageHost = createServer((_, response) =>
      response.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(photo(7).bytes),
    )
    await new Promise<void>((done) => imageHost.listen(0, '127.0.0.1', done))
    await stack.start()
  })
  afterAll(async () => {
    await stack.stop()
    imageHost?.close()
  })

  it('lists the default model', async () => {
    const response = await fetch(`${stack.edgeUrl}/v1/models`, {
      headers: { Authorization: `Bearer ${stack.apiKey}` },
    })
    const { models } = (await response.json()) as { models: ModelListEntry[] }
    expect(models.find((m) => m.default)?.id).toBe('cifar10-cnn')
  })

  it.skipIf(!hasModelPack('cifar10-vit'))('explains with the ViT pack when a request names it', async () => {
    const listed = await fetch(`${stack.edgeUrl}/v1/models`, {
      headers: { Authorization: `Bearer ${stack.apiKey}` },
    })
    const vit = ((await listed.json()) as { models: ModelListEntry[] }).models.find(
      (m) => m.id === 'cifar10-vit',
    )
    expect(vit).toMatchObject({ family: 'vit', default: false, mapSize: { width: 8, height: 8 } })

    const response = await explain(multipart(photo(3).bytes, { model: 'cifar10-vit', topK: '2' }), {
      type: null,
    })
    expect(response.status).toBe(200)
    const result = (await response.json()) as ExplainResponse
    expect(result.model).toMatchObject({ id: 'cifar10-vit', version: vit?.version })
    expect(result.explanations.map((e) => e.classId)).toEqual(result.predictions.map((p) => p.classId))
    for (const explanation of result.explanations) {
      expect(Buffer.from(explanation.map, 'base64').subarray(0, 4)).toEqual(PNG)
    }
  })

  it('explains a photograph on a miss and answers the same request from the cache', async () => {
    const { bytes } = photo(0)
    const first = await explain(multipart(bytes, { topK: '3' }), { type: null })
    expect(first.status).toBe(200)
    expect(first.headers.get('X-Cache')).toBe('MISS')
    const result = (await first.json()) as ExplainResponse
    expect(result.model.id).toBe('cifar10-cnn')
    expect(result.predictions).toHaveLength(3)
    expect(result.explanations).toHaveLength(3)
    for (const explanation of result.explanations) {
      expect(Buffer.from(explanation.map, 'base64').subarray(0, 4)).toEqual(PNG)
    }
    expect(result.image.width).toBeGreaterThan(0)

    const repeat = await explain(multipart(bytes, { topK: '3' }), { type: null })
    expect(repeat.headers.get('X-Cache')).toBe('HIT')
    const cached = (await repeat.json()) as ExplainResponse
    expect(cached.cached).toBe(true)
    expect(cached.explanations).toEqual(result.explanations)
  })

  it('keeps cached explanations across an edge restart', async () => {
    await stack.restartEdge()
    const repeat = await explain(multipart(photo(0).bytes, { topK: '3' }), { type: null })
    expect(repeat.status).toBe(200)
    expect(repeat.headers.get('X-Cache')).toBe('HIT')
  })

  it('explains a raw JPEG body with an overlay, and a photograph by imageUrl', async () => {
    const raw = await explain(photo(1).bytes, { query: '?topK=1&overlay=true' })
    expect(raw.status).toBe(200)
    const [explanation] = ((await raw.json()) as ExplainResponse).explanations
    // WebP by default: RIFF....WEBP.
    const overlay = Buffer.from(explanation?.overlay ?? '', 'base64')
    expect([overlay.toString('latin1', 0, 4), overlay.toString('latin1', 8, 12)]).toEqual(['RIFF', 'WEBP'])
    expect(explanation?.overlayType).toBe('image/webp')

    const imageUrl = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}/photo.jpg`
    const byUrl = await explain(JSON.stringify({ imageUrl, classes: ['cat', 'dog'] }), {
      type: 'application/json',
    })
    expect(byUrl.status).toBe(200)
    expect(((await byUrl.json()) as ExplainResponse).explanations.map((e) => e.label)).toEqual(['cat', 'dog'])
  })

  it('answers bad options 400, a wrong key 401, an oversized body 413 and text as JPEG 422', async () => {
    const cases: [Promise<Response>, number][] = [
      [explain(photo(2).bytes, { query: '?topK=0' }), 400],
      [explain(photo(2).bytes, { query: '?colour=red' }), 400],
      [explain(photo(2).bytes, { key: 'wrong-key' }), 401],
      [explain(Buffer.alloc(11 * 1024 * 1024, 0xff)), 413],
      [explain('this is text, not a photograph'), 422],
    ]
    for (const [pending, status] of cases) {
      const response = await pending
      expect(response.status).toBe(status)
      expect(response.headers.get('Content-Type')).toBe('application/problem+json')
      const problem = (await response.json()) as Problem
      expect(problem.requestId).toBe(response.headers.get('X-Request-Id'))
    }
  })

  it('answers 503 with Retry-After while the worker is stopped, and recovers when it is back', async () => {
    await stack.stopWorker()
    const down = await explain(photo(3).bytes)
    expect(down.status).toBe(503)
    expect(Number(down.headers.get('Retry-After'))).toBeGreaterThan(0)
    // Cached explanations are still served.
    expect(
      (await explain(multipart(photo(0).bytes, { topK: '3' }), { type: null })).headers.get('X-Cache'),
    ).toBe('HIT')

    await stack.startWorker()
    let status = 0
    for (let attempt = 0; attempt < 60 && status !== 200; attempt++) {
      status = (await explain(photo(3).bytes)).status
      if (status !== 200) await new Promise((done) => setTimeout(done, 500))
    }
    expect(status).toBe(200)
  })
})
