import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { modelListSchema } from '../../shared/contract'
import type { EdgeContext } from '../context'
import { listModels } from '../models/modelCatalog'
import { problemResponses } from '../problem/openapi'

const route = createRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'Models that can explain',
  security: [{ apiKey: [] }],
  responses: {
    200: {
      description: 'The models; `default: true` marks the one used without `model`.',
      content: { 'application/json': { schema: modelListSchema } },
    },
    ...problemResponses(401, 429, 503),
  },
})

export const modelRoutes = new OpenAPIHono<EdgeContext>().openapi(route, async (c) =>
  c.json({ models: await listModels(c.env, c.get('requestId')) }, 200),
)
