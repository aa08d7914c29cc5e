import { describe, expect, it } from 'vitest'
import { ProblemError } from '../shared/problem'
import { PixelBudget } from './pixelBudget'

const refusal = (run: () => unknown) => {
  try {
    run()
  } catch (err) {
    return err as ProblemError
  }
  throw new Error('expected a refusal')
}

describe('PixelBudget', () => {
  it('reserves until the budget is spent, then refuses with 503 and Retry-After until pixels come back', () => {
    const budget = new PixelBudget(100)
    const first = budget.reserve(60, 'a')
    const second = budget.reserve(40, 'b')
    expect(budget.inUse).toBe(100)
    const busy = refusal(() => budget.reserve(1, 'an overlay'))
    expect([busy.code, busy.status, busy.retryAfter]).toEqual(['overloaded', 503, 1])
    expect(busy.message).toMatch(/an overlay needs 1 pixels of work; 100 of this worker's 100 are in use/)
    first()
    first()
    expect(budget.inUse).toBe(40)
    budget.reserve(60, 'c')
    second()
    expect(budget.inUse).toBe(60)
  })

  it('refuses with 422 what could never be afforded, even when idle', () => {
    const tooBig = refusal(() => new PixelBudget(100).reserve(101, 'an overlay'))
    expect(tooBig).toBeInstanceOf(ProblemError)
    expect([tooBig.code, tooBig.status]).toEqual(['image_too_large', 422])
    expect(tooBig.message).toMatch(/more than this worker's budget of 100/)
  })
})
