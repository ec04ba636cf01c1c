/** `rxgym train --envs N [--async]`: N envs recorded in the run's config, resumed as they were, bad input refused. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { trainCommand } from '../../cli/commands/train.js';
import { readEpisode } from '../../render/recorder.js';
import { readdirSync } from 'node:fs';
import { TINY_DQN, sink } from './helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let root: string;
/** The 4-env DQN run of the first test. */
let dqnRun = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-vector-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Episode rows of a run's metrics.jsonl. */
function episodeRows(metrics: string): { step: number; episode: number; length: number }[] {
  return readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; step: number; episode: number; length: number }).filter((r) => r.kind === 'episode');
}

describe('rxgym train --envs', () => {
  it('trains DQN on 4 envs: numEnvs in config.json, steps counting every env, and a resume that keeps them', async () => {
    const out = join(root, 'dqn');
    const stdout = sink();
    const controller = new AbortController();
    const first = await trainCommand('dqn', 'CartPole-v1', { steps: 4000, seed: 1, set: TINY_DQN, out, envs: '4', checkpointEvery: 1000, plain: true, evalEpisodes: 0 },
      { stdout, stderr: sink(), signal: controller.signal });
    expect(first).toMatchObject({ step: 4000, stopped: 'done' });
    dqnRun = first.run.dir;
    const config = JSON.parse(readFileSync(first.run.config, 'utf8')) as { config: { numEnvs: number; asyncEnvs: boolean } };
    expect(config.config).toMatchObject({ numEnvs: 4, asyncEnvs: false });
    const rows = episodeRows(first.run.metrics);
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.every((r) => r.step % 4 === 0)).toBe(true); // a step is one env transition, 4 per vector step

    const again = await trainCommand(undefined, undefined, { resume: first.run.dir, steps: 6000, plain: true, evalEpisodes: 0 }, { stdout: sink(), stderr: sink() });
    expect(again).toMatchObject({ step: 6000, stopped: 'done' });
    expect(JSON.parse(readFileSync(join(first.run.final, 'state.json'), 'utf8')).config.numEnvs).toBe(4);
  }, 60_000);

  it('records env 0 of a DQN run on 2 envs: each recording is the logged episode of its index, env 0 taking every 2nd step', async () => {
    const res = await trainCommand('dqn', 'CartPole-v1', { steps: 1500, seed: 4, set: TINY_DQN, out: join(root, 'rec'), envs: 2, recordEvery: 3, plain: true, evalEpisodes: 0 },
      { stdout: sink(), stderr: sink() });
    const rows = episodeRows(res.run.metrics);
    const logged = new Map(rows.map((r) => [r.episode, r]));
    expect(logged.size).toBe(rows.length); // each index once
    const dir = join(res.run.dir, 'episodes');
    const indices = readdirSync(dir).map((n) => Number(/\d+/.exec(n)![0])).sort((a, b) => a - b);
    expect(indices.length).toBeGreaterThanOrEqual(4);
    for (const k of indices) {
      expect(k % 3).toBe(0);
      const steps = (await readEpisode(join(dir, `episode-${k}.ndjson`))).steps.filter((x) => !x.reset);
      expect(steps.length, `episode ${k}`).toBe(logged.get(k)!.length);
      for (let i = 1; i < steps.length; i++) expect(steps[i]!.step).toBe(steps[0]!.step + 2 * i);
      expect(steps.at(-1)!.step + 2).toBe(logged.get(k)!.step);
    }
  }, 60_000);

  it('trains TD3 and REINFORCE on envs in worker threads with --async', async () => {
    for (const [algo, env, set] of [['td3', 'Pendulum-v1', ['hidden=[16]', 'batchSize=16', 'learningStarts=100']], ['reinforce', 'CartPole-v1', ['hidden=[16]', 'rolloutLength=25']]] as const) {
      const res = await trainCommand(algo, env, { steps: 600, seed: 2, set: [...set], out: join(root, algo), envs: 3, async: true, plain: true, evalEpisodes: 1 }, { stdout: sink(), stderr: sink() });
      expect(res.step).toBeGreaterThanOrEqual(600);
      expect(JSON.parse(readFileSync(res.run.config, 'utf8')).config).toMatchObject({ numEnvs: 3, asyncEnvs: true });
      expect(res.eval).not.toBeNull();
    }
  }, 60_000);

  it('refuses --envs 0, --envs abc, --async with recording, and --envs on a resume, with typed errors', async () => {
    const io = { stdout: sink(), stderr: sink() };
    const opts = { steps: 100, out: join(root, 'bad'), set: TINY_DQN, plain: true };
    await expect(trainCommand('dqn', 'CartPole-v1', { ...opts, envs: '0' }, io)).rejects.toThrow(new InvalidConfig('Expected --envs to be a whole number from 1 to 4096, got "0".'));
    await expect(trainCommand('dqn', 'CartPole-v1', { ...opts, envs: 'abc' }, io)).rejects.toThrow(new InvalidConfig('Expected --envs to be a whole number from 1 to 4096 (digits only), got "abc".'));
    await expect(trainCommand('dqn', 'CartPole-v1', { ...opts, envs: '2', async: true, recordEvery: 1 }, io)).rejects.toThrow(/^Expected --async without --record-every/);
    await expect(trainCommand(undefined, undefined, { resume: dqnRun, envs: '2' }, io)).rejects.toThrow(/^Expected no --envs or --async with --resume/);
  });

  it('prints one rxgym: line and exits 1 for --envs abc typed on the command line', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'train', 'dqn', 'CartPole-v1', '--envs', 'abc', '--out', join(root, 'cli')], { cwd: repo, encoding: 'utf8', timeout: 90_000 });
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toBe('rxgym: InvalidConfig: Expected --envs to be a whole number from 1 to 4096 (digits only), got "abc".');
  }, 90_000);
});
