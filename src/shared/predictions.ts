import type { z } from 'zod'
import type { predictionSchema } from './contract'

export type Prediction = z.infer<typeof predictionSchema>

/** Class probabilities from logits (shifted by the max, so large logits do not overflow). */
export function softmax(logits: Float32Array): number[] {
  const max = logits.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY)
  const exps = Array.from(logits, (v) => Math.exp(v - max))
  const total = exps.reduce((s, v) => s + v, 0)
  return exps.map((e) => e / total)
}

/** The k most probable classes, highest first. */
export function topPredictions(logits: Float32Array, labels: readonly string[], k: number): Prediction[] {
  return softmax(logits)
    .map((score, classId) => ({ classId, label: labels[classId] ?? String(classId), score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
}

/** The graph's `classes` row that asks for the k highest-scoring classes (-r is the r-th, design.md). */
export function topRanks(k: number): number[] {
  return Array.from({ length: k }, (_, r) => -(r + 1))
}
