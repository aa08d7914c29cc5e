import { describe, expect, it } from 'vitest'
import { ProblemError } from '../../shared/problem'
import { HeldBodies } from './heldBodies'

describe('HeldBodies.hold', () => {
  it('admits what fits, refuses the rest with 503 edge_busy, and gives everything back at once', () => {
    const held = new HeldBodies()
    const first = held.hold(100)
    first.take(60)
    const second = held.hold(100)
    second.take(30)
    expect(() => second.take(20)).toThrow(
      expect.objectContaining({ code: 'edge_busy', status: 503, retryAfter: 1 }),
    )
    expect(held.held).toBe(90)
    first.release()
    second.take(20)
    expect(held.held).toBe(50)
    second.release()
    expect(held.held).toBe(0)
  })

  it('admits a request alone whatever it takes: its body and then the image it names', () => {
    const held = new HeldBodies()
    const alone = held.hold(100)
    alone.take(80)
    alone.take(500)
    expect(held.held).toBe(580)
    const other = held.hold(100)
    expect(() => other.take(1)).toThrow(ProblemError)
    alone.release()
    other.take(1)
    expect(held.held).toBe(1)
  })
})
