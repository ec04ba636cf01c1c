import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWatchCommand, resolveWatchTarget, watchRuns } from '../../cli/commands/watch.js';
import type { RunInfo } from '../../render/server-api.js';
import { recordCartPole, writeRun } from './server-fixtures.js';

const RUN = 'dqn-CartPole-v1-20261123-230500';
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rxgym-watch-'));
  writeRun(join(root, 'runs'), RUN, [recordCartPole([0, 0, 0.1, 0], 0)]);
  writeRun(join(root, 'runs'), `${RUN}-2`, []);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('rxgym watch', () => {
  it('serves a runs folder, or one run (opening on it), by path or by name under the root', async () => {
    const all = await watchRuns(join(root, 'runs'), { port: 0, build: 'never' });
    try {
      expect(all.url).toBe(all.server.url);
      const runs = (await (await fetch(`${all.server.url}api/runs`)).json()) as RunInfo[];
      expect(runs.map((r) => r.name).sort()).toEqual([RUN, `${RUN}-2`]);
    } finally {
      await all.server.close();
    }
    const one = await watchRuns(RUN, { port: 0, root: join(root, 'runs'), build: 'never' });
    try {
      expect(one.url).toBe(`${one.server.url}?run=${RUN}`);
      const runs = (await (await fetch(`${one.server.url}api/runs`)).json()) as RunInfo[];
      expect(runs.map((r) => r.name)).toEqual([RUN]); // only the run asked for, not its siblings
    } finally {
      await one.server.close();
    }
  });

  it('names recent runs when the target does not exist, and checks --port', async () => {
    expect(() => resolveWatchTarget('dqn-nope', join(root, 'runs'))).toThrow(
      `Expected a run folder or a folder of runs, got "dqn-nope", which is not a folder. Recent runs in ${join(root, 'runs')}/: ${RUN}, ${RUN}-2.`,
    );
    const program = new Command().exitOverride();
    registerWatchCommand(program);
    await expect(program.parseAsync(['node', 'rxgym', 'watch', join(root, 'runs'), '--port', '99999'])).rejects.toThrow(
      'Expected --port to be an integer from 0 to 65535, got "99999".',
    );
  });
});
