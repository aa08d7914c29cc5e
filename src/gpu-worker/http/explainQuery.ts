import { type ExplainOptions, explainOptionsSchema } from '../../shared/contract'
import { formatIssues } from '../issues'
import { ProblemError } from '../problem'

const digits = /^\d+$/

/**
 * The query string of `POST /internal/v1/explain` as ExplainOptions: strings become the numbers, booleans and
 * lists the shared schema expects (`classes` is comma-separated, a digit string is a class id), then the
 * shared schema validates, so the edge and the worker accept exactly the same options.
 */
export function parseExplainQuery(query: Record<string, string>): ExplainOptions {
  const { topK, classes, overlay } = query
  const candidate: Record<string, unknown> = { ...query }
  if (topK !== undefined) candidate.topK = digits.test(topK) ? Number(topK) : topK
  if (classes !== undefined) {
    candidate.classes = classes.split(',').map((c) => (digits.test(c.trim()) ? Number(c) : c.trim()))
  }
  if (overlay !== undefined)
    candidate.overlay = overlay === 'true' ? true : overlay === 'false' ? false : overlay
  const parsed = explainOptionsSchema.safeParse(candidate)
  if (!parsed.success) throw new ProblemError('bad_options', formatIssues(parsed.error))
  return parsed.data
}
