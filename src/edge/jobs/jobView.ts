import type { ItemError, ItemStatus, JobView } from '../../shared/jobSchemas'
import type { ItemResult } from './jobResultStore'
import type { DeliveryRow, JobRow } from './jobTables'

const iso = (ms: number) => new Date(ms).toISOString()

/** The public job status (`GET /v1/jobs/{id}`) from the tracker's rows; secrets (the webhook's) stay behind. */
export function jobView(sql: SqlStorage, jobId: string, job: JobRow): JobView {
  const itemCounts = sql
    .exec<{ status: ItemStatus; n: number }>('SELECT status, count(*) AS n FROM items GROUP BY status')
    .toArray()
  const deliveries = sql.exec<DeliveryRow>('SELECT * FROM deliveries ORDER BY attempt').toArray()
  const counts = { total: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 }
  for (const { status, n } of itemCounts) {
    counts[status] = n
    counts.total += n
  }
  return {
    jobId,
    status: job.status,
    ...(job.model ? { model: job.model } : {}),
    counts,
    createdAt: iso(job.created_at),
    updatedAt: iso(job.updated_at),
    ...(job.finished_at ? { finishedAt: iso(job.finished_at) } : {}),
    resultsUrl: job.results_url,
    ...(job.metadata ? { metadata: JSON.parse(job.metadata) as JobView['metadata'] } : {}),
    ...(job.webhook_url && job.webhook_state
      ? {
          webhook: {
            url: job.webhook_url,
            state: job.webhook_state,
            ...(job.webhook_state === 'pending' && job.webhook_next_at
              ? { nextAttemptAt: iso(job.webhook_next_at) }
              : {}),
            deliveries: deliveries.map((row) => ({
              attempt: row.attempt,
              at: iso(row.at),
              status: row.status,
              ...(row.response_status !== null ? { responseStatus: row.response_status } : {}),
              ...(row.error !== null ? { error: row.error } : {}),
            })),
          },
        }
      : {}),
  }
}

/** An item as `GET /v1/jobs/{id}/results` pages it, its result possibly still an R2 key. */
export interface ResultRow {
  index: number
  status: ItemStatus
  result?: ItemResult
  error?: ItemError
}

/** Items with index > `after`, in order, at most `limit`. */
export function resultRows(sql: SqlStorage, after: number, limit: number): ResultRow[] {
  const rows = sql.exec<{ idx: number; status: ItemStatus; result: string | null; error: string | null }>(
    'SELECT idx, status, result, error FROM items WHERE idx > ? ORDER BY idx LIMIT ?',
    after,
    limit,
  )
  return rows.toArray().map((row) => ({
    index: row.idx,
    status: row.status,
    ...(row.result ? { result: JSON.parse(row.result) as ItemResult } : {}),
    ...(row.error ? { error: JSON.parse(row.error) as ItemError } : {}),
  }))
}
