import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExplainResponse, Problem } from '../../shared/contract'
import { sha256Hex } from '../crypto'
import { API_KEY, explain, jpeg, seedApiKey, standin, standinUrl } from '../test/fixtures'

beforeAll(() => seedApiKey())

const explainCalls = async () => (await standin('main')).calls.explain

describe('POST /v1/explain', () => {
  it('computes on a miss, then answers the repeat from the cache without a worker call', async () => {
    const image = jpeg('miss-then-hit')
    const before = await explainCalls()
    const first = await explain(image)
    expect(first.status).toBe(200)
    expect(first.headers.get('X-Cache')).toBe('MISS')
    const body = await first.json<ExplainResponse>()
    expect(body).toMatchObject({ cached: false, model: { id: 'test-cnn', version: '1.0.0' } })
    expect(body.image.sha256).toBe(await sha256Hex(image))
    expect(body.predictions.map((p) => p.classId)).toEqual([0, 1, 2])
    expect(body.crop).toEqual({ x: 8, y: 0, width: 48, height: 48 })

    const repeat = await explain(image)
    expect(repeat.headers.get('X-Cache')).toBe('HIT')
    expect(repeat.headers.get('ETag')).toBe(first.headers.get('ETag'))
    const again = await repeat.json<ExplainResponse>()
    expect(again.cached).toBe(true)
    expect({ ...again, cached: false, timings: body.timings }).toEqual(body)
    expect(await explainCalls()).toBe(before + 1)
  })

  it('forwards the image, resolved options, request id, deadline and worker token', async () => {
    const response = await explain(jpeg('forwarded'), { query: '?topK=2&classes=cat,5&overlay=true' })
    expect(response.status).toBe(200)
    const { lastExplain } = await standin('main')
    expect(lastExplain).toEqual({
      query: `?${new URLSearchParams({ model: 'test-cnn@1.0.0', topK: '2', overlay: 'true', classes: '3,5' })}`,
      contentType: 'image/jpeg',
      requestId: response.headers.get('X-Request-Id'),
      deadlineMs: '1000',
    })
  })

  it('shares one cache entry between a class named by label and by id', async () => {
    const image = jpeg('label-vs-id')
    expect((await explain(image, { query: '?classes=cat' })).headers.get('X-Cache')).toBe('MISS')
    expect((await explain(image, { query: '?classes=3' })).headers.get('X-Cache')).toBe('HIT')
    expect((await explain(image, { query: '?classes=3&topK=3&overlay=false' })).headers.get('X-Cache')).toBe(
      'HIT',
    )
    expect((await explain(image, { query: '?classes=3&overlay=true' })).headers.get('X-Cache')).toBe('MISS')
  })

  it('accepts multipart with options as fields or as an `options` JSON field', async () => {
    const form = new FormData()
    form.set('image', new File([jpeg('multipart')], 'photo.jpg', { type: 'image/jpeg' }))
    form.set('topK', '1')
    const byFields = await explain(form, { type: null })
    expect(byFields.status).toBe(200)
    expect((await byFields.json<ExplainResponse>()).predictions).toHaveLength(1)

    const json = new FormData()
    json.set('image', new File([jpeg('multipart')], 'photo.jpg', { type: 'image/jpeg' }))
    json.set('options', JSON.stringify({ topK: 1 }))
    const byJson = await explain(json, { type: null })
    expect(byJson.headers.get('X-Cache')).toBe('HIT')
  })

  describe('names classes of a 1000-class model by exact label', () => {
    const model = 'test-imagenet'
    const explained = async (response: Response) => {
      expect(response.status).toBe(200)
      return (await response.json<ExplainResponse>()).explanations.map((e) => [e.classId, e.label])
    }
    const asQuery = (classes: string[]) =>
      `?${new URLSearchParams([['model', model], ...classes.map((value) => ['classes', value])])}`
    const form = (fields: Record<string, string>) => {
      const body = new FormData()
      body.set('image', new File([jpeg('labels-multipart')], 'photo.jpg', { type: 'image/jpeg' }))
      for (const [name, value] of Object.entries(fields)) body.set(name, value)
      return body
    }

    it('with spaces, comma-separated and repeated parameters concatenating', async () => {
      const response = await explain(jpeg('labels-text'), { query: asQuery(['tiger cat, 3', 'class 5']) })
      expect(await explained(response)).toEqual([
        [282, 'tiger cat'],
        [3, 'class 3'],
        [5, 'class 5'],
      ])
    })

    it('with commas, as a JSON array in the query, in a multipart field or `options`, or in a JSON body', async () => {
      const expected = [
        [8, 'hen, rooster'],
        [282, 'tiger cat'],
        [3, 'class 3'],
      ]
      const classes = ['hen, rooster', 'tiger cat', 3]
      const query = asQuery([JSON.stringify(classes.slice(0, 2)), '3'])
      expect(await explained(await explain(jpeg('labels-json'), { query }))).toEqual(expected)
      const field = form({ model, classes: JSON.stringify(classes) })
      expect(await explained(await explain(field, { type: null }))).toEqual(expected)
      const options = form({ options: JSON.stringify({ model, classes }) })
      expect(await explained(await explain(options, { type: null }))).toEqual(expected)
      const imageUrl = `${standinUrl()}/images/photo.jpg?labels`
      const body = JSON.stringify({ imageUrl, model, classes })
      expect(await explained(await explain(body, { type: 'application/json' }))).toEqual(expected)
    })

    it.each([
      [
        'a label two classes share',
        ['crane'],
        /Label "crane" names classes 134 and 517 of test-imagenet; ask by id/,
      ],
      ['a JSON array that does not parse', ['["hen, rooster"'], /expected a list of class ids or labels/],
      [
        'a JSON array of something else',
        ['[true]'],
        /classes.0: expected a class id \(an integer from 0\) or a label/,
      ],
      ['a label with a comma, comma-separated', ['hen, rooster'], /no class "hen"/],
    ])('refuses %s with bad_options before any worker call', async (_, classes, detail) => {
      const before = await explainCalls()
      const response = await explain(jpeg('labels-refused'), { query: asQuery(classes) })
      expect(response.status).toBe(400)
      expect(await response.json<Problem>()).toMatchObject({
        code: 'bad_options',
        detail: expect.stringMatching(detail),
      })
      expect(await explainCalls()).toBe(before)
    })

    it('explains both cranes when asked by id', async () => {
      expect(await explained(await explain(jpeg('cranes'), { query: asQuery(['134,517']) }))).toEqual([
        [134, 'crane'],
        [517, 'crane'],
      ])
    })
  })

  it('coalesces concurrent identical misses into one worker call', async () => {
    await standin('main', { delayMs: 200 })
    try {
      const before = await explainCalls()
      const image = jpeg('single-flight')
      const responses = await Promise.all(Array.from({ length: 5 }, () => explain(image)))
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
      expect(await explainCalls()).toBe(before + 1)
    } finally {
      await standin('main', { delayMs: 0 })
    }
  })

  it.each([
    ['an unknown option', '?size=large', 'bad_options'],
    ['topK out of range', '?topK=11', 'bad_options'],
    ['an unknown class label', '?classes=unicorn', 'bad_options'],
    ['a class id beyond the model', '?classes=10', 'bad_options'],
    ['an unknown model', '?model=resnet-9000', 'unknown_model'],
  ])('rejects %s with 400', async (_, query, code) => {
    const response = await explain(jpeg('bad-options'), { query })
    expect(response.status).toBe(400)
    expect(response.headers.get('Content-Type')).toBe('application/problem+json')
    const problem = await response.json<Problem>()
    expect(problem).toMatchObject({ status: 400, code, requestId: response.headers.get('X-Request-Id') })
  })

  it('rejects unknown keys in a JSON body with 400', async () => {
    const response = await explain(JSON.stringify({ imageUrl: 'https://example.com/a.jpg', colour: 'red' }), {
      type: 'application/json',
    })
    expect(response.status).toBe(400)
    expect(await response.json<Problem>()).toMatchObject({ code: 'bad_options' })
  })

  it.each([
    ['no key', undefined],
    ['a wrong key', 'not-the-key'],
  ])('answers 401 with %s', async (_, key) => {
    const response = await explain(jpeg('auth'), { key: key ?? '' })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer')
    const text = await response.text()
    expect(text).not.toContain(API_KEY)
    expect(JSON.parse(text)).toMatchObject({ status: 401, code: 'unauthorized' })
  })

  it('answers 413 for a body over the limit', async () => {
    const response = await explain(new Uint8Array(Number(env.MAX_BODY_BYTES) + 1))
    expect(response.status).toBe(413)
    expect(await response.json<Problem>()).toMatchObject({ code: 'payload_too_large' })
  })

  it('answers 415 for HEIC with a hint to send JPEG, and for non-image types', async () => {
    const heic = await explain(jpeg('heic'), { type: 'image/heic' })
    expect(heic.status).toBe(415)
    expect((await heic.json<Problem>()).detail).toMatch(/JPEG/)
    expect((await explain('hello', { type: 'text/plain' })).status).toBe(415)
  })

  it('answers 422 for text sent as a JPEG, before any worker call', async () => {
    const before = await explainCalls()
    const response = await explain('this is not a photograph', { type: 'image/jpeg' })
    expect(response.status).toBe(422)
    expect(await response.json<Problem>()).toMatchObject({ code: 'undecodable_image' })
    expect(await explainCalls()).toBe(before)
  })

  it("passes the worker's 4xx problems through with their code", async () => {
    const response = await explain(jpeg('UNDECODABLE'))
    expect(response.status).toBe(422)
    expect(await response.json<Problem>()).toMatchObject({ status: 422, code: 'undecodable_image' })
  })

  it('rejects image URLs that are not public https', async () => {
    for (const imageUrl of [
      'http://example.com/a.jpg',
      'https://169.254.169.254/latest',
      'https://10.1.2.3/a.jpg',
    ]) {
      const response = await explain(JSON.stringify({ imageUrl }), { type: 'application/json' })
      expect(response.status).toBe(400)
      expect(await response.json<Problem>()).toMatchObject({ code: 'image_url_rejected' })
    }
  })
})

// Last: it takes the only worker down and brings it back.
describe('POST /v1/explain with the worker down', () => {
  it('answers 503 with Retry-After, still serves cache hits, and recovers when the worker is back', async () => {
    const cachedImage = jpeg('cached-before-outage')
    expect((await explain(cachedImage)).status).toBe(200)
    await standin('main', { mode: 'error' })
    try {
      const down = await explain(jpeg('during-outage'))
      expect(down.status).toBe(503)
      expect(Number(down.headers.get('Retry-After'))).toBeGreaterThan(0)
      expect(await down.json<Problem>()).toMatchObject({ code: 'no_worker_available' })
      const hit = await explain(cachedImage)
      expect(hit.status).toBe(200)
      expect(hit.headers.get('X-Cache')).toBe('HIT')
    } finally {
      await standin('main', { mode: 'ok' })
    }
    let status = 0
    for (let attempt = 0; attempt < 40 && status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      status = (await explain(jpeg('after-outage'))).status
    }
    expect(status).toBe(200)
  })
})

describe('POST /v1/explain with a malformed body', () => {
  it('answers 400 problem+json for broken JSON', async () => {
    const response = await explain('{"imageUrl": ', { type: 'application/json' })
    expect(response.status).toBe(400)
    expect(await response.json<Problem>()).toMatchObject({ code: 'bad_request' })
  })

  it('answers 400 for a multipart body that does not parse', async () => {
    const response = await explain('not a multipart body', { type: 'multipart/form-data; boundary=xyz' })
    expect(response.status).toBe(400)
    expect(await response.json<Problem>()).toMatchObject({ code: 'bad_request' })
  })

  it('answers 400 when a multipart form has no image file', async () => {
    const form = new FormData()
    form.set('topK', '2')
    const response = await explain(form, { type: null })
    expect(response.status).toBe(400)
    expect(await response.json<Problem>()).toMatchObject({ code: 'missing_image' })
  })
})
