/**
 * Reliability figures for docs/reliability.md (`npm run bench:reliability [-- --minutes 10 --rate 8] [--mix hits]
 * [--no-burst]`), on the real local stack (wrangler dev + the CPU worker, fresh state):
 *  1. a burst of 50 concurrent 9.9 MiB bodies: the edge's (workerd's) RSS before, at its peak and after;
 *  2. a bounded soak: steady mixed load (explain misses and hits, the model list, upload grants) at a fixed
 *     rate for N minutes, with the RSS of workerd and of the worker and the error count sampled over time.
 * Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { hasModelPack } from '../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../src/gpu-worker/testing/sampleImages'
import { LocalStack } from '../tests/e2e/localStack'
import { edgeHeapMiB as readEdgeHeapMiB } from './edgeHeap'
import { fixed, markdownTable } from './worker/table'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '8' },
    'sample-seconds': { type: 'string', default: '30' },
    // `hits`: the misses' share sent as hits (nothing new cached), to tell the growth that new entries cause.
    mix: { type: 'string', default: 'mixed' },
    burst: { type: 'boolean', default: true },
  },
  allowNegative: true,
})
if (!hasSampleImages() || !hasModelPack()) {
  console.error('bench:reliability needs ../shared/images/imagenet-samples.tar and models/cifar10-cnn')
  process.exit(1)
}

/** RSS in MiB of `root` and every process below it whose command contains `name` (e.g. workerd), summed. */
function treeRssMiB(root: number | undefined, name = ''): number {
  if (!root) return Number.NaN
  const parents = new Map<number, { ppid: number; comm: string }>()
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parents.set(Number(pid), {
        ppid: Number(after[1]),
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      })
    } catch {} // the process ended between the listing and the read
  }
  const below = (pid: number): boolean => pid === root || (pid > 1 && below(parents.get(pid)?.ppid ?? 0))
  let kib = 0
  for (const [pid, { comm }] of parents) {
    if (!below(pid) || !comm.includes(name)) continue
    try {
      kib += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    } catch {}
  }
  return kib / 1024
}

const photos = [...readSampleImages().values()]
const stack = new LocalStack({ RATE_LIMIT_PER_MINUTE: '10000000' })
const edgeMiB = () => treeRssMiB(stack.pids.edgeGroup, 'workerd')
const workerMiB = () => treeRssMiB(stack.pids.workers[0])
/** start.mjs gives wrangler's inspector the edge's port + 10000. */
const edgeHeapMiB = () =>
  readEdgeHeapMiB(Number(new URL(stack.edgeUrl).port) + 10_000).catch(() => Number.NaN)
const auth = () => ({ Authorization: `Bearer ${stack.apiKey}` })

async function burst(): Promise<(string | number)[][]> {
  const body = new Uint8Array(9.9 * 2 ** 20) // over no limit (10 MiB), not an image: refused after reading
  body.set([0xff, 0xd8, 0xff])
  const before = edgeMiB()
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, edgeMiB())
  }, 100)
  const statuses = await Promise.all(
    Array.from({ length: 50 }, () =>
      fetch(`${stack.edgeUrl}/v1/explain`, {
        method: 'POST',
        body,
        headers: { ...auth(), 'Content-Type': 'image/jpeg' },
        signal: AbortSignal.timeout(120_000),
      }).then(
        async (r) => {
          await r.arrayBuffer()
          return r.status
        },
        () => 0,
      ),
    ),
  )
  clearInterval(sampler)
  await new Promise((done) => setTimeout(done, 5000))
  const tally = new Map<number, number>()
  for (const status of statuses) tally.set(status, (tally.get(status) ?? 0) + 1)
  const counts = [...tally].map(([status, n]) => `${n}x ${status || 'no answer'}`)
  return [[fixed(before, 0), fixed(peak, 0), fixed(edgeMiB(), 0), counts.join(', ')]]
}

type Outcome = 'ok' | 'error'

/** One API call, its body read to the end (as a client would), judged by its status. */
async function call(
  path: string,
  init: { method?: string; body?: RequestInit['body']; type?: string } = {},
): Promise<Outcome> {
  const headers = { ...auth(), ...(init.type && { 'Content-Type': init.type }) }
  const r = await fetch(`${stack.edgeUrl}${path}`, { method: init.method ?? 'GET', body: init.body, headers })
  await r.arrayBuffer()
  return r.ok ? 'ok' : 'error'
}

const mix: { weight: number; name: string; send: (i: number) => Promise<Outcome> }[] = [
  // photo x topK: 2500 distinct explanations before a repeat
  {
    weight: 5,
    name: 'explain miss',
    send: (i) =>
      call(`/v1/explain?topK=${1 + (Math.floor(i / photos.length) % 5)}`, {
        method: 'POST',
        body: photos[i % photos.length],
        type: 'image/jpeg',
      }),
  },
  {
    weight: 3,
    name: 'explain hit',
    send: () => call('/v1/explain', { method: 'POST', body: photos[0], type: 'image/jpeg' }),
  },
  { weight: 1, name: 'models', send: () => call('/v1/models?labels=false') },
  {
    weight: 1,
    name: 'upload grant',
    send: () =>
      call('/v1/uploads', {
        method: 'POST',
        body: JSON.stringify({ contentType: 'image/jpeg', contentLength: 1000 }),
        type: 'application/json',
      }),
  },
]

async function soak(minutes: number, rate: number, sampleSeconds: number) {
  const hit = mix.find((m) => m.name === 'explain hit') as (typeof mix)[number]
  const planned =
    args.mix === 'hits' ? mix.map((m) => (m.name === 'explain miss' ? { ...hit, weight: m.weight } : m)) : mix
  const schedule = planned.flatMap((m) => Array<typeof m>(m.weight).fill(m))
  const rows: (string | number)[][] = []
  const counts = new Map<string, { ok: number; error: number }>(mix.map((m) => [m.name, { ok: 0, error: 0 }]))
  const started = performance.now()
  const end = started + minutes * 60_000
  const inFlight = new Set<Promise<void>>()
  let sent = 0
  let nextSample = started
  let misses = 0
  while (performance.now() < end) {
    const now = performance.now()
    if (now >= nextSample) {
      const errors = [...counts.values()].reduce((n, c) => n + c.error, 0)
      rows.push([
        fixed((now - started) / 60_000, 1),
        sent,
        errors,
        fixed(edgeMiB(), 0),
        fixed(await edgeHeapMiB(), 1),
        fixed(workerMiB(), 0),
      ])
      nextSample += sampleSeconds * 1000
    }
    const entry = schedule[sent % schedule.length] as (typeof mix)[number]
    const index = entry.name === 'explain miss' ? misses++ : sent
    const request = entry
      .send(index)
      .catch((): Outcome => 'error')
      .then((outcome) => {
        ;(counts.get(entry.name) as { ok: number; error: number })[outcome]++
        inFlight.delete(request)
      })
    inFlight.add(request)
    sent++
    const due = started + (sent / rate) * 1000
    await new Promise((done) => setTimeout(done, Math.max(0, due - performance.now())))
  }
  await Promise.all(inFlight)
  const errors = [...counts.values()].reduce((n, c) => n + c.error, 0)
  rows.push([
    fixed((performance.now() - started) / 60_000, 1),
    sent,
    errors,
    fixed(edgeMiB(), 0),
    fixed(await edgeHeapMiB(), 1),
    fixed(workerMiB(), 0),
  ])
  return { rows, counts }
}

try {
  await stack.start()
  console.log(
    `# Reliability: ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)} at start, ${new Date().toISOString()}\n`,
  )
  if (args.burst) {
    console.log('## Burst: 50 concurrent 9.9 MiB bodies to POST /v1/explain\n')
    console.log(markdownTable(['edge RSS before MiB', 'peak MiB', '5 s after MiB', 'answers'], await burst()))
  }
  const minutes = Number(args.minutes)
  const rate = Number(args.rate)
  const { rows, counts } = await soak(minutes, rate, Number(args['sample-seconds']))
  console.log(
    args.mix === 'hits'
      ? `\n## Soak: ${minutes} min at ${rate} req/s, no misses (explain hits 8 : models 1 : upload grants 1)\n`
      : `\n## Soak: ${minutes} min at ${rate} req/s (explain misses 5 : hits 3 : models 1 : upload grants 1)\n`,
  )
  console.log(
    markdownTable(
      ['minute', 'requests sent', 'errors', 'edge (workerd) RSS MiB', 'edge JS heap MiB', 'worker RSS MiB'],
      rows,
    ),
  )
  console.log(
    `\n${markdownTable(
      ['request', 'ok', 'errors'],
      [...counts].map(([name, c]) => [name, c.ok, c.error]),
    )}\nload average at the end: ${loadavg()[0]?.toFixed(1)}`,
  )
} finally {
  await stack.stop()
}
