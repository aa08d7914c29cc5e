import { describe, expect, inject, it } from 'vitest'
import '../test/providedContext'
import { ProblemError } from '../../shared/problem'
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

  it('takes a failed worker back only once its probe is due and passes', async () => {
    const clock = { now: 0 }
    await standin('p-flaky', { mode: 'error' })
    const pool = poolOf([`${base}/w/p-flaky`], clock)
    expect((await problemOf(pool.call(call))).status).toBe(503)
    await standin('p-flaky', { mode: 'ok' })
    expect((await problemOf(pool.call(call))).status).toBe(503) // its probe is not due yet
    clock.now += 100
    const before = (await standin('p-flaky')).calls.readyz
    expect((await pool.call(call)).status).toBe(200)
    expect((await standin('p-flaky')).calls.readyz).toBe(before + 1)
  })

  it('re-admits a restarted worker on its first passing probe, within a second of it being back', async () => {
    const clock = { now: 0 }
    await standin('p-restart', { mode: 'error' })
    const pool = poolOf([`${base}/w/p-restart`], clock)
    // Down for 8 s under steady traffic: each call finds it down, probing it whenever a probe is due.
    for (; clock.now < 8000; clock.now += 250) expect((await problemOf(pool.call(call))).status).toBe(503)
    await standin('p-restart', { mode: 'ok' })
    clock.now += 1000
    const before = (await standin('p-restart')).calls.readyz
    expect((await pool.call(call)).status).toBe(200)
    expect((await standin('p-restart')).calls.readyz).toBe(before + 1)
  })

  it('probes a down worker 100 ms after it failed, backing off while it stays down', async () => {
    const clock = { now: 0 }
    await standin('p-backoff', { mode: 'error' })
    const pool = poolOf([`${base}/w/p-backoff`], clock)
    const probesAt = async (at: number) => {
      clock.now = at
      const before = (await standin('p-backoff')).calls.readyz
      await problemOf(pool.call(call))
      return (await standin('p-backoff')).calls.readyz - before
    }
    await problemOf(pool.call(call)) // fails at 0
    expect(await probesAt(99)).toBe(0)
    expect(await probesAt(100)).toBe(1) // fails again: next probe 200 ms later
    expect(await probesAt(299)).toBe(0)
    expect(await probesAt(300)).toBe(1) // then 400 ms, 800 ms, at most 1 s
    expect(await probesAt(700)).toBe(1)
    expect(await probesAt(1500)).toBe(1)
    expect(await probesAt(2499)).toBe(0)
    expect(await probesAt(2500)).toBe(1)
  })

  it('keeps backing off a worker that passes /readyz but fails its calls (flapping)', async () => {
    const clock = { now: 0 }
    // A worker with another token answers /readyz but refuses every call: re-admitted, then failing again.
    const pool = new WorkerPool({
      urls: [`${base}/w/p-flap`],
      token: 'not-the-worker-token',
      timeoutMs: 1000,
      now: () => clock.now,
    })
    await problemOf(pool.call(call)) // refused at 0: next probe at 100
    clock.now = 100
    await problemOf(pool.call(call)) // probe passes, call refused again: the backoff went on, to 200 ms
    const readyz = (await standin('p-flap')).calls.readyz
    clock.now = 299
    await problemOf(pool.call(call))
    expect((await standin('p-flap')).calls.readyz).toBe(readyz)
    clock.now = 300
    await problemOf(pool.call(call))
    expect((await standin('p-flap')).calls.readyz).toBe(readyz + 1)
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
