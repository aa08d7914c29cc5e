import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'gpu-worker',
    root: import.meta.dirname,
    environment: 'node',
    include: ['**/*.test.ts'],
    testTimeout: 20_000,
  },
})
