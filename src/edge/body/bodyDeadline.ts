import { ProblemError } from '../../shared/problem'

/** How long a body may send nothing before it is answered 408 (a declared length that never arrives). */
export const BODY_IDLE_MS = 10_000

export const bodyTimeout = (idleMs: number) =>
  new ProblemError(
    'body_timeout',
    `No byte of the body arrived for ${idleMs / 1000} s: send the whole body that the headers announce.`,
  )

const isBodyTimeout = (error: unknown) => error instanceof ProblemError && error.code === 'body_timeout'

/** One read of `reader`, or a 408 when nothing arrives for `idleMs`. */
export async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number) {
  let timer: ReturnType<typeof setTimeout> | undefined
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bodyTimeout(idleMs)), idleMs)
  })
  try {
    return await Promise.race([reader.read(), idle])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `body` as its reader gets it, but a read that waits `idleMs` for a byte fails with a 408 and cancels the
 * body; `timedOut()` tells afterwards, whatever the reader made of that failure (a JSON validator calls it
 * malformed). The body is touched only when read: one never read stays the runtime's to discard.
 */
export function withIdleDeadline(body: ReadableStream<Uint8Array>, idleMs: number) {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  let timedOut = false
  const guarded = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= body.getReader()
        try {
          const { done, value } = await readWithin(reader, idleMs)
          if (done) controller.close()
          else controller.enqueue(value)
        } catch (error) {
          if (isBodyTimeout(error)) {
            timedOut = true
            await reader.cancel().catch(() => {})
          }
          controller.error(error)
        }
      },
      cancel: (reason) => (reader ? reader.cancel(reason) : body.cancel(reason)),
    },
    { highWaterMark: 0 },
  )
  return { body: guarded, timedOut: () => timedOut }
}
