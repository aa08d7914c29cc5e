/**
 * Overlay formats (`npm run bench:overlays [-- --photos 100] [--model id] [--side 1024]`): the real worker
 * explains sample photographs with `topK=2&overlay=true` once per format, and this prints per format the bytes
 * of an overlay and of the whole JSON answer, and how close each lossy overlay is to the lossless PNG of the
 * same map (PSNR over RGB, and SSIM over luma in 8x8 windows). Photos: every n-th of ../shared/images.
 */
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { loadConfig } from '../src/gpu-worker/config'
import { silentLogger } from '../src/gpu-worker/log'
import { hasSampleImages, readSampleImages, SAMPLE_TAR } from '../src/gpu-worker/testing/sampleImages'
import { createWorker } from '../src/gpu-worker/worker'
import { OVERLAY_FORMATS, type OverlayFormat, workerExplainResultSchema } from '../src/shared/contract'
import { machineLoad } from './machine'
import { fixed, markdownTable } from './worker/table'

const { values: args } = parseArgs({
  options: {
    photos: { type: 'string', default: '100' },
    model: { type: 'string', default: 'cifar10-cnn' },
    side: { type: 'string', default: '1024' },
  },
})
if (!hasSampleImages()) {
  console.error(`bench:overlays needs the shared sample photographs at ${SAMPLE_TAR}`)
  process.exit(1)
}

const token = 'bench-overlays-token'
const config = loadConfig({
  ...process.env,
  WORKER_TOKEN: token,
  EXECUTION_PROVIDERS: 'cpu',
  OVERLAY_MAX_SIDE: args.side,
})
const worker = await createWorker(config, silentLogger)
const all = [...readSampleImages().values()]
const step = Math.max(1, Math.floor(all.length / Number(args.photos)))
const photos = all.filter((_, i) => i % step === 0).slice(0, Number(args.photos))

async function explain(photo: Buffer, format: OverlayFormat) {
  const response = await worker.app.request(
    `/internal/v1/explain?model=${args.model}&topK=2&overlay=true&overlayFormat=${format}`,
    { method: 'POST', body: new Uint8Array(photo), headers: { Authorization: `Bearer ${token}` } },
  )
  const text = await response.text()
  if (!response.ok) throw new Error(`explain answered ${response.status}: ${text}`)
  const overlays = workerExplainResultSchema
    .parse(JSON.parse(text))
    .explanations.map((e) => Buffer.from(e.overlay as string, 'base64'))
  return { answerBytes: text.length, overlays }
}

const rgb = (image: Buffer) => sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true })

function psnr(a: Buffer, b: Buffer): number {
  let squared = 0
  for (let i = 0; i < a.length; i++) squared += ((a[i] as number) - (b[i] as number)) ** 2
  const mse = squared / a.length
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse)
}

/** Mean SSIM over 8x8 windows of BT.601 luma (Wang et al. 2004 constants). */
function ssim(a: Buffer, b: Buffer, width: number, height: number): number {
  const luma = (p: Buffer, i: number) =>
    0.299 * (p[3 * i] as number) + 0.587 * (p[3 * i + 1] as number) + 0.114 * (p[3 * i + 2] as number)
  const [c1, c2] = [(0.01 * 255) ** 2, (0.03 * 255) ** 2]
  let total = 0
  let windows = 0
  for (let y0 = 0; y0 + 8 <= height; y0 += 8) {
    for (let x0 = 0; x0 + 8 <= width; x0 += 8) {
      let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0]
      for (let y = y0; y < y0 + 8; y++) {
        for (let x = x0; x < x0 + 8; x++) {
          const [va, vb] = [luma(a, y * width + x), luma(b, y * width + x)]
          sa += va
          sb += vb
          saa += va * va
          sbb += vb * vb
          sab += va * vb
        }
      }
      const [ma, mb] = [sa / 64, sb / 64]
      const [va, vb, cov] = [saa / 64 - ma * ma, sbb / 64 - mb * mb, sab / 64 - ma * mb]
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
      windows++
    }
  }
  return windows ? total / windows : 1
}

const machine = machineLoad()
const sums = new Map(OVERLAY_FORMATS.map((f) => [f, { overlay: 0, answer: 0, psnr: 0, ssim: 0, n: 0 }]))
for (const photo of photos) {
  const reference = await explain(photo, 'png')
  const referencePixels = await Promise.all(reference.overlays.map(rgb))
  for (const format of OVERLAY_FORMATS) {
    const { answerBytes, overlays } = format === 'png' ? reference : await explain(photo, format)
    const sum = sums.get(format) as { overlay: number; answer: number; psnr: number; ssim: number; n: number }
    sum.answer += answerBytes
    for (const [j, overlay] of overlays.entries()) {
      const pixels = await rgb(overlay)
      const ref = referencePixels[j] as Awaited<ReturnType<typeof rgb>>
      sum.overlay += overlay.length
      sum.psnr += Math.min(99, psnr(pixels.data, ref.data))
      sum.ssim += ssim(pixels.data, ref.data, ref.info.width, ref.info.height)
      sum.n++
    }
  }
}
await worker.close()

const png = sums.get('png') as { overlay: number; answer: number }
const kib = (bytes: number) => fixed(bytes / 1024, 1)
console.log(
  `${photos.length} sample photographs, topK=2 with overlays at most ${args.side} px a side, model ${args.model}; ` +
    `${machine} at start.\n`,
)
console.log(
  markdownTable(
    ['format', 'overlay KiB (mean)', 'answer KiB (mean)', 'answer vs PNG', 'PSNR dB vs PNG', 'SSIM vs PNG'],
    OVERLAY_FORMATS.map((format) => {
      const s = sums.get(format) as { overlay: number; answer: number; psnr: number; ssim: number; n: number }
      return [
        format,
        kib(s.overlay / s.n),
        kib(s.answer / photos.length),
        `${fixed(png.answer / s.answer, 2)}x smaller`,
        format === 'png' ? 'lossless' : fixed(s.psnr / s.n, 1),
        format === 'png' ? '1' : fixed(s.ssim / s.n, 4),
      ]
    }),
  ),
)
