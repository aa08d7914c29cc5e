/**
 * The import rules of src/ (docs/architecture.md), checked by `npm run lint`: no import circles, type imports
 * included, and each part imports only what sits below it.
 */
const TESTS = '\\.test\\.ts$|/test/|/testing/|vitest\\.config\\.ts$'
// The edge's HTTP layer and the isolate's wiring; everything else in src/edge is its domain.
const EDGE_HTTP = '^src/edge/(app|index|context|services)\\.ts$|^src/edge/(routes|middleware|problem)/'
// Runtime entry points besides fetch: the workerd runtime builds them from `env`, so they may wire services.
const EDGE_ENTRIES = '^src/edge/jobs/(JobTracker|jobItemConsumer)\\.ts$'

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle, type-only imports included: split the module or move the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-imports-no-part',
      comment: 'src/shared is the contract the edge, the worker, the page and clients import; it imports none of them.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/(edge|gpu-worker|client|web)/' },
    },
    {
      name: 'parts-meet-in-shared',
      comment:
        'The edge, the GPU worker and the client share code only through src/shared (a test may hold one part ' +
        "against another, as the page's preprocessing against the worker's).",
      severity: 'error',
      from: { path: '^src/(edge|gpu-worker|client)/', pathNot: TESTS },
      to: { path: '^src/(edge|gpu-worker|client|web)/', pathNot: '^src/$1/' },
    },
    {
      name: 'page-calls-the-api-through-the-sdk',
      comment:
        'The demo page is a client of the public API, as a browser app is: src/shared and the SDK\'s public entry, ' +
        'nothing of the edge or the worker, nothing inside the SDK.',
      severity: 'error',
      from: { path: '^src/web/', pathNot: TESTS },
      to: { path: '^src/(edge|gpu-worker|client)/', pathNot: '^src/client/index\\.ts$' },
    },
    {
      name: 'edge-domain-below-http',
      comment:
        'Edge domain modules (explain, cache, pool, models, uploads, jobs, webhooks, security, body) receive ' +
        'settings and bindings; they never reach up into Hono, routes, middleware, problem rendering or services.',
      severity: 'error',
      from: { path: '^src/edge/', pathNot: `${EDGE_HTTP}|${EDGE_ENTRIES}|${TESTS}|worker-configuration\\.d\\.ts$` },
      to: { path: `${EDGE_HTTP}|${EDGE_ENTRIES}|^node_modules/hono/` },
    },
    {
      name: 'routes-mounted-by-app',
      comment: 'A route module is mounted by app.ts and imported by nothing else.',
      severity: 'error',
      from: { path: '^src/edge/', pathNot: `^src/edge/app\\.ts$|${TESTS}` },
      to: { path: '^src/edge/routes/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
}
