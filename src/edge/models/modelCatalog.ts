import { type ClassRef, classIdsOf, type ModelInfo } from '../../shared/contract'
import { quoted } from '../../shared/issues'
import { ProblemError } from '../../shared/problem'
import { fetchModels } from '../pool/workerApi'
import type { WorkerPool } from '../pool/workerPool'

const FRESH_MS = 30_000
const KV_KEY = 'models'

/**
 * The models the workers serve. Memoised for the isolate and mirrored in KV, so that cache hits (which need the
 * default model's version for their key) are answered even when every worker is down or after a restart.
 */
export class ModelCatalog {
  #memo: { models: ModelInfo[]; fetchedAt: number } | undefined

  constructor(
    private readonly pool: WorkerPool,
    private readonly kv: KVNamespace,
    private readonly now: () => number = Date.now,
  ) {}

  async list(requestId: string): Promise<ModelInfo[]> {
    const memo = this.#memo
    if (memo && this.now() - memo.fetchedAt < FRESH_MS) return memo.models
    try {
      const models = await fetchModels(this.pool, requestId)
      const changed = JSON.stringify(models) !== JSON.stringify(memo?.models)
      this.#memo = { models, fetchedAt: this.now() }
      if (changed) await this.kv.put(KV_KEY, JSON.stringify(models))
      return models
    } catch (error) {
      const stale = memo?.models ?? (await this.kv.get<ModelInfo[]>(KV_KEY, 'json'))
      if (stale) return stale
      throw error
    }
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
