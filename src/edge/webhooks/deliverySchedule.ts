/** Milliseconds to wait after failed attempt number `attempt` (1-based), or null when it was the last. */
export function delayAfterFailure(schedule: number[], attempt: number): number | null {
  const seconds = schedule[attempt - 1]
  return seconds === undefined ? null : seconds * 1000
}
