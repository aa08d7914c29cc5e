import sharp from 'sharp'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { problemSchema, workerExplainResultSchema } from '../../shared/contract'
import { bilevelPng, rgb16Png } from '../testing/images'
import { hasModelPack, MODELS_DIR, PACK_ID } from '../testing/modelPack'
import { hasSampleImages, readSampleImages } from '../testing/sampleImages'
import { startWorkerProcess, type WorkerProcess } from '../testing/workerProcess'

/** The worker's resident memory must stay under this throughout (idle: ~170 MiB here, ~250 MiB at its peak). */
const RSS_BUDGET_MIB = 512
/** Far above a normal request's usual latency (tens of ms here), far below the 10 s the edge waits. */
const NORMAL_LIMIT_MS = 3000
/** A load phase ends by then whatever happens, so that a worker stuck in a loop cannot hang the test. */
const LOAD_PHASE_MS = 20_000

interface Answer {
  status: number
  ms: number
  response?: Response
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN,
  )
}

/**
 * The real worker in its own process with its default settings, heavy requests of one client against it while
 * another client sends normal ones: the heavy ones may be slow or refused, the others must not notice.
 */
describe.skipIf(!hasModelPack() || !hasSampleImages())(
  `heavy requests against the worker process (needs models/${PACK_ID} and ../shared/images)`,
  () => {
    let worker: WorkerProcess
    let photo: Buffer
    beforeAll(() => {
      photo = readSampleImages().get('n02123159_tiger_cat.JPEG') as Buffer
    })
    // A fresh process per test: its peak RSS is that test's, and a worker killed over budget harms no other test.
    beforeEach(async () => {
      worker = await startWorkerProcess({ MODELS_DIR, EXECUTION_PROVIDERS: 'cpu' })
    }, 60_000)
    afterEach(() => worker?.kill())

    const post = (query: string, body: Uint8Array, signal?: AbortSignal) =>
      fetch(`${worker.url}/internal/v1/explain${query}`, {
        method: 'POST',
        body,
        headers: { Authorization: `Bearer ${worker.token}`, 'X-Deadline-Ms': '10000' },
        ...(signal && { signal }),
      })
    async function timed(call: () => Promise<Response>): Promise<Answer> {
      const started = performance.now()
      try {
        const response = await call()
        // The body is part of the latency: the answer is only useful once all of it has arrived.
        const body = await response.arrayBuffer()
        const ms = performance.now() - started
        return { status: response.status, ms, response: new Response(body, response) }
      } catch {
        return { status: 0, ms: performance.now() - started }
      }
    }
    const normal = () => timed(() => post('?topK=3', photo, AbortSignal.timeout(NORMAL_LIMIT_MS)))
    const healthz = () =>
      timed(() => fetch(`${worker.url}/healthz`, { signal: AbortSignal.timeout(NORMAL_LIMIT_MS) }))

    /** Normal requests (and /healthz) while `heavy` runs, with the worker's RSS watched from outside. */
    async function duringHeavy(heavy: () => Promise<Answer>[]) {
      const alone: Answer[] = []
      for (let i = 0; i < 20; i++) alone.push(await normal())
      expect(alone.map((r) => r.status)).toEqual(alone.map(() => 200))

      // Sampled from outside, so that a blocked event loop cannot hide the memory; going over budget ends it.
      let overBudget = false
      const watchdog = setInterval(() => {
        if (worker.memory().rssMiB > RSS_BUDGET_MIB && !overBudget) {
          overBudget = true
          void worker.kill()
        }
      }, 50)
      const started = performance.now()
      const pending = heavy()
      let settled = false
      void Promise.all(pending).then(() => {
        settled = true
      })
      const during: Answer[] = []
      const probes: Answer[] = []
      while (
        (!settled || during.length < 5) &&
        !overBudget &&
        performance.now() - started < LOAD_PHASE_MS &&
        during.every((r) => r.status === 200)
      ) {
        const [answer, probe] = await Promise.all([normal(), healthz()])
        during.push(answer)
        probes.push(probe)
      }
      const peakMiB = worker.memory().peakMiB
      clearInterval(watchdog)
      if (!settled) await worker.kill()
      const heavyAnswers = await Promise.all(pending)
      const ms = (answers: Answer[]) => answers.map((r) => r.ms)
      console.info(
        JSON.stringify({
          normalAloneMs: { p50: percentile(ms(alone), 50), p99: percentile(ms(alone), 99) },
          normalDuringMs: {
            n: during.length,
            p50: percentile(ms(during), 50),
            p99: percentile(ms(during), 99),
          },
          healthzDuringMaxMs: percentile(ms(probes), 100),
          heavy: heavyAnswers.map((r) => ({ status: r.status, ms: Math.round(r.ms) })),
          peakRssMiB: Math.round(peakMiB),
        }),
      )
      expect(overBudget, `the worker's RSS went over ${RSS_BUDGET_MIB} MiB`).toBe(false)
      expect(peakMiB).toBeLessThan(RSS_BUDGET_MIB)
      expect(during.map((r) => r.status)).toEqual(during.map(() => 200))
      expect(probes.map((r) => r.status)).toEqual(probes.map(() => 200))
      return heavyAnswers
    }

    it('four 6000x6000 PNGs with topK=10 and overlays: served at the capped size or refused fast with 503', async () => {
      const huge = bilevelPng(6000, 6000)
      const answers = await duringHeavy(() =>
        Array.from({ length: 4 }, () => timed(() => post('?topK=10&overlay=true', huge))),
      )
      // Each one is served, or refused at once with 503 + Retry-After: never left to run into its deadline.
      expect(answers.map((r) => r.status).every((s) => s === 200 || s === 503)).toBe(true)
      expect(answers.some((r) => r.status === 200)).toBe(true)
      for (const { status, response } of answers) {
        const body = await (response as Response).json()
        if (status === 503) {
          expect(problemSchema.parse(body).code).toBe('overloaded')
          expect(response?.headers.get('retry-after')).toBe('1')
          continue
        }
        const result = workerExplainResultSchema.parse(body)
        expect(result.image).toEqual({ width: 6000, height: 6000 })
        expect(result.explanations).toHaveLength(10)
        for (const { overlay } of result.explanations) {
          const meta = await sharp(Buffer.from(overlay as string, 'base64')).metadata()
          expect([meta.format, meta.width, meta.height]).toEqual(['webp', 1024, 1024])
        }
      }
    }, 60_000)

    it('four EXIF-rotated 6000x6000 16-bit PNGs: decoded without turning the full-size photo', async () => {
      const rotated = rgb16Png(6000, 6000, 6)
      const answers = await duringHeavy(() =>
        Array.from({ length: 4 }, () => timed(() => post('?topK=10', rotated))),
      )
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200])
    }, 60_000)
  },
)
