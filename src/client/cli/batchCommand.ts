import { randomUUID } from 'node:crypto'
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FINAL_JOB_STATUSES } from '../client'
import { ProblemError } from '../errors'
import type { TTameClient } from '../node'
import type { JobResultItem } from '../results'
import { sleep } from '../retry'
import type { ExplainOptions } from '../types'
import { type BatchChunk, BatchJournal } from './batchJournal'
import { EXIT, UsageError } from './failure'
import { type Io, imageFileName, prettyJson } from './io'
import { CONNECTION_OPTIONS, clientFrom, EXPLAIN_OPTIONS, explainOptionsFrom, wholeNumber } from './options'
import { createProgress, PROGRESS_MODES, type Progress, type ProgressMode } from './progress'

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...EXPLAIN_OPTIONS,
  out: { type: 'string' },
  webhook: { type: 'string' },
  concurrency: { type: 'string' },
  'chunk-size': { type: 'string' },
  progress: { type: 'string' },
} as const

export const BATCH_USAGE = `Usage: t-tame batch <dir> --out <dir> [options]

Explains every image of a folder in batch jobs: uploads them through signed URLs, runs one job per chunk of
images, and writes <image>.json and <image>.overlay-<class>.webp per image into --out. Re-running the same
command resumes: images with a result are skipped, jobs under way are found again (Idempotency-Key), failed
images are tried again.

  --out <dir>          where the results go (required)
  --model, --top-k, --classes   as for explain, for every image
  --webhook <url>      the jobs post their completion event here; each job's signing secret is printed
  --concurrency <n>    uploads at once (default 4)
  --chunk-size <n>     images per job (1..1000, the API's limit; default 1000)
  --progress <mode>    bar (default on a terminal), plain (a line now and then) or none
  --url <url>, --key <key>   the API and its key (default: T_TAME_URL, T_TAME_API_KEY)`

const IMAGE_FILE = /^[^.].*\.(jpe?g|png|webp|gif|avif)$/i
const MAX_JOB_ITEMS = 1000
const DEFAULT_CONCURRENCY = 4
// Results with overlays run to hundreds of KB per item: small pages keep each answer small.
const RESULTS_PAGE = 10
const RESULT_SUFFIX = '.json'

/** Refusals of one image (bad type, too large, undecodable): the batch goes on without it. */
const isImageRefusal = (error: unknown) =>
  error instanceof ProblemError && [400, 413, 415, 422].includes(error.status)

/** Runs `run` over `items`, `limit` at a time; the first error stops the start of new ones and is thrown. */
async function eachLimit<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0
  let failed = false
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T
      await run(item).catch((error) => {
        failed = true
        throw error
      })
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}

/** Where reading a job's results resumes: a page's cursor, undefined for the first page, null when all are read. */
type Cursor = string | undefined | null

/** The state of one batch run: its folders, options, journal, what is done and what failed. */
class Batch {
  readonly done: Set<string>
  readonly failures = new Map<string, string>()
  written = 0

  constructor(
    readonly client: TTameClient,
    readonly dir: string,
    readonly out: string,
    readonly journal: BatchJournal,
    readonly progress: Progress,
    existing: string[],
  ) {
    this.done = new Set(existing)
  }

  /** Uploads `images` through signed URLs; an image the API refuses is a failure, anything else ends the run. */
  async upload(images: string[], concurrency: number): Promise<Map<string, string>> {
    const uploads = new Map<string, string>()
    const refusedBefore = this.failures.size
    const report = () =>
      this.progress.update('uploads', uploads.size + this.failures.size - refusedBefore, images.length)
    if (images.length) report()
    await eachLimit(images, concurrency, async (name) => {
      try {
        uploads.set(name, (await this.client.upload(join(this.dir, name))).uploadId)
      } catch (error) {
        if (!isImageRefusal(error)) throw error
        this.failures.set(name, (error as ProblemError).message)
      }
      report()
    })
    return uploads
  }

  /** Creates the jobs of chunks that have none yet; a chunk created before is answered with its job again. */
  async createJobs(): Promise<void> {
    for (const chunk of this.journal.chunks.filter((c) => !c.jobId)) {
      const created = await this.client.createJob(chunk.request, { idempotencyKey: chunk.idempotencyKey })
      chunk.jobId = created.jobId
      await this.journal.save()
      if (created.webhookSecret)
        this.progress.note(`job ${created.jobId}: webhook secret ${created.webhookSecret}`)
    }
  }

  /** Waits for every job, writing each image's result as soon as its item is done; drops finished chunks. */
  async collect(): Promise<void> {
    const open = this.journal.chunks.map((chunk) => ({ chunk, cursor: undefined as Cursor, seen: -1 }))
    const total = open.reduce(
      (sum, { chunk }) => sum + chunk.images.filter((i) => !this.done.has(i)).length,
      0,
    )
    const failedBefore = this.failures.size
    const report = () => {
      const failed = this.failures.size - failedBefore
      this.progress.update('items', this.written + failed, total, failed)
    }
    if (total) report()
    for (let wait = 500; open.length; wait = Math.min(3000, wait * 1.5)) {
      for (const state of [...open]) {
        const jobId = state.chunk.jobId as string
        const job = await this.client.getJob(jobId).catch((error) => {
          if (error instanceof ProblemError && error.status === 404) return undefined
          throw error
        })
        if (!job) {
          this.progress.note(`job ${jobId} is gone (jobs are kept 7 days): its images go again next run`)
          open.splice(open.indexOf(state), 1)
          await this.journal.drop(state.chunk)
          continue
        }
        const finished = job.counts.succeeded + job.counts.failed + job.counts.cancelled
        // Results are read again only when more items have finished since the last read.
        if (state.cursor !== null && finished !== state.seen) {
          state.seen = finished
          state.cursor = await this.collectPages(state.chunk, state.cursor)
          report()
        }
        if (state.cursor === null && FINAL_JOB_STATUSES.has(job.status)) {
          open.splice(open.indexOf(state), 1)
          await this.journal.drop(state.chunk)
        }
      }
      if (open.length) await sleep(wait)
    }
  }

  /**
   * Reads a job's results from `cursor` on, writing every finished item, up to the first item still queued or
   * running: the cursor of that item's page (to read again next time), or null when every item was read.
   */
  async collectPages(chunk: BatchChunk, from: string | undefined): Promise<Cursor> {
    for (let cursor = from; ; ) {
      const page = await this.client.jobResultsPage(chunk.jobId as string, { cursor, limit: RESULTS_PAGE })
      for (const item of page.items) {
        if (item.status === 'queued' || item.status === 'running') return cursor
        await this.record(chunk, item)
      }
      if (page.nextCursor === null) return null
      cursor = page.nextCursor
    }
  }

  /** One finished item: a result as its overlays, then its JSON; a failure kept for the summary. */
  async record(chunk: BatchChunk, item: JobResultItem): Promise<void> {
    const image = chunk.images[item.index] as string
    if (this.done.has(image)) return
    if (!item.result) {
      this.failures.set(image, item.error ? `${item.error.code}: ${item.error.detail}` : item.status)
      return
    }
    const explanations = []
    for (const explanation of item.result.explanations) {
      const { overlay, ...data } = explanation
      const overlayFile =
        overlay === undefined
          ? undefined
          : imageFileName(image, 'overlay', explanation.classId, data.overlayType)
      if (overlayFile) await writeFile(join(this.out, overlayFile), explanation.overlayBytes() as Uint8Array)
      explanations.push({ ...data, overlayFile })
    }
    const record = { image, jobId: chunk.jobId, index: item.index, result: { ...item.result, explanations } }
    // The JSON last and whole: its presence is what marks the image done for a re-run.
    const path = join(this.out, `${image}${RESULT_SUFFIX}`)
    await writeFile(`${path}.tmp`, prettyJson(record))
    await rename(`${path}.tmp`, path)
    this.done.add(image)
    this.written++
  }
}

/** `t-tame batch <dir> --out <dir>`: every image of a folder through signed uploads and jobs, resumable. */
export async function batchCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true })
  if (values.help) {
    io.stdout.write(`${BATCH_USAGE}\n`)
    return EXIT.ok
  }
  const [dir, ...extra] = positionals
  if (!dir || extra.length) throw new UsageError('Name exactly one folder: t-tame batch <dir> --out <dir>.')
  if (!values.out) throw new UsageError('Say where the results go: --out <dir>.')
  const chunkSize = wholeNumber('chunk-size', values['chunk-size']) ?? MAX_JOB_ITEMS
  if (chunkSize < 1 || chunkSize > MAX_JOB_ITEMS) throw new UsageError(`--chunk-size is 1..${MAX_JOB_ITEMS}.`)
  const concurrency = wholeNumber('concurrency', values.concurrency) ?? DEFAULT_CONCURRENCY
  if (concurrency < 1) throw new UsageError('--concurrency is at least 1.')
  const mode = values.progress ?? (io.stderr.isTTY ? 'bar' : 'plain')
  if (!PROGRESS_MODES.includes(mode as ProgressMode))
    throw new UsageError(`--progress is one of ${PROGRESS_MODES.join(', ')}.`)
  const options: ExplainOptions = explainOptionsFrom(values)
  const client = clientFrom(values, io.env)

  const images = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && IMAGE_FILE.test(entry.name))
    .map((entry) => entry.name)
    .sort()
  if (!images.length) throw new UsageError(`No images (.jpg, .png, .webp, .gif, .avif) in ${dir}.`)
  await mkdir(values.out, { recursive: true })
  const existing = (await readdir(values.out))
    .filter((name) => name.endsWith(RESULT_SUFFIX) && !name.startsWith('.'))
    .map((name) => name.slice(0, -RESULT_SUFFIX.length))
  const progress = createProgress(mode as ProgressMode, io.stderr)
  const batch = new Batch(client, dir, values.out, await BatchJournal.open(values.out), progress, existing)
  const alreadyDone = images.filter((image) => batch.done.has(image)).length

  try {
    const underWay = new Set(batch.journal.chunks.flatMap((chunk) => chunk.images))
    const uploads = await batch.upload(
      images.filter((image) => !batch.done.has(image) && !underWay.has(image)),
      concurrency,
    )
    const uploaded = [...uploads.keys()]
    for (let start = 0; start < uploaded.length; start += chunkSize) {
      const chunk = uploaded.slice(start, start + chunkSize)
      batch.journal.chunks.push({
        idempotencyKey: randomUUID(),
        images: chunk,
        request: {
          model: options.model,
          items: chunk.map((image) => ({
            uploadId: uploads.get(image) as string,
            topK: options.topK,
            classes: options.classes,
            overlay: true,
          })),
          webhook: values.webhook ? { url: values.webhook } : undefined,
        },
      })
    }
    await batch.journal.save()
    await batch.createJobs()
    await batch.collect()
  } finally {
    progress.end()
  }

  for (const [image, reason] of batch.failures) io.stderr.write(`failed: ${image}: ${reason}\n`)
  io.stdout.write(
    `${images.length} images in ${dir}: ${batch.written} explained now, ${alreadyDone} already done, ` +
      `${batch.failures.size} failed; results in ${values.out}\n`,
  )
  return batch.failures.size ? EXIT.failed : EXIT.ok
}
