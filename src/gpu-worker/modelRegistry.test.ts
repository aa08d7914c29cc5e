import { appendFile, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Logger, silentLogger } from './log'
import { loadModelRegistry, ModelPackError } from './modelRegistry'
import { copyPack, hasModelPack, MODELS_DIR, PACK_ID } from './testing/modelPack'

const cpuOnly = { modelsDir: MODELS_DIR, defaultModel: PACK_ID, executionProviders: ['cpu'] as const }
const temps: string[] = []
const tempPack = async (edit?: (m: Record<string, unknown>) => void) => {
  const dir = await copyPack(edit)
  temps.push(dir)
  return dir
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

describe.skipIf(!hasModelPack())(`loadModelRegistry (needs models/${PACK_ID})`, () => {
  it('loads the pack, serves it as default and by id@version, and refuses other models', async () => {
    const registry = await loadModelRegistry(cpuOnly, silentLogger)
    const model = registry.get()
    expect(model.manifest.id).toBe(PACK_ID)
    expect(registry.get(`${PACK_ID}@${model.manifest.version}`)).toBe(model)
    expect(model.executionProvider).toBe('cpu')
    expect(registry.list()).toContainEqual(
      expect.objectContaining({ id: PACK_ID, default: true, numClasses: model.manifest.labels.length }),
    )
    expect(() => registry.get('no-such-model')).toThrow(expect.objectContaining({ code: 'unknown_model' }))
    expect(() => registry.get(`${PACK_ID}@9.9.9`)).toThrow(expect.objectContaining({ code: 'unknown_model' }))
    await registry.close()
  })

  it('falls back from a missing CUDA provider to CPU with a warning', async () => {
    const warnings: unknown[] = []
    const log: Logger = { ...silentLogger, warn: (message, fields) => warnings.push({ message, ...fields }) }
    const registry = await loadModelRegistry({ ...cpuOnly, executionProviders: ['cuda', 'cpu'] }, log)
    expect(registry.get().executionProvider).toBe('cpu')
    expect(warnings).toContainEqual(
      expect.objectContaining({ executionProvider: 'cuda', modelPath: expect.stringContaining(PACK_ID) }),
    )
    await registry.close()
  })

  it('refuses a manifest that fails the schema, naming the file and the field', async () => {
    const modelsDir = await tempPack((m) => {
      m.labels = ['only-one']
    })
    const loading = loadModelRegistry({ ...cpuOnly, modelsDir }, silentLogger)
    await expect(loading).rejects.toThrow(ModelPackError)
    await expect(loading).rejects.toThrow(/manifest\.json: invalid manifest: labels/)
  })

  it('refuses a manifest that is not JSON', async () => {
    const modelsDir = await tempPack()
    await writeFile(join(modelsDir, PACK_ID, 'manifest.json'), '{ "id": ')
    await expect(loadModelRegistry({ ...cpuOnly, modelsDir }, silentLogger)).rejects.toThrow(/not valid JSON/)
  })

  it('refuses an ONNX file whose sha256 differs from the manifest', async () => {
    const modelsDir = await tempPack()
    const { onnx } = JSON.parse(await readFile(join(modelsDir, PACK_ID, 'manifest.json'), 'utf8'))
    await appendFile(join(modelsDir, PACK_ID, onnx.file), Buffer.from([0]))
    await expect(loadModelRegistry({ ...cpuOnly, modelsDir }, silentLogger)).rejects.toThrow(
      /sha256 mismatch/,
    )
  })

  it('refuses a graph without the inputs and outputs of the model-pack contract', async () => {
    const modelsDir = await tempPack((m) => {
      m.onnx = {
        ...(m.onnx as object),
        file: (m.classifier as { file: string }).file,
        sha256: (m.classifier as { sha256: string }).sha256,
      }
    })
    await expect(loadModelRegistry({ ...cpuOnly, modelsDir }, silentLogger)).rejects.toThrow(
      /not an explanation graph, it lacks input 'classes', output 'class_ids', output 'maps'/,
    )
  })

  it('refuses to start without the default model', async () => {
    await expect(
      loadModelRegistry({ ...cpuOnly, defaultModel: 'imagenet-vit' }, silentLogger),
    ).rejects.toThrow(/default model 'imagenet-vit' not found/)
  })
})
