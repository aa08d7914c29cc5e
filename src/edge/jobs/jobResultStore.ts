import type { ExplainResponse } from '../../shared/contract'

/** A finished explanation: inline when small, otherwise the key of its R2 object. */
export type ItemResult = { inline: ExplainResponse } | { blobKey: string }

// Predictions alone are a few hundred bytes; maps and overlays are what push a result over this.
const INLINE_LIMIT_BYTES = 16 * 1024

const blobKey = (jobId: string, index: number) => `jobs/${jobId}/results/${index}.json`

/** Keeps a small result in the JobTracker's row, a large one (maps, overlays) in R2. */
export async function storeResult(
  bucket: R2Bucket,
  jobId: string,
  index: number,
  result: ExplainResponse,
): Promise<ItemResult> {
  const json = JSON.stringify(result)
  if (json.length <= INLINE_LIMIT_BYTES) return { inline: result }
  const key = blobKey(jobId, index)
  await bucket.put(key, json, { httpMetadata: { contentType: 'application/json' } })
  return { blobKey: key }
}

export async function readResult(bucket: R2Bucket, stored: ItemResult): Promise<ExplainResponse> {
  if ('inline' in stored) return stored.inline
  const object = await bucket.get(stored.blobKey)
  if (!object) throw new Error(`job result ${stored.blobKey} is missing from R2`)
  return object.json<ExplainResponse>()
}

// R2 deletes at most 1000 keys per call.
const DELETE_BATCH = 1000

/** Deletes a job's results from R2 (the keys its items recorded), when its retention is over. */
export async function deleteResults(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    await bucket.delete(keys.slice(start, start + DELETE_BATCH))
  }
}
