import type { ItemError } from '../../shared/jobSchemas'

// A message that the watchdog had to re-send this often is reported lost rather than re-sent forever.
const MAX_REDISPATCHES = 3

export const lostItem: ItemError = {
  code: 'item_lost',
  detail: `not processed after ${MAX_REDISPATCHES + 1} dispatches`,
}

/**
 * The items whose lease ran out by `now`: a running one's consumer died; a queued one's message was lost. A queued
 * item may just be waiting behind a long backlog, so queued items count only once the whole job stalled (no item
 * started, finished or retried for a lease); until then their mark moves on. Those to re-send are marked so (a
 * re-send is not progress); those re-sent too often already are lost, for the caller to fail.
 */
export function overdueItems(
  sql: SqlStorage,
  leaseMs: number,
  now: number,
): { resend: number[]; lost: number[] } {
  const lastProgress = sql.exec<{ at: number }>('SELECT max(updated_at) AS at FROM items').one().at
  if (lastProgress > now - leaseMs) {
    sql.exec(
      `UPDATE items SET due_at = ? WHERE status = 'queued' AND due_at <= ?`,
      lastProgress + leaseMs,
      now,
    )
  }
  const overdue = sql
    .exec<{ idx: number; redispatches: number }>(
      `SELECT idx, redispatches FROM items WHERE status IN ('queued', 'running') AND due_at <= ?`,
      now,
    )
    .toArray()
  const lost = overdue.filter((item) => item.redispatches >= MAX_REDISPATCHES).map((item) => item.idx)
  const resend = overdue.filter((item) => item.redispatches < MAX_REDISPATCHES).map((item) => item.idx)
  for (const index of resend) {
    sql.exec(
      `UPDATE items SET status = 'queued', redispatches = redispatches + 1, due_at = ? WHERE idx = ?`,
      now + leaseMs,
      index,
    )
  }
  return { resend, lost }
}
