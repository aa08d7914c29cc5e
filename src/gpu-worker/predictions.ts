import type { z } from 'zod'
import type { predictionSchema } from '../shared/contract'

export type Prediction = z.infer<typeof predictionSchema>

/** Softmax over the logits, then the k most probable classes, highest first. */
export function topPredictions(logits: Float32Array, labels: readonly string[], k: number): Prediction[] {
  const max = logits.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY)
  const exps = Array.from(logits, (v) => Math.exp(v - max))
  const total = exps.reduce((s, v) => s + v, 0)
  return exps
    .map((e, classId) => ({ classId, label: labels[classId] ?? String(classId), score: e / total }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
}
