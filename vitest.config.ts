import { defineConfig } from 'vitest/config'

// Each part of the system owns a vitest project beside its code (edge in workerd, worker and e2e in Node).
export default defineConfig({
  test: { projects: ['src/*/vitest.config.ts', 'tests/*/vitest.config.ts'] },
})
