import { HeldBodies } from './body/heldBodies'
import { ExplanationCache } from './cache/explanationCache'
import { Explainer } from './explain/explainer'
import { ModelCatalog } from './models/modelCatalog'
import { WorkerPool } from './pool/workerPool'
import { type EdgeSettings, parseSettings } from './settings'

/** What an isolate keeps between requests, built once from its bindings. */
export interface EdgeServices {
  settings: EdgeSettings
  /** Worker health and load: hints every isolate learns from its own traffic, free on the request path. */
  workerPool: WorkerPool
  models: ModelCatalog
  explainer: Explainer
  heldBodies: HeldBodies
}

/** The edge's one module-level state: an isolate's services, by the `env` its handlers receive. */
const isolates = new WeakMap<Env, EdgeServices>()

/**
 * The services of the isolate that `env` belongs to, built on first use. workerd hands every request, queue batch
 * and Durable Object of an isolate the same `env`; a test that passes its own gets services of its own.
 */
export function servicesOf(env: Env): EdgeServices {
  let services = isolates.get(env)
  if (!services) {
    const settings = parseSettings(env)
    const workerPool = new WorkerPool({
      urls: settings.WORKER_URLS,
      token: settings.WORKER_TOKEN,
      timeoutMs: settings.WORKER_TIMEOUT_MS,
    })
    const models = new ModelCatalog(workerPool, env.EXPLANATION_CACHE)
    const cache = new ExplanationCache(env.EXPLANATION_CACHE, settings.CACHE_TTL_SECONDS)
    services = {
      settings,
      workerPool,
      models,
      explainer: new Explainer(models, workerPool, cache),
      heldBodies: new HeldBodies(),
    }
    isolates.set(env, services)
  }
  return services
}
