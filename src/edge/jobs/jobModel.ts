import type { z } from '@hono/zod-openapi'
import type { ExplainResponse } from '../../shared/contract'
import type { itemErrorSchema, itemStatusSchema, jobItemSchema, jobStatusSchema } from './schemas'

/** The vocabulary shared by the JobTracker, the queue consumer and the routes (types from the schemas). */

export type JobStatus = z.infer<typeof jobStatusSchema>
export type ItemStatus = z.infer<typeof itemStatusSchema>
export type JobItemSpec = z.infer<typeof jobItemSchema>
/** Why an item failed; `code` matches the problem codes of the synchronous API. */
export type ItemError = z.infer<typeof itemErrorSchema>

/** A finished explanation: inline when small, otherwise the key of its R2 object. */
export type ItemResult = { inline: ExplainResponse } | { blobKey: string }

/** The queue message is only a pointer: the JobTracker holds the item itself. */
export interface JobItemMessage {
  jobId: string
  index: number
}

/** What the queue consumer needs to run one item. */
export interface ItemWork {
  spec: JobItemSpec
  /** The job's API key id: its items may use only that key's uploads. */
  owner: string
  model?: string
  attempt: number
}
