import { type InferenceSession, Tensor } from 'onnxruntime-node'
import { softmax } from '../../src/shared/predictions'

/**
 * RISE and Score-CAM, the perturbation baselines T-TAME is compared with, run on the classification-only graph
 * in the same ORT runtime. They share one pipeline (mask the input, score each masked copy for the class,
 * in batches) and differ only in where the masks come from and how the scores combine them.
 */

export interface BaselineResult {
  map: Float32Array
  /** Images pushed through the network for this one explanation. */
  forwardPasses: number
}

export interface BaselineInput {
  classifier: InferenceSession
  pixels: Float32Array
  side: number
  classId: number
  batchSize: number
}

/** Softmax probability of `classId` for `image ⊙ mask`, every mask, in batches of `batchSize`. */
async function scoreMaskedInputs(
  input: BaselineInput,
  masks: readonly Float32Array[],
): Promise<Float32Array> {
  const { classifier, pixels, side, classId, batchSize } = input
  const plane = side * side
  const scores = new Float32Array(masks.length)
  for (let start = 0; start < masks.length; start += batchSize) {
    const chunk = masks.slice(start, start + batchSize)
    const data = new Float32Array(chunk.length * 3 * plane)
    for (const [i, mask] of chunk.entries()) {
      for (let c = 0; c < 3; c++) {
        const offset = (i * 3 + c) * plane
        for (let p = 0; p < plane; p++)
          data[offset + p] = (pixels[c * plane + p] as number) * (mask[p] as number)
      }
    }
    const out = await classifier.run({ image: new Tensor('float32', data, [chunk.length, 3, side, side]) }, [
      'logits',
    ])
    const logits = out.logits?.data as Float32Array
    const numClasses = logits.length / chunk.length
    for (let i = 0; i < chunk.length; i++) {
      scores[start + i] = softmax(logits.subarray(i * numClasses, (i + 1) * numClasses))[classId] as number
    }
  }
  return scores
}

/** Σ weight_i · layer_i. */
function weightedSum(layers: readonly Float32Array[], weights: Float32Array, size: number): Float32Array {
  const map = new Float32Array(size)
  for (const [i, layer] of layers.entries()) {
    const w = weights[i] as number
    for (let p = 0; p < size; p++) map[p] = (map[p] as number) + w * (layer[p] as number)
  }
  return map
}

/** Scaled to [0, 1] like the T-TAME maps. */
function minMax(map: Float32Array): Float32Array {
  const lo = map.reduce((m, v) => Math.min(m, v), Number.POSITIVE_INFINITY)
  const hi = map.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY)
  return map.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0))
}

/** Bilinear resize of a [h, w] grid to [outH, outW] (align_corners = false). */
export function bilinear(grid: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW)
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / outH - 0.5))
    const y0 = Math.floor(sy)
    const y1 = Math.min(h - 1, y0 + 1)
    const fy = sy - y0
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / outW - 0.5))
      const x0 = Math.floor(sx)
      const x1 = Math.min(w - 1, x0 + 1)
      const fx = sx - x0
      const top = (grid[y0 * w + x0] as number) * (1 - fx) + (grid[y0 * w + x1] as number) * fx
      const bottom = (grid[y1 * w + x0] as number) * (1 - fx) + (grid[y1 * w + x1] as number) * fx
      out[y * outW + x] = top * (1 - fy) + bottom * fy
    }
  }
  return out
}

/** A small deterministic PRNG (mulberry32), so that runs are repeatable. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * RISE masks (Petsiuk et al., 2018): random binary `grid` x `grid` cells kept with probability `p`, upsampled
 * bilinearly to (grid + 1) · cell and cropped at a random shift. Image-independent, so made once.
 */
export function riseMasks(n: number, side: number, { grid = 8, p = 0.5, seed = 0 } = {}): Float32Array[] {
  const random = seededRandom(seed)
  const cell = Math.ceil(side / grid)
  const up = (grid + 1) * cell
  return Array.from({ length: n }, () => {
    const cells = Float32Array.from({ length: grid * grid }, () => (random() < p ? 1 : 0))
    const large = bilinear(cells, grid, grid, up, up)
    const dx = Math.floor(random() * cell)
    const dy = Math.floor(random() * cell)
    const mask = new Float32Array(side * side)
    for (let y = 0; y < side; y++)
      mask.set(large.subarray((y + dy) * up + dx, (y + dy) * up + dx + side), y * side)
    return mask
  })
}

/** RISE: saliency = Σ score(image ⊙ mask_i) · mask_i over N random masks (the 1/(N·p) factor drops out of min-max). */
export async function rise(input: BaselineInput, masks: readonly Float32Array[]): Promise<BaselineResult> {
  const scores = await scoreMaskedInputs(input, masks)
  return { map: minMax(weightedSum(masks, scores, input.side * input.side)), forwardPasses: masks.length }
}

/**
 * Score-CAM (Wang et al., 2020): one pass for the last feature layer's activations; each channel, upsampled
 * and min-max scaled, masks the input; the class score of each masked copy weights its channel.
 */
export async function scoreCam(input: BaselineInput): Promise<BaselineResult> {
  const { classifier, pixels, side } = input
  const out = await classifier.run({ image: new Tensor('float32', pixels, [1, 3, side, side]) }, ['features'])
  const features = out.features
  if (!features) throw new Error('classifier graph has no `features` output')
  const [, channels, h, w] = features.dims as [number, number, number, number]
  const activations = features.data as Float32Array
  const upsampled = Array.from({ length: channels }, (_, k) =>
    bilinear(activations.subarray(k * h * w, (k + 1) * h * w), h, w, side, side),
  )
  const scores = await scoreMaskedInputs(input, upsampled.map(minMax))
  // ReLU(Σ w_k A_k): channels weighted by the score they earn alone; negative evidence is cut.
  const cam = weightedSum(upsampled, scores, side * side).map((v) => Math.max(0, v))
  return { map: minMax(cam), forwardPasses: channels + 1 }
}
