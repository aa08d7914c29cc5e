import { Tensor } from 'onnxruntime-node'
import type { SaliencyMap } from './explanationMap'
import type { LoadedModel } from './modelRegistry'

/** One image's share of a batch: its input pixels and the classes to explain (id >= 0, or -rank). */
export interface ModelRequest {
  pixels: Float32Array
  classes: readonly number[]
}

export interface ExplainedClass {
  /** The class id, ranks resolved by the graph. */
  classId: number
  map: SaliencyMap
}

export interface ModelResult {
  logits: Float32Array
  /** One per requested class, in the order asked. */
  explained: ExplainedClass[]
  /** Wall time of the batch's single `session.run`. */
  inferenceMs: number
  batchSize: number
}

/**
 * Runs a batch through the explanation graph as ONE `session.run`. Requests asking for fewer classes than the
 * batch's largest K are padded with rank -1 and the padding is sliced off again.
 */
export async function runExplainBatch(
  model: LoadedModel,
  requests: readonly ModelRequest[],
): Promise<ModelResult[]> {
  const n = requests.length
  const { width, height } = model.manifest.input
  const plane = 3 * width * height
  const k = Math.max(...requests.map((r) => r.classes.length))
  const image = new Float32Array(n * plane)
  const classes = new BigInt64Array(n * k).fill(-1n)
  for (const [i, r] of requests.entries()) {
    image.set(r.pixels, i * plane)
    classes.set(r.classes.map(BigInt), i * k)
  }
  const started = performance.now()
  const out = await model.session.run({
    image: new Tensor('float32', image, [n, 3, height, width]),
    classes: new Tensor('int64', classes, [n, k]),
  })
  const inferenceMs = performance.now() - started
  const logits = out.logits?.data as Float32Array
  const classIds = out.class_ids?.data as BigInt64Array
  const maps = out.maps
  if (!logits || !classIds || !maps)
    throw new Error(`${model.manifest.id}: graph lacks logits/class_ids/maps`)
  const numClasses = logits.length / n
  const [mapHeight, mapWidth] = maps.dims.slice(2) as [number, number]
  const mapData = maps.data as Float32Array
  const mapSize = mapHeight * mapWidth
  return requests.map((r, i) => ({
    logits: logits.slice(i * numClasses, (i + 1) * numClasses),
    explained: r.classes.map((_, j) => ({
      classId: Number(classIds[i * k + j]),
      map: {
        data: mapData.slice((i * k + j) * mapSize, (i * k + j + 1) * mapSize),
        width: mapWidth,
        height: mapHeight,
      },
    })),
    inferenceMs,
    batchSize: n,
  }))
}
