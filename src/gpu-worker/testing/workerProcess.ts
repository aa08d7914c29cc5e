import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../../..')

export interface WorkerProcess {
  url: string
  token: string
  /** Resident memory now and at its peak (VmRSS, VmHWM of /proc/<pid>/status), MiB; NaN once it has exited. */
  memory(): { rssMiB: number; peakMiB: number }
  /** The last 4000 characters of its stderr, for failure messages. */
  output(): string
  /** SIGKILL: a test's worker has nothing to drain, and one stuck in a loop would not drain anyway. */
  kill(): Promise<void>
}

function processMemory(pid: number | undefined) {
  let status = ''
  try {
    status = pid ? readFileSync(`/proc/${pid}/status`, 'utf8') : ''
  } catch {}
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
}

/**
 * The real worker (main.ts) in its own process on 127.0.0.1: its memory and its event loop are its own, apart
 * from the test's, as in production.
 */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const token = randomBytes(24).toString('hex')
  // Port 0: the system picks a free one, and the worker's log line says which.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/gpu-worker/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', WORKER_TOKEN: token },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  let url: string | undefined
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
    url ??= /"gpu-worker listening".*?"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1]
  })
  const exited = new Promise((done) => child.once('exit', done))
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await exited
  }
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}): ${stderr}`)
    const ready =
      url !== undefined &&
      (await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    if (url && ready)
      return { url, token, memory: () => processMemory(child.pid), output: () => stderr, kill }
    await new Promise((done) => setTimeout(done, 200))
  }
  await kill()
  throw new Error(`worker not ready within 60 s: ${stderr}`)
}
