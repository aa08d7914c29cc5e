import { abortAllDurableObjects, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { JobItemSpec } from '../../shared/jobSchemas'
import { testSettings } from '../test/fixtures'
import { ItemLeases } from './itemLeases'
import { createJob } from './jobCreation'
import { settleJob } from './jobLifecycle'
import { readJob } from './jobTables'
import { jobView, resultRows } from './jobView'
import { lostItem, overdueItems } from './watchdog'
import { announceEnd, dueDelivery, nextAttemptAt, recordDelivery } from './webhookOutbox'

const OWNER = 'owner-key-id'
const LEASE_MS = testSettings().JOB_ITEM_LEASE_SECONDS * 1000
const result = { blobKey: 'jobs/x/results/0.json' }

/**
 * A job's parts on the SQLite storage of a fresh JobTracker, with a clock the test moves: nothing sleeps, and no
 * queue delivery or alarm of the real object runs in between (every time stays ahead of the real clock).
 */
function withJob<T>(
  items: JobItemSpec[],
  scenario: (job: {
    sql: SqlStorage
    leases: ItemLeases
    clock: { now: number }
    counts: () => Record<string, number>
  }) => T,
  webhookUrl?: string,
): Promise<T> {
  return runInDurableObject(env.JOBS.get(env.JOBS.newUniqueId()), (_tracker, state) => {
    const clock = { now: Date.now() }
    const { sql } = state.storage
    const created = createJob(
      state.storage,
      {
        owner: OWNER,
        fingerprint: 'f',
        items,
        resultsUrl: 'https://edge.test/v1/jobs/j/results',
        webhookUrl,
      },
      clock.now,
      LEASE_MS,
    )
    expect(created.outcome).toBe('created')
    const counts = () => jobView(sql, 'j', readJob(sql) ?? expect.fail('no job')).counts
    return scenario({ sql, leases: new ItemLeases(sql, LEASE_MS), clock, counts })
  })
}

const item: JobItemSpec = { uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA', topK: 3 }

describe('item leases and the watchdog', () => {
  it('re-sends an item whose consumer died holding it, once its lease runs out, and records it once', () =>
    withJob([item], ({ sql, leases, clock, counts }) => {
      // A consumer claims the item and dies: the queue's own delivery finds it leased and leaves it alone.
      expect(leases.claim(0, clock.now)?.attempt).toBe(1)
      clock.now += 1500
      expect(leases.claim(0, clock.now)).toBeNull()
      expect(counts()).toMatchObject({ running: 1, succeeded: 0 })

      clock.now += LEASE_MS // the lease runs out
      expect(overdueItems(sql, LEASE_MS, clock.now)).toEqual({ resend: [0], lost: [] })
      expect(leases.claim(0, clock.now)?.attempt).toBe(2)
      expect(leases.record(0, { result }, clock.now)).toBe(true)
      expect(settleJob(sql, clock.now)).toBe(true)
      expect(readJob(sql)?.status).toBe('completed')
      expect(counts()).toMatchObject({ total: 1, succeeded: 1, running: 0 })

      // A late outcome of the dead consumer's run changes nothing.
      expect(leases.record(0, { error: { code: 'late', detail: 'late' } }, clock.now)).toBe(false)
      const [row] = resultRows(sql, -1, 10)
      expect(row).toMatchObject({ index: 0, status: 'succeeded' })
      expect(row?.error).toBeUndefined()
    }))

  it('re-sends a queued item only once the whole job has stalled, not while it progresses', () =>
    withJob([item, { ...item, topK: 2 }], ({ sql, leases, clock, counts }) => {
      const item1 = () =>
        sql
          .exec<{ status: string; redispatches: number }>(
            'SELECT status, redispatches FROM items WHERE idx = 1',
          )
          .one()
      leases.claim(0, clock.now)
      leases.claim(1, clock.now)
      clock.now += 1000
      leases.release(1, { code: 'no_worker_available', detail: 'busy' }, 0, clock.now) // item 1 queued again
      clock.now += LEASE_MS - 1000
      leases.record(0, { result }, clock.now) // item 0 finishes: progress

      clock.now += 1000 // item 1's lease ran out...
      expect(overdueItems(sql, LEASE_MS, clock.now)).toEqual({ resend: [], lost: [] })
      // ...but the job progressed just now: it is waiting, not lost
      expect(item1()).toEqual({ status: 'queued', redispatches: 0 })

      clock.now += LEASE_MS // nothing moved for a lease
      expect(overdueItems(sql, LEASE_MS, clock.now)).toEqual({ resend: [1], lost: [] })
      expect(item1().redispatches).toBe(1)
      leases.claim(1, clock.now)
      leases.record(1, { result }, clock.now)
      settleJob(sql, clock.now)
      expect(readJob(sql)?.status).toBe('completed')
      expect(counts()).toMatchObject({ total: 2, succeeded: 2 })
    }))

  it('fails an item as item_lost once its re-sends run out', () =>
    withJob([item], ({ sql, leases, clock }) => {
      leases.claim(0, clock.now) // held, so the queue's own delivery leaves it alone
      // Sent 1 + 3 times, its lease run out each time, no progress since: every message was lost.
      for (let resent = 0; resent < 3; resent++) {
        clock.now += LEASE_MS
        expect(overdueItems(sql, LEASE_MS, clock.now).resend).toEqual([0])
      }
      clock.now += LEASE_MS
      expect(overdueItems(sql, LEASE_MS, clock.now)).toEqual({ resend: [], lost: [0] })
      leases.record(0, { error: lostItem }, clock.now)
      settleJob(sql, clock.now)
      expect(resultRows(sql, -1, 1)[0]).toEqual({
        index: 0,
        status: 'failed',
        error: { code: 'item_lost', detail: 'not processed after 4 dispatches' },
      })
      expect(readJob(sql)?.status).toBe('failed')
    }))
})

describe('the webhook outbox', () => {
  it('is due when the job ends, retried after each failure by the schedule, then given up on', () =>
    withJob(
      [item],
      ({ sql, clock }) => {
        const schedule = [5, 300]
        expect(dueDelivery(sql, 'j', clock.now)).toBeNull() // the job runs: nothing to announce
        sql.exec(`UPDATE items SET status = 'failed'`)
        settleJob(sql, clock.now)
        const first = dueDelivery(sql, 'j', clock.now)
        expect(first?.attempt).toBe(1)
        expect(JSON.parse(first?.message.body ?? '')).toMatchObject({ type: 'job.failed', jobId: 'j' })
        expect(first?.message.messageId).toBe('msg_j')

        recordDelivery(sql, 1, { ok: false, responseStatus: 500 }, clock.now, schedule)
        expect(nextAttemptAt(readJob(sql))).toBe(clock.now + 5000)
        expect(dueDelivery(sql, 'j', clock.now + 4999)).toBeNull()
        clock.now += 5000
        expect(dueDelivery(sql, 'j', clock.now)?.attempt).toBe(2)
        recordDelivery(sql, 2, { ok: false, error: 'connection failed' }, clock.now, schedule)
        clock.now += 300_000
        recordDelivery(sql, 3, { ok: false, responseStatus: 503 }, clock.now, schedule)
        expect(readJob(sql)?.webhook_state).toBe('failed')
        expect(nextAttemptAt(readJob(sql))).toBeNull()
      },
      'https://hooks.example.com/t-tame',
    ))

  it('announces nothing for a cancelled job', () =>
    withJob(
      [item],
      ({ sql, clock }) => {
        announceEnd(sql, 'cancelled', clock.now)
        expect(readJob(sql)?.webhook_state).toBe('cancelled')
        expect(dueDelivery(sql, 'j', clock.now)).toBeNull()
      },
      'https://hooks.example.com/t-tame',
    ))
})

describe('JobTracker', () => {
  it('keeps its state across a restart of the object', async () => {
    const id = env.JOBS.newUniqueId()
    const tracker = env.JOBS.get(id)
    await tracker.create({
      owner: OWNER,
      fingerprint: 'f',
      items: [item],
      resultsUrl: 'https://edge.test/v1/jobs/x/results',
    })
    // Recorded here, not by the queue's consumer: should its delivery come, it finds the item done.
    expect(await tracker.finishItem(0, { result })).toBe(true)
    await abortAllDurableObjects()
    expect(await env.JOBS.get(id).status(OWNER)).toMatchObject({
      status: 'completed',
      counts: { succeeded: 1 },
    })
    expect(await env.JOBS.get(id).status('someone-else')).toBeNull()
  })
})
