import { DurableObject } from 'cloudflare:workers'
import { servicesOf } from '../services'
import type { EdgeSettings } from '../settings'
import { delayAfterFailure } from '../webhooks/deliverySchedule'
import { deliverWebhook } from '../webhooks/webhookDelivery'
import { newWebhookSecret } from '../webhooks/webhookSigner'
import { dispatchItems } from './itemDispatch'
import { deleteResults, type ItemResult } from './jobResultStore'
import { type DeliveryRow, JOB_TABLES, type JobRow } from './jobTables'
import { toJobView } from './jobView'
import type {
  CreateJobRequest,
  ItemError,
  ItemStatus,
  JobItemSpec,
  JobStatus,
  JobView,
  WebhookEvent,
} from './schemas'

/** What the create route hands the tracker; the fingerprint makes Idempotency-Key replays safe. */
interface NewJob {
  owner: string
  fingerprint: string
  model?: string
  items: JobItemSpec[]
  webhookUrl?: string
  metadata?: CreateJobRequest['metadata']
  resultsUrl: string
}

/** What the queue consumer needs to run one item. */
export interface ItemWork {
  spec: JobItemSpec
  /** The job's API key id: its items may use only that key's uploads. */
  owner: string
  model?: string
  attempt: number
}

type CreateOutcome =
  | { outcome: 'created' | 'replayed'; view: JobView; webhookSecret?: string }
  | { outcome: 'conflict' }

interface ResultRow {
  index: number
  status: ItemStatus
  result?: ItemResult
  error?: ItemError
}

// A message that the watchdog had to re-send this often is reported lost rather than re-sent forever.
const MAX_REDISPATCHES = 3

const isTerminalJob = (status: JobStatus) => status !== 'queued' && status !== 'running'

/**
 * One batch job: its items, their results and its webhook deliveries, in the object's SQLite storage.
 * It is the source of truth: queue messages only point at items, and a watchdog alarm re-sends any item
 * whose message was lost (a local queue does not survive an edge restart), so no item is dropped.
 * JOB_RETENTION_SECONDS after the job ended, the same alarm deletes it.
 */
export class JobTracker extends DurableObject<Env> {
  private readonly sql: SqlStorage
  private readonly settings: EdgeSettings

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.settings = servicesOf(env).settings
    this.sql.exec(JOB_TABLES)
  }

  private get jobId(): string {
    return this.ctx.id.toString()
  }

  private get leaseMs(): number {
    return this.settings.JOB_ITEM_LEASE_SECONDS * 1000
  }

  private get retentionMs(): number {
    return this.settings.JOB_RETENTION_SECONDS * 1000
  }

  private job(): JobRow | undefined {
    return this.sql.exec<JobRow>('SELECT * FROM job').toArray()[0]
  }

  private ownedJob(owner: string): JobRow | undefined {
    const job = this.job()
    return job?.owner === owner ? job : undefined
  }

  async create(job: NewJob): Promise<CreateOutcome> {
    const existing = this.job()
    if (existing) {
      if (existing.owner !== job.owner || existing.fingerprint !== job.fingerprint)
        return { outcome: 'conflict' }
      return {
        outcome: 'replayed',
        view: this.view(existing),
        webhookSecret: existing.webhook_secret ?? undefined,
      }
    }
    const now = Date.now()
    const secret = job.webhookUrl ? newWebhookSecret() : null
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO job (owner, fingerprint, status, model, metadata, results_url, webhook_url, webhook_secret,
           webhook_state, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
        job.owner,
        job.fingerprint,
        job.model ?? null,
        job.metadata ? JSON.stringify(job.metadata) : null,
        job.resultsUrl,
        job.webhookUrl ?? null,
        secret,
        job.webhookUrl ? 'waiting' : null,
        now,
        now,
      )
      job.items.forEach((spec, index) => {
        this.sql.exec(
          `INSERT INTO items (idx, spec, status, due_at, updated_at) VALUES (?, ?, 'queued', ?, ?)`,
          index,
          JSON.stringify(spec),
          now + this.leaseMs,
          now,
        )
      })
    })
    // Stored first, sent second: if sending fails, the watchdog re-sends once the lease runs out.
    await this.scheduleAlarm()
    await dispatchItems(
      this.env.JOB_ITEMS,
      this.jobId,
      job.items.map((_, index) => index),
    ).catch((error: Error) => console.warn(JSON.stringify({ jobId: this.jobId, dispatch: error.message })))
    return { outcome: 'created', view: this.viewOf(), webhookSecret: secret ?? undefined }
  }

  async status(owner: string): Promise<JobView | null> {
    const job = this.ownedJob(owner)
    return job ? this.view(job) : null
  }

  /** Items with index > `after`, in order; null when there is no such job for this owner. */
  async results(owner: string, after: number, limit: number): Promise<ResultRow[] | null> {
    if (!this.ownedJob(owner)) return null
    const rows = this.sql.exec<{
      idx: number
      status: ItemStatus
      result: string | null
      error: string | null
    }>('SELECT idx, status, result, error FROM items WHERE idx > ? ORDER BY idx LIMIT ?', after, limit)
    return rows.toArray().map((row) => ({
      index: row.idx,
      status: row.status,
      ...(row.result ? { result: JSON.parse(row.result) as ItemResult } : {}),
      ...(row.error ? { error: JSON.parse(row.error) as ItemError } : {}),
    }))
  }

  /** Cancels every item that has not started; running items still finish and keep their results. */
  async cancel(owner: string): Promise<JobView | null> {
    const job = this.ownedJob(owner)
    if (!job) return null
    if (!isTerminalJob(job.status)) {
      const now = Date.now()
      this.sql.exec(`UPDATE items SET status = 'cancelled', updated_at = ? WHERE status = 'queued'`, now)
      await this.finish('cancelled', now)
    }
    return this.viewOf()
  }

  /**
   * Claims an item for one run, or null when there is nothing to run: it is finished, cancelled, or
   * another consumer holds an unexpired lease on it (a duplicate delivery).
   */
  async startItem(index: number): Promise<ItemWork | null> {
    const job = this.job()
    const item = this.sql
      .exec<{ spec: string; status: ItemStatus; attempts: number; due_at: number }>(
        'SELECT spec, status, attempts, due_at FROM items WHERE idx = ?',
        index,
      )
      .toArray()[0]
    const now = Date.now()
    if (!job || !item || (item.status !== 'queued' && item.status !== 'running')) return null
    if (item.status === 'running' && item.due_at > now) return null
    if (job.status === 'cancelled') {
      this.sql.exec(`UPDATE items SET status = 'cancelled', updated_at = ? WHERE idx = ?`, now, index)
      return null
    }
    this.sql.exec(
      `UPDATE items SET status = 'running', attempts = attempts + 1, due_at = ?, updated_at = ? WHERE idx = ?`,
      now + this.leaseMs,
      now,
      index,
    )
    this.sql.exec(`UPDATE job SET status = 'running', updated_at = ? WHERE status = 'queued'`, now)
    return {
      spec: JSON.parse(item.spec) as JobItemSpec,
      owner: job.owner,
      model: job.model ?? undefined,
      attempt: item.attempts + 1,
    }
  }

  /**
   * A transient failure: the item waits `delayMs` for its queue retry, the watchdog covering a lost one.
   * In a cancelled job the item is not run again.
   */
  async retryItem(index: number, error: ItemError, delayMs: number): Promise<void> {
    const now = Date.now()
    const cancelled = this.job()?.status === 'cancelled'
    this.sql.exec(
      `UPDATE items SET status = ?, error = ?, due_at = ?, updated_at = ? WHERE idx = ? AND status = 'running'`,
      cancelled ? 'cancelled' : 'queued',
      JSON.stringify(error),
      now + delayMs + this.leaseMs,
      now,
      index,
    )
  }

  /** Records an item's outcome once; a later duplicate run is ignored (false), so results never double. */
  async finishItem(index: number, outcome: { result: ItemResult } | { error: ItemError }): Promise<boolean> {
    const now = Date.now()
    const succeeded = 'result' in outcome
    const changed = this.sql.exec(
      `UPDATE items SET status = ?, result = ?, error = ?, updated_at = ?
       WHERE idx = ? AND status IN ('queued', 'running')`,
      succeeded ? 'succeeded' : 'failed',
      succeeded ? JSON.stringify(outcome.result) : null,
      succeeded ? null : JSON.stringify(outcome.error),
      now,
      index,
    ).rowsWritten
    if (changed === 0) return false
    this.sql.exec('UPDATE job SET updated_at = ?', now)
    await this.settle(now)
    return true
  }

  override async alarm(): Promise<void> {
    const now = Date.now()
    const wake = this.nextWake()
    if (wake?.expiry && wake.at <= now) return this.expire()
    await this.redispatchOverdue(now)
    await this.deliverIfDue(now)
    await this.scheduleAlarm()
  }

  /**
   * Re-sends items whose lease ran out: a running one's consumer died; a queued one's message was lost. A queued
   * item may just be waiting behind a long backlog, so queued items are re-sent only once the whole job stalled
   * (no item started, finished or retried for a lease).
   */
  private async redispatchOverdue(now: number): Promise<void> {
    const lastProgress = this.sql.exec<{ at: number }>('SELECT max(updated_at) AS at FROM items').one().at
    if (lastProgress > now - this.leaseMs) {
      this.sql.exec(
        `UPDATE items SET due_at = ? WHERE status = 'queued' AND due_at <= ?`,
        lastProgress + this.leaseMs,
        now,
      )
    }
    const overdue = this.sql
      .exec<{ idx: number; redispatches: number }>(
        `SELECT idx, redispatches FROM items WHERE status IN ('queued', 'running') AND due_at <= ?`,
        now,
      )
      .toArray()
    if (overdue.length === 0) return
    const lost = overdue.filter((item) => item.redispatches >= MAX_REDISPATCHES)
    const resend = overdue.filter((item) => item.redispatches < MAX_REDISPATCHES).map((item) => item.idx)
    for (const item of lost) {
      await this.finishItem(item.idx, {
        error: { code: 'item_lost', detail: `not processed after ${MAX_REDISPATCHES + 1} dispatches` },
      })
    }
    for (const index of resend) {
      this.sql.exec(
        // updated_at stays: a re-send is not progress.
        `UPDATE items SET status = 'queued', redispatches = redispatches + 1, due_at = ? WHERE idx = ?`,
        now + this.leaseMs,
        index,
      )
    }
    await dispatchItems(this.env.JOB_ITEMS, this.jobId, resend)
  }

  /** Ends the job once no item can still run, and queues its webhook. */
  private async settle(now: number): Promise<void> {
    const job = this.job()
    if (!job || isTerminalJob(job.status)) return
    const { active, succeeded } = this.sql
      .exec<{ active: number; succeeded: number }>(
        `SELECT count(*) FILTER (WHERE status IN ('queued', 'running')) AS active,
                count(*) FILTER (WHERE status = 'succeeded') AS succeeded FROM items`,
      )
      .one()
    if (active > 0) return
    await this.finish(succeeded > 0 ? 'completed' : 'failed', now)
  }

  private async finish(status: JobStatus, now: number): Promise<void> {
    // The webhook announces what api.md lists, job.completed and job.failed; whoever cancelled already knows.
    const webhookState = status === 'cancelled' ? 'cancelled' : 'pending'
    this.sql.exec(
      `UPDATE job SET status = ?, finished_at = ?, updated_at = ?,
         webhook_state = CASE WHEN webhook_url IS NULL THEN NULL ELSE ? END,
         webhook_next_at = CASE WHEN webhook_url IS NULL THEN NULL ELSE ? END`,
      status,
      now,
      now,
      webhookState,
      now,
    )
    await this.scheduleAlarm()
  }

  private async deliverIfDue(now: number): Promise<void> {
    const job = this.job()
    if (!job?.webhook_url || !job.webhook_secret || job.webhook_state !== 'pending') return
    if ((job.webhook_next_at ?? 0) > now) return
    const attempt = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM deliveries').one().n + 1
    const view = this.view(job)
    const event: WebhookEvent = {
      type: `job.${view.status as 'completed' | 'failed'}`,
      jobId: this.jobId,
      status: view.status,
      counts: view.counts,
      resultsUrl: job.results_url,
    }
    const outcome = await deliverWebhook(this.settings, {
      url: job.webhook_url,
      secret: job.webhook_secret,
      messageId: `msg_${this.jobId}`,
      body: JSON.stringify(event),
      at: now,
    })
    const at = Date.now()
    this.sql.exec(
      'INSERT INTO deliveries (attempt, at, status, response_status, error) VALUES (?, ?, ?, ?, ?)',
      attempt,
      at,
      outcome.ok ? 'succeeded' : 'failed',
      outcome.responseStatus ?? null,
      outcome.error ?? null,
    )
    const delay = outcome.ok ? null : delayAfterFailure(this.settings.WEBHOOK_RETRY_SCHEDULE, attempt)
    const state = outcome.ok ? 'delivered' : delay === null ? 'failed' : 'pending'
    this.sql.exec(
      'UPDATE job SET webhook_state = ?, webhook_next_at = ?, updated_at = ?',
      state,
      delay === null ? null : at + delay,
      at,
    )
  }

  /**
   * The one alarm's next time: the earliest item lease or webhook attempt; once neither is left, the end of the
   * job's retention (`expiry`). Null when there is nothing to wait for.
   */
  private nextWake(): { at: number; expiry: boolean } | null {
    const job = this.job()
    const lease = this.sql
      .exec<{ due: number | null }>(
        `SELECT min(due_at) AS due FROM items WHERE status IN ('queued', 'running')`,
      )
      .one().due
    const hook = job?.webhook_state === 'pending' ? job.webhook_next_at : null
    const work = [lease, hook].filter((time): time is number => time !== null)
    if (work.length > 0) return { at: Math.min(...work), expiry: false }
    return job?.finished_at ? { at: job.finished_at + this.retentionMs, expiry: true } : null
  }

  private async scheduleAlarm(): Promise<void> {
    const wake = this.nextWake()
    if (wake) await this.ctx.storage.setAlarm(wake.at)
    else await this.ctx.storage.deleteAlarm()
  }

  /** Retention is over: the job's R2 results, its rows and its alarm go; its id answers 404 from then on. */
  private async expire(): Promise<void> {
    const blobKeys = this.sql
      .exec<{ key: string }>(
        `SELECT json_extract(result, '$.blobKey') AS key FROM items
         WHERE json_extract(result, '$.blobKey') IS NOT NULL`,
      )
      .toArray()
      .map((row) => row.key)
    // R2 first: should it fail, the alarm is retried with the keys still at hand.
    await deleteResults(this.env.BLOBS, blobKeys)
    await this.ctx.storage.deleteAlarm()
    await this.ctx.storage.deleteAll()
    // This instance may still be asked about the job; with empty tables it answers that there is none.
    this.sql.exec(JOB_TABLES)
  }

  private viewOf(): JobView {
    const job = this.job()
    if (!job) throw new Error('job is not created')
    return this.view(job)
  }

  private view(job: JobRow): JobView {
    const counts = this.sql
      .exec<{ status: ItemStatus; n: number }>('SELECT status, count(*) AS n FROM items GROUP BY status')
      .toArray()
    const deliveries = this.sql.exec<DeliveryRow>('SELECT * FROM deliveries ORDER BY attempt').toArray()
    return toJobView(this.jobId, job, counts, deliveries)
  }
}
