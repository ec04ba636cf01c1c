import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DQN, sink } from './helpers.js';
import { trainCommand, type TrainOptions } from '../../cli/commands/train.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-exact-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const episodeRows = (metrics: string): unknown[] =>
  readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string }).filter((r) => r.kind === 'episode');

describe('exact resume (--checkpoint-replay, an env that can save its state)', () => {
  for (const env of ['CartPole-v1', 'Acrobot-v1']) {
    it(`${env}: an interrupted and resumed run writes the same episode rows and the same final parameters as an uninterrupted one`, async () => {
      const options = (out: string): TrainOptions => ({
        steps: 4000, seed: 4, set: [...TINY_DQN, 'double=true'], checkpointEvery: 700, checkpointReplay: true, evalEvery: 0, evalEpisodes: 0, out, plain: true,
      });
      const whole = await trainCommand('dqn', env, options(join(root, `${env}-whole`)), { stdout: sink(), stderr: sink() });
      expect(whole.stopped).toBe('done');

      // The same run, stopped (as Ctrl-C does) mid-episode once two checkpoints exist, then resumed twice.
      const out = join(root, `${env}-cut`);
      const controller = new AbortController();
      const timer = setInterval(() => {
        const runs = existsSync(out) ? readdirSync(out) : [];
        const cps = runs.length ? join(out, runs[0]!, 'checkpoints') : '';
        if (cps && existsSync(cps) && readdirSync(cps).filter((n) => /^\d+$/.test(n)).length >= 2) controller.abort();
      }, 2);
      const first = await trainCommand('dqn', env, options(out), { stdout: sink(), stderr: sink(), signal: controller.signal });
      clearInterval(timer);
      expect(first.stopped).toBe('aborted');
      expect(first.step).toBeLessThan(4000);
      const stderr = sink();
      const second = await trainCommand(undefined, undefined, { resume: first.run.dir, plain: true, evalEpisodes: 0 }, { stdout: sink(), stderr });
      expect(second.stopped).toBe('done');
      expect(stderr.text()).not.toContain('starts a new episode');

      expect(episodeRows(first.run.metrics)).toEqual(episodeRows(whole.run.metrics));
      const tensors = (dir: string) => readFileSync(join(dir, 'final', 'tensors.bin'));
      expect(tensors(first.run.dir).equals(tensors(whole.run.dir))).toBe(true);
    });
  }
});
