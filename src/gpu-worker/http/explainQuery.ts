import { type ExplainOptions, explainOptionsFromText, explainOptionsSchema } from '../../shared/contract'
import { formatIssues } from '../../shared/issues'
import { ProblemError } from '../../shared/problem'

/**
 * The query string of `POST /internal/v1/explain` as ExplainOptions: the shared text reading (the edge's too),
 * then the shared schema, so the edge and the worker accept exactly the same options.
 */
export function parseExplainQuery(query: Record<string, string>): ExplainOptions {
  const parsed = explainOptionsSchema.safeParse(explainOptionsFromText(query))
  if (!parsed.success) throw new ProblemError('bad_options', formatIssues(parsed.error))
  return parsed.data
}
