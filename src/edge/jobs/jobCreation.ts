import type { CreateJobRequest, JobItemSpec } from '../../shared/jobSchemas'
import { newWebhookSecret } from '../webhooks/webhookSigner'
import { readJob } from './jobTables'

/** What the create route hands the tracker; the fingerprint makes Idempotency-Key replays safe. */
export interface NewJob {
  owner: string
  fingerprint: string
  model?: string
  items: JobItemSpec[]
  webhookUrl?: string
  metadata?: CreateJobRequest['metadata']
  resultsUrl: string
}

export type Creation = { outcome: 'created' | 'replayed'; webhookSecret?: string } | { outcome: 'conflict' }

/**
 * Stores a new job and its items, each due a lease from `now` (the watchdog's mark). A job that exists already
 * (the same API key and Idempotency-Key reach the same object) is replayed when owner and body match, with its
 * webhook secret, and refused otherwise.
 */
export function createJob(
  storage: DurableObjectStorage,
  job: NewJob,
  now: number,
  leaseMs: number,
): Creation {
  const { sql } = storage
  const existing = readJob(sql)
  if (existing) {
    if (existing.owner !== job.owner || existing.fingerprint !== job.fingerprint)
      return { outcome: 'conflict' }
    return { outcome: 'replayed', webhookSecret: existing.webhook_secret ?? undefined }
  }
  const secret = job.webhookUrl ? newWebhookSecret() : null
  storage.transactionSync(() => {
    sql.exec(
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
      sql.exec(
        `INSERT INTO items (idx, spec, status, due_at, updated_at) VALUES (?, ?, 'queued', ?, ?)`,
        index,
        JSON.stringify(spec),
        now + leaseMs,
        now,
      )
    })
  })
  return { outcome: 'created', webhookSecret: secret ?? undefined }
}
