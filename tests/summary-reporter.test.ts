/** The closing line of tests/summary-reporter.ts, read from real vitest runs over the fixture files. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

/** Runs vitest on the fixture files whose names contain `filter`; returns the last line and the exit code. */
function run(filter: string): Promise<{ line: string; code: number }> {
  return new Promise((resolve) => {
    const args = [vitest, 'run', '--config', 'tests/summary-reporter-fixtures/vitest.config.ts', filter];
    execFile(process.execPath, args, { cwd: root, env: { ...process.env, CI: '1', NO_COLOR: '1' } }, (err, stdout) => {
      const lines = stdout.trim().split('\n');
      resolve({ line: lines[lines.length - 1] ?? '', code: err === null ? 0 : Number(err.code ?? 1) });
    });
  });
}

describe('summary reporter', () => {
  it('counts the tests of a suite whose beforeAll threw as failed, not skipped', async () => {
    // suite-setup: two tests under a throwing beforeAll, one passing test, one test.skip in a healthy suite.
    const { line, code } = await run('suite-setup');
    expect(line).toBe('1 passed, 2 failed, 1 skipped');
    expect(code).not.toBe(0);
  });

  it('counts a file-level beforeAll failure as failed', async () => {
    expect((await run('file-setup')).line).toBe('0 passed, 1 failed');
  });

  it('counts a throwing afterAll once, though its tests passed', async () => {
    expect((await run('teardown')).line).toBe('1 passed, 1 failed');
  });

  it('leaves a healthy run at 0 failed', async () => {
    const { line, code } = await run('healthy');
    expect(line).toBe('1 passed, 0 failed, 1 skipped');
    expect(code).toBe(0);
  });
});
