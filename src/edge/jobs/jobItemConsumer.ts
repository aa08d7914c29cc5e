import { explainOptionsSchema } from '../../shared/contract'
import { servicesOf } from '../services'
import { referencedImage } from '../uploads/referencedImage'
import type { JobItemMessage } from './itemDispatch'
import { isPermanent, retryDelaySeconds, toItemError } from './itemRetry'
import { storeResult } from './jobResultStore'

/**
 * Runs one job item: claim it from its JobTracker, explain it through the same core (and cache) as
 * `POST /v1/explain`, and record the outcome. Transient failures go back to the queue with backoff until
 * JOB_ITEM_MAX_ATTEMPTS, then the item fails with the last reason; it is never dropped.
 */
async function runItem(env: Env, message: Message<JobItemMessage>): Promise<void> {
  const { settings, explainer, heldBodies } = servicesOf(env)
  const { jobId, index } = message.body
  const tracker = env.JOBS.get(env.JOBS.idFromString(jobId))
  const work = await tracker.startItem(index)
  if (!work) return message.ack()
  // An item holds its image until it is explained, as a request does: the same isolate budget bounds both.
  const hold = heldBodies.hold(settings.MAX_BUFFERED_BODY_BYTES)
  try {
    const image = await referencedImage(env.BLOBS, settings, work.spec, work.owner, hold.take)
    const { imageUrl, uploadId, ...itemOptions } = work.spec
    const options = explainOptionsSchema.parse({ model: work.model, ...itemOptions })
    const { result } = await explainer.explain(
      image,
      options,
      `${jobId.slice(0, 16)}-${index}-${work.attempt}`,
    )
    await tracker.finishItem(index, { result: await storeResult(env.BLOBS, jobId, index, result) })
  } catch (error) {
    const reason = toItemError(error)
    if (isPermanent(error) || work.attempt >= settings.JOB_ITEM_MAX_ATTEMPTS) {
      await tracker.finishItem(index, { error: reason })
    } else {
      const delaySeconds = retryDelaySeconds(work.attempt, settings.JOB_ITEM_RETRY_BASE_SECONDS)
      await tracker.retryItem(index, reason, delaySeconds * 1000)
      return message.retry({ delaySeconds })
    }
  } finally {
    hold.release()
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
