import { describe, expect, it } from 'vitest'
import { retryAfterSeconds, retryDelayMs } from './retry'

describe('retryAfterSeconds', () => {
  it('reads delay-seconds and HTTP-dates, and nothing else', () => {
    const now = Date.parse('2026-12-01T00:00:00Z')
    expect(retryAfterSeconds('7', now)).toBe(7)
    expect(retryAfterSeconds('Tue, 01 Dec 2026 00:00:30 GMT', now)).toBe(30)
    expect(retryAfterSeconds('Mon, 30 Nov 2026 00:00:00 GMT', now)).toBe(0)
    expect(retryAfterSeconds('soon', now)).toBeUndefined()
    expect(retryAfterSeconds('-3', now)).toBeUndefined()
    expect(retryAfterSeconds(null, now)).toBeUndefined()
  })
})

describe('retryDelayMs', () => {
  it('waits at least what the server asked, at most a tenth more', () => {
    expect(retryDelayMs(1, 2, () => 0)).toBe(2000)
    expect(retryDelayMs(3, 2, () => 0.999)).toBeLessThan(2200)
  })

  it('backs off exponentially with jitter without a Retry-After, up to a ceiling', () => {
    expect(retryDelayMs(1, undefined, () => 0)).toBe(250)
    expect(retryDelayMs(2, undefined, () => 1)).toBe(1000)
    expect(retryDelayMs(20, undefined, () => 1)).toBe(8000)
  })
})
