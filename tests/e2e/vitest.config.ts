import { defineConfig } from 'vitest/config'

// End-to-end: the real local stack (scripts/start.mjs: wrangler dev + the CPU GPU worker) driven over HTTP.
export default defineConfig({
  test: {
    name: 'e2e',
    root: import.meta.dirname,
    environment: 'node',
    include: ['**/*.e2e.test.ts'],
    hookTimeout: 240_000,
    testTimeout: 60_000,
    // Each file starts its own stack; two at once would fight over 2 CPU cores.
    fileParallelism: false,
    // After the in-process projects, before the browser's: each real stack alone on the 2 cores.
    sequence: { groupOrder: 1 },
  },
})
