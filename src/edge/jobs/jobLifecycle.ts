import type { JobStatus } from '../../shared/jobSchemas'
import { isTerminalJob, readJob } from './jobTables'
import { announceEnd } from './webhookOutbox'

/**
 * Ends the job once no item can still run: completed when at least one item succeeded, failed when none did.
 * True when it ended now.
 */
export function settleJob(sql: SqlStorage, now: number): boolean {
  const job = readJob(sql)
  if (!job || isTerminalJob(job.status)) return false
  const { active, succeeded } = sql
    .exec<{ active: number; succeeded: number }>(
      `SELECT count(*) FILTER (WHERE status IN ('queued', 'running')) AS active,
              count(*) FILTER (WHERE status = 'succeeded') AS succeeded FROM items`,
    )
    .one()
  if (active > 0) return false
  endJob(sql, succeeded > 0 ? 'completed' : 'failed', now)
  return true
}

/** Cancels every item that has not started; running items still finish and keep their results. */
export function cancelJob(sql: SqlStorage, now: number): boolean {
  const job = readJob(sql)
  if (!job || isTerminalJob(job.status)) return false
  sql.exec(`UPDATE items SET status = 'cancelled', updated_at = ? WHERE status = 'queued'`, now)
  endJob(sql, 'cancelled', now)
  return true
}

function endJob(sql: SqlStorage, status: JobStatus, now: number): void {
  sql.exec('UPDATE job SET status = ?, finished_at = ?, updated_at = ?', status, now, now)
  announceEnd(sql, status, now)
}
