import { describe, expect, it } from 'vitest'
import { NetworkError, ProblemError, TTameClient } from './index'

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])

interface Sent {
  url: string
  method: string
  headers: Headers
  body: RequestInit['body']
}

/** A client whose fetch answers from a script (a Response, an error to throw, or a function of the request). */
function scripted(
  script: (Response | Error | ((sent: Sent, signal: AbortSignal) => Promise<Response>))[],
  options = {},
) {
  const sent: Sent[] = []
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const request = {
      url: String(input),
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: init.body,
    }
    sent.push(request)
    const next = script.shift()
    if (next === undefined) throw new Error(`unscripted request ${request.method} ${request.url}`)
    if (next instanceof Error) throw next
    return typeof next === 'function' ? next(request, init.signal as AbortSignal) : next
  }
  const client = new TTameClient({ baseUrl: 'http://api.test', apiKey: 'k3y', fetch, ...options })
  return { client, sent }
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })

const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(
    JSON.stringify({
      type: `https://t-tame.dev/problems/${code}`,
      title: code.replace('_', ' '),
      status,
      code,
    }),
    { status, headers: { 'Content-Type': 'application/problem+json', ...headers } },
  )

const models = () => json({ models: [{ id: 'cifar10-cnn', default: true }] })

describe('TTameClient retries', () => {
  it('retries a 429 after its Retry-After and answers with the retry', async () => {
    const { client, sent } = scripted([problem(429, 'rate_limited', { 'Retry-After': '0' }), models()])
    expect(await client.listModels()).toEqual([{ id: 'cifar10-cnn', default: true }])
    expect(sent).toHaveLength(2)
  })

  it('throws at once when Retry-After asks for more than maxDelayMs, carrying the wait', async () => {
    const { client, sent } = scripted([problem(429, 'rate_limited', { 'Retry-After': '120' })])
    const error = await client.listModels().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProblemError)
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 120 })
    expect(sent).toHaveLength(1)
  })

  it('stops after maxRetries and throws the last answer', async () => {
    const busy = () => problem(503, 'no_worker', { 'Retry-After': '0' })
    const { client, sent } = scripted([busy(), busy(), busy()], { retry: { maxRetries: 2 } })
    await expect(client.listModels()).rejects.toMatchObject({ status: 503, code: 'no_worker' })
    expect(sent).toHaveLength(3)
  })

  it('does not retry other refusals', async () => {
    const { client, sent } = scripted([problem(400, 'bad_options')])
    await expect(client.explain(PNG, { topK: 99 })).rejects.toMatchObject({ status: 400 })
    expect(sent).toHaveLength(1)
  })

  it('retries a failed connection of a repeatable call, never a signed upload PUT', async () => {
    const refused = () => new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })
    const grant = json(
      { uploadId: 'upl_1', uploadUrl: 'http://blobs.test/u?sig=1', method: 'PUT', headers: {} },
      201,
    )
    const { client, sent } = scripted([refused(), models(), grant, refused()])
    expect(await client.listModels()).toHaveLength(1)
    const error = await client.upload(PNG).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NetworkError)
    expect((error as NetworkError).message).toContain('ECONNREFUSED')
    expect(sent.map((s) => s.method)).toEqual(['GET', 'GET', 'POST', 'PUT'])
  })
})

describe('TTameClient errors, timeouts and abort', () => {
  it('gives the problem fields, and the request id from X-Request-Id when the body has none', async () => {
    const { client } = scripted([problem(422, 'undecodable_image', { 'X-Request-Id': 'req-42' })])
    const error = (await client.explain(PNG).catch((e: unknown) => e)) as ProblemError
    expect(error).toMatchObject({
      name: 'ProblemError',
      status: 422,
      type: 'https://t-tame.dev/problems/undecodable_image',
      code: 'undecodable_image',
      requestId: 'req-42',
    })
    expect(error.message).toContain('request req-42')
  })

  it('turns an answer that is not problem+json into a ProblemError titled by its status', async () => {
    const page = new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })
    await expect(scripted([page]).client.listModels()).rejects.toMatchObject({
      status: 502,
      title: 'Bad Gateway',
      type: 'about:blank',
    })
  })

  it('times an attempt out with a NetworkError', async () => {
    const hang = (_: Sent, signal: AbortSignal) =>
      new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    const { client } = scripted([hang], { timeoutMs: 20, retry: { maxRetries: 0 } })
    await expect(client.listModels()).rejects.toMatchObject({ name: 'NetworkError', timedOut: true })
  })

  it('rejects with the signal reason when aborted while waiting to retry', async () => {
    const { client, sent } = scripted([problem(429, 'rate_limited', { 'Retry-After': '30' })])
    const controller = new AbortController()
    const call = client.listModels({ signal: controller.signal })
    setTimeout(() => controller.abort(new Error('stop')), 20)
    await expect(call).rejects.toThrow('stop')
    expect(sent).toHaveLength(1)
  })
})

describe('TTameClient requests', () => {
  it('sends a raw image typed by its bytes, with its options in the query', async () => {
    const { client, sent } = scripted([json({ predictions: [], explanations: [] })])
    await client.explain(new Blob([PNG], { type: 'application/octet-stream' }), {
      topK: 2,
      classes: ['hen, rooster', 3],
      overlay: true,
    })
    const [request] = sent
    const url = new URL(request?.url as string)
    expect(url.pathname).toBe('/v1/explain')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      topK: '2',
      overlay: 'true',
      classes: '["hen, rooster",3]',
    })
    expect(request?.headers.get('Content-Type')).toBe('image/png')
    expect(request?.headers.get('Authorization')).toBe('Bearer k3y')
  })

  it('explains by upload id in JSON, and uploads without the API key', async () => {
    const grant = json(
      {
        uploadId: 'upl_1',
        uploadUrl: 'http://blobs.test/u?sig=1',
        method: 'PUT',
        headers: { 'Content-Type': 'image/png' },
      },
      201,
    )
    const { client, sent } = scripted([
      grant,
      new Response(null, { status: 204 }),
      json({ explanations: [] }),
    ])
    await client.uploadAndExplain(PNG, { topK: 1 })
    const [post, put, explain] = sent
    expect(JSON.parse(post?.body as string)).toEqual({ contentType: 'image/png', contentLength: PNG.length })
    expect(put).toMatchObject({ url: 'http://blobs.test/u?sig=1', method: 'PUT' })
    expect(put?.headers.get('Authorization')).toBeNull()
    expect(JSON.parse(explain?.body as string)).toEqual({ topK: 1, uploadId: 'upl_1' })
  })

  it('downloads a model graph with the key, and sends no key to a signed URL of the same origin', async () => {
    const graph = new Uint8Array([8, 1, 18, 4])
    const grant = json(
      { uploadId: 'upl_2', uploadUrl: 'http://api.test/uploads/upl_2?sig=2', method: 'PUT', headers: {} },
      201,
    )
    const { client, sent } = scripted([new Response(graph), grant, new Response(null, { status: 204 })])
    const onnx = { url: 'http://api.test/v1/model-files/abc', sha256: 'abc', bytes: 4 }
    expect(await client.modelGraph({ onnx })).toEqual(graph)
    await client.upload(PNG)
    const [download, , put] = sent
    expect(download).toMatchObject({ url: onnx.url, method: 'GET' })
    expect(download?.headers.get('Authorization')).toBe('Bearer k3y')
    expect(put?.url).toBe('http://api.test/uploads/upl_2?sig=2')
    expect(put?.headers.get('Authorization')).toBeNull()
  })

  it('asks for one model by id@version, escaped in the path, and throws unknown_model as a ProblemError', async () => {
    const model = { id: 'cifar10-cnn', version: '1.7.0', labels: ['airplane'] }
    const { client, sent } = scripted([json(model), problem(404, 'unknown_model')])
    expect(await client.getModel('cifar10-cnn@1.7.0')).toEqual(model)
    expect(sent[0]).toMatchObject({ url: 'http://api.test/v1/models/cifar10-cnn%401.7.0', method: 'GET' })
    const error = await client.getModel('no/such').catch((e: unknown) => e)
    expect(sent[1]?.url).toBe('http://api.test/v1/models/no%2Fsuch')
    expect(error).toBeInstanceOf(ProblemError)
    expect(error).toMatchObject({ status: 404, code: 'unknown_model' })
  })

  it('keeps a base URL path prefix', async () => {
    const sent: string[] = []
    const client = new TTameClient({
      baseUrl: 'http://gateway.test/t-tame',
      apiKey: 'k',
      fetch: async (input) => {
        sent.push(String(input))
        return models()
      },
    })
    await client.listModels({ labels: false })
    expect(sent).toEqual(['http://gateway.test/t-tame/v1/models?labels=false'])
  })

  it('sends every job with an Idempotency-Key, the caller’s when given', async () => {
    const created = () => json({ jobId: 'j1', status: 'queued' }, 202)
    const { client, sent } = scripted([created(), created()])
    await client.createJob({ items: [{ uploadId: 'upl_1' }] })
    await client.createJob({ items: [{ uploadId: 'upl_1' }] }, { idempotencyKey: 'mine' })
    expect(sent[0]?.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/)
    expect(sent[1]?.headers.get('Idempotency-Key')).toBe('mine')
  })

  it('iterates a job’s results across pages by cursor', async () => {
    const item = (index: number) => ({ index, status: 'failed', error: { code: 'x', detail: 'y' } })
    const { client, sent } = scripted([
      json({ items: [item(0), item(1)], nextCursor: 'c1' }),
      json({ items: [item(2)], nextCursor: null }),
    ])
    const indices = []
    for await (const result of client.jobResults('job1', { limit: 2 })) indices.push(result.index)
    expect(indices).toEqual([0, 1, 2])
    expect(sent.map((s) => new URL(s.url).search)).toEqual(['?limit=2', '?cursor=c1&limit=2'])
  })

  it('waits for a job until it is final, reporting each read', async () => {
    const view = (status: string, succeeded: number) => json({ jobId: 'j', status, counts: { succeeded } })
    const { client } = scripted([view('queued', 0), view('running', 1), view('completed', 2)])
    const seen: number[] = []
    const job = await client.waitForJob('j', {
      pollIntervalMs: 1,
      onProgress: (j) => seen.push(j.counts.succeeded),
    })
    expect(job.status).toBe('completed')
    expect(seen).toEqual([0, 1, 2])
  })
})
