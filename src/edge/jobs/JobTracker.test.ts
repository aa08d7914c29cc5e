import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../crypto'
import { API_KEY, jpeg, seedApiKey } from '../test/fixtures'
import { uploadImage } from './test/jobClient'

// The jobs' items use uploads of the test key, which only that key's jobs may read.
let OWNER = ''
beforeAll(async () => {
  await seedApiKey()
  OWNER = await sha256Hex(API_KEY)
})

async function waitForStatus(stub: DurableObjectStub<import('./JobTracker').JobTracker>, status: string) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const view = await stub.status(OWNER)
    if (view?.status === status) return view
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(view)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('JobTracker', { timeout: 30_000 }, () => {
  it('re-sends an item whose consumer died holding it, once its lease runs out, and records it once', async () => {
    const uploadId = await uploadImage(jpeg(`lease-${crypto.randomUUID()}`))
    const stub = env.JOBS.get(env.JOBS.newUniqueId())
    await stub.create({
      owner: OWNER,
      fingerprint: 'f',
      items: [{ uploadId, topK: 3 }],
      resultsUrl: 'https://edge.test/v1/jobs/x/results',
    })
    // A consumer claims the item and dies: the queue's own delivery finds it leased and leaves it alone.
    expect((await stub.startItem(0))?.attempt).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await stub.status(OWNER))?.counts).toMatchObject({ running: 1, succeeded: 0 })

    await runInDurableObject(stub, (_tracker, state) => {
      state.storage.sql.exec('UPDATE items SET due_at = 0') // the lease runs out
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    const job = await waitForStatus(stub, 'completed')
    expect(job.counts).toMatchObject({ total: 1, succeeded: 1, running: 0 })

    // A late outcome of the dead consumer's run changes nothing.
    expect(await stub.finishItem(0, { error: { code: 'late', detail: 'late' } })).toBe(false)
    const [row] = (await stub.results(OWNER, -1, 10)) ?? []
    expect(row).toMatchObject({ index: 0, status: 'succeeded' })
    expect(row?.error).toBeUndefined()
  })

  it('re-sends a queued item only once the whole job has stalled, not while it progresses', async () => {
    const uploadId = await uploadImage(jpeg(`stall-${crypto.randomUUID()}`))
    const stub = env.JOBS.get(env.JOBS.newUniqueId())
    await stub.create({
      owner: OWNER,
      fingerprint: 'f',
      items: [
        { uploadId, topK: 1 },
        { uploadId, topK: 2 },
      ],
      resultsUrl: 'https://edge.test/v1/jobs/x/results',
    })
    await stub.startItem(0)
    await stub.startItem(1)
    await new Promise((resolve) => setTimeout(resolve, 1500)) // the queue's own deliveries find both leased
    await stub.retryItem(1, { code: 'no_worker_available', detail: 'busy' }, 0) // progress, item 1 queued again
    const item1 = () =>
      runInDurableObject(stub, (_tracker, state) =>
        state.storage.sql
          .exec<{ status: string; redispatches: number }>(
            'SELECT status, redispatches FROM items WHERE idx = 1',
          )
          .one(),
      )

    await runInDurableObject(stub, (_tracker, state) => {
      state.storage.sql.exec('UPDATE items SET due_at = 0 WHERE idx = 1') // its lease ran out...
    })
    await runDurableObjectAlarm(stub) // ...but the job progressed just now: it is waiting, not lost
    expect(await item1()).toEqual({ status: 'queued', redispatches: 0 })

    await runInDurableObject(stub, (_tracker, state) => {
      state.storage.sql.exec('UPDATE items SET due_at = 0, updated_at = 0') // nothing moved for a lease
    })
    await runDurableObjectAlarm(stub)
    expect((await item1()).redispatches).toBe(1)
    expect((await waitForStatus(stub, 'completed')).counts).toMatchObject({ total: 2, succeeded: 2 })
  })

  it('fails an item as item_lost once its re-sends run out', async () => {
    const uploadId = await uploadImage(jpeg(`lost-${crypto.randomUUID()}`))
    const stub = env.JOBS.get(env.JOBS.newUniqueId())
    await stub.create({
      owner: OWNER,
      fingerprint: 'f',
      items: [{ uploadId, topK: 1 }],
      resultsUrl: 'https://edge.test/v1/jobs/x/results',
    })
    await stub.startItem(0) // held, so the queue's own delivery leaves it alone
    await runInDurableObject(stub, (_tracker, state) => {
      // Sent 1 + 3 times, its lease run out, no progress since: every message was lost.
      state.storage.sql.exec('UPDATE items SET due_at = 0, updated_at = 0, redispatches = 3')
    })
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    expect((await stub.results(OWNER, -1, 1))?.[0]).toEqual({
      index: 0,
      status: 'failed',
      error: { code: 'item_lost', detail: 'not processed after 4 dispatches' },
    })
    expect((await stub.status(OWNER))?.status).toBe('failed')
  })

  it('keeps its state across a restart of the object', async () => {
    const uploadId = await uploadImage(jpeg(`restart-${crypto.randomUUID()}`))
    const id = env.JOBS.newUniqueId()
    await env.JOBS.get(id).create({
      owner: OWNER,
      fingerprint: 'f',
      items: [{ uploadId, topK: 1 }],
      resultsUrl: 'https://edge.test/v1/jobs/x/results',
    })
    await waitForStatus(env.JOBS.get(id), 'completed')
    await abortAllDurableObjects()
    expect(await env.JOBS.get(id).status(OWNER)).toMatchObject({
      status: 'completed',
      counts: { succeeded: 1 },
    })
    expect(await env.JOBS.get(id).status('someone-else')).toBeNull()
  })
})
