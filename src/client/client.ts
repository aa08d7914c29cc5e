import { type ImageInput, type ImageReference, imageBlob, isImageReference } from './image'
import { type ExplainResult, explainResult, type JobResultItem, jobResultItem } from './results'
import { sleep } from './retry'
import { type RequestOptions, Transport, type TransportOptions } from './transport'
import type {
  CreateJobRequest,
  ExplainOptions,
  ExplainResponse,
  JobCreated,
  JobResultItemResponse,
  JobStatus,
  JobView,
  ListedModel,
  Model,
  ModelListEntry,
  UploadGrant,
} from './types'

/** Settings of a client: where the API is, the key, and how patient to be. */
export type ClientOptions = TransportOptions

/** A stored upload, usable as `{ uploadId }` wherever an image is (explain, job items) until it expires. */
export interface Upload {
  /** The id to name the image by. */
  uploadId: string
  /** When the signed URL expired; the uploaded image itself is kept for the API's upload retention (a day). */
  expiresAt: string
}

/** How `waitForJob` polls. */
export interface WaitForJobOptions extends RequestOptions {
  /** The first wait between two status reads, in ms (default 500); each next one is 1.5 times longer. */
  pollIntervalMs?: number
  /** The longest wait between two status reads, in ms (default 5000). */
  maxPollIntervalMs?: number
  /** Called with every status read, e.g. to show progress. */
  onProgress?: (job: JobView) => void
}

/** One page of a job's results. */
export interface JobResultsPage {
  /** Items in item order, each with its status and its result or error. */
  items: JobResultItem[]
  /** The cursor of the next page, or null after the last one. */
  nextCursor: string | null
}

/** The statuses after which a job changes no more. */
export const FINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled'])

/** A fresh key for a request that must happen once: RFC 4122 when WebCrypto is there (not in React Native). */
const newIdempotencyKey = (): string =>
  globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`

/** ExplainOptions as the query string of a raw-body explain; `classes` as a JSON array keeps labels exact. */
function explainQuery(options: ExplainOptions): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) query.set(name, Array.isArray(value) ? JSON.stringify(value) : String(value))
  }
  const text = query.toString()
  return text ? `?${text}` : ''
}

/**
 * The T-TAME Explain API: explanations of photos (sent, uploaded through a signed URL, or by URL), batch jobs
 * and their results. Every method takes an `AbortSignal` and a per-attempt timeout; 429 and 503 answers are
 * retried after their `Retry-After`, failed connections of calls that are safe to repeat with backoff, both
 * within `retry`'s bounds. A refusal throws a {@link ProblemError}, an unreachable API a {@link NetworkError}.
 */
export class TTameClient {
  readonly #transport: Transport

  constructor(options: ClientOptions) {
    this.#transport = new Transport(options)
  }

  /**
   * The served models (`GET /v1/models`), the default one flagged, each with its labels; `labels: false` leaves
   * the labels out (a 1000-class model's are ~12.7 KB of the answer).
   */
  listModels(options?: RequestOptions & { labels?: true }): Promise<ListedModel[]>
  listModels(options: RequestOptions & { labels: boolean }): Promise<ModelListEntry[]>
  async listModels(options: RequestOptions & { labels?: boolean } = {}): Promise<ModelListEntry[]> {
    const query = options.labels === false ? '?labels=false' : ''
    const list = await this.#transport.json<{ models: ModelListEntry[] }>(
      { method: 'GET', url: `v1/models${query}`, repeatable: true },
      options,
    )
    return list.models
  }

  /**
   * One model with all its labels (`GET /v1/models/{id}`): `id` is `id` or `id@version`, as the `model` option of
   * an explanation takes it; an unknown one throws a {@link ProblemError} with code `unknown_model`.
   */
  getModel(id: string, options: RequestOptions = {}): Promise<Model> {
    return this.#transport.json<Model>(
      { method: 'GET', url: `v1/models/${encodeURIComponent(id)}`, repeatable: true },
      options,
    )
  }

  /**
   * A model's ONNX graph (its `onnx.url`, which the workers checked against `onnx.sha256`), to run the same pack
   * on the device with onnxruntime-web or onnxruntime-react-native. The answer never changes for a sha256: the
   * platform's HTTP cache keeps it.
   */
  modelGraph(
    model: Pick<ModelListEntry, 'onnx'>,
    options: RequestOptions = {},
  ): Promise<Uint8Array<ArrayBuffer>> {
    return this.#transport.send(
      { method: 'GET', url: model.onnx.url, repeatable: true },
      options,
      async (response) => new Uint8Array(await response.arrayBuffer()),
    )
  }

  /**
   * Explains one image in one call: the top predictions and a saliency map per explained class (the top `topK`,
   * or exactly `classes`), plus colour overlays with `overlay: true`. The image is sent as the request body;
   * `{ uploadId }` or `{ imageUrl }` names one the API fetches itself.
   */
  async explain(
    image: ImageInput | ImageReference,
    options: ExplainOptions & RequestOptions = {},
  ): Promise<ExplainResult> {
    const { signal, timeoutMs, ...explainOptions } = options
    const call = isImageReference(image)
      ? {
          url: 'v1/explain',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...explainOptions, ...image }),
        }
      : await imageBlob(image).then((blob) => ({
          url: `v1/explain${explainQuery(explainOptions)}`,
          headers: { 'Content-Type': blob.type },
          body: blob,
        }))
    const response = await this.#transport.json<ExplainResponse>(
      { method: 'POST', repeatable: true, ...call },
      { signal, timeoutMs },
    )
    return explainResult(response)
  }

  /**
   * Stores an image through a signed upload URL (`POST /v1/uploads`, then a PUT of the bytes that carries no
   * API key), for jobs or for `explain({ uploadId })`.
   */
  async upload(image: ImageInput, options: RequestOptions = {}): Promise<Upload> {
    const blob = await imageBlob(image)
    const grant = await this.#transport.json<UploadGrant>(
      {
        method: 'POST',
        url: 'v1/uploads',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ contentType: blob.type, contentLength: blob.size }),
        repeatable: true, // an unused grant expires harmlessly
      },
      options,
    )
    await this.#transport.send(
      // A repeated PUT after one that landed unseen would be refused (409): the URL is single-use.
      { method: grant.method, url: grant.uploadUrl, headers: grant.headers, body: blob, repeatable: false },
      options,
      async (response) => void (await response.body?.cancel()),
    )
    return { uploadId: grant.uploadId, expiresAt: grant.expiresAt }
  }

  /** Uploads the image through a signed URL, then explains it by its upload id. */
  async uploadAndExplain(
    image: ImageInput,
    options: ExplainOptions & RequestOptions = {},
  ): Promise<ExplainResult> {
    const { uploadId } = await this.upload(image, options)
    return this.explain({ uploadId }, options)
  }

  /**
   * Starts a batch job of 1 to 1000 items. It is always sent with an `Idempotency-Key` (a new one unless given),
   * so a retried call never starts a second job; pass your own key to make a re-run of your program find the
   * job it started before (the same key with the same body answers the same job and webhook secret).
   */
  createJob(
    request: CreateJobRequest,
    options: RequestOptions & { idempotencyKey?: string } = {},
  ): Promise<JobCreated> {
    return this.#transport.json<JobCreated>(
      {
        method: 'POST',
        url: 'v1/jobs',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': options.idempotencyKey ?? newIdempotencyKey(),
        },
        body: JSON.stringify(request),
        repeatable: true,
      },
      options,
    )
  }

  /** A job's status, counts and webhook deliveries. */
  getJob(jobId: string, options: RequestOptions = {}): Promise<JobView> {
    return this.#transport.json<JobView>(
      { method: 'GET', url: `v1/jobs/${encodeURIComponent(jobId)}`, repeatable: true },
      options,
    )
  }

  /**
   * Polls a job until it is completed, failed or cancelled, waiting longer between reads as it runs (see
   * {@link WaitForJobOptions}), and returns its final status. Abort with `signal` (e.g. `AbortSignal.timeout`).
   */
  async waitForJob(jobId: string, options: WaitForJobOptions = {}): Promise<JobView> {
    const { pollIntervalMs = 500, maxPollIntervalMs = 5000, onProgress, ...request } = options
    for (let interval = pollIntervalMs; ; interval = Math.min(maxPollIntervalMs, interval * 1.5)) {
      const job = await this.getJob(jobId, request)
      onProgress?.(job)
      if (FINAL_JOB_STATUSES.has(job.status)) return job
      await sleep(interval, request.signal)
    }
  }

  /** One page of a job's results: `limit` items (1..100, default 50) after `cursor`. */
  async jobResultsPage(
    jobId: string,
    options: RequestOptions & { cursor?: string; limit?: number } = {},
  ): Promise<JobResultsPage> {
    const query = new URLSearchParams()
    if (options.cursor) query.set('cursor', options.cursor)
    if (options.limit !== undefined) query.set('limit', String(options.limit))
    const text = query.toString()
    const page = await this.#transport.json<{ items: JobResultItemResponse[]; nextCursor: string | null }>(
      {
        method: 'GET',
        url: `v1/jobs/${encodeURIComponent(jobId)}/results${text ? `?${text}` : ''}`,
        repeatable: true,
      },
      options,
    )
    return { items: page.items.map(jobResultItem), nextCursor: page.nextCursor }
  }

  /**
   * Every item of a job's results, in item order, fetched page by page as the loop asks for them:
   * `for await (const item of client.jobResults(jobId)) …`.
   */
  async *jobResults(
    jobId: string,
    options: RequestOptions & { limit?: number } = {},
  ): AsyncGenerator<JobResultItem, void, undefined> {
    let cursor: string | undefined
    do {
      const page = await this.jobResultsPage(jobId, { ...options, cursor })
      yield* page.items
      cursor = page.nextCursor ?? undefined
    } while (cursor)
  }

  /** Cancels the items of a job that have not started; returns the job's status after it. */
  cancelJob(jobId: string, options: RequestOptions = {}): Promise<JobView> {
    return this.#transport.json<JobView>(
      { method: 'DELETE', url: `v1/jobs/${encodeURIComponent(jobId)}`, repeatable: true },
      options,
    )
  }
}
