/**
 * `@t-tame/client`: the T-TAME Explain API from browsers, React Native, Workers and Node. Web-standard APIs only
 * (fetch, Blob, AbortSignal, WebCrypto); file paths and the command-line tool are in `@t-tame/client/node`.
 *
 * @packageDocumentation
 */
export {
  type ClientOptions,
  FINAL_JOB_STATUSES,
  type JobResultsPage,
  TTameClient,
  type Upload,
  type WaitForJobOptions,
} from './client'
export { NetworkError, ProblemError, WebhookVerificationError } from './errors'
export type { ImageInput, ImageReference } from './image'
export type { ExplainResult, Explanation, ExplanationImages, JobResultItem } from './results'
export type { RetryPolicy } from './retry'
export type { RequestOptions } from './transport'
export type * from './types'
export { type VerifyWebhookOptions, verifyWebhook, type WebhookHeaders } from './webhooks'
