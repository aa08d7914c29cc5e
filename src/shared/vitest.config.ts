import { defineConfig } from 'vitest/config'

// The contract both sides run: its rules are tested once here, the edge's and the worker's use of them beside each.
export default defineConfig({
  test: { name: 'shared', root: import.meta.dirname, environment: 'node', include: ['**/*.test.ts'] },
})
