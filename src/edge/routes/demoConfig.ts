import { Hono } from 'hono'
import type { DemoConfig } from '../../shared/demoConfig'
import type { EdgeContext } from '../context'

/**
 * The demo page's settings. DEMO_API_KEY is set by `npm start` only (the local development key); a deployed
 * edge has none, so its page asks for a key and keeps it in the browser. Outside the public API and its docs.
 */
export const demoConfigRoutes = new Hono<EdgeContext>().get('/demo/config', (c) => {
  c.header('Cache-Control', 'no-store')
  const { DEMO_API_KEY } = c.var.services.settings
  const config: DemoConfig = DEMO_API_KEY ? { apiKey: DEMO_API_KEY } : {}
  return c.json(config)
})
