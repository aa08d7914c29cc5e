/** The queue message is only a pointer: the JobTracker holds the item itself. */
export interface JobItemMessage {
  jobId: string
  index: number
}

// Queues accept at most 100 messages per sendBatch.
const BATCH = 100

/** Sends one queue message per item; the message is only a pointer into the JobTracker. */
export async function dispatchItems(queue: Queue, jobId: string, indices: number[]): Promise<void> {
  for (let start = 0; start < indices.length; start += BATCH) {
    const messages = indices.slice(start, start + BATCH).map((index) => ({ body: { jobId, index } }))
    await queue.sendBatch(messages satisfies { body: JobItemMessage }[])
  }
}
