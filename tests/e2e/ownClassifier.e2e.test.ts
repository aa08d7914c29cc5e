import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import type { ExplainResponse, ModelInfo, ModelListEntry } from '../../src/shared/contract'
import { type Manifest, manifestSchema } from '../../src/shared/manifest'
import { edgeFetch } from './devProxy'
import { LocalStack } from './localStack'

/**
 * "Explain your own classifier" as the README tells it: a torchvision backbone at 224 px (random init: no
 * weights can be downloaded here), a labels file of our own and a folder of photographs -> scripts/ttame
 * train-attention, evaluate, export into a temp MODELS_DIR -> the real worker + edge serve it.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const PACK = 'own-resnet18'
const PHOTOS = 64
// Our labels, not torchvision's, so that every label the API answers with must have come from the file.
const LABELS = Array.from({ length: 1000 }, (_, i) =>
  i === 8 ? 'hen, rooster' : i === 282 ? 'tiger cat' : `own class ${i}`,
)
const run = promisify(execFile)

if (!hasSampleImages()) console.warn('own-classifier e2e skipped: ../shared/images is absent')

describe.skipIf(!hasSampleImages())('your own classifier, from photos to a served pack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ttame-own-'))
  const stack = new LocalStack({}, { workerEnv: { MODELS_DIR: join(dir, 'models'), DEFAULT_MODEL: PACK } })
  const photos = hasSampleImages() ? [...readSampleImages()].sort(([a], [b]) => a.localeCompare(b)) : []
  const ttame = (...args: string[]) =>
    run(join(ROOT, 'scripts/ttame'), args, { cwd: dir, maxBuffer: 1 << 26 }).then((r) => r.stdout)
  const summary = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'))
  let manifest: Manifest

  beforeAll(async () => {
    mkdirSync(join(dir, 'photos'))
    for (const [name, bytes] of photos.slice(0, PHOTOS)) writeFileSync(join(dir, 'photos', name), bytes)
    writeFileSync(join(dir, 'labels.txt'), `${LABELS.join('\n')}\n`)
    // Half the photos labelled by name, a quarter by id, the rest unlabelled: top-1 is measured on 48.
    const rows = photos.slice(0, 48).map(([name], i) => `${name},${i % 2 ? `"${LABELS[i]}"` : i}`)
    writeFileSync(join(dir, 'labels.csv'), `path,label\n${rows.join('\n')}\n`)

    await ttame(
      ...'train-attention --backbone resnet18 --labels labels.txt --data photos --out run'.split(' '),
      ...'--epochs 3 --batch-size 8 --seed 0'.split(' '),
    )
    await ttame(
      ...'evaluate --checkpoint run/attention.pt --data photos --labels-csv labels.csv'.split(' '),
      ...'--out run/evaluation.json --images 4 --methods ttame,gradcam'.split(' '),
    )
    await ttame(
      ...`export --checkpoint run/attention.pt --out models/${PACK} --id ${PACK}`.split(' '),
      ...'--evaluation run/evaluation.json --data photos --labels-csv labels.csv'.split(' '),
    )
    manifest = manifestSchema.parse(summary(`models/${PACK}/manifest.json`))
    await stack.start()
  }, 900_000)
  afterAll(async () => {
    await stack.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const get = (path: string) =>
    fetch(`${stack.edgeUrl}${path}`, { headers: { Authorization: `Bearer ${stack.apiKey}` } })
  const explain = async (fields: Record<string, string>, photo = 5) => {
    const form = new FormData()
    const [name, bytes] = photos[photo] as [string, Buffer]
    form.set('image', new File([bytes], name, { type: 'image/jpeg' }))
    for (const [field, value] of Object.entries(fields)) form.set(field, value)
    const response = await edgeFetch(`${stack.edgeUrl}/v1/explain`, {
      method: 'POST',
      body: form,
      headers: { Authorization: `Bearer ${stack.apiKey}` },
    })
    expect(response.status).toBe(200)
    return (await response.json()) as ExplainResponse
  }

  it('trains the attention on the photos: its loss falls', () => {
    const history = summary('run/train-attention.json').history as { loss: number }[]
    expect(history).toHaveLength(3)
    expect(history.at(-1)?.loss).toBeLessThan(history[0]?.loss ?? 0)
  })

  it('evaluates on the folder, with top-1 where the CSV labels photos', () => {
    const results = summary('run/evaluation.json')
    expect(results.images).toBe(4)
    expect(results.top1_on_sample).toBeGreaterThanOrEqual(0)
    for (const method of ['ttame', 'gradcam']) {
      for (const metric of ['AD15', 'IC15', 'MoRF', 'LeRF'])
        expect(Number.isFinite(results.methods[method][metric])).toBe(true)
    }
  })

  it('exports a 1000-class, 224 px pack with 28x28 maps and the file labels', () => {
    expect(manifest).toMatchObject({
      id: PACK,
      family: 'cnn',
      backbone: 'resnet18',
      numClasses: 1000,
      featureLayers: ['layer2', 'layer3', 'layer4'],
      input: { width: 224, height: 224 },
      preprocessing: { resizeShorter: 256, crop: 224 },
      mapSize: { width: 28, height: 28 },
      labels: LABELS,
    })
    expect(manifest.metrics.top1Data).toBe(`${PHOTOS} images under photos (48 labelled)`)
    expect(manifest.metrics.top1).toBeGreaterThanOrEqual(0)
    expect(manifest.metrics.explanations?.AD15).toBe(
      Math.round(summary('run/evaluation.json').methods.ttame.AD15 * 100) / 100,
    )
  })

  it('is listed by the edge, its labels one call away', async () => {
    const { models } = (await (await get('/v1/models?labels=false')).json()) as { models: ModelListEntry[] }
    expect(models.find((m) => m.id === PACK)).toMatchObject({ numClasses: 1000, mapSize: { width: 28 } })
    const model = (await (await get(`/v1/models/${PACK}`)).json()) as ModelInfo
    expect(model.labels).toEqual(LABELS)
  })

  it('explains a photograph with the labels of the file and 28x28 maps', async () => {
    const result = await explain({ model: PACK, topK: '3', classes: 'tiger cat' })
    expect(result.model.id).toBe(PACK)
    expect(result.predictions).toHaveLength(3)
    for (const p of result.predictions) expect(p.label).toBe(LABELS[p.classId])
    expect(result.explanations).toHaveLength(1)
    const [map] = result.explanations
    expect(map).toMatchObject({ classId: 282, label: 'tiger cat', width: 28, height: 28 })
    const png = await sharp(Buffer.from(map?.map ?? '', 'base64')).metadata()
    expect([png.width, png.height, png.channels]).toEqual([28, 28, 1])
  })

  it('names a label with a comma through the JSON-array form, and overlays the photo', async () => {
    const result = await explain({ model: PACK, classes: '["hen, rooster", 3]', overlay: 'true' }, 9)
    expect(result.explanations.map((e) => [e.classId, e.label])).toEqual([
      [8, 'hen, rooster'],
      [3, 'own class 3'],
    ])
    const overlay = await sharp(Buffer.from(result.explanations[0]?.overlay ?? '', 'base64')).metadata()
    expect([overlay.width, overlay.height]).toEqual([result.image.width, result.image.height])
  })
})
