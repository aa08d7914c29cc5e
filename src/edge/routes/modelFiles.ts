import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { packFileSchema } from '../../shared/contract'
import { ProblemError } from '../../shared/problem'
import type { EdgeContext } from '../context'
import { problemResponses, V1_PROBLEMS, validationHook } from '../problem/openapi'

/** Named by their content, so a client caches them for good (RFC 8246); `private`: the API key guards them. */
const IMMUTABLE = 'private, max-age=31536000, immutable'

const fileRoute = createRoute({
  method: 'get',
  path: '/v1/model-files/{sha256}',
  summary: "A model's ONNX graph, to run it on a device",
  description:
    'The explanation graph a model lists as `onnx.url`, streamed from a GPU worker, which checked its sha256 ' +
    'when it loaded the pack. `ETag` is the sha256 and the answer never changes: clients cache it for a year ' +
    '(`immutable`) and revalidate with `If-None-Match` (304).',
  security: [{ apiKey: [] }],
  request: {
    params: z.object({
      sha256: packFileSchema.shape.sha256.openapi({
        param: { name: 'sha256', in: 'path' },
        description: '`onnx.sha256` of a model.',
        example: '2bd1c1e2a39a1f5f0d7b4d3e9a4ac4f8b3d4a29f8b0f2e6cfa3b1e1c1f2d3e4f',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The ONNX file.',
      content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    304: { description: 'Unchanged: the `If-None-Match` named this file.' },
    ...problemResponses(
      ...V1_PROBLEMS,
      'bad_options',
      'not_found',
      'bad_worker_response',
      'no_worker_available',
      'worker_timeout',
    ),
  },
})

export const modelFileRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook }).openapi(
  fileRoute,
  async (c) => {
    const { sha256 } = c.req.valid('param')
    const requestId = c.get('requestId')
    const { models: catalog, workerPool } = c.var.services
    const model = (await catalog.list(requestId)).find((m) => m.onnx.sha256 === sha256)
    if (!model) throw new ProblemError('not_found', 'No model lists this file.')
    const headers = { ETag: `"${sha256}"`, 'Cache-Control': IMMUTABLE }
    const known = c.req.header('If-None-Match')
    if (known?.trim() === '*' || known?.includes(`"${sha256}"`)) return c.body(null, 304, headers)
    const file = await workerPool.open({
      method: 'GET',
      path: `/internal/v1/files/${sha256}`,
      requestId,
    })
    if (file.status !== 200 || !file.body) {
      await file.body?.cancel()
      throw new ProblemError(
        'bad_worker_response',
        `The worker answered ${file.status} for a file it listed.`,
      )
    }
    return c.body(file.body, 200, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(model.onnx.bytes),
    })
  },
)
