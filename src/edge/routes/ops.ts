import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import type { EdgeContext } from '../context'

export const healthSchema = z.object({ status: z.literal('ok') }).openapi('Health')

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Edge liveness',
  responses: {
    200: {
      description: 'The edge is serving.',
      content: { 'application/json': { schema: healthSchema } },
    },
  },
})

/** Unauthenticated operations: liveness, the OpenAPI document and the rendered reference. */
export const opsRoutes = new OpenAPIHono<EdgeContext>()
  .openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200))
  // The reference page loads Scalar's script from its CDN; it is the only thing at the edge that needs the network.
  .get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'T-TAME Explain API' }))
