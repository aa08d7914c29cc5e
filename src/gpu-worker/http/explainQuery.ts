import { type WorkerExplainQuery, workerExplainQuerySchema } from '../../shared/contract'
import { formatIssues } from '../../shared/issues'
import { ProblemError } from '../../shared/problem'

/** The query string of `POST /internal/v1/explain`, read by the schema the edge writes it with. */
export function parseExplainQuery(query: Record<string, string>): WorkerExplainQuery {
  const parsed = workerExplainQuerySchema.safeParse(query)
  if (!parsed.success) throw new ProblemError('bad_options', formatIssues(parsed.error))
  return parsed.data
}
