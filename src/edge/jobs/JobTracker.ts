import { DurableObject } from 'cloudflare:workers'
import type { ItemError, JobView } from '../../shared/jobSchemas'
import { servicesOf } from '../services'
import type { EdgeSettings } from '../settings'
import { deliverWebhook } from '../webhooks/webhookDelivery'
import { dispatchItems } from './itemDispatch'
import { ItemLeases, type ItemOutcome, type ItemWork } from './itemLeases'
import { type Creation, createJob, type NewJob } from './jobCreation'
import { cancelJob, settleJob } from './jobLifecycle'
import { deleteResults } from './jobResultStore'
import { JOB_TABLES, type JobRow, readJob } from './jobTables'
import { jobView, type ResultRow, resultRows } from './jobView'
import { resultBlobKeys, retentionEndsAt } from './retention'
import { lostItem, overdueItems } from './watchdog'
import { dueDelivery, nextAttemptAt, recordDelivery } from './webhookOutbox'

type CreateOutcome = Exclude<Creation, { outcome: 'conflict' }> & { view: JobView }

/**
 * One batch job: its items, their results and its webhook deliveries, in the object's SQLite storage.
 * It is the source of truth: queue messages only point at items, and a watchdog alarm re-sends any item
 * whose message was lost (a local queue does not survive an edge restart), so no item is dropped.
 * JOB_RETENTION_SECONDS after the job ended, the same alarm deletes it. The parts take the time as an
 * argument; this object reads the clock, does the I/O (queue, webhook, R2, alarm) and keeps one alarm.
 */
export class JobTracker extends DurableObject<Env> {
  readonly #sql: SqlStorage
  readonly #settings: EdgeSettings
  readonly #leases: ItemLeases

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#sql = ctx.storage.sql
    this.#sql.exec(JOB_TABLES)
    this.#settings = servicesOf(env).settings
    this.#leases = new ItemLeases(this.#sql, this.#leaseMs)
  }

  get #jobId(): string {
    return this.ctx.id.toString()
  }

  get #leaseMs(): number {
    return this.#settings.JOB_ITEM_LEASE_SECONDS * 1000
  }

  #ownedJob(owner: string): JobRow | undefined {
    const job = readJob(this.#sql)
    return job?.owner === owner ? job : undefined
  }

  async create(job: NewJob): Promise<CreateOutcome | { outcome: 'conflict' }> {
    const created = createJob(this.ctx.storage, job, Date.now(), this.#leaseMs)
    if (created.outcome === 'conflict') return created
    if (created.outcome === 'created') {
      // Stored first, sent second: if sending fails, the watchdog re-sends once the lease runs out.
      await this.#scheduleAlarm()
      const indices = job.items.map((_, index) => index)
      await dispatchItems(this.env.JOB_ITEMS, this.#jobId, indices).catch((error: Error) =>
        console.warn(JSON.stringify({ jobId: this.#jobId, dispatch: error.message })),
      )
    }
    return { ...created, view: jobView(this.#sql, this.#jobId, readJob(this.#sql) as JobRow) }
  }

  async status(owner: string): Promise<JobView | null> {
    const job = this.#ownedJob(owner)
    return job ? jobView(this.#sql, this.#jobId, job) : null
  }

  /** Items with index > `after`, in order; null when there is no such job for this owner. */
  async results(owner: string, after: number, limit: number): Promise<ResultRow[] | null> {
    return this.#ownedJob(owner) ? resultRows(this.#sql, after, limit) : null
  }

  /** Cancels every item that has not started; running items still finish and keep their results. */
  async cancel(owner: string): Promise<JobView | null> {
    if (!this.#ownedJob(owner)) return null
    if (cancelJob(this.#sql, Date.now())) await this.#scheduleAlarm()
    return jobView(this.#sql, this.#jobId, readJob(this.#sql) as JobRow)
  }

  /** The queue consumer claims an item for one run (itemLeases.ts). */
  async startItem(index: number): Promise<ItemWork | null> {
    return this.#leases.claim(index, Date.now())
  }

  /** A transient failure: the item goes back to the queue after `delayMs`. */
  async retryItem(index: number, error: ItemError, delayMs: number): Promise<void> {
    this.#leases.release(index, error, delayMs, Date.now())
  }

  /** Records an item's outcome once (false for a late duplicate) and ends the job after its last item. */
  async finishItem(index: number, outcome: ItemOutcome): Promise<boolean> {
    const now = Date.now()
    if (!this.#leases.record(index, outcome, now)) return false
    if (settleJob(this.#sql, now)) await this.#scheduleAlarm()
    return true
  }

  override async alarm(): Promise<void> {
    const now = Date.now()
    const wake = this.#nextWake()
    if (wake?.expiry && wake.at <= now) return this.#expire()
    await this.#redispatchOverdue(now)
    await this.#deliverIfDue(now)
    await this.#scheduleAlarm()
  }

  async #redispatchOverdue(now: number): Promise<void> {
    const { resend, lost } = overdueItems(this.#sql, this.#leaseMs, now)
    for (const index of lost) await this.finishItem(index, { error: lostItem })
    if (resend.length > 0) await dispatchItems(this.env.JOB_ITEMS, this.#jobId, resend)
  }

  async #deliverIfDue(now: number): Promise<void> {
    const due = dueDelivery(this.#sql, this.#jobId, now)
    if (!due) return
    const outcome = await deliverWebhook(this.#settings, due.message)
    recordDelivery(this.#sql, due.attempt, outcome, Date.now(), this.#settings.WEBHOOK_RETRY_SCHEDULE)
  }

  /**
   * The one alarm's next time: the earliest item lease or webhook attempt; once neither is left, the end of the
   * job's retention (`expiry`). Null when there is nothing to wait for.
   */
  #nextWake(): { at: number; expiry: boolean } | null {
    const job = readJob(this.#sql)
    const work = [this.#leases.nextDue(), nextAttemptAt(job)].filter((time): time is number => time !== null)
    if (work.length > 0) return { at: Math.min(...work), expiry: false }
    const end = retentionEndsAt(job, this.#settings.JOB_RETENTION_SECONDS * 1000)
    return end === null ? null : { at: end, expiry: true }
  }

  async #scheduleAlarm(): Promise<void> {
    const wake = this.#nextWake()
    if (wake) await this.ctx.storage.setAlarm(wake.at)
    else await this.ctx.storage.deleteAlarm()
  }

  /** Retention is over: the job's R2 results, its rows and its alarm go; its id answers 404 from then on. */
  async #expire(): Promise<void> {
    // R2 first: should it fail, the alarm is retried with the keys still at hand.
    await deleteResults(this.env.BLOBS, resultBlobKeys(this.#sql))
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    // This instance may still be asked about the job; with empty tables it answers that there is none.
    this.#sql.exec(JOB_TABLES)
  }
}
