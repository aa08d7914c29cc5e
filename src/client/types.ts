/**
 * The API's data, as the zod schemas that validate it at the edge define it: types only, so the client carries
 * no zod at run time. The package build expands each alias into plain types (scripts/build.ts).
 */
import type { z } from 'zod'
import type {
  classRefSchema,
  explainOptionsSchema,
  explainResponseSchema,
  modelListEntrySchema,
  modelSchema,
  problemSchema,
} from '../shared/contract'
import type {
  createJobRequestSchema,
  createJobResponseSchema,
  jobResultsSchema,
  jobStatusSchema,
  jobViewSchema,
  webhookEventSchema,
} from '../shared/jobSchemas'
import type { createUploadResponseSchema } from '../shared/uploadSchemas'

/** A class named by id (0-based) or by its exact label. */
export type ClassRef = z.input<typeof classRefSchema>

/** Options of one explanation: model, how many top classes, which classes, and whether to draw overlays. */
export type ExplainOptions = z.input<typeof explainOptionsSchema>

/** The API's answer to one explanation, with maps and overlays as base64 PNGs. */
export type ExplainResponse = z.output<typeof explainResponseSchema>

/** A served model with its labels and the link to its ONNX graph (`GET /v1/models/{id}`). */
export type Model = z.output<typeof modelSchema>

/** An entry of `GET /v1/models`: a model and `labelsUrl`, its labels unless the list was asked `labels=false`. */
export type ModelListEntry = z.output<typeof modelListEntrySchema>

/** An entry of `GET /v1/models` asked with its labels (the default): the whole model and `labelsUrl`. */
export type ListedModel = Model & Pick<ModelListEntry, 'labelsUrl'>

/** An RFC 9457 problem body as the API sends it, with a stable `code` and the request id. */
export type Problem = z.output<typeof problemSchema>

/** A granted signed upload (`POST /v1/uploads`). */
export type UploadGrant = z.output<typeof createUploadResponseSchema>

/** The body of `POST /v1/jobs`: up to 1000 items by `uploadId` or `imageUrl`, a webhook, metadata. */
export type CreateJobRequest = z.input<typeof createJobRequestSchema>

/** One item of a job request. */
export type JobItem = CreateJobRequest['items'][number]

/** The answer to `POST /v1/jobs`; `webhookSecret` is shown only here (and in idempotent replays). */
export type JobCreated = z.output<typeof createJobResponseSchema>

/** Where a job stands: `queued`, `running`, or one of the final `completed`, `failed`, `cancelled`. */
export type JobStatus = z.output<typeof jobStatusSchema>

/** A job's status, counts and webhook deliveries (`GET /v1/jobs/{id}`). */
export type JobView = z.output<typeof jobViewSchema>

/** One item of a job's results, in item order, as the API sends it. */
export type JobResultItemResponse = z.output<typeof jobResultsSchema>['items'][number]

/** The event a job's webhook delivers when it ends. */
export type WebhookEvent = z.output<typeof webhookEventSchema>
