import { defineConfig } from 'vitest/config'

// The demo page's pure modules, in Node: its preprocessing is held against the worker's decoder here.
export default defineConfig({
  test: {
    name: 'web',
    root: import.meta.dirname,
    environment: 'node',
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
  },
})
