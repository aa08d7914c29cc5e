import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as { port: number }
  await new Promise((done) => server.close(done))
  return port
}

/** A child in its own process group, its output kept for failure messages. */
function spawnGroup(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  child.stdout?.on('data', (chunk) => output.push(String(chunk)))
  child.stderr?.on('data', (chunk) => output.push(String(chunk)))
  return { child, output }
}

async function stopGroup(child: ChildProcess | undefined) {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((done) => child.once('exit', done))
  process.kill(-child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {}
  }, 8000)
  await exited
  clearTimeout(timer)
}

async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
  log: () => string,
) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return
    await new Promise((done) => setTimeout(done, 250))
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s:\n${log().slice(-4000)}`)
}

/**
 * The real stack for a test file: `npm start`'s script with fresh state in a temp dir, and a GPU worker that
 * the test starts and stops itself (to see the edge answer 503 and recover).
 */
export class LocalStack {
  readonly apiKey = `e2e_${randomBytes(12).toString('hex')}`
  readonly #dir = mkdtempSync(join(tmpdir(), 'ttame-e2e-'))
  readonly #token = randomBytes(24).toString('hex')
  #workers: (ReturnType<typeof spawnGroup> | undefined)[] = []
  #edge?: ReturnType<typeof spawnGroup>
  #edgeEnv: NodeJS.ProcessEnv = {}
  edgeUrl = ''
  workerPorts: number[] = []

  /**
   * `edgeSettings`: wrangler.toml vars to override (see EDGE_SETTINGS in scripts/start.mjs); `workers`: how many
   * GPU workers the edge's pool gets; `workerEnv`: their settings (src/gpu-worker/config.ts), e.g. MODELS_DIR.
   */
  constructor(
    private readonly edgeSettings: Record<string, string> = {},
    private readonly options: { workers?: number; workerEnv?: Record<string, string> } = {},
  ) {}

  get workerPort() {
    return this.workerPorts[0] ?? 0
  }

  /** What the edge (start.mjs: wrangler dev and workerd) has printed so far. */
  get edgeOutput() {
    return this.#edge?.output.join('') ?? ''
  }

  /** Process ids, for memory readings: the edge's group (start.mjs, wrangler, workerd) and each worker. */
  get pids() {
    return { edgeGroup: this.#edge?.child.pid, workers: this.#workers.map((w) => w?.child.pid) }
  }

  async start() {
    process.once('exit', () => this.#killNow())
    this.workerPorts = await Promise.all(Array.from({ length: this.options.workers ?? 1 }, freePort))
    const edgePort = await freePort()
    this.edgeUrl = `http://127.0.0.1:${edgePort}`
    const varsFile = join(this.#dir, 'dev.vars')
    writeFileSync(
      varsFile,
      `WORKER_TOKEN="${this.#token}"\nUPLOAD_SIGNING_SECRET="${randomBytes(24).toString('hex')}"\n`,
    )
    this.#edgeEnv = {
      ...process.env,
      EDGE_PORT: String(edgePort),
      WORKER_URLS: this.workerPorts.map((port) => `http://127.0.0.1:${port}`).join(','),
      EXPLAIN_API_KEY: this.apiKey,
      EDGE_STATE_DIR: join(this.#dir, 'state'),
      DEV_VARS_FILE: varsFile,
      ...this.edgeSettings,
    }
    await Promise.all(this.workerPorts.map((_, i) => this.startWorker(i)))
    await this.#startEdge()
  }

  async #startEdge() {
    const edge = spawnGroup([resolve(ROOT, 'scripts/start.mjs')], this.#edgeEnv)
    this.#edge = edge
    const ready = () => edge.output.join('').includes('API is ready')
    await waitFor(ready, 'local stack', 200_000, () => edge.output.join(''))
  }

  /** Stops and starts the edge on the same local state (KV, R2, Durable Objects), as a redeploy would. */
  async restartEdge() {
    await stopGroup(this.#edge?.child)
    await this.#startEdge()
  }

  async startWorker(index = 0) {
    const port = this.workerPorts[index]
    const worker = spawnGroup([resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/gpu-worker/main.ts'], {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKER_TOKEN: this.#token,
      EXECUTION_PROVIDERS: 'cpu',
      ...this.options.workerEnv,
    })
    this.#workers[index] = worker
    const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok
    await waitFor(ready, 'GPU worker', 120_000, () => worker.output.join(''))
  }

  stopWorker(index = 0) {
    return stopGroup(this.#workers[index]?.child)
  }

  /** SIGKILL, as a crash or an OOM kill would: no graceful drain of what the worker holds. */
  async killWorker(index = 0) {
    const child = this.#workers[index]?.child
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((done) => child.once('exit', done))
    process.kill(-child.pid, 'SIGKILL')
    await exited
  }

  async stop() {
    await Promise.all([
      stopGroup(this.#edge?.child),
      ...this.#workers.map((worker) => stopGroup(worker?.child)),
    ])
    rmSync(this.#dir, { recursive: true, force: true })
  }

  /** Last resort if the test process dies without afterAll. */
  #killNow() {
    const signal = (child: ChildProcess | undefined, name: NodeJS.Signals) => {
      try {
        if (child?.pid) process.kill(-child.pid, name)
      } catch {}
    }
    // SIGTERM for the edge: start.mjs lives on and stops wrangler's process group before it exits.
    signal(this.#edge?.child, 'SIGTERM')
    for (const worker of this.#workers) signal(worker?.child, 'SIGKILL')
  }
}
