import { describe, expect, inject, it } from 'vitest'
import '../test/providedContext'
import { ProblemError } from '../problem/problem'
import { standin } from '../test/fixtures'
import { WorkerPool } from './workerPool'

const base = inject('standinUrl')
const UNREACHABLE = 'http://127.0.0.1:9'
const call = { method: 'GET' as const, path: '/internal/v1/models', requestId: 'pool-test' }

/** A pool over named stand-in workers; `random: 0` makes the first listed worker the first choice. */
function poolOf(urls: string[], clock = { now: 0 }, timeoutMs = 1000) {
  return new WorkerPool({
    urls,
    token: inject('standinToken'),
    timeoutMs,
    now: () => clock.now,
    random: () => 0,
  })
}

async function problemOf(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof ProblemError)) throw new Error(`expected a ProblemError, got ${String(error)}`)
  return error
}

describe('WorkerPool', () => {
  it('retries once on another worker after a 5xx', async () => {
    await standin('p-error', { mode: 'error' })
    const pool = poolOf([`${base}/w/p-error`, `${base}/w/p-ok`])
    expect((await pool.call(call)).status).toBe(200)
    expect((await standin('p-error')).calls.models).toBe(0)
    expect((await standin('p-ok')).calls.models).toBe(1)
  })

  it('retries once on another worker after a connect error', async () => {
    const pool = poolOf([UNREACHABLE, `${base}/w/p-ok2`])
    expect((await pool.call(call)).status).toBe(200)
  })

  it('answers 503 with Retry-After when every worker is down', async () => {
    const pool = poolOf([UNREACHABLE, `${base}/w/p-error`])
    const problem = await problemOf(pool.call(call))
    expect(problem.status).toBe(503)
    expect(problem.headers['Retry-After']).toBe('2')
    // Both are now cooling down: the next call fails fast without touching them.
    const again = await problemOf(pool.call(call))
    expect(again.status).toBe(503)
    expect(Number(again.headers['Retry-After'])).toBeGreaterThanOrEqual(1)
  })

  it('answers 504 when workers are too slow', async () => {
    await standin('p-hang', { mode: 'hang' })
    const pool = poolOf([`${base}/w/p-hang`], { now: 0 }, 200)
    expect((await problemOf(pool.call(call))).status).toBe(504)
  })

  it('takes a failed worker back only after its cooldown and a passing /readyz probe', async () => {
    const clock = { now: 0 }
    await standin('p-flaky', { mode: 'error' })
    const pool = poolOf([`${base}/w/p-flaky`], clock)
    expect((await problemOf(pool.call(call))).status).toBe(503)
    await standin('p-flaky', { mode: 'ok' })
    expect((await problemOf(pool.call(call))).status).toBe(503) // still cooling down
    clock.now += 600
    const before = (await standin('p-flaky')).calls.readyz
    expect((await pool.call(call)).status).toBe(200)
    expect((await standin('p-flaky')).calls.readyz).toBe(before + 1)
  })

  it('sends work to the worker with fewer calls in flight', async () => {
    await standin('p-busy', { delayMs: 300 })
    const pool = poolOf([`${base}/w/p-busy`, `${base}/w/p-idle`])
    const slow = pool.call(call)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await pool.call(call)
    await slow
    expect((await standin('p-busy')).calls.models).toBe(1)
    expect((await standin('p-idle')).calls.models).toBe(1)
    await standin('p-busy', { delayMs: 0 })
  })
})
