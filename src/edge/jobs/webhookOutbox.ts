import type { JobStatus, WebhookEvent } from '../../shared/jobSchemas'
import { delayAfterFailure } from '../webhooks/deliverySchedule'
import type { DeliveryOutcome, WebhookMessage } from '../webhooks/webhookDelivery'
import { type JobRow, readJob } from './jobTables'
import { jobView } from './jobView'

/**
 * A job's one webhook event, delivered at least once: due when the job ends, then after each failed attempt by the
 * retry schedule, until delivered or the schedule runs out; every attempt is recorded for the job status.
 */

/** The job ended: its event is due now. A cancelled job sends none (api.md's events are completed and failed). */
export function announceEnd(sql: SqlStorage, status: JobStatus, now: number): void {
  sql.exec(
    `UPDATE job SET webhook_state = CASE WHEN webhook_url IS NULL THEN NULL ELSE ? END,
       webhook_next_at = CASE WHEN webhook_url IS NULL THEN NULL ELSE ? END`,
    status === 'cancelled' ? 'cancelled' : 'pending',
    now,
  )
}

/** The attempt due at `now`, with the event of the job as it ended; null when none is due. */
export function dueDelivery(
  sql: SqlStorage,
  jobId: string,
  now: number,
): { attempt: number; message: WebhookMessage } | null {
  const job = readJob(sql)
  if (!job?.webhook_url || !job.webhook_secret || job.webhook_state !== 'pending') return null
  if ((job.webhook_next_at ?? 0) > now) return null
  const attempt = sql.exec<{ n: number }>('SELECT count(*) AS n FROM deliveries').one().n + 1
  const { status, counts } = jobView(sql, jobId, job)
  const event: WebhookEvent = {
    type: `job.${status as 'completed' | 'failed'}`,
    jobId,
    status,
    counts,
    resultsUrl: job.results_url,
  }
  return {
    attempt,
    message: {
      url: job.webhook_url,
      secret: job.webhook_secret,
      messageId: `msg_${jobId}`,
      body: JSON.stringify(event),
      at: now,
    },
  }
}

/** Records attempt `attempt`, made at `at`: delivered, due again after the schedule's delay, or given up on. */
export function recordDelivery(
  sql: SqlStorage,
  attempt: number,
  outcome: DeliveryOutcome,
  at: number,
  schedule: number[],
): void {
  sql.exec(
    'INSERT INTO deliveries (attempt, at, status, response_status, error) VALUES (?, ?, ?, ?, ?)',
    attempt,
    at,
    outcome.ok ? 'succeeded' : 'failed',
    outcome.responseStatus ?? null,
    outcome.error ?? null,
  )
  const delay = outcome.ok ? null : delayAfterFailure(schedule, attempt)
  const state = outcome.ok ? 'delivered' : delay === null ? 'failed' : 'pending'
  sql.exec(
    'UPDATE job SET webhook_state = ?, webhook_next_at = ?, updated_at = ?',
    state,
    delay === null ? null : at + delay,
    at,
  )
}

/** When the next attempt is due; null when none is. */
export const nextAttemptAt = (job: JobRow | undefined): number | null =>
  job?.webhook_state === 'pending' ? job.webhook_next_at : null
