// The fixture run of tests/summary-reporter.test.ts: only the *.fixture.ts files here, closing line only.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/summary-reporter-fixtures/*.fixture.ts'],
    reporters: ['./tests/summary-reporter.ts'],
    pool: 'forks',
    maxWorkers: 1,
  },
});
