import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CreateJobRequest } from '../types'

/** One job of a batch, as recorded before it is created so that a re-run creates the very same job. */
export interface BatchChunk {
  /** The job's Idempotency-Key: the same key with the same request answers the job created before. */
  idempotencyKey: string
  /** The image files of the job, in item order (item i is images[i]). */
  images: string[]
  /** The exact request, uploads included: a replay must send the same body. */
  request: CreateJobRequest
  /** Known once the job was created. */
  jobId?: string
}

const FILE = '.t-tame-batch.json'

/**
 * The jobs a batch has under way, kept in its output folder (`.t-tame-batch.json`). A chunk is written down
 * before its job is created and dropped once its results are all written; the result files themselves say which
 * images are done.
 */
export class BatchJournal {
  private constructor(
    private readonly path: string,
    readonly chunks: BatchChunk[],
  ) {}

  /** The journal of `outDir`, empty when there is none yet. */
  static async open(outDir: string): Promise<BatchJournal> {
    const path = join(outDir, FILE)
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    const chunks = text === undefined ? [] : (JSON.parse(text) as { chunks: BatchChunk[] }).chunks
    return new BatchJournal(path, chunks)
  }

  /** Writes the journal whole or not at all (a kill mid-write leaves the previous one). */
  async save(): Promise<void> {
    await writeFile(`${this.path}.tmp`, JSON.stringify({ version: 1, chunks: this.chunks }, null, 2))
    await rename(`${this.path}.tmp`, this.path)
  }

  /** Forgets a chunk whose results are all in. */
  async drop(chunk: BatchChunk): Promise<void> {
    this.chunks.splice(this.chunks.indexOf(chunk), 1)
    await this.save()
  }
}
