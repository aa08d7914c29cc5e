import type { Context } from 'hono'
import { problemSchema } from '../../shared/contract'
import { PROBLEMS, type ProblemCode } from '../../shared/problem'
import { badOptions } from '../explain/explainRequest'

/** What every `/v1/*` route can answer before it runs: the middlewares of app.ts. */
export const V1_PROBLEMS = [
  'unauthorized',
  'rate_limited',
  'edge_busy',
  'payload_too_large',
  'body_timeout',
  'body_not_allowed',
] as const satisfies readonly ProblemCode[]

/** A code a route answers with its own status, or `[code, status]` for one of the code's other statuses. */
type RouteProblem = ProblemCode | readonly [ProblemCode, number]

/**
 * OpenAPI entries for the problem+json answers of a route, from the problem catalogue: one response per status,
 * described by the codes it carries and their titles.
 */
export function problemResponses(...problems: RouteProblem[]) {
  const byStatus = new Map<number, Set<ProblemCode>>()
  for (const problem of problems) {
    const [code, status] = typeof problem === 'string' ? [problem, PROBLEMS[problem].status] : problem
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code))
  }
  return Object.fromEntries(
    [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, codes]) => [
        status,
        {
          description: [...codes].map((code) => `\`${code}\`: ${PROBLEMS[code].title}`).join('; '),
          content: { 'application/problem+json': { schema: problemSchema } },
        },
      ]),
  )
}

/** zod-openapi's validation hook: a schema failure is a 400 problem, like every other bad option. */
export function validationHook(result: { success: boolean; error?: unknown }, _c: Context) {
  if (!result.success) throw badOptions(result.error as Parameters<typeof badOptions>[0])
}
