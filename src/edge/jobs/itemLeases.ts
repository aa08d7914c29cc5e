import type { ItemError, ItemStatus, JobItemSpec } from '../../shared/jobSchemas'
import type { ItemResult } from './jobResultStore'
import { readJob } from './jobTables'

/** What the queue consumer needs to run one item. */
export interface ItemWork {
  spec: JobItemSpec
  /** The job's API key id: its items may use only that key's uploads. */
  owner: string
  model?: string
  attempt: number
}

export type ItemOutcome = { result: ItemResult } | { error: ItemError }

/**
 * The items of a job under leases: a run claims an item for `leaseMs`, and until that runs out a duplicate delivery
 * finds it taken. `due_at` is when the watchdog looks at an item again. Times are epoch ms, given by the caller.
 */
export class ItemLeases {
  constructor(
    private readonly sql: SqlStorage,
    private readonly leaseMs: number,
  ) {}

  /** Claims an item for one run, or null: it is finished, cancelled, or another run holds an unexpired lease. */
  claim(index: number, now: number): ItemWork | null {
    const job = readJob(this.sql)
    const item = this.sql
      .exec<{ spec: string; status: ItemStatus; attempts: number; due_at: number }>(
        'SELECT spec, status, attempts, due_at FROM items WHERE idx = ?',
        index,
      )
      .toArray()[0]
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
   * A transient failure: the item waits `delayMs` for its queue retry, the watchdog a lease more in case that
   * message is lost. In a cancelled job the item is not run again.
   */
  release(index: number, error: ItemError, delayMs: number, now: number): void {
    const cancelled = readJob(this.sql)?.status === 'cancelled'
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
  record(index: number, outcome: ItemOutcome, now: number): boolean {
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
    return true
  }

  /** When the watchdog must next look at an item that can still run; null when none can. */
  nextDue(): number | null {
    return this.sql
      .exec<{ due: number | null }>(
        `SELECT min(due_at) AS due FROM items WHERE status IN ('queued', 'running')`,
      )
      .one().due
  }
}
