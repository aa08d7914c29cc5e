import { defineConfig } from 'vitest/config'

// The client package: its parts against injected fetches and a loopback server, and its build (bundle, types).
export default defineConfig({
  test: { name: 'client', root: import.meta.dirname, environment: 'node', include: ['**/*.test.ts'] },
})
