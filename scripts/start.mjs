#!/usr/bin/env node
/**
 * `npm start`: the local stack. The edge runs in real workerd (`wrangler dev`, local KV, R2, Durable Objects
 * and Queues persisted under .wrangler/state) and a GPU worker runs on CPU with the default model pack.
 * Builds the demo page (scripts/build-web.ts; the edge serves it at / with the dev key), waits until both are
 * ready, prints the URLs, the dev API key and a curl example; Ctrl-C stops both.
 *
 * Settings (environment): EDGE_PORT (8787), WORKER_PORT (8788), EXPLAIN_API_KEY (else a stored or generated
 * one), EDGE_STATE_DIR (.wrangler/state), DEV_VARS_FILE (.dev.vars: the secrets, generated if missing),
 * WORKER_URLS (use these already-running workers instead of starting one), PUBLIC_BASE_URL (the origin of
 * every link the edge answers with: its local URL unless set); the edge settings of wrangler.toml listed in
 * EDGE_SETTINGS override its [vars] when set in the environment.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { edgeLogFilter } from './edgeLog.mjs'

const root = resolve(import.meta.dirname, '..')
const edgePort = Number(process.env.EDGE_PORT ?? 8787)
const workerPort = Number(process.env.WORKER_PORT ?? 8788)
const stateDir = resolve(root, process.env.EDGE_STATE_DIR ?? '.wrangler/state')
const devVarsFile = resolve(root, process.env.DEV_VARS_FILE ?? '.dev.vars')
const externalWorkers = process.env.WORKER_URLS
const workerUrls = externalWorkers ?? `http://127.0.0.1:${workerPort}`
const edgeUrl = `http://127.0.0.1:${edgePort}`
// No metrics, and no fetch of the `request.cf` sample from workers.cloudflare.com (it fails offline; the bundled
// placeholder is what local requests get either way).
const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_COLOR: '1',
}
const wranglerBin = resolve(root, 'node_modules/wrangler/bin/wrangler.js')
const EDGE_SETTINGS = [
  'RATE_LIMIT_PER_MINUTE',
  'MAX_BODY_BYTES',
  'MAX_BUFFERED_BODY_BYTES',
  'CACHE_TTL_SECONDS',
  'WORKER_TIMEOUT_MS',
  'IMAGE_FETCH_TIMEOUT_MS',
  'DNS_RESOLVER_URL',
  'UPLOAD_URL_TTL_SECONDS',
  'JOB_ITEM_LEASE_SECONDS',
  'JOB_ITEM_RETRY_BASE_SECONDS',
  'WEBHOOK_RETRY_SCHEDULE',
]

/** Children run in their own process groups so that stopping one stops everything it started. */
const children = []
let stopping = false

function log(message) {
  process.stdout.write(`[start] ${message}\n`)
}

/** The secrets wrangler dev gives the edge, created once per checkout (the file is gitignored). */
function ensureDevVars() {
  const text = existsSync(devVarsFile) ? readFileSync(devVarsFile, 'utf8') : ''
  const vars = Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"?([^"]*)"?\s*$/.exec(line))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  )
  const missing = ['WORKER_TOKEN', 'UPLOAD_SIGNING_SECRET'].filter((name) => !vars[name])
  if (missing.length) {
    for (const name of missing) vars[name] = randomBytes(32).toString('hex')
    writeFileSync(
      devVarsFile,
      `${Object.entries(vars)
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n')}\n`,
      { mode: 0o600 },
    )
    log(`wrote ${missing.join(', ')} to ${devVarsFile}`)
  }
  return vars
}

/** EXPLAIN_API_KEY, else the key generated on an earlier start, else a new one (kept beside the state). */
function devApiKey() {
  if (process.env.EXPLAIN_API_KEY) return process.env.EXPLAIN_API_KEY
  const file = resolve(stateDir, '..', 'dev-api-key')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const key = `dev_${randomBytes(24).toString('base64url')}`
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  return key
}

/** `filter` takes each output line and returns the lines to print. */
function run(name, command, args, env, filter = (line) => [line]) {
  const child = spawn(command, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const prefix = (stream, out) => {
    let rest = ''
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines.flatMap(filter)) out.write(`[${name}] ${line}\n`)
    })
  }
  prefix(child.stdout, process.stdout)
  prefix(child.stderr, process.stderr)
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping`)
      stop(1)
    }
  })
  children.push(child)
  return child
}

/** Stores the dev key the way production does: only its SHA-256, in the local API_KEYS namespace. */
async function registerApiKey(key) {
  const hash = createHash('sha256').update(key).digest('hex')
  const record = JSON.stringify({ name: 'local development', createdAt: new Date().toISOString() })
  const args = [
    wranglerBin,
    'kv',
    'key',
    'put',
    hash,
    record,
    '--binding',
    'API_KEYS',
    '--local',
    '--persist-to',
    stateDir,
  ]
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: wranglerEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const code = await new Promise((done) => child.on('exit', done))
  if (code !== 0) throw new Error(`could not store the dev API key: ${stderr.trim()}`)
}

/** The demo page and the edge's other static assets (wrangler.toml [assets]), built into dist/web. */
async function buildDemoPage() {
  const child = spawn(
    process.execPath,
    [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build-web.ts'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  const code = await new Promise((done) => child.on('exit', done))
  if (code !== 0) throw new Error('could not build the demo page (scripts/build-web.ts)')
}

/** The dev key for the demo page (DEMO_API_KEY), in a file beside the key rather than on wrangler's command line. */
function writeDemoEnv(apiKey) {
  const file = resolve(stateDir, '..', 'demo-page.env')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `DEMO_API_KEY="${apiKey}"\n`, { mode: 0o600 })
  return file
}

async function waitUntilOk(url, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (stopping) return
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return
    } catch {}
    await new Promise((done) => setTimeout(done, 250))
  }
  throw new Error(`${what} not ready at ${url} after ${timeoutMs / 1000} s`)
}

function stop(code) {
  if (stopping) return
  stopping = true
  const alive = children.filter((child) => child.exitCode === null && child.signalCode === null)
  for (const child of alive) {
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {}
  }
  const force = setTimeout(() => {
    for (const child of alive) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
    }
  }, 5000)
  Promise.all(alive.map((child) => new Promise((done) => child.once('exit', done)))).then(() => {
    clearTimeout(force)
    process.exit(code)
  })
  if (!alive.length) process.exit(code)
}

async function main() {
  process.on('SIGINT', () => stop(0))
  process.on('SIGTERM', () => stop(0))
  // If whoever started us dies without a signal to us (a killed test runner, a closed terminal), stop too.
  const parent = process.ppid
  setInterval(() => process.ppid !== parent && stop(0), 1000).unref()
  const secrets = ensureDevVars()
  const apiKey = devApiKey()
  await registerApiKey(apiKey)
  const demoEnvFile = writeDemoEnv(apiKey)

  if (!externalWorkers) {
    run(
      'worker',
      process.execPath,
      [resolve(root, 'node_modules/tsx/dist/cli.mjs'), 'src/gpu-worker/main.ts'],
      {
        ...process.env,
        PORT: String(workerPort),
        HOST: '127.0.0.1',
        WORKER_TOKEN: secrets.WORKER_TOKEN,
        EXECUTION_PROVIDERS: process.env.EXECUTION_PROVIDERS ?? 'cpu',
      },
    )
  }
  // While the worker loads its models.
  await buildDemoPage()
  run(
    'edge',
    process.execPath,
    [
      wranglerBin,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(edgePort),
      '--persist-to',
      stateDir,
      '--env-file',
      devVarsFile,
      '--env-file',
      demoEnvFile,
      '--var',
      `WORKER_URLS:${workerUrls}`,
      '--var',
      `PUBLIC_BASE_URL:${process.env.PUBLIC_BASE_URL ?? edgeUrl}`,
      '--var',
      'ALLOW_LOOPBACK_HTTP:true',
      ...EDGE_SETTINGS.filter((name) => process.env[name]).flatMap((name) => [
        '--var',
        `${name}:${process.env[name]}`,
      ]),
      '--inspector-port',
      String(edgePort + 10_000),
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
    ],
    wranglerEnv,
    edgeLogFilter(),
  )

  await Promise.all([
    ...workerUrls.split(',').map((url) => waitUntilOk(`${url.trim()}/readyz`, 'GPU worker', 180_000)),
    waitUntilOk(`${edgeUrl}/healthz`, 'edge', 120_000),
  ])
  if (stopping) return
  const curl = `curl -s -H "Authorization: Bearer ${apiKey}" -F image=@photo.jpg ${edgeUrl}/v1/explain`
  process.stdout.write(
    [
      '',
      'T-TAME explain API is ready.',
      `  Page:     ${edgeUrl}/   (a photo explained in the browser)`,
      `  API:      ${edgeUrl}   (docs: ${edgeUrl}/docs)`,
      `  API key:  ${apiKey}`,
      `  Workers:  ${workerUrls}`,
      'Explain a photograph:',
      `  ${curl}`,
      'Ctrl-C stops the edge and the worker.',
      '',
    ].join('\n'),
  )
}

main().catch((error) => {
  log(error instanceof Error ? error.message : String(error))
  stop(1)
})
