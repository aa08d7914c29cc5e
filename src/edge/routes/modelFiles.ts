import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { packFileSchema } from '../../shared/contract'
import type { EdgeContext } from '../context'
import type { Env } from '../env'
import { listModels } from '../models/modelCatalog'
import { workerPoolFor } from '../pool/workerPool'
import { problemResponses, validationHook } from '../problem/openapi'
import { ProblemError } from '../problem/problem'
import { publicUrl } from '../security/publicUrl'

/** Named by their content, so a client caches them for good (RFC 8246); `private`: the API key guards them. */
const IMMUTABLE = 'private, max-age=31536000, immutable'

/** Where a model's ONNX graph is downloaded from (its `onnx.url`). */
export function modelFileUrl(env: Pick<Env, 'PUBLIC_BASE_URL'>, sha256: string): string {
  return publicUrl(env, `/v1/model-files/${sha256}`)
}

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
    ...problemResponses(400, 401, 404, 429, 503, 504),
  },
})

export const modelFileRoutes = new OpenAPIHono<EdgeContext>({ defaultHook: validationHook }).openapi(
  fileRoute,
  async (c) => {
    const { sha256 } = c.req.valid('param')
    const requestId = c.get('requestId')
    const models = await listModels(c.env, requestId)
    const model = models.find((m) => m.onnx.sha256 === sha256)
    if (!model) throw new ProblemError(404, 'not_found', 'Not found', 'No model lists this file.')
    const headers = { ETag: `"${sha256}"`, 'Cache-Control': IMMUTABLE }
    const known = c.req.header('If-None-Match')
    if (known?.trim() === '*' || known?.includes(`"${sha256}"`)) return c.body(null, 304, headers)
    const file = await workerPoolFor(c.env).open({
      method: 'GET',
      path: `/internal/v1/files/${sha256}`,
      requestId,
    })
    if (file.status !== 200 || !file.body) {
      await file.body?.cancel()
      throw new ProblemError(502, 'bad_worker_response', 'Bad worker response')
    }
    return c.body(file.body, 200, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(model.onnx.bytes),
    })
  },
)
