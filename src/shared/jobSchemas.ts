import { z } from '@hono/zod-openapi'
import {
  exactlyOneImageReference,
  explainOptionsSchema,
  explainResponseSchema,
  imageReferenceShape,
} from './contract'

const MAX_JOB_ITEMS = 1000
const MAX_METADATA_BYTES = 4096

// Flat like Stripe's metadata: simple to index and to pass through RPC, enough to correlate a job.
const metadataValue = z.union([z.string().max(512), z.number(), z.boolean(), z.null()])

/** An item is explained as `POST /v1/explain` would, with the job's model and the item's own options. */
export const jobItemSchema = explainOptionsSchema
  .omit({ model: true })
  .extend(imageReferenceShape)
  .strict()
  .refine(...exactlyOneImageReference)
  .openapi('JobItem')

/** An item as stored: what the client asked; the consumer applies the defaults when it runs the item. */
export type JobItemSpec = z.input<typeof jobItemSchema>

export const createJobRequestSchema = z
  .object({
    model: explainOptionsSchema.shape.model,
    items: z.array(jobItemSchema).min(1).max(MAX_JOB_ITEMS),
    webhook: z
      .object({ url: z.url().openapi({ description: 'Receives the job.* event (https; see Security).' }) })
      .strict()
      .optional(),
    metadata: z
      .record(z.string().max(64), metadataValue)
      .refine((value) => JSON.stringify(value).length <= MAX_METADATA_BYTES, 'metadata is over 4 KiB')
      .optional()
      .openapi({ description: 'Flat key/value pairs echoed in the job status; at most 4 KiB as JSON.' }),
  })
  .strict()
  .openapi('CreateJobRequest')

export type CreateJobRequest = z.infer<typeof createJobRequestSchema>

export const jobStatusSchema = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled'])
export const itemStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled'])

export type JobStatus = z.infer<typeof jobStatusSchema>
export type ItemStatus = z.infer<typeof itemStatusSchema>

export const createJobResponseSchema = z
  .object({
    jobId: z.string(),
    status: jobStatusSchema,
    statusUrl: z.url(),
    resultsUrl: z.url(),
    webhookSecret: z.string().optional().openapi({
      description: 'Standard Webhooks secret (`whsec_…`); only in this response and its idempotent replays.',
    }),
  })
  .openapi('JobCreated')

const deliveryAttemptSchema = z
  .object({
    attempt: z.number().int(),
    at: z.iso.datetime(),
    status: z.enum(['succeeded', 'failed']),
    responseStatus: z.number().int().optional(),
    error: z.string().optional(),
  })
  .openapi('WebhookDelivery')

export const jobViewSchema = z
  .object({
    jobId: z.string(),
    status: jobStatusSchema,
    model: z.string().optional(),
    counts: z.object({
      total: z.number().int(),
      queued: z.number().int(),
      running: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      cancelled: z.number().int(),
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().optional(),
    resultsUrl: z.url(),
    metadata: z.record(z.string(), metadataValue).optional(),
    webhook: z
      .object({
        url: z.url(),
        state: z.enum(['waiting', 'pending', 'delivered', 'failed', 'cancelled']).openapi({
          description:
            'waiting: the job runs; pending: being delivered or retried; then delivered or failed. ' +
            'cancelled: the job was cancelled, which sends no event.',
        }),
        nextAttemptAt: z.iso.datetime().optional(),
        deliveries: z.array(deliveryAttemptSchema),
      })
      .optional(),
  })
  .openapi('Job')

export type JobView = z.infer<typeof jobViewSchema>

export const itemErrorSchema = z.object({ code: z.string(), detail: z.string() }).openapi('JobItemError')

/** Why an item failed; `code` is a problem code of the synchronous API, or `item_lost`. */
export type ItemError = z.infer<typeof itemErrorSchema>

export const jobResultsSchema = z
  .object({
    items: z.array(
      z.object({
        index: z.number().int(),
        status: itemStatusSchema,
        result: explainResponseSchema.optional(),
        error: itemErrorSchema.optional(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('JobResults')

export type JobResults = z.infer<typeof jobResultsSchema>

export const webhookEventSchema = z
  .object({
    type: z.enum(['job.completed', 'job.failed']),
    jobId: z.string(),
    status: jobStatusSchema,
    counts: jobViewSchema.shape.counts,
    resultsUrl: z.url(),
  })
  .openapi('JobEvent')

export type WebhookEvent = z.infer<typeof webhookEventSchema>
