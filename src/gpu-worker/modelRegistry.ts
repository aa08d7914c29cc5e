import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { InferenceSession } from 'onnxruntime-node'
import type { ModelInfo } from '../shared/contract'
import { formatIssues } from '../shared/issues'
import { type Manifest, manifestSchema } from '../shared/manifest'
import { ProblemError } from '../shared/problem'
import { createSession, type ExecutionProvider } from './inferenceSession'
import type { Logger } from './log'

export interface LoadedModel {
  manifest: Manifest
  /** The explanation graph: backbone + T-TAME attention. */
  session: InferenceSession
  executionProvider: ExecutionProvider
  /** Where the pack's files are (the worker serves its ONNX graph to clients that run the model themselves). */
  dir: string
  /** Size of the explanation graph's file, counted while its sha256 was checked. */
  onnxBytes: number
}

/** Thrown at start-up: the worker refuses to serve from a pack it cannot trust. */
export class ModelPackError extends Error {
  override name = 'ModelPackError'
}

export interface RegistryOptions {
  modelsDir: string
  defaultModel: string
  executionProviders: readonly ExecutionProvider[]
}

/** The model packs this worker serves, loaded once at start-up. */
export class ModelRegistry {
  readonly #models: ReadonlyMap<string, LoadedModel>
  readonly defaultModel: string

  constructor(models: ReadonlyMap<string, LoadedModel>, defaultModel: string) {
    this.#models = models
    this.defaultModel = defaultModel
  }

  /** `id` or `id@version`; no reference means the default model. */
  get(reference?: string): LoadedModel {
    const [id, version] = (reference ?? this.defaultModel).split('@')
    const model = this.#models.get(id ?? '')
    if (!model || (version !== undefined && version !== model.manifest.version)) {
      throw new ProblemError(
        'unknown_model',
        `model '${reference}' is not served here; see /internal/v1/models`,
      )
    }
    return model
  }

  all(): LoadedModel[] {
    return [...this.#models.values()]
  }

  list(): ModelInfo[] {
    return this.all().map(({ manifest: m, onnxBytes }) => ({
      id: m.id,
      version: m.version,
      family: m.family,
      numClasses: m.numClasses,
      labels: m.labels,
      input: m.input,
      mapSize: m.mapSize,
      default: m.id === this.defaultModel,
      preprocessing: { resizeShorter: m.preprocessing.resizeShorter, crop: m.preprocessing.crop },
      onnx: { sha256: m.onnx.sha256, bytes: onnxBytes },
    }))
  }

  /** The explanation graph whose sha256 (checked at start-up) is `sha256`, for clients that run it themselves. */
  graphFile(sha256: string): { path: string; bytes: number } | undefined {
    const model = this.all().find((m) => m.manifest.onnx.sha256 === sha256)
    return model && { path: join(model.dir, model.manifest.onnx.file), bytes: model.onnxBytes }
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((m) => m.session.release()))
  }
}

/** Loads every `<modelsDir>/<id>/manifest.json`; throws ModelPackError naming the file and what is wrong. */
export async function loadModelRegistry(options: RegistryOptions, log: Logger): Promise<ModelRegistry> {
  const entries = await readdir(options.modelsDir, { withFileTypes: true }).catch((err: unknown) => {
    throw new ModelPackError(`cannot read MODELS_DIR ${options.modelsDir}: ${(err as Error).message}`)
  })
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => join(options.modelsDir, e.name))
  const models = new Map<string, LoadedModel>()
  for (const dir of dirs) {
    const manifest = await readManifest(dir)
    if (!manifest) continue
    const onnxBytes = await verifyChecksum(join(dir, manifest.onnx.file), manifest.onnx.sha256)
    const provided = await createSession(join(dir, manifest.onnx.file), options.executionProviders, log)
    checkGraphContract(provided.session, join(dir, manifest.onnx.file))
    log.info('model loaded', {
      model: `${manifest.id}@${manifest.version}`,
      executionProvider: provided.executionProvider,
    })
    models.set(manifest.id, { manifest, dir, onnxBytes, ...provided })
  }
  if (!models.has(options.defaultModel)) {
    throw new ModelPackError(
      `default model '${options.defaultModel}' not found in ${options.modelsDir} (found: ${[...models.keys()].join(', ') || 'none'})`,
    )
  }
  return new ModelRegistry(models, options.defaultModel)
}

/** A directory without a manifest is not a pack (skipped); a manifest that fails the schema is fatal. */
async function readManifest(dir: string): Promise<Manifest | undefined> {
  const path = join(dir, 'manifest.json')
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ModelPackError(`${path}: not valid JSON (${(err as Error).message})`)
  }
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success) {
    throw new ModelPackError(`${path}: invalid manifest: ${formatIssues(parsed.error)}`)
  }
  return parsed.data
}

/** The inputs and outputs the model-pack contract promises (design.md); anything else cannot be served. */
const CONTRACT = { inputs: ['image', 'classes'], outputs: ['logits', 'class_ids', 'maps'] }

function checkGraphContract(session: InferenceSession, path: string): void {
  const missing = [
    ...CONTRACT.inputs.filter((name) => !session.inputNames.includes(name)).map((name) => `input '${name}'`),
    ...CONTRACT.outputs
      .filter((name) => !session.outputNames.includes(name))
      .map((name) => `output '${name}'`),
  ]
  if (missing.length > 0)
    throw new ModelPackError(`${path}: not an explanation graph, it lacks ${missing.join(', ')}`)
}

/** Throws ModelPackError unless the file's sha256 is `expected`; its size in bytes otherwise. */
export async function verifyChecksum(path: string, expected: string): Promise<number> {
  const hash = createHash('sha256')
  let bytes = 0
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer)
      bytes += (chunk as Buffer).length
    }
  } catch (err) {
    throw new ModelPackError(`${path}: cannot read (${(err as Error).message})`)
  }
  const actual = hash.digest('hex')
  if (actual !== expected) {
    throw new ModelPackError(`${path}: sha256 mismatch (manifest says ${expected}, file is ${actual})`)
  }
  return bytes
}
