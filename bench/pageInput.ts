/**
 * The demo page's preprocessing against the worker's (`npm run bench:page-input`): every sample photograph
 * decoded at full size (sharp standing in for the browser's decoder) and made into each pack's input by
 * src/web/modelInput.ts, and by the worker's decodeImage; both inputs then run through the pack's model.onnx
 * (onnxruntime-node). Prints a Markdown table: input differences (page - worker, absolute), top-1 agreement, and
 * differences of the map of the worker's top-1 class, in 8-bit levels.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import sharp from 'sharp'
import { decodeImage } from '../src/gpu-worker/decodeImage'
import { MODELS_DIR } from '../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../src/gpu-worker/testing/sampleImages'
import type { ImageType } from '../src/shared/imageType'
import { sniffImageType } from '../src/shared/imageType'
import { type Manifest, manifestSchema } from '../src/shared/manifest'
import { saliencyLevels } from '../src/shared/saliencyLevels'
import { modelInput } from '../src/web/modelInput'
import { machineLoad } from './machine'
import { fixed, markdownTable } from './worker/table'

if (!hasSampleImages()) {
  console.error('bench:page-input needs ../shared/images/imagenet-samples.tar')
  process.exit(1)
}

const limits = { maxBytes: 64 * 1024 * 1024, maxPixels: 100_000_000 }

/** Levels of the input, or of a map, apart: mean, 99th percentile and largest. */
function summary(levels: number[]) {
  levels.sort((a, b) => a - b)
  const mean = levels.reduce((s, v) => s + v, 0) / levels.length
  return { mean, p99: levels[Math.floor(levels.length * 0.99)] ?? 0, max: levels.at(-1) ?? 0 }
}

async function run(session: InferenceSession, manifest: Manifest, pixels: Float32Array, classes: number[]) {
  const { width, height } = manifest.input
  const out = await session.run({
    image: new Tensor('float32', pixels, [1, 3, height, width]),
    classes: new Tensor('int64', BigInt64Array.from(classes, BigInt), [1, classes.length]),
  })
  const classIds = out.class_ids?.data as BigInt64Array
  const logits = out.logits?.data as Float32Array
  return {
    top1: Number(classIds[0]),
    argmax: logits.reduce((best, v, i) => (v > (logits[best] ?? v) ? i : best), 0),
    map: saliencyLevels(out.maps?.data as Float32Array),
  }
}

const photos = [...readSampleImages()]
const rows: (string | number)[][] = []
for (const id of readdirSync(MODELS_DIR).sort()) {
  const manifest = manifestSchema.parse(
    JSON.parse(readFileSync(join(MODELS_DIR, id, 'manifest.json'), 'utf8')),
  )
  const session = await InferenceSession.create(join(MODELS_DIR, id, manifest.onnx.file))
  const inputs: number[] = []
  const maps: number[] = []
  let agree = 0
  for (const [, bytes] of photos) {
    const worker = await decodeImage(bytes, manifest.preprocessing, limits)
    const { data, info } = await sharp(bytes)
      .autoOrient()
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    const type = sniffImageType(bytes) as ImageType
    const page = modelInput({ data, width: info.width, height: info.height }, manifest.preprocessing, type)
    for (let i = 0; i < page.pixels.length; i++)
      inputs.push(Math.round(Math.abs((page.pixels[i] as number) - (worker.pixels[i] as number)) * 255))
    const server = await run(session, manifest, worker.pixels, [-1])
    const device = await run(session, manifest, page.pixels, [server.top1])
    if (device.argmax === server.top1) agree++
    for (let i = 0; i < server.map.length; i++)
      maps.push(Math.abs((server.map[i] as number) - (device.map[i] as number)))
  }
  const input = summary(inputs)
  const map = summary(maps)
  rows.push([
    `${manifest.id} ${manifest.version}`,
    `${manifest.preprocessing.resizeShorter} / ${manifest.preprocessing.crop}`,
    photos.length,
    `${fixed(input.mean)} / ${input.p99} / ${input.max}`,
    `${agree} (${fixed((100 * agree) / photos.length, 1)} %)`,
    `${fixed(map.mean)} / ${map.p99} / ${map.max}`,
  ])
  await session.release()
}

console.log(`${machineLoad()}\n`)
console.log(
  markdownTable(
    [
      'pack',
      'resize / crop',
      'photos',
      'input difference mean / p99 / max',
      'same top-1',
      'top-1 map difference mean / p99 / max',
    ],
    rows,
  ),
)
