/**
 * DeepSea-v0 against bsuite's definition, with hand-computed returns: the optimal policy (always 'right') earns
 * 1 - N * (0.01 / N) = 0.99 at every size, always 'left' earns 0, and the action that means 'right' in each cell is
 * fixed by the mapping seed.
 */
import { describe, expect, it } from 'vitest';
import '../../envs/builtin.js';
import { checkEnv } from '../../envs/checker.js';
import { make, spec } from '../../envs/registry.js';
import { DeepSeaEnv } from '../../envs/bsuite/deep-sea.js';
import { testEnvConformance } from '../../envs/testing.js';
import { restoreEnv, snapshotEnv } from '../../envs/snapshot.js';

/** Plays one episode choosing 'right' (dir 1) or 'left' (dir 0) by the env's own mapping; returns the rewards. */
function play(env: DeepSeaEnv, dir: (row: number, col: number) => 0 | 1): number[] {
  env.reset({ seed: 0 });
  const rewards: number[] = [];
  for (let t = 0; t < env.size; t++) {
    const right = env.actionMapping[env.row * env.size + env.column]!;
    const r = env.step(dir(env.row, env.column) === 1 ? right : 1 - right);
    rewards.push(r.reward);
    expect(r.terminated).toBe(t === env.size - 1);
  }
  return rewards;
}

describe('DeepSea-v0', () => {
  testEnvConformance('DeepSea-v0', () => make('DeepSea-v0'));
  testEnvConformance('DeepSea-v0 stochastic', () => make('DeepSea-v0', { size: 6, deterministic: false }));

  it('is registered with size 10 and no time limit', () => {
    const s = spec('DeepSea-v0');
    expect(s.kwargs).toEqual({ size: 10 });
    expect(s.maxEpisodeSteps).toBeUndefined();
    expect(s.entryPoint).toBe('DeepSeaEnv');
  });

  it('passes the checker at several sizes', () => {
    for (const size of [1, 3, 10, 20]) expect(checkEnv(make('DeepSea-v0', { size })).ok).toBe(true);
  });

  it('observes an N x N one-hot grid that starts top left and falls one row per step', () => {
    const env = new DeepSeaEnv({ size: 4 });
    expect(env.observationSpace.shape).toEqual([4, 4]);
    const { obs } = env.reset();
    expect(Array.from(obs)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const right = env.actionMapping[0]!;
    const s = env.step(right);
    expect(s.obs[1 * 4 + 1]).toBe(1);
    expect(s.obs.reduce((a, b) => a + b, 0)).toBe(1);
    const left = env.step(1 - env.actionMapping[1 * 4 + 1]!); // left from (1, 1) to (2, 0)
    expect(left.obs[2 * 4 + 0]).toBe(1);
    // Each step returns its own array: a transition keeps obs and nextObs side by side.
    expect(left.obs).not.toBe(s.obs);
    expect(s.obs[1 * 4 + 1]).toBe(1);
    env.step(1 - env.actionMapping[2 * 4 + 0]!); // left at the wall stays in column 0
    const last = env.step(env.actionMapping[3 * 4 + 0]!);
    expect(last.terminated).toBe(true);
    expect(Array.from(last.obs).every((x) => x === 0)).toBe(true); // bsuite's null observation after the last row
  });

  it('pays 0.99 for the optimal policy and 0 for always left (hand-computed)', () => {
    for (const size of [1, 5, 10, 20]) {
      const env = new DeepSeaEnv({ size, mappingSeed: 7 });
      const optimal = play(env, () => 1);
      // Each right move costs 0.01 / N; the last one, from the bottom-right cell, also pays 1.
      for (let t = 0; t < size - 1; t++) expect(optimal[t]).toBeCloseTo(-0.01 / size, 12);
      expect(optimal[size - 1]).toBeCloseTo(1 - 0.01 / size, 12);
      expect(optimal.reduce((a, b) => a + b, 0)).toBeCloseTo(0.99, 12);
      expect(env.optimalReturn).toBeCloseTo(0.99, 12);
      expect(env.badEpisode).toBe(false);
      const left = play(env, () => 0);
      expect(left.every((r) => r === 0)).toBe(true);
      expect(env.badEpisode).toBe(true);
    }
  });

  it('pays no treasure to a policy that leaves the diagonal once', () => {
    const env = new DeepSeaEnv({ size: 6 });
    // Right except one left move in row 2: the agent can never get back to the diagonal.
    const rewards = play(env, (row) => (row === 2 ? 0 : 1));
    expect(rewards.reduce((a, b) => a + b, 0)).toBeCloseTo(-5 * (0.01 / 6), 12);
    expect(env.totalBadEpisodes).toBe(1);
    expect(env.denoisedReturn).toBe(0);
  });

  it('counts bad episodes and treasure over its life, as bsuite_info does', () => {
    const env = new DeepSeaEnv({ size: 3 });
    play(env, () => 1);
    play(env, () => 0);
    play(env, () => 1);
    expect({ bad: env.totalBadEpisodes, treasure: env.denoisedReturn }).toEqual({ bad: 1, treasure: 2 });
    expect(env.reset().info).toEqual({ badEpisode: false, totalBadEpisodes: 1, denoisedReturn: 2 });
  });

  it('fixes the action mapping by mappingSeed, per cell, and never by the reset seed', () => {
    const a = new DeepSeaEnv({ size: 20, mappingSeed: 3 });
    const b = new DeepSeaEnv({ size: 20, mappingSeed: 3 });
    const c = new DeepSeaEnv({ size: 20, mappingSeed: 4 });
    expect(Array.from(a.actionMapping)).toEqual(Array.from(b.actionMapping));
    expect(Array.from(a.actionMapping)).not.toEqual(Array.from(c.actionMapping));
    const ones = a.actionMapping.reduce((s, x) => s + x, 0);
    expect(ones).toBeGreaterThan(150); // about half of 400 cells, Bernoulli(0.5)
    expect(ones).toBeLessThan(250);
    const before = Array.from(a.actionMapping);
    a.reset({ seed: 99 });
    expect(Array.from(a.actionMapping)).toEqual(before);
    expect(Array.from(new DeepSeaEnv({ size: 4, randomizeActions: false }).actionMapping).every((x) => x === 1)).toBe(true);
  });

  it('fails a right move with probability 1/N when stochastic, and still charges for it', () => {
    const size = 4;
    const env = new DeepSeaEnv({ size, deterministic: false, randomizeActions: false });
    let stayed = 0;
    const trials = 4000;
    env.reset({ seed: 1 });
    for (let i = 0; i < trials; i++) {
      if (env.row === size) env.reset();
      if (env.row === size - 1) { env.step(1); continue; } // the last row adds noise; skip it
      const col = env.column;
      const r = env.step(1);
      expect(r.reward).toBeCloseTo(-0.01 / size, 12);
      if (env.column === col) stayed++;
    }
    const moves = trials * (size - 1) / size;
    expect(stayed / moves).toBeGreaterThan(0.2);
    expect(stayed / moves).toBeLessThan(0.3);
  });

  it('resumes exactly from a snapshot', () => {
    const env = make('DeepSea-v0', { size: 5, deterministic: false });
    env.reset({ seed: 3 });
    env.step(1);
    const snap = snapshotEnv(env)!;
    const a = [env.step(0), env.step(1)].map((r) => [Array.from(r.obs as Float32Array), r.reward]);
    const other = make('DeepSea-v0', { size: 5, deterministic: false });
    restoreEnv(other, snap);
    const b = [other.step(0), other.step(1)].map((r) => [Array.from(r.obs as Float32Array), r.reward]);
    expect(b).toEqual(a);
  });

  it('refuses bad kwargs and actions with typed errors naming them', () => {
    expect(() => new DeepSeaEnv({ size: 0 })).toThrow(/DeepSea size to be an integer from 1 to 1000, got 0/);
    expect(() => new DeepSeaEnv({ size: 2.5 })).toThrow(/DeepSea size/);
    expect(() => new DeepSeaEnv({ mappingSeed: -1 })).toThrow(/mappingSeed/);
    expect(() => new DeepSeaEnv({ unscaledMoveCost: -1 })).toThrow(/unscaledMoveCost/);
    expect(() => new DeepSeaEnv({ mapping_seed: 1 } as never)).toThrow(/Use camelCase: mappingSeed/);
    const env = new DeepSeaEnv({ size: 2 });
    env.reset();
    expect(() => env.step(2)).toThrow(/action 0 or 1 for DeepSea, got 2/);
    env.step(0);
    env.step(0);
    expect(() => env.step(0)).toThrow(/reset\(\) before stepping DeepSea again/);
    expect(() => env.setState({ row: 1, column: 2, badEpisode: false, totalBadEpisodes: 0, denoisedReturn: 0, rng: [1, 2, 3, 4] })).toThrow(/column <= row/);
  });

  it('draws the block in its cell and the treasure bottom right', () => {
    const env = new DeepSeaEnv({ size: 3 });
    env.reset();
    const scene = env.scene();
    expect(scene.viewport).toEqual({ xMin: 0, xMax: 3, yMin: 0, yMax: 3 });
    expect(scene.shapes).toContainEqual(expect.objectContaining({ type: 'circle', x: 2.5, y: 0.5 }));
    expect(scene.shapes.at(-1)).toMatchObject({ type: 'rect', x: 0.5, y: 2.5 });
  });
});
