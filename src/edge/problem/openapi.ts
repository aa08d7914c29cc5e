import type { Context } from 'hono'
import { problemSchema } from '../../shared/contract'
import { badOptions } from '../explain/explainRequest'

const descriptions: Record<number, string> = {
  400: 'Invalid options or request',
  401: 'Missing or unknown API key',
  404: 'Not found',
  413: 'Body over the size limit',
  415: 'Unsupported media type (HEIC: send JPEG)',
  422: 'Undecodable image, over the pixel limit, or image URL unreachable',
  429: 'Rate limited (`Retry-After`)',
  503: 'No worker available (`Retry-After`)',
  504: 'Worker timed out',
}

/** OpenAPI entries for the problem+json answers a route can give. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  )
}

/** zod-openapi's validation hook: a schema failure is a 400 problem, like every other bad option. */
export function validationHook(result: { success: boolean; error?: unknown }, _c: Context) {
  if (!result.success) throw badOptions(result.error as Parameters<typeof badOptions>[0])
}
