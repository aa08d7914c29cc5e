/** Timing helpers for the worker benchmark: medians over interleaved repetitions, never single shots. */

export interface Timed {
  medianMs: number
  runs: number
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Times several variants round-robin (A B A B ...), so that a load change on a shared machine hits all of
 * them alike; stops after `minRuns` rounds once `budgetMs` is spent.
 */
export async function timeInterleaved(
  variants: readonly (() => Promise<unknown>)[],
  { warmup = 3, minRuns = 10, maxRuns = 200, budgetMs = 3000 } = {},
): Promise<Timed[]> {
  for (let i = 0; i < warmup; i++) for (const run of variants) await run()
  const samples = variants.map(() => [] as number[])
  const started = performance.now()
  for (let round = 0; round < maxRuns; round++) {
    for (const [i, run] of variants.entries()) {
      const t = performance.now()
      await run()
      samples[i]?.push(performance.now() - t)
    }
    if (round + 1 >= minRuns && performance.now() - started > budgetMs) break
  }
  return samples.map((s) => ({ medianMs: median(s), runs: s.length }))
}
