import type { JobRow } from './jobTables'

/** When an ended job is deleted (JOB_RETENTION_SECONDS after it ended); null while it runs. */
export const retentionEndsAt = (job: JobRow | undefined, retentionMs: number): number | null =>
  job?.finished_at ? job.finished_at + retentionMs : null

/** The R2 keys of the job's results that live outside the tracker (jobResultStore), to delete with it. */
export function resultBlobKeys(sql: SqlStorage): string[] {
  return sql
    .exec<{ key: string }>(
      `SELECT json_extract(result, '$.blobKey') AS key FROM items WHERE json_extract(result, '$.blobKey') IS NOT NULL`,
    )
    .toArray()
    .map((row) => row.key)
}
