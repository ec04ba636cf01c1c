import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DQN } from './helpers.js';
import { findCheckpoint } from '../../agents/runs/find.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-signals-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs the CLI as a user would; `when(stdout, stderr)` picks the moment to send each of `signals`. */
async function run(args: string[], signals: { signal: NodeJS.Signals; when: (out: string, err: string) => boolean }[]) {
  const child = spawn(process.execPath, ['bin/rxgym.js', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const pending = [...signals];
  const check = () => {
    while (pending.length > 0 && pending[0]!.when(stdout, stderr)) child.kill(pending.shift()!.signal);
  };
  child.stdout.on('data', (d) => {
    stdout += String(d);
    check();
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
    check();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** Leftover temp files or folders anywhere in a run (an interrupted write that was never cleaned). */
function temps(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (/\.tmp-/.test(e.name)) out.push(join(dir, e.name));
    if (e.isDirectory()) out.push(...temps(join(dir, e.name)));
  }
  return out;
}

const training = (out: string) => (_o: string, err: string) => err.includes('dqn CartPole-v1 ') && existsSync(out);

describe('signals end in a complete checkpoint, with one line saying which', () => {
  it('SIGTERM during training: a checkpoint at the step boundary, the resume command, exit 130', async () => {
    const out = join(root, 'term');
    const r = await run(['train', 'dqn', 'CartPole-v1', '--steps', '10000000', '--out', out, ...TINY_DQN.flatMap((s) => ['--set', s])], [{ signal: 'SIGTERM', when: training(out) }]);
    expect(r.stderr).toContain('SIGTERM: finishing the current step and writing a checkpoint');
    expect(r.code).toBe(130);
    const step = /Interrupted at step (\d+)\/10000000: checkpoint written to /.exec(r.stdout)?.[1];
    expect(step).toBeDefined();
    expect(r.stdout).toMatch(/Resume with: rxgym train --resume \S+/);
    const run0 = join(out, readdirSync(out)[0]!);
    expect((await findCheckpoint(run0, 'latest')).dir).toBe(join(run0, 'checkpoints', step!));
    expect(temps(run0)).toEqual([]);
    expect(existsSync(join(run0, 'run.lock'))).toBe(false);
  });

  it('a second Ctrl-C right after the first: the checkpoint being written completes (or the previous one is named), no temp file is left', async () => {
    const out = join(root, 'twice');
    let first = 0;
    const r = await run(
      ['train', 'dqn', 'CartPole-v1', '--steps', '10000000', '--out', out, '--checkpoint-replay', ...TINY_DQN.flatMap((s) => ['--set', s])],
      [
        { signal: 'SIGINT', when: (o, e) => training(out)(o, e) && (first = Date.now()) > 0 },
        { signal: 'SIGINT', when: (_o, e) => e.includes('Ctrl-C: finishing the current step') },
      ],
    );
    expect(first).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    // One line says which checkpoint is complete, whichever moment the second signal hit.
    expect(r.stderr).toMatch(/exiting: the checkpoint \S+ is complete\.|exiting now\. (The newest complete checkpoint is \S+\.|No checkpoint was written in this session)/);
    const run0 = join(out, readdirSync(out)[0]!);
    expect(temps(run0)).toEqual([]);
    const named = /checkpoint (?:is )?(\S+?)(?: is complete)?\.$/m.exec(r.stderr)?.[1];
    if (named && /checkpoints/.test(named)) expect((await findCheckpoint(run0, 'latest')).dir.endsWith(named.replace(/^.*checkpoints/, 'checkpoints'))).toBe(true);
  });

  it('Ctrl-C during the final evaluation: final/ is complete, the evaluation stops at once and says so, exit 130', async () => {
    const out = join(root, 'end');
    let sent = 0;
    // An untrained policy rarely reaches MountainCar's goal: 10000 episodes of 2000 steps would take a minute or more.
    const r = await run(
      ['train', 'dqn', 'MountainCar-v0', '--steps', '600', '--max-episode-steps', '2000', '--eval-episodes', '10000', '--eval-every', '0', '--out', out, ...TINY_DQN.flatMap((s) => ['--set', s])],
      [{ signal: 'SIGINT', when: (o) => o.includes('Trained 600 steps') && (sent = Date.now()) > 0 }],
    );
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('is complete; the final evaluation was skipped.');
    expect(r.stdout).not.toContain('Greedy evaluation');
    const run0 = join(out, readdirSync(out)[0]!);
    expect((await findCheckpoint(run0, 'final')).dir).toBe(join(run0, 'final'));
    expect(temps(run0)).toEqual([]);
  });
});
