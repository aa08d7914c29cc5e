import { ProblemError } from '../../shared/problem'

/** The longest budget a caller may ask for; beyond it the edge has long given up anyway. */
const MAX_DEADLINE_MS = 10 * 60 * 1000

export interface RequestDeadline {
  signal: AbortSignal
  /** Stops the timer once the answer is out. */
  clear: () => void
}

/**
 * Aborts when the client goes away or, with `X-Deadline-Ms`, when the budget is spent (reason: a 504
 * ProblemError), so that queued work is dropped instead of computed for nobody.
 */
export function requestDeadline(
  clientSignal: AbortSignal,
  deadlineHeader: string | undefined,
): RequestDeadline {
  if (deadlineHeader === undefined) return { signal: clientSignal, clear: () => {} }
  const budget = Number(deadlineHeader)
  if (!Number.isInteger(budget) || budget <= 0 || budget > MAX_DEADLINE_MS) {
    throw new ProblemError('bad_options', `X-Deadline-Ms must be an integer in 1..${MAX_DEADLINE_MS}`)
  }
  const deadline = new AbortController()
  const timer = setTimeout(
    () => deadline.abort(new ProblemError('deadline_exceeded', `no answer within the ${budget} ms deadline`)),
    budget,
  )
  return { signal: AbortSignal.any([clientSignal, deadline.signal]), clear: () => clearTimeout(timer) }
}
