import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Inside the repository `rxgym/...` imports (as in the README's examples) resolve to the sources, like tsconfig's paths.
const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^rxgym$/, replacement: source('./index.ts') },
      { find: /^rxgym\/(core|envs|replay|agents|render)$/, replacement: source('./$1/index.ts') },
      { find: /^rxgym\/testing$/, replacement: source('./envs/testing.ts') },
      { find: /^rxgym\/nn$/, replacement: source('./nn/index.ts') },
      { find: /^rxgym\/models$/, replacement: source('./models/index.ts') },
      { find: /^rxgym\/node$/, replacement: source('./node.ts') },
    ],
  },
  test: {
    include: ['tests/**/*.test.ts', 'core/**/*.test.ts', 'envs/**/*.test.ts', 'agents/**/*.test.ts', 'replay/**/*.test.ts', 'models/**/*.test.ts', 'render/**/*.test.ts', 'cli/**/*.test.ts', 'examples/**/*.test.ts'],
    reporters: ['default', './tests/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
