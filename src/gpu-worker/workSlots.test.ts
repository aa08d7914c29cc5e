import { describe, expect, it } from 'vitest'
import type { ProblemError } from '../shared/problem'
import { WorkSlots } from './workSlots'

describe('WorkSlots', () => {
  it('lets `slots` holders in at once and the next in arrival order as each one leaves', async () => {
    const slots = new WorkSlots(2, 4, 'decoding')
    const first = await slots.acquire()
    await slots.acquire()
    const order: string[] = []
    const inOrder = (name: string) => (release: () => void) => {
      order.push(name)
      return release
    }
    const third = slots.acquire().then(inOrder('third'))
    const fourth = slots.acquire().then(inOrder('fourth'))
    expect([slots.active, slots.waiting]).toEqual([2, 2])
    first()
    first()
    ;(await third)()
    await fourth
    expect(order).toEqual(['third', 'fourth'])
    expect([slots.active, slots.waiting]).toEqual([2, 0])
  })

  it('refuses at once with 503 and Retry-After when the line is full', async () => {
    const slots = new WorkSlots(1, 1, 'decoding large images')
    await slots.acquire()
    void slots.acquire()
    const err = (await slots.acquire().catch((e: unknown) => e)) as ProblemError
    expect([err.code, err.status, err.retryAfter]).toEqual(['overloaded', 503, 1])
    expect(err.message).toMatch(/decoding large images: 1 at work and 1 waiting/)
  })

  it('drops a waiter whose signal aborts, with its reason, and gives the slot to the next', async () => {
    const slots = new WorkSlots(1, 4, 'decoding')
    const release = await slots.acquire()
    const deadline = new AbortController()
    const gone = slots.acquire(deadline.signal)
    const next = slots.acquire()
    const reason = new Error('deadline')
    deadline.abort(reason)
    await expect(gone).rejects.toBe(reason)
    expect(slots.waiting).toBe(1)
    release()
    await next
    expect([slots.active, slots.waiting]).toEqual([1, 0])
    await expect(slots.acquire(AbortSignal.abort(reason))).rejects.toBe(reason)
  })
})
