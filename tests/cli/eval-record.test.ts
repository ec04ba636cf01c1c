import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DQN, sink } from './helpers.js';
import { evalCommand } from '../../cli/commands/eval.js';
import { parseEpisodeRef, resolveEpisodeFile } from '../../cli/commands/render.js';
import { trainCommand, type TrainOutcome } from '../../cli/commands/train.js';
import { InvalidConfig } from '../../core/errors.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { readEpisode } from '../../render/recorder.js';
import { listEpisodes, readEpisodeData } from '../../render/server-api.js';


let root: string;
let trained: TrainOutcome;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-eval-record-'));
  trained = await trainCommand('dqn', 'CartPole-v1', { steps: 2000, seed: 5, set: TINY_DQN, out: join(root, 'runs'), plain: true, evalEpisodes: 0 }, { stdout: sink(), stderr: sink() });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rxgym eval --record', () => {
  it('records the greedy episodes with Q-values and values, with the same returns as a plain eval', async () => {
    const run = trained.run.dir;
    const plain = await evalCommand(run, { episodes: 3, json: true }, { stdout: sink() });
    expect(plain.recorded).toEqual([]);
    const out = sink();
    const rec = await evalCommand(run, { episodes: 3, record: true }, { stdout: out });
    expect(rec.returns).toEqual(plain.returns);
    expect(rec.lengths).toEqual(plain.lengths);
    expect(out.text()).toContain('Recorded 3 episodes to');
    expect(out.text()).toContain('--episode eval-0');
    const dir = join(run, 'episodes');
    expect(rec.recorded).toEqual([0, 1, 2].map((k) => join(dir, `eval-${k}.ndjson`)));
    expect(readdirSync(dir).sort()).toEqual(['eval-0.ndjson', 'eval-1.ndjson', 'eval-2.ndjson']); // staging folder removed

    for (let k = 0; k < 3; k++) {
      const ep = await readEpisode(rec.recorded[k]!);
      expect(ep.header).toMatchObject({ kind: 'eval', envId: 'CartPole-v1', episode: k, seed: plain.seed, checkpointStep: 2000 });
      expect(ep.complete).toBe(true);
      // Frame 0 is the scene after reset, then one line per step.
      const [reset, ...steps] = ep.steps;
      expect(reset).toMatchObject({ t: 0, reset: true, action: null, reward: 0 });
      expect(steps).toHaveLength(plain.lengths[k]!);
      expect(steps.every((s) => s.reset === undefined)).toBe(true);
      expect(ep.steps.reduce((a, s) => a + s.reward, 0)).toBe(plain.returns[k]);
      if (k === 0) {
        // The first reset is seeded: its scene is the one a fresh env shows after reset({ seed }).
        const env = make('CartPole-v1');
        env.reset({ seed: plain.seed });
        expect(reset!.scene).toEqual(env.scene!());
        env.close();
      }
      for (const s of steps) {
        const q = s.q as number[];
        expect(q).toHaveLength(2);
        // Greedy: the action is the argmax of the recorded Q-values, and value is their max.
        expect(s.action).toBe(q[1]! > q[0]! ? 1 : 0);
        expect(s.value).toBeCloseTo(Math.max(...q), 5);
      }
    }

    // The viewer's API lists them with returns and plots their values; rxgym render finds them.
    const listing = await listEpisodes(run);
    expect(listing.map((l) => [l.file, l.ok, l.return, l.length])).toEqual([0, 1, 2].map((k) => [`eval-${k}.ndjson`, true, plain.returns[k], plain.lengths[k]]));
    const data = await readEpisodeData(run, 'eval-1.ndjson');
    expect(data!.frames[0]!.reset).toBe(true);
    expect(data!.frames.slice(1).every((f) => typeof f.value === 'number' && f.q !== null)).toBe(true);
    expect(resolveEpisodeFile(run, parseEpisodeRef('eval-2'))).toBe(rec.recorded[2]);
    expect(resolveEpisodeFile(run, undefined)).toBe(rec.recorded[2]); // no training recordings: the last eval one
    expect(() => resolveEpisodeFile(run, parseEpisodeRef('eval-7'))).toThrow(
      'Expected --episode to be a recorded episode of dqn-CartPole-v1-',
    );
    expect(() => parseEpisodeRef('last')).toThrow('Expected --episode to be a non-negative integer or eval-<k>, got "last".');
  });

  it('--record-dir writes there and replaces the previous evaluation, leaving training recordings alone', async () => {
    const dir = join(root, 'elsewhere');
    const first = await evalCommand(trained.run.dir, { episodes: 4, recordDir: dir }, { stdout: sink() });
    expect(first.recorded).toHaveLength(4);
    await writeFile(join(dir, 'episode-0.ndjson'), '{}\n');
    const second = await evalCommand(trained.run.dir, { episodes: 2, recordDir: dir, seed: 9 }, { stdout: sink() });
    expect(readdirSync(dir).sort()).toEqual(['episode-0.ndjson', 'eval-0.ndjson', 'eval-1.ndjson']);
    expect((await readEpisode(second.recorded[0]!)).header.seed).toBe(9);
    expect(existsSync(join(trained.run.dir, 'episodes', 'eval-3.ndjson'))).toBe(false);
  });

  it('--record-dir naming a file, or a path through one, is refused in one line before anything is evaluated', async () => {
    const file = join(root, 'notes.txt');
    await writeFile(file, 'mine\n');
    const stdout = sink();
    await expect(evalCommand(trained.run.dir, { episodes: 1, recordDir: file }, { stdout })).rejects.toThrow(
      new InvalidConfig(`Expected --record-dir to be a folder, got "${file}", which is a file.`),
    );
    await expect(evalCommand(trained.run.dir, { episodes: 1, recordDir: join(file, 'eps') }, { stdout })).rejects.toThrow(
      new InvalidConfig(`Expected --record-dir to be a folder that can be created, got "${join(file, 'eps')}" (ENOTDIR: a file in its path, or no permission).`),
    );
    expect(stdout.text()).toBe('');
    expect(await readFile(file, 'utf8')).toBe('mine\n');
  });
});
