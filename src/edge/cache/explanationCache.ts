import type { OverlayFormat, WorkerExplainResult } from '../../shared/contract'

/** Entries above this are served but not stored (big overlays), so one request cannot bloat the cache. */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024
const KV_MIN_TTL_SECONDS = 60

/** Everything that changes an explanation, in one canonical string: image hash, model@version, options. */
export function explanationKey(
  imageSha256: string,
  model: { id: string; version: string },
  options: {
    topK: number
    classes?: number[] | undefined
    overlay: boolean
    overlayFormat: OverlayFormat
    overlayMaxSide?: number | undefined
  },
): string {
  const classes = options.classes?.join(',') ?? ''
  // The overlay's encoding and size only count when an overlay is asked for; `max` is the worker's own limit.
  const overlay = options.overlay ? `1,${options.overlayFormat},${options.overlayMaxSide ?? 'max'}` : '0'
  return `v1/${imageSha256}/${model.id}@${model.version}/topK=${options.topK};classes=${classes};overlay=${overlay}`
}

/**
 * Explanations in KV with a TTL: shared by all isolates, survives restarts, bounded by TTL and entry size.
 * Reads use KV's `cacheTtl`, which keeps hot keys in the PoP's local cache; the Cache API in front would
 * duplicate that and need a URL scheme of its own, so it is not used.
 */
export class ExplanationCache {
  readonly #expirationTtl: number
  readonly #cacheTtl: number

  constructor(
    private readonly kv: KVNamespace,
    ttlSeconds: number,
  ) {
    // KV refuses TTLs under 60 s, for an entry's expiry and for a PoP's local copy alike.
    this.#expirationTtl = Math.max(KV_MIN_TTL_SECONDS, ttlSeconds)
    this.#cacheTtl = Math.min(this.#expirationTtl, 3600)
  }

  get(key: string): Promise<WorkerExplainResult | null> {
    return this.kv.get<WorkerExplainResult>(key, { type: 'json', cacheTtl: this.#cacheTtl })
  }

  async put(key: string, result: WorkerExplainResult): Promise<void> {
    const value = JSON.stringify(result)
    if (value.length > MAX_ENTRY_BYTES) return
    await this.kv.put(key, value, { expirationTtl: this.#expirationTtl })
  }
}
