/**
 * `--explore` end to end: MC-dropout holds one mask per episode, the CLI trains every mode on DeepSea-v0 and on a
 * custom env from a module path, records qSpread for the viewer, and refuses a mode the algorithm cannot use.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap, type Observable } from 'rxjs';
import '../../envs/builtin.js';
import type { Env, Transition } from '../../core/env.js';
import { make } from '../../envs/registry.js';
import { exploringDqn, checkExploreMode, presetFor } from '../../agents/exploration.js';
import type { DropoutQ } from '../../agents/mc-dropout-dqn.js';
import type { ThompsonDqnAgent } from '../../agents/thompson-dqn.js';
import { trainCommand } from '../../cli/commands/train.js';
import { loadEpisodeFile } from '../../render/server-episodes.js';
import { sink } from '../cli/helpers.js';

const SMALL = ['hidden=[16,16]', 'batchSize=16', 'learningStarts=16', 'bufferSize=500', 'heads=3', 'logInterval=100'];
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-explore-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('MC-dropout DQN', () => {
  it('acts with one dropout mask per episode and draws a new one at each reset', async () => {
    const env = make('DeepSea-v0', { size: 5 }) as Env<Float32Array, number>;
    const agent = exploringDqn(env, { explore: 'mc-dropout', dropout: 0.3, hidden: [16, 16], batchSize: 16, learningStarts: 16, engine: 'plain' }) as ThompsonDqnAgent<Float32Array>;
    const q = agent.posterior as DropoutQ;
    const masks: { episode: number; mask: string }[] = [];
    const watch = (s: Observable<Transition<Float32Array, number>>) => s.pipe(tap((tr) => masks.push({ episode: tr.episode, mask: q.held.masks.map((m) => Array.from(m).join()).join('|') })));
    await agent.learn({ steps: 100, log: () => {}, consumers: [watch] });
    const per = new Map<number, Set<string>>();
    for (const m of masks) per.set(m.episode, (per.get(m.episode) ?? new Set()).add(m.mask));
    for (const s of per.values()) expect(s.size).toBe(1);
    expect(new Set(masks.map((m) => m.mask)).size).toBeGreaterThan(10);
    // Dropout is kept when acting (masked Q differs from the mean network) and the spread is positive.
    const x = new Float32Array(25);
    x[0] = 1;
    expect(Array.from(q.sampledQ(x, new Float32Array(2)))).not.toEqual(Array.from(q.meanQ(x, new Float32Array(2))));
    expect(agent.uncertainty(x)).toBeGreaterThan(0);
  });
});

describe('rxgym train --explore', () => {
  for (const mode of ['bootstrap', 'mc-dropout', 'epsilon']) {
    it(`trains dqn on DeepSea-v0 with --explore ${mode} and records what the viewer shows`, async () => {
      const out = join(root, mode);
      const r = await trainCommand('dqn', 'DeepSea-v0', { explore: mode, steps: 60, seed: 1, set: SMALL, recordEvery: 3, evalEpisodes: 1, out, plain: true, envKwargs: '{"size": 4}' }, { stdout: sink(), stderr: sink() });
      expect(r.step).toBe(60);
      const config = JSON.parse(readFileSync(join(r.run.dir, 'config.json'), 'utf8')) as { config: { explore: string }; preset: string | null };
      expect(config.config.explore).toBe(mode);
      expect(config.preset).toBe(mode === 'epsilon' ? 'DeepSea-v0' : `DeepSea-v0:${mode}`);
      const episodes = join(r.run.dir, 'episodes');
      const file = readdirSync(episodes).find((f) => f.endsWith('.ndjson') || f.endsWith('.jsonl') || f.includes('episode'))!;
      const data = await loadEpisodeFile(join(episodes, file), file);
      const steps = data.frames.filter((f) => !f.reset);
      expect(steps.length).toBe(4);
      if (mode === 'epsilon') expect(steps.every((f) => f.qSpread === null)).toBe(true);
      else expect(steps.every((f) => f.qSpread !== null && f.qSpread > 0)).toBe(true);
    });
  }

  it('works on a custom env given by module path', async () => {
    const out = join(root, 'custom');
    const r = await trainCommand('dqn', './examples/corridor.ts:Corridor', { explore: 'bootstrap', steps: 80, seed: 2, set: SMALL, evalEpisodes: 1, out, plain: true }, { stdout: sink(), stderr: sink() });
    expect(r.step).toBe(80);
    expect(existsSync(join(r.run.dir, 'final'))).toBe(true);
    const state = JSON.parse(readFileSync(join(r.run.dir, 'final', 'state.json'), 'utf8')) as { config: { explore: string } };
    expect(state.config.explore).toBe('bootstrap');
  });

  it('refuses an exploration mode the algorithm cannot use, naming both', async () => {
    await expect(trainCommand('td3', 'Pendulum-v1', { explore: 'bootstrap', steps: 10, out: join(root, 'td3'), plain: true }, { stdout: sink(), stderr: sink() }))
      .rejects.toThrow(/--explore to be disagreement\[=scale\] for td3 .*got "bootstrap"/);
    await expect(trainCommand('dqn', 'DeepSea-v0', { explore: 'disagreement', steps: 10, out: join(root, 'dqn-bad'), plain: true }, { stdout: sink(), stderr: sink() }))
      .rejects.toThrow(/--explore to be one of epsilon, bootstrap, mc-dropout for dqn, got "disagreement"/);
    expect(() => checkExploreMode('td3', 'bootstrap')).toThrow(/--explore "bootstrap" with td3, which explores with its own action noise/);
    expect(() => checkExploreMode('dqn', 'thompson')).toThrow(/--explore to be one of epsilon, bootstrap, mc-dropout for dqn, got "thompson"/);
    expect(presetFor({ 'DeepSea-v0': {}, 'DeepSea-v0:bootstrap': {} }, 'DeepSea-v0', 'bootstrap')).toBe('DeepSea-v0:bootstrap');
    expect(presetFor({ 'DeepSea-v0': {} }, 'DeepSea-v0', 'mc-dropout')).toBe('DeepSea-v0');
  });
});
