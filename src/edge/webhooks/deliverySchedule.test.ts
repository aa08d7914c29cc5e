import { describe, expect, it } from 'vitest'
import { delayAfterFailure, retrySchedule } from './deliverySchedule'

describe('deliverySchedule', () => {
  it('reads the schedule of wrangler.toml: 8 attempts over about 27 hours', () => {
    const schedule = retrySchedule('5,300,1800,7200,18000,36000,36000')
    expect(delayAfterFailure(schedule, 1)).toBe(5000)
    expect(delayAfterFailure(schedule, 7)).toBe(36_000_000)
    expect(delayAfterFailure(schedule, 8)).toBeNull()
  })

  it('refuses a malformed schedule', () => {
    expect(() => retrySchedule('5,soon')).toThrow(/WEBHOOK_RETRY_SCHEDULE/)
  })
})
