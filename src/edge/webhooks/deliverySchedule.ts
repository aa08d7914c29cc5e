/** Seconds to wait after failed attempt 1, 2, … (WEBHOOK_RETRY_SCHEDULE in wrangler.toml, comma-separated). */
export function retrySchedule(configured: string): number[] {
  const delays = configured.split(',').map(Number)
  if (delays.some((delay) => !Number.isFinite(delay) || delay < 0)) {
    throw new Error(`WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, got "${configured}"`)
  }
  return delays
}

/** Milliseconds to wait after failed attempt number `attempt` (1-based), or null when it was the last. */
export function delayAfterFailure(schedule: number[], attempt: number): number | null {
  const seconds = schedule[attempt - 1]
  return seconds === undefined ? null : seconds * 1000
}
