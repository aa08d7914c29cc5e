import { type ClassRef, classIdsOf, type ModelInfo } from '../../shared/contract'
import { quoted } from '../../shared/issues'
import { ProblemError } from '../../shared/problem'
import type { Env } from '../env'
import { fetchModels } from '../pool/workerApi'
import { workerPoolFor } from '../pool/workerPool'

const FRESH_MS = 30_000
const KV_KEY = 'models'

let memo: { models: ModelInfo[]; fetchedAt: number } | undefined

/**
 * The models the workers serve. Memoised per isolate and mirrored in KV, so that cache hits (which need the
 * default model's version for their key) are answered even when every worker is down or after a restart.
 */
export async function listModels(env: Env, requestId: string): Promise<ModelInfo[]> {
  if (memo && Date.now() - memo.fetchedAt < FRESH_MS) return memo.models
  try {
    const models = await fetchModels(workerPoolFor(env), requestId)
    const changed = JSON.stringify(models) !== JSON.stringify(memo?.models)
    memo = { models, fetchedAt: Date.now() }
    if (changed) await env.EXPLANATION_CACHE.put(KV_KEY, JSON.stringify(models))
    return models
  } catch (error) {
    const stale = memo?.models ?? (await env.EXPLANATION_CACHE.get<ModelInfo[]>(KV_KEY, 'json'))
    if (stale) return stale
    throw error
  }
}

/**
 * `id`, `id@version` or nothing (the default model). An unknown one is `unknown_model`: 400 where it is an
 * option of a request, 404 where it is the resource asked for (`GET /v1/models/{id}`).
 */
export function resolveModel(
  models: ModelInfo[],
  ref: string | undefined,
  unknownStatus: 400 | 404 = 400,
): ModelInfo {
  const [id, version] = ref?.split('@') ?? []
  const model = ref
    ? models.find((m) => m.id === id && (!version || m.version === version))
    : models.find((m) => m.default)
  if (!model) {
    const known = models.map((m) => `${m.id}@${m.version}`).join(', ')
    const detail = `No model ${ref === undefined ? '(default)' : quoted(ref)}; available: ${known}.`
    throw new ProblemError('unknown_model', detail, { status: unknownStatus })
  }
  return model
}

/** Class ids or labels to ids, in the order asked. */
export function resolveClasses(model: ModelInfo, classes: readonly ClassRef[]): number[] {
  const resolved = classIdsOf(model, classes)
  if ('refused' in resolved) throw new ProblemError('bad_options', resolved.refused)
  return resolved.ids
}
