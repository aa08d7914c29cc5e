import { defineConfig } from 'vitest/config'

// The demo page and /docs in Debian's chromium (playwright-core), against one real local stack for all files.
export default defineConfig({
  test: {
    name: 'browser',
    root: import.meta.dirname,
    environment: 'node',
    include: ['**/*.browser.test.ts'],
    globalSetup: ['./stack.ts'],
    hookTimeout: 60_000,
    testTimeout: 60_000,
    fileParallelism: false,
    // Last, after e2e: its stack never runs beside another (they would share the cores and wrangler's dev tooling).
    sequence: { groupOrder: 2 },
  },
})
