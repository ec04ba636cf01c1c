import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DQN, sink } from './helpers.js';
import { trainCommand } from '../../cli/commands/train.js';
import { openCheckpoint } from '../../agents/runs/find.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym runs '));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type Row = { kind: string; step: number; episode?: number; mean?: number; selection?: boolean };
const rows = (metrics: string): Row[] => readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
/** The best selection score and its step (ties go to the later step, as the tracker keeps them). */
const best = (rs: Row[]) => rs.filter((r) => r.selection).reduce((b, r) => (r.mean! >= b.score ? { score: r.mean!, step: r.step } : b), { score: -Infinity, step: -1 });

describe('a run folder across an interruption', () => {
  it('checkpoints by default, remembers the best policy across a resume, and writes every episode row once', async () => {
    const out = join(root, 'runs');
    const controller = new AbortController();
    const timer = setInterval(() => {
      const r = existsSync(out) ? readdirSync(out) : [];
      const cps = r.length ? join(out, r[0]!, 'checkpoints') : '';
      if (cps && existsSync(cps) && readdirSync(cps).filter((n) => /^\d+$/.test(n)).length >= 2) controller.abort();
    }, 2);
    // No --checkpoint-every: the default is a tenth of the run (600 of 6000 steps).
    const first = await trainCommand('dqn', 'CartPole-v1', { steps: 6000, seed: 2, set: TINY_DQN, evalEvery: 300, evalEpisodes: 0, out, plain: true }, { stdout: sink(), stderr: sink(), signal: controller.signal });
    clearInterval(timer);
    expect(first.stopped).toBe('aborted');
    const saved = readdirSync(first.run.checkpoints).filter((n) => /^\d+$/.test(n)).map(Number);
    expect(saved.filter((s) => s !== first.step).every((s) => s % 600 === 0)).toBe(true);

    // The interrupted run's checkpoint holds the selection state its metrics show.
    const before = best(rows(first.run.metrics));
    const { checkpoint } = await openCheckpoint(first.run.dir, 'latest');
    expect(checkpoint.selection).toMatchObject({ bestScore: before.score, bestStep: before.step });

    const stdout = sink();
    const second = await trainCommand(undefined, undefined, { resume: first.run.dir, plain: true, evalEpisodes: 0 }, { stdout, stderr: sink() });
    expect(second.stopped).toBe('done');
    const all = rows(first.run.metrics);
    const after = best(all);
    // The kept policy is the best over the whole run, before and after the resume.
    expect(after.score).toBeGreaterThanOrEqual(before.score);
    expect(stdout.text()).toMatch(after.step === 6000 ? /Kept the last parameters \(step 6000/ : new RegExp(`Kept best from step ${after.step} `));
    // Every episode once, in order; steps never go backwards within a kind.
    const episodes = all.filter((r) => r.kind === 'episode').map((r) => r.episode);
    expect(episodes).toEqual(episodes.map((_, i) => i));
    for (const kind of ['episode', 'log']) {
      const steps = all.filter((r) => r.kind === kind).map((r) => r.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    }
    // Three checkpoints kept, the newest the last step; hints quote a path with a space.
    expect(readdirSync(first.run.checkpoints).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b)).toEqual([4800, 5400, 6000]);
    expect(stdout.text()).toContain(`Evaluate with: rxgym eval '`);
  });
});
