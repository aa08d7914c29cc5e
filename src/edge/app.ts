import { OpenAPIHono } from '@hono/zod-openapi'
import { requestId } from 'hono/request-id'
import type { EdgeContext } from './context'
import { apiKeyAuth } from './middleware/auth'
import { bodyBudget } from './middleware/bodyBudget'
import { bodyLimit } from './middleware/bodyLimit'
import { jsonContentType } from './middleware/jsonContentType'
import { rateLimit } from './middleware/rateLimit'
import { services } from './middleware/services'
import { notFoundFor, renderProblem } from './problem/problem'
import { demoConfigRoutes } from './routes/demoConfig'
import { explainRoutes } from './routes/explain'
import { jobRoutes } from './routes/jobs'
import { modelFileRoutes } from './routes/modelFiles'
import { modelRoutes } from './routes/models'
import { opsRoutes } from './routes/ops'
import { uploadPutRoutes } from './routes/uploadPut'
import { uploadRoutes } from './routes/uploads'

/** The public API, in the order a request travels through it. */
export const app = new OpenAPIHono<EdgeContext>()
app.use(requestId(), services())
app.use('/v1/*', apiKeyAuth(), rateLimit(), bodyBudget(), bodyLimit(), jsonContentType())
app.route('/', opsRoutes)
app.route('/', modelRoutes)
app.route('/', modelFileRoutes)
app.route('/', explainRoutes)
app.route('/', uploadRoutes)
app.route('/', jobRoutes)
// Signed upload PUTs sit outside /v1: their signature, not an API key, authorises them.
app.route('/', uploadPutRoutes)
// The demo page itself is static assets (wrangler.toml [assets]); this is what it asks the Worker first.
app.route('/', demoConfigRoutes)

app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' })
app.doc31('/openapi.json', {
  openapi: '3.1.0',
  info: {
    title: 'T-TAME Explain API',
    version: '1.0.0',
    description: 'Class-specific saliency maps for image classifiers in one forward pass.',
  },
})
app.onError(renderProblem)
app.notFound(notFoundFor(app))
