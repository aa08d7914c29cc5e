import type { JobStatus } from '../../shared/jobSchemas'

/** The JobTracker's SQLite tables (one object per job, so one `job` row). Times are epoch milliseconds. */
export const JOB_TABLES = `
CREATE TABLE IF NOT EXISTS job (
  owner TEXT NOT NULL, fingerprint TEXT NOT NULL, status TEXT NOT NULL, model TEXT, metadata TEXT,
  results_url TEXT NOT NULL, webhook_url TEXT, webhook_secret TEXT, webhook_state TEXT, webhook_next_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER);
CREATE TABLE IF NOT EXISTS items (
  idx INTEGER PRIMARY KEY, spec TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  redispatches INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, result TEXT, error TEXT, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS items_active ON items (status, due_at);
CREATE TABLE IF NOT EXISTS deliveries (
  attempt INTEGER PRIMARY KEY, at INTEGER NOT NULL, status TEXT NOT NULL, response_status INTEGER, error TEXT);`

export type JobRow = {
  owner: string
  fingerprint: string
  status: JobStatus
  model: string | null
  metadata: string | null
  results_url: string
  webhook_url: string | null
  webhook_secret: string | null
  webhook_state: 'waiting' | 'pending' | 'delivered' | 'failed' | 'cancelled' | null
  webhook_next_at: number | null
  created_at: number
  updated_at: number
  finished_at: number | null
}

export type DeliveryRow = {
  attempt: number
  at: number
  status: 'succeeded' | 'failed'
  response_status: number | null
  error: string | null
}

/** The job row; undefined before `create` and after retention deleted everything. */
export const readJob = (sql: SqlStorage): JobRow | undefined =>
  sql.exec<JobRow>('SELECT * FROM job').toArray()[0]

export const isTerminalJob = (status: JobStatus) => status !== 'queued' && status !== 'running'
