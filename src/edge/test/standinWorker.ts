import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { type ProblemCode, problemDetails } from '../../shared/problem'
import './providedContext'

/**
 * A stand-in GPU worker for the edge's workerd tests: speaks docs/internal-protocol.md over real HTTP from the
 * vitest Node process. Each path prefix `/w/<name>` is an independent worker whose behaviour a test sets via
 * `POST /control/<name>` and whose calls it reads via `GET /control/<name>`. The real worker is exercised by
 * the end-to-end test (tests/e2e).
 */

const STANDIN_TOKEN = 'standin-worker-token'
const LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
/** ImageNet-scale: labels with spaces and a comma, and one label two classes share (ImageNet's "crane"s). */
const IMAGENET_LABELS = Object.assign(
  Array.from({ length: 1000 }, (_, i) => `class ${i}`),
  { 8: 'hen, rooster', 134: 'crane', 282: 'tiger cat', 517: 'crane' },
)

type Mode = 'ok' | 'error' | 'hang'
interface StandinState {
  mode: Mode
  delayMs: number
  calls: { explain: number; models: number; readyz: number; files: number }
  lastExplain?: { query: string; contentType: string; requestId: string; deadlineMs: string }
}

const states = new Map<string, StandinState>()
const stateOf = (name: string) => {
  let state = states.get(name)
  if (!state) {
    state = { mode: 'ok', delayMs: 0, calls: { explain: 0, models: 0, readyz: 0, files: 0 } }
    states.set(name, state)
  }
  return state
}

/** Each stand-in model's ONNX graph: bytes that only need to be recognisable, served by their sha256. */
const graphs = new Map(
  ['test-cnn', 'test-imagenet'].map((id) => {
    const bytes = Buffer.from(`stand-in graph of ${id} `.repeat(1000))
    return [createHash('sha256').update(bytes).digest('hex'), bytes] as const
  }),
)
const [cnnGraph, imagenetGraph] = [...graphs].map(([sha256, bytes]) => ({ sha256, bytes: bytes.length }))

const models = {
  models: [
    {
      id: 'test-cnn',
      version: '1.0.0',
      family: 'cnn',
      numClasses: 10,
      labels: LABELS,
      input: { width: 32, height: 32 },
      mapSize: { width: 32, height: 32 },
      default: true,
      preprocessing: { resizeShorter: 32, crop: 32 },
      onnx: cnnGraph,
    },
    {
      id: 'test-imagenet',
      version: '2.0.0',
      family: 'vit',
      numClasses: 1000,
      labels: IMAGENET_LABELS,
      input: { width: 224, height: 224 },
      mapSize: { width: 14, height: 14 },
      default: false,
      preprocessing: { resizeShorter: 256, crop: 224 },
      onnx: imagenetGraph,
    },
  ],
}
const labelsOf = (id: string | undefined) => models.models.find((m) => m.id === id)?.labels ?? []

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function explainResult(query: URLSearchParams, bytes: Buffer) {
  const classes = query.get('classes')?.split(',').map(Number) ?? [...Array(Number(query.get('topK'))).keys()]
  const [id, version] = (query.get('model') ?? 'test-cnn@1.0.0').split('@')
  const labels = labelsOf(id)
  return {
    model: { id, version },
    image: { width: 64 + (bytes.length % 7), height: 48 },
    crop: { x: 8, y: 0, width: 48, height: 48 },
    predictions: classes.map((c, i) => ({ classId: c, label: labels[c], score: 0.5 / (i + 1) })),
    explanations: classes.map((c) => ({
      classId: c,
      label: labels[c],
      width: 32,
      height: 32,
      map: 'iVBORw0KGgo=',
    })),
    timings: { inferenceMs: 1.5, queueMs: 0.1, totalMs: 2 },
  }
}

const problem = (code: ProblemCode) => JSON.stringify(problemDetails(code))

/**
 * Image hosting for `imageUrl` tests: a JPEG (`?type=` misnames it, as careless servers do), an HTML page,
 * redirects, an endless body and a slow answer.
 */
function serveImage(url: URL, response: ServerResponse) {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from(`image ${url.search}`)])
  const to = url.searchParams.get('to') ?? ''
  switch (url.pathname) {
    case '/images/photo.jpg':
      return void response
        .writeHead(200, {
          'Content-Type': url.searchParams.get('type') ?? 'image/jpeg',
          'Content-Length': jpeg.length,
        })
        .end(jpeg)
    case '/images/page.html':
      return void response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><p>Not here.')
    case '/images/redirect':
      return void response.writeHead(302, { Location: to }).end()
    case '/images/endless': {
      response.writeHead(200, { 'Content-Type': 'image/jpeg' })
      const chunk = Buffer.alloc(16 * 1024, 0xff)
      const timer = setInterval(() => response.write(chunk), 1)
      response.on('close', () => clearInterval(timer))
      return
    }
    case '/images/slow':
      return void setTimeout(() => response.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(jpeg), 3000)
    default:
      return void response.writeHead(404).end()
  }
}

/**
 * A DNS-over-HTTPS resolver (JSON API) for the names imageUrl and webhook tests use: [RCODE, [type, address]...].
 * Any other name gets SERVFAIL (2).
 */
const DNS: Record<string, [number, [number, string][]]> = {
  'public.example': [0, [[1, '93.184.216.34']]],
  'slow.example': [0, [[1, '93.184.216.37']]],
  'private.example': [
    0,
    [
      [1, '93.184.216.34'],
      [1, '10.0.0.7'],
    ],
  ],
  'loopback6.example': [0, [[28, '::1']]],
  'mapped.example': [0, [[28, '::ffff:169.254.169.254']]],
  'cname.example': [
    0,
    [
      [5, 'printer.internal.'],
      [1, '192.168.1.20'],
    ],
  ],
  'nothing.example': [0, []],
  'missing.example': [3, []],
}

/** The answer for `slow.example` waits this long: concurrent lookups of one name overlap. */
const SLOW_DNS_MS = 300

async function serveDns(url: URL, response: ServerResponse) {
  const name = url.searchParams.get('name') ?? ''
  if (name === 'slow.example') await new Promise((resolve) => setTimeout(resolve, SLOW_DNS_MS))
  const type = url.searchParams.get('type') === 'AAAA' ? 28 : 1
  const [status, records] = DNS[name] ?? [2, []]
  const answer = records.map(([t, data]) => ({ name, type: t, TTL: 60, data }))
  const body = { Status: status, Answer: answer.filter((r) => r.type === type || r.type === 5) }
  response.writeHead(200, { 'Content-Type': 'application/dns-json' }).end(JSON.stringify(body))
}

function startStandin(): Promise<Server> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://standin')
    const body = await readBody(request)
    const control = /^\/control\/([\w-]+)$/.exec(url.pathname)
    if (control?.[1]) {
      const state = stateOf(control[1])
      if (request.method === 'POST') Object.assign(state, JSON.parse(body.toString()))
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(state))
      return
    }
    if (url.pathname.startsWith('/images/')) return serveImage(url, response)
    if (url.pathname === '/dns-query') return serveDns(url, response)
    const match = /^\/w\/([\w-]+)(\/.*)$/.exec(url.pathname)
    if (!match?.[1]) return void response.writeHead(404).end()
    const [name, path] = [match[1], match[2]]
    const state = stateOf(name)
    if (path === '/readyz') state.calls.readyz++
    if (state.mode === 'hang') return // never answers; the edge's timeout must fire
    if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs))
    if (state.mode === 'error') {
      response.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': '2' })
      return void response.end(problem('overloaded'))
    }
    if (path === '/readyz') return void response.writeHead(200).end('ready')
    const json = (status: number, value: string, type = 'application/json') =>
      response.writeHead(status, { 'Content-Type': type }).end(value)
    if (request.headers.authorization !== `Bearer ${STANDIN_TOKEN}`) {
      return json(401, problem('unauthorized'), 'application/problem+json')
    }
    if (path === '/internal/v1/models') {
      state.calls.models++
      return json(200, JSON.stringify(models))
    }
    const file = /^\/internal\/v1\/files\/(\w+)$/.exec(path ?? '')
    if (file?.[1] && graphs.has(file[1])) {
      state.calls.files++
      const bytes = graphs.get(file[1]) as Buffer
      return void response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(bytes)
    }
    if (path === '/internal/v1/explain' && request.method === 'POST') {
      state.calls.explain++
      state.lastExplain = {
        query: url.search,
        contentType: request.headers['content-type'] ?? '',
        requestId: String(request.headers['x-request-id']),
        deadlineMs: String(request.headers['x-deadline-ms']),
      }
      // A JPEG whose payload says so stands for a file the decoder rejects.
      if (body.includes('UNDECODABLE')) {
        return json(422, problem('undecodable_image'), 'application/problem+json')
      }
      return json(200, JSON.stringify(explainResult(url.searchParams, body)))
    }
    json(404, problem('not_found'), 'application/problem+json')
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** vitest globalSetup: one stand-in server for the edge project. */
export default async function setup(project: TestProject) {
  const server = await startStandin()
  project.provide('standinUrl', `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  project.provide('standinToken', STANDIN_TOKEN)
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}
