import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import { STATIC_ASSETS } from '../../shared/staticAssets'
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
  // Scalar's bundle is a static asset of the edge (pinned in package.json, copied by the page build): the
  // reference renders offline, with nothing fetched from the internet (tests/browser/docs.browser.test.ts).
  .get(
    '/docs',
    Scalar({
      url: '/openapi.json',
      pageTitle: 'T-TAME Explain API',
      cdn: STATIC_ASSETS.scalarBundle,
      withDefaultFonts: false,
      telemetry: false,
      // Its AI agent fetches a document registry through Scalar's proxy, even on a local page.
      agent: { disabled: true },
      showDeveloperTools: 'never',
    }),
  )
