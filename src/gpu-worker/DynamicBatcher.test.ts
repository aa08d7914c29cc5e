import { describe, expect, it } from 'vitest'
import { ProblemError } from '../shared/problem'
import { DynamicBatcher } from './DynamicBatcher'

/** A batch function that records each batch and can be held open. */
function recorder() {
  const batches: number[][] = []
  let release: () => void = () => {}
  let gate: Promise<void> = Promise.resolve()
  return {
    batches,
    hold() {
      gate = new Promise((resolve) => {
        release = resolve
      })
    },
    release: () => release(),
    run: async (inputs: number[]) => {
      batches.push(inputs)
      await gate
      return inputs.map((x) => x * 10)
    },
  }
}

const options = { maxBatch: 4, maxDelayMs: 5, maxQueue: 16 }
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('DynamicBatcher', () => {
  it('runs requests arriving within the delay as one batch and splits the outputs back', async () => {
    const model = recorder()
    const batcher = new DynamicBatcher(model.run, options)
    const outputs = await Promise.all([1, 2, 3].map((x) => batcher.submit(x)))
    expect(outputs).toEqual([10, 20, 30])
    expect(model.batches).toEqual([[1, 2, 3]])
  })

  it('caps a batch at maxBatch and runs the rest next', async () => {
    const model = recorder()
    const sizes: number[] = []
    const batcher = new DynamicBatcher(model.run, { ...options, onBatch: (size) => sizes.push(size) })
    const outputs = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => batcher.submit(x)))
    expect(outputs).toEqual([10, 20, 30, 40, 50, 60])
    expect(model.batches).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ])
    expect(sizes).toEqual([4, 2])
  })

  it('runs a full batch at once instead of waiting out the delay', async () => {
    const model = recorder()
    const batcher = new DynamicBatcher(model.run, { ...options, maxDelayMs: 60_000 })
    const all = Promise.all([1, 2, 3, 4].map((x) => batcher.submit(x)))
    const timeout = new Promise((resolve) => setTimeout(() => resolve('waited'), 1000))
    expect(await Promise.race([all, timeout])).toEqual([10, 20, 30, 40])
  })

  it('runs at once when no other request is on its way, and waits for those that are', async () => {
    const model = recorder()
    let arriving = 0
    const batcher = new DynamicBatcher(model.run, {
      ...options,
      maxDelayMs: 60_000,
      arriving: () => arriving,
    })
    const timeout = new Promise((resolve) => setTimeout(() => resolve('waited'), 1000))
    expect(await Promise.race([batcher.submit(1), timeout])).toBe(10)

    arriving = 1 // a second request is being decoded: the first waits for it
    const first = batcher.submit(2)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(model.batches).toEqual([[1]])
    arriving = 0
    expect(await Promise.all([first, batcher.submit(3)])).toEqual([20, 30])
    expect(model.batches).toEqual([[1], [2, 3]])
  })

  it('answers 503 with Retry-After when the queue is full', async () => {
    const model = recorder()
    model.hold()
    const batcher = new DynamicBatcher(model.run, { maxBatch: 1, maxDelayMs: 0, maxQueue: 2 })
    const first = batcher.submit(1)
    await tick() // 1 is in flight; 2 and 3 fill the queue
    const queued = [batcher.submit(2), batcher.submit(3)]
    expect(batcher.queueDepth).toBe(2)
    const refused = await batcher.submit(4).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ProblemError)
    expect(refused).toMatchObject({ code: 'overloaded', status: 503, retryAfter: 1 })
    model.release()
    expect(await Promise.all([first, ...queued])).toEqual([10, 20, 30])
  })

  it('drops a request whose deadline passes while queued; the others still run', async () => {
    const model = recorder()
    const batcher = new DynamicBatcher(model.run, { ...options, maxDelayMs: 50 })
    const deadline = new ProblemError('deadline_exceeded', 'too late')
    const late = batcher.submit(1, AbortSignal.timeout(5)).catch((e: unknown) => e)
    const cancelled = new AbortController()
    const gone = batcher.submit(2, cancelled.signal).catch((e: unknown) => e)
    const kept = batcher.submit(3)
    cancelled.abort(deadline)
    expect(await gone).toBe(deadline)
    expect((await late) as Error).toMatchObject({ name: 'TimeoutError' })
    expect(await kept).toBe(30)
    expect(model.batches).toEqual([[3]])
  })

  it('rejects a request cancelled in flight at once, leaving its batch unharmed', async () => {
    const model = recorder()
    model.hold()
    const batcher = new DynamicBatcher(model.run, options)
    const cancelled = new AbortController()
    const gone = batcher.submit(1, cancelled.signal).catch((e: unknown) => e)
    const kept = batcher.submit(2)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(model.batches).toEqual([[1, 2]])
    cancelled.abort('client went away')
    expect(await gone).toBe('client went away')
    model.release()
    expect(await kept).toBe(20)
  })

  it('fails only the batch whose run throws, then keeps serving', async () => {
    let calls = 0
    const batcher = new DynamicBatcher(async (inputs: number[]) => {
      if (calls++ === 0) throw new Error('device lost')
      return inputs
    }, options)
    await expect(batcher.submit(1)).rejects.toThrow('device lost')
    expect(await batcher.submit(2)).toBe(2)
  })
})
