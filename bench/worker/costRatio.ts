import { type InferenceSession, Tensor } from 'onnxruntime-node'
import { timeInterleaved } from './timing'

export interface CostRatioRow {
  batch: number
  k: number
  explainMs: number
  classifyMs: number
  ratio: number
}

/** `batch` copies of one image as an `image` tensor [N, 3, S, S]. */
function imageBatch(pixels: Float32Array, side: number, batch: number): Tensor {
  const data = new Float32Array(batch * pixels.length)
  for (let i = 0; i < batch; i++) data.set(pixels, i * pixels.length)
  return new Tensor('float32', data, [batch, 3, side, side])
}

/**
 * Explanation + classification (the T-TAME graph, maps for the top-k classes) against classification alone
 * (the same backbone without the attention, `logits` only), same input, same runtime, interleaved.
 */
export async function measureCostRatio(
  explainer: InferenceSession,
  classifier: InferenceSession,
  pixels: Float32Array,
  side: number,
  batch: number,
  k: number,
): Promise<CostRatioRow> {
  const image = imageBatch(pixels, side, batch)
  const ranks = new BigInt64Array(batch * k).map((_, i) => -BigInt((i % k) + 1))
  const classes = new Tensor('int64', ranks, [batch, k])
  const [explain, classify] = await timeInterleaved([
    () => explainer.run({ image, classes }),
    () => classifier.run({ image }, ['logits']),
  ])
  const explainMs = explain?.medianMs ?? Number.NaN
  const classifyMs = classify?.medianMs ?? Number.NaN
  return { batch, k, explainMs, classifyMs, ratio: explainMs / classifyMs }
}
