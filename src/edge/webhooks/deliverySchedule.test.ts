import { describe, expect, it } from 'vitest'
import { testSettings } from '../test/fixtures'
import { delayAfterFailure } from './deliverySchedule'

describe('deliverySchedule', () => {
  it('reads the schedule of wrangler.toml: 8 attempts over about 27 hours', () => {
    const schedule = testSettings({
      WEBHOOK_RETRY_SCHEDULE: '5,300,1800,7200,18000,36000,36000',
    }).WEBHOOK_RETRY_SCHEDULE
    expect(delayAfterFailure(schedule, 1)).toBe(5000)
    expect(delayAfterFailure(schedule, 7)).toBe(36_000_000)
    expect(delayAfterFailure(schedule, 8)).toBeNull()
  })

  it('refuses a malformed schedule', () => {
    expect(() => testSettings({ WEBHOOK_RETRY_SCHEDULE: '5,soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/)
  })
})
