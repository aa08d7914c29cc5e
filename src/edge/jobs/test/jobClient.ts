import { SELF } from 'cloudflare:test'
import type { z } from '@hono/zod-openapi'
import { expect } from 'vitest'
import type { createJobRequestSchema, JobResults, JobView } from '../../../shared/jobSchemas'
import { API_KEY } from '../../test/fixtures'

type CreateJobRequest = z.input<typeof createJobRequestSchema>

const auth = (key = API_KEY) => ({ Authorization: `Bearer ${key}` })

/** Uploads bytes the way a mobile app does: grant (for `key`), then PUT to the signed URL. Answers the uploadId. */
export async function uploadImage(bytes: Uint8Array, key?: string): Promise<string> {
  const contentType = 'image/jpeg'
  const granted = await SELF.fetch('https://edge.test/v1/uploads', {
    method: 'POST',
    headers: { ...auth(key), 'Content-Type': 'application/json' },
    body: JSON.stringify({ contentType, contentLength: bytes.byteLength }),
  })
  const { uploadId, uploadUrl } = (await granted.json()) as { uploadId: string; uploadUrl: string }
  const put = await SELF.fetch(uploadUrl, {
    method: 'PUT',
    body: bytes,
    headers: { 'Content-Type': contentType },
  })
  expect(put.status).toBe(204)
  return uploadId
}

export function postJob(
  body: CreateJobRequest | Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return SELF.fetch('https://edge.test/v1/jobs', {
    method: 'POST',
    headers: { ...auth(), 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

export async function createJob(body: CreateJobRequest, headers: Record<string, string> = {}) {
  const response = await postJob(body, headers)
  expect(response.status).toBe(202)
  return (await response.json()) as {
    jobId: string
    status: string
    statusUrl: string
    webhookSecret?: string
  }
}

export async function getJob(jobId: string, key?: string): Promise<Response> {
  return SELF.fetch(`https://edge.test/v1/jobs/${jobId}`, { headers: auth(key) })
}

export async function jobView(jobId: string): Promise<JobView> {
  const response = await getJob(jobId)
  expect(response.status).toBe(200)
  return (await response.json()) as JobView
}

/** Polls the job until `done` holds (the queue consumer and alarms run on their own). */
export async function waitForJob(jobId: string, done: (job: JobView) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = await jobView(jobId)
    if (done(job)) return job
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not get there: ${JSON.stringify(job)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function resultsPage(jobId: string, query = ''): Promise<JobResults> {
  const response = await SELF.fetch(`https://edge.test/v1/jobs/${jobId}/results${query}`, { headers: auth() })
  expect(response.status).toBe(200)
  return (await response.json()) as JobResults
}

export const isSettled = (job: JobView) =>
  ['completed', 'failed', 'cancelled'].includes(job.status) && job.webhook?.state !== 'pending'

export async function cancelJob(jobId: string): Promise<JobView> {
  const response = await SELF.fetch(`https://edge.test/v1/jobs/${jobId}`, {
    method: 'DELETE',
    headers: auth(),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as JobView
}
