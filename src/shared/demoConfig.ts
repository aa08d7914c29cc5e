/**
 * What the demo page at `/` learns from the edge before it calls the API (`GET /demo/config`): the local stack
 * hands it the development key; without one (production) the page asks its visitor for a key.
 */
export interface DemoConfig {
  apiKey?: string
}
