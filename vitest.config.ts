import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'core/**/*.test.ts', 'envs/**/*.test.ts', 'agents/**/*.test.ts', 'replay/**/*.test.ts', 'models/**/*.test.ts', 'render/**/*.test.ts', 'cli/**/*.test.ts', 'examples/**/*.test.ts'],
    reporters: ['default', './tests/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
