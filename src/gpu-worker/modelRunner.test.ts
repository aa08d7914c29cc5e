import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeImage } from './decodeImage'
import { silentLogger } from './log'
import { type LoadedModel, loadModelRegistry, type ModelRegistry } from './modelRegistry'
import { runExplainBatch } from './modelRunner'
import { halves, solid } from './testing/images'
import { hasModelPack, MODELS_DIR, PACK_ID } from './testing/modelPack'

describe.skipIf(!hasModelPack())(`runExplainBatch (needs models/${PACK_ID})`, () => {
  let registry: ModelRegistry
  let model: LoadedModel
  const inputs: Float32Array[] = []

  beforeAll(async () => {
    registry = await loadModelRegistry(
      { modelsDir: MODELS_DIR, defaultModel: PACK_ID, executionProviders: ['cpu'] },
      silentLogger,
    )
    model = registry.get()
    const limits = { maxBytes: 1 << 20, maxPixels: 1e6 }
    for (const image of [halves(64, 48, [250, 20, 20], [20, 20, 250]), solid(40, 40, [30, 160, 60])]) {
      inputs.push(
        (await decodeImage(await image.png().toBuffer(), model.manifest.preprocessing, limits)).pixels,
      )
    }
  })
  afterAll(() => registry.close())

  it('runs requests asking for different K as one batch and gives each exactly its own answer', async () => {
    const [a, b] = inputs as [Float32Array, Float32Array]
    const [topThree, chosen] = await runExplainBatch(model, [
      { pixels: a, classes: [-1, -2, -3] },
      { pixels: b, classes: [5] },
    ])
    if (!topThree || !chosen) throw new Error('two results expected')
    expect(topThree.batchSize).toBe(2)
    const ranked = [...topThree.logits.keys()].sort(
      (i, j) => (topThree.logits[j] as number) - (topThree.logits[i] as number),
    )
    expect(topThree.explained.map((e) => e.classId)).toEqual(ranked.slice(0, 3))
    expect(chosen.explained.map((e) => e.classId)).toEqual([5])
    const { width, height } = model.manifest.mapSize
    for (const { map } of [...topThree.explained, ...chosen.explained]) {
      expect([map.width, map.height]).toEqual([width, height])
      expect(map.data).toHaveLength(width * height)
      expect(Math.min(...map.data)).toBeCloseTo(0, 5)
      expect(Math.max(...map.data)).toBeCloseTo(1, 5)
    }

    // Alone, each request gets the same answer: padding and slicing leak nothing across the batch.
    const [alone] = await runExplainBatch(model, [{ pixels: b, classes: [5] }])
    expect(alone?.batchSize).toBe(1)
    const aloneMap = alone?.explained[0]?.map.data ?? []
    expect(aloneMap).toHaveLength(model.manifest.mapSize.width * model.manifest.mapSize.height)
    for (const [i, v] of aloneMap.entries()) expect(chosen.explained[0]?.map.data[i]).toBeCloseTo(v, 4)
    for (const [i, v] of (alone?.logits ?? []).entries()) expect(chosen.logits[i]).toBeCloseTo(v, 4)
  })
})
