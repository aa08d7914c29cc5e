import { SELF } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ExplainResponse, Problem } from '../../shared/contract'
import { sha256Hex } from '../crypto'
import { API_KEY, explain, jpeg, seedApiKey, standin, standinUrl, testSettings } from '../test/fixtures'

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
      query: `?${new URLSearchParams({ model: 'test-cnn@1.0.0', topK: '2', overlay: 'true', classes: '3,5', overlayFormat: 'webp' })}`,
      contentType: 'image/jpeg',
      requestId: response.headers.get('X-Request-Id'),
      deadlineMs: '1000',
    })
  })

  it("splits its time in Server-Timing: the worker's queue and inference on a miss, the edge alone on a hit", async () => {
    const image = jpeg('server-timing')
    const timing = async () => (await explain(image)).headers.get('Server-Timing')
    // The stand-in worker reports inference 1.5, queue 0.1, total 2 ms.
    expect(await timing()).toMatch(/^edge;dur=[\d.]+, worker;dur=2, queue;dur=0\.1, inference;dur=1\.5$/)
    expect(await timing()).toMatch(/^edge;dur=[\d.]+$/)
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

  it('keys overlays by format and size, and ignores both without an overlay', async () => {
    const image = jpeg('overlay-options')
    const cacheOf = async (query: string) => (await explain(image, { query })).headers.get('X-Cache')
    expect(await cacheOf('?overlay=true')).toBe('MISS')
    expect(await cacheOf('?overlay=true&overlayFormat=webp')).toBe('HIT')
    expect(await cacheOf('?overlay=true&overlayFormat=png')).toBe('MISS')
    expect(await cacheOf('?overlay=true&overlayFormat=png&overlayMaxSide=256')).toBe('MISS')
    expect(await cacheOf('?overlay=false&overlayFormat=jpeg&overlayMaxSide=64')).toBe('MISS')
    expect(await cacheOf('?overlayFormat=png')).toBe('HIT')
    const { lastExplain } = await standin('main')
    expect(lastExplain?.query).toBe(
      `?${new URLSearchParams({ model: 'test-cnn@1.0.0', topK: '3', overlay: 'false', overlayFormat: 'webp' })}`,
    )
    await explain(image, { query: '?overlay=true&overlayFormat=jpeg&overlayMaxSide=300' })
    expect((await standin('main')).lastExplain?.query).toContain('overlayFormat=jpeg&overlayMaxSide=300')
  })

  it('refuses an unknown overlay format or an overlay side out of range', async () => {
    for (const query of [
      '?overlay=true&overlayFormat=gif',
      '?overlay=true&overlayMaxSide=8',
      '?overlayMaxSide=big',
    ]) {
      const response = await explain(jpeg('overlay-refused'), { query })
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ code: 'bad_options' })
    }
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
    const response = await explain(new Uint8Array(testSettings().MAX_BODY_BYTES + 1))
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

/** A multipart body written by hand, so that its Content-Type header can be spelt any valid way. */
function multipart(boundary: string, fields: [string, string | Uint8Array][]) {
  const encoder = new TextEncoder()
  const parts = fields.flatMap(([name, value]) => [
    encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"` +
        (typeof value === 'string'
          ? '\r\n\r\n'
          : `; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    ),
    typeof value === 'string' ? encoder.encode(value) : value,
    encoder.encode('\r\n'),
  ])
  return new Blob([...parts, encoder.encode(`--${boundary}--\r\n`)])
}

const withImage = (tag: string, fields: Record<string, string>) => {
  const form = new FormData()
  form.set('image', new File([jpeg(tag)], 'photo.jpg', { type: 'image/jpeg' }))
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  return form
}

describe('POST /v1/explain with odd field names (issue 14.3)', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'answers a multipart field named %s as an unknown option (400), never a crash',
    async (name) => {
      const response = await explain(withImage('proto-fields', { [name]: 'x' }), { type: null })
      expect(response.status).toBe(400)
      expect(await response.json<Problem>()).toMatchObject({
        code: 'bad_options',
        detail: expect.stringContaining(name),
      })
    },
  )

  it.each(['__proto__', 'constructor', 'toString'])(
    'answers a query parameter %s as an unknown option',
    async (name) => {
      const response = await explain(jpeg('proto-query'), { query: `?${name}=1` })
      expect(response.status).toBe(400)
      expect(await response.json<Problem>()).toMatchObject({
        code: 'bad_options',
        detail: expect.stringContaining(name),
      })
    },
  )

  it.each(['5', '"topK"', '[1]', 'null', '{'])(
    'answers an `options` field of %s as no JSON object',
    async (json) => {
      const response = await explain(withImage('options-not-object', { options: json }), { type: null })
      expect(response.status).toBe(400)
      expect(await response.json<Problem>()).toMatchObject({
        code: 'bad_options',
        detail: 'The `options` field is not a JSON object.',
      })
    },
  )

  it('answers `__proto__` inside the `options` field or a JSON body as an unknown option', async () => {
    const field = await explain(withImage('proto-options', { options: '{"__proto__":{"topK":1}}' }), {
      type: null,
    })
    expect(field.status).toBe(400)
    expect(await field.json<Problem>()).toMatchObject({ code: 'bad_options' })
    const imageUrl = `${standinUrl()}/images/photo.jpg?proto`
    const body = await explain(`{"imageUrl":${JSON.stringify(imageUrl)},"__proto__":{"topK":1}}`, {
      type: 'application/json',
    })
    expect(body.status).toBe(400)
    expect(await body.json<Problem>()).toMatchObject({ code: 'bad_options' })
  })
})

describe('POST /v1/explain echoes at most a little of its input (issue 14.6)', () => {
  const huge = 'a'.repeat(60_000)
  const imageUrl = `${standinUrl()}/images/photo.jpg?echo`

  it.each([
    ['a huge `model` value', withImage('echo-model', { model: huge }), null],
    ['a huge unknown field name', withImage('echo-name', { [huge]: '1' }), null],
    ['a huge `model` in a JSON body', JSON.stringify({ imageUrl, model: huge }), 'application/json'],
    ['a huge unknown key in a JSON body', JSON.stringify({ imageUrl, [huge]: 1 }), 'application/json'],
    ['a huge Content-Type', jpeg('echo-type'), `image/${huge}`],
    ['a huge unparseable Content-Type', jpeg('echo-type'), `image/jpeg; ${huge}`],
  ])('answers %s in a short problem', async (_, body, type) => {
    const response = await explain(body, { type })
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    const text = await response.text()
    expect(text.length).toBeLessThan(1000)
    expect(JSON.parse(text).detail).toMatch(/aaaa…/)
  })
})

describe('POST /v1/explain reads Content-Type per RFC 9110 (issue 14.8)', () => {
  const fields = (tag: string): [string, string | Uint8Array][] => [
    ['image', jpeg(tag)],
    ['topK', '1'],
  ]

  it.each([
    ['a charset before the boundary', 'multipart/form-data; charset=utf-8; boundary=XyZ', 'XyZ'],
    ['spaces around the semicolon', 'multipart/form-data   ;   boundary=XyZ', 'XyZ'],
    ['a quoted boundary with a space', 'multipart/form-data; boundary="a b:c"', 'a b:c'],
    ['a quoted boundary with an escaped quote', 'multipart/form-data; boundary="a\\"b"', 'a"b'],
    ['upper-case type and parameter name', 'Multipart/Form-Data; BOUNDARY=XyZ', 'XyZ'],
    ['a boundary before other parameters', 'multipart/form-data; boundary=XyZ; charset="utf-8"', 'XyZ'],
  ])('accepts multipart with %s', async (_, type, boundary) => {
    const response = await explain(multipart(boundary, fields(`mt-${type}`)), { type })
    expect(response.status).toBe(200)
    expect((await response.json<ExplainResponse>()).predictions).toHaveLength(1)
  })

  it.each(['application/json;', 'application/json ; charset="utf-8"', 'Application/JSON; charset=UTF-8'])(
    'accepts a JSON body sent as %s',
    async (type) => {
      const imageUrl = `${standinUrl()}/images/photo.jpg?json-type`
      const response = await explain(JSON.stringify({ imageUrl, topK: 1 }), { type })
      expect(response.status).toBe(200)
    },
  )

  it.each(['IMAGE/JPEG', 'image/jpeg;', 'image/jpeg ; q="a;b"'])(
    'accepts a raw image sent as %s',
    async (type) => {
      expect((await explain(jpeg(`raw-type ${type}`), { type })).status).toBe(200)
    },
  )

  it.each([
    'image/jpeg garbage',
    'image/jpeg; boundary',
    'image/jpeg; a="unterminated',
    'image',
    'image/jpeg, image/png',
  ])('answers 415 for the malformed Content-Type %s', async (type) => {
    const response = await explain(jpeg('bad-type'), { type })
    expect(response.status).toBe(415)
    expect(await response.json<Problem>()).toMatchObject({ code: 'unsupported_media_type' })
  })

  it('answers 400 for multipart without a boundary', async () => {
    const response = await explain(multipart('XyZ', fields('no-boundary')), { type: 'multipart/form-data' })
    expect(response.status).toBe(400)
    expect(await response.json<Problem>()).toMatchObject({ code: 'bad_request' })
  })
})

describe('POST /v1/explain with an imageUrl whose server misnames the type (issue 14.9)', () => {
  it('explains a JPEG served as text/html: the bytes decide', async () => {
    const imageUrl = `${standinUrl()}/images/photo.jpg?type=text/html`
    const response = await explain(JSON.stringify({ imageUrl }), { type: 'application/json' })
    expect(response.status).toBe(200)
    expect((await standin('main')).lastExplain?.contentType).toBe('image/jpeg')
  })

  it('answers 422 naming what the URL served when it is no image', async () => {
    const imageUrl = `${standinUrl()}/images/page.html`
    const response = await explain(JSON.stringify({ imageUrl }), { type: 'application/json' })
    expect(response.status).toBe(422)
    const problem = await response.json<Problem>()
    expect(problem.code).toBe('undecodable_image')
    expect(problem.detail).toMatch(/imageUrl/)
    expect(problem.detail).toMatch(/text\/html/)
    expect(problem.detail).not.toMatch(/multipart|Content-Type of the request/)
  })
})

describe('POST /v1/explain as a new user tries it (issue 14.12)', () => {
  it('answers GET /v1/explain with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await SELF.fetch('https://edge.test/v1/explain', {
        method,
        headers: { Authorization: `Bearer ${API_KEY}` },
      })
      expect(response.status).toBe(405)
      expect(response.headers.get('Allow')).toBe('POST')
      expect(response.headers.get('Content-Type')).toBe('application/problem+json')
      expect(await response.json<Problem>()).toMatchObject({ status: 405, code: 'method_not_allowed' })
    }
  })

  it.each([
    ['no body and no Content-Type', undefined, undefined],
    ['a declared image type', '', 'image/jpeg'],
    ['a form type (curl -d "")', '', 'application/x-www-form-urlencoded'],
  ])('answers an empty POST with %s as a missing image (400)', async (_, body, type) => {
    const before = await explainCalls()
    const headers = new Headers({ Authorization: `Bearer ${API_KEY}` })
    if (type) headers.set('Content-Type', type)
    const response = await SELF.fetch('https://edge.test/v1/explain', { method: 'POST', body, headers })
    expect(response.status).toBe(400)
    expect(await response.json<Problem>()).toMatchObject({ code: 'missing_image' })
    expect(await explainCalls()).toBe(before)
  })

  it('says which classes there are when a class is unknown', async () => {
    const response = await explain(jpeg('unknown-class'), { query: '?classes=tiger' })
    expect(response.status).toBe(400)
    const { detail } = await response.json<Problem>()
    expect(detail).toMatch(/no class "tiger"/)
    expect(detail).toMatch(/"cat"/)
    expect(detail).toMatch(/GET \/v1\/models\/test-cnn/)
  })

  it('reads -F classes=["cat","dog"] as a JSON array', async () => {
    const response = await explain(withImage('classes-json-field', { classes: '["cat","dog"]' }), {
      type: null,
    })
    expect(response.status).toBe(200)
    expect((await response.json<ExplainResponse>()).explanations.map((e) => e.label)).toEqual(['cat', 'dog'])
  })

  it('tags a MISS and its HIT with the same weak ETag, and a HIT reports no inference time', async () => {
    const image = jpeg('weak-etag')
    const miss = await explain(image)
    const hit = await explain(image)
    expect(hit.headers.get('X-Cache')).toBe('HIT')
    expect(miss.headers.get('ETag')).toMatch(/^W\/"[0-9a-f]{32}"$/)
    expect(hit.headers.get('ETag')).toBe(miss.headers.get('ETag'))
    expect((await miss.json<ExplainResponse>()).timings.inferenceMs).toBe(1.5)
    expect((await hit.json<ExplainResponse>()).timings.inferenceMs).toBe(0)
  })

  it('documents the 200 headers and the meaning of inferenceMs in the OpenAPI document', async () => {
    const doc = await (await SELF.fetch('https://edge.test/openapi.json')).json<{
      paths: Record<
        string,
        Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>
      >
      components: {
        schemas: Record<
          string,
          { properties: Record<string, { properties: Record<string, { description: string }> }> }
        >
      }
    }>()
    expect(Object.keys(doc.paths['/v1/explain']?.post?.responses['200']?.headers ?? {}).sort()).toEqual([
      'ETag',
      'X-Cache',
    ])
    expect(
      doc.components.schemas.ExplainResult?.properties.timings?.properties.inferenceMs?.description,
    ).toMatch(/0 .*cache/)
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
