import type { ItemError } from '../../shared/jobSchemas'
import { ProblemError } from '../../shared/problem'

/** The client's fault (bad image, unknown model, missing upload): retrying cannot help. */
export function isPermanent(error: unknown): boolean {
  return error instanceof ProblemError && error.status < 500 && error.status !== 408 && error.status !== 429
}

export function toItemError(error: unknown): ItemError {
  if (error instanceof ProblemError) return { code: error.code, detail: error.detail || error.title }
  return { code: 'internal_error', detail: 'The item could not be explained.' }
}

/** Exponential backoff with equal jitter (between half and all of base * 2^(attempt-1) s), capped at 5 min. */
export function retryDelaySeconds(attempt: number, baseSeconds: number): number {
  const ceiling = Math.min(300, baseSeconds * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
}
