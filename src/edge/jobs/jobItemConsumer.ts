import { explainOptionsSchema } from '../../shared/contract'
import type { Env } from '../env'
import { explainImage } from '../explain/explainImage'
import { referencedImage } from '../uploads/referencedImage'
import { isPermanent, retryDelaySeconds, toItemError } from './itemRetry'
import type { JobItemMessage } from './jobModel'
import { storeResult } from './jobResultStore'

/**
 * Runs one job item: claim it from its JobTracker, explain it through the same core (and cache) as
 * `POST /v1/explain`, and record the outcome. Transient failures go back to the queue with backoff until
 * JOB_ITEM_MAX_ATTEMPTS, then the item fails with the last reason; it is never dropped.
 */
async function runItem(env: Env, message: Message<JobItemMessage>): Promise<void> {
  const { jobId, index } = message.body
  const tracker = env.JOBS.get(env.JOBS.idFromString(jobId))
  const work = await tracker.startItem(index)
  if (!work) return message.ack()
  try {
    const image = await referencedImage(env, work.spec, work.owner)
    const options = explainOptionsSchema.parse({
      model: work.model,
      topK: work.spec.topK,
      classes: work.spec.classes,
      overlay: work.spec.overlay,
    })
    const { result } = await explainImage(
      env,
      image,
      options,
      `${jobId.slice(0, 16)}-${index}-${work.attempt}`,
    )
    await tracker.finishItem(index, { result: await storeResult(env.BLOBS, jobId, index, result) })
  } catch (error) {
    const reason = toItemError(error)
    if (isPermanent(error) || work.attempt >= Number(env.JOB_ITEM_MAX_ATTEMPTS)) {
      await tracker.finishItem(index, { error: reason })
    } else {
      const delaySeconds = retryDelaySeconds(work.attempt, Number(env.JOB_ITEM_RETRY_BASE_SECONDS))
      await tracker.retryItem(index, reason, delaySeconds * 1000)
      return message.retry({ delaySeconds })
    }
  }
  message.ack()
}

/** The Worker's `queue` handler for JOB_ITEMS. */
export async function consumeJobItems(batch: MessageBatch<JobItemMessage>, env: Env): Promise<void> {
  const runs = await Promise.allSettled(batch.messages.map((message) => runItem(env, message)))
  runs.forEach((run, i) => {
    // The tracker itself was unreachable: let the queue redeliver (the tracker's lease guards duplicates).
    if (run.status === 'rejected') batch.messages[i]?.retry()
  })
}
