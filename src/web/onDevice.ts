import type { InferenceSession } from 'onnxruntime-web'
import type { Model } from '../shared/contract'
import { topPredictions, topRanks } from '../shared/predictions'
import { saliencyLevels } from '../shared/saliencyLevels'
import { STATIC_ASSETS } from '../shared/staticAssets'
import type { Ask, Explainer, PageExplanation } from './explanation'
import { modelInput } from './modelInput'
import { type Photo, photoPixels } from './photo'

type Runtime = typeof import('onnxruntime-web')

/** Where the model runs in the browser: WebGPU when the browser has it (and JSPI, which that build needs). */
export type Backend = 'webgpu' | 'wasm'

async function webGpuAvailable(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu
  return Boolean(gpu && 'Suspending' in WebAssembly && (await gpu.requestAdapter().catch(() => null)))
}

/** onnxruntime-web, the build for the backend (each loads its own WebAssembly from the edge's assets). */
async function runtimeFor(backend: Backend): Promise<Runtime> {
  const ort =
    backend === 'webgpu' ? await import('onnxruntime-web/jspi') : await import('onnxruntime-web/wasm')
  ort.env.wasm.wasmPaths = STATIC_ASSETS.onnxRuntime
  // Threads need cross-origin isolation (the page's _headers ask for it); without it, one thread.
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1
  return ort
}

/**
 * A model pack's `model.onnx` run in the page, the same graph the workers run: the photo preprocessed as the
 * worker does (modelInput), one `session.run`, predictions and maps as the API gives them.
 */
export class DeviceModel implements Explainer {
  private constructor(
    readonly backend: Backend,
    readonly model: Model,
    private readonly ort: Runtime,
    private readonly session: InferenceSession,
  ) {}

  static async load(model: Model, graph: Uint8Array): Promise<DeviceModel> {
    const backend: Backend = (await webGpuAvailable()) ? 'webgpu' : 'wasm'
    const ort = await runtimeFor(backend)
    const session = await ort.InferenceSession.create(graph, {
      executionProviders: [backend],
    })
    return new DeviceModel(backend, model, ort, session)
  }

  async explain(photo: Photo, model: Model, ask: Ask): Promise<PageExplanation> {
    if (model.onnx.sha256 !== this.model.onnx.sha256)
      throw new Error(`${model.id} is not loaded on the device`)
    const started = performance.now()
    const input = modelInput(photoPixels(photo), model.preprocessing, photo.type)
    const classes = ask.classes ?? topRanks(Math.min(ask.topK, model.numClasses))
    const { width, height } = model.input
    const inferenceStarted = performance.now()
    const out = await this.session.run({
      image: new this.ort.Tensor('float32', input.pixels, [1, 3, height, width]),
      classes: new this.ort.Tensor('int64', BigInt64Array.from(classes, BigInt), [1, classes.length]),
    })
    const inferenceMs = performance.now() - inferenceStarted
    const logits = out.logits?.data as Float32Array
    const classIds = out.class_ids?.data as BigInt64Array
    const maps = out.maps as (typeof out)[string]
    const [mapHeight, mapWidth] = maps.dims.slice(2) as [number, number]
    const size = mapHeight * mapWidth
    const values = (await maps.getData()) as Float32Array
    return {
      crop: input.crop,
      predictions: topPredictions(logits, model.labels, ask.topK),
      maps: classes.map((_, k) => {
        const classId = Number(classIds[k])
        const levels = saliencyLevels(values.subarray(k * size, (k + 1) * size))
        return {
          classId,
          label: model.labels[classId] ?? String(classId),
          levels,
          width: mapWidth,
          height: mapHeight,
        }
      }),
      timing:
        `on this device (${this.backend}) · ${Math.round(performance.now() - started)} ms · ` +
        `inference ${inferenceMs.toFixed(1)} ms`,
    }
  }
}
