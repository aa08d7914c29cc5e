import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { freePort } from '../../tests/e2e/localStack'

export interface LoadInput {
  name: string
  contentType: string
  bodies: readonly Buffer[]
}

export interface LoadRow {
  batching: 'on' | 'off'
  input: string
  concurrency: number
  throughput: number
  p50Ms: number
  p99Ms: number
  meanBatch: number
  failed: number
}

export interface WorkerProcess {
  url: string
  token: string
  /** From spawn to the first ready `/readyz`: process start, every pack's checksum and session, listening. */
  startupMs: number
  /** The worker process's resident memory now and at its peak (VmRSS, VmHWM), MiB. */
  memory(): { rssMiB: number; peakMiB: number }
  stop(): Promise<void>
}

function processMemory(pid: number | undefined) {
  const status = pid ? readFileSync(`/proc/${pid}/status`, 'utf8') : ''
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
}

/** The real worker (src/gpu-worker/main.ts) in its own process, as the edge would reach it. */
export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const port = await freePort()
  const token = randomBytes(24).toString('hex')
  const spawned = performance.now()
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/gpu-worker/main.ts'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', WORKER_TOKEN: token },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  for (let waited = 0; waited < 120_000; waited += 200) {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}): ${stderr}`)
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) {
      const startupMs = performance.now() - spawned
      return { url, token, startupMs, memory: () => processMemory(child.pid), stop }
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await stop()
  throw new Error(`worker not ready within 120 s: ${stderr}`)
}

/** Sum and count of the batch-size histogram, to tell the mean batch of one load run. */
async function batchTotals(worker: WorkerProcess): Promise<{ sum: number; count: number }> {
  const text = await fetch(`${worker.url}/metrics`).then((r) => r.text())
  const read = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0)
  return { sum: read('worker_batch_size_sum'), count: read('worker_batch_size_count') }
}

/** `concurrency` clients posting the input's images in turn to `/internal/v1/explain` for `seconds`. */
export async function loadRun(
  worker: WorkerProcess,
  input: LoadInput,
  concurrency: number,
  seconds: number,
): Promise<Omit<LoadRow, 'batching'>> {
  const before = await batchTotals(worker)
  const result = await autocannon({
    url: worker.url,
    connections: concurrency,
    duration: seconds,
    headers: { authorization: `Bearer ${worker.token}`, 'content-type': input.contentType },
    requests: input.bodies.map((body) => ({ method: 'POST', path: '/internal/v1/explain?topK=3', body })),
  })
  const after = await batchTotals(worker)
  return {
    input: input.name,
    concurrency,
    throughput: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanBatch: (after.sum - before.sum) / Math.max(1, after.count - before.count),
    failed: result.non2xx + result.errors,
  }
}
