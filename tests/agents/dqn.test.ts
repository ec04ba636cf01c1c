import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { CorruptFile, InvalidConfig, InvalidSpace } from '../../core/errors.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { DQN_DEFAULTS, dqn, loadDqn, resolveDqnConfig, type DqnConfig } from '../../agents/dqn.js';

const quiet = { log: () => {} };
const cartpole = () => make('CartPole-v1') as unknown as Env<Float32Array, number>;
/** Small and fast: learning after 50 steps, a tiny net. */
const smoke: Partial<DqnConfig> = { learningStarts: 50, batchSize: 16, hidden: [16], trainFreq: 4, targetUpdateInterval: 50, bufferSize: 1000 };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-dqn-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveDqnConfig', () => {
  it("fills SB3's defaults", () => {
    const c = resolveDqnConfig();
    expect(c).toEqual({ ...DQN_DEFAULTS, hidden: [64, 64] });
    expect(c.targetUpdateInterval).toBe(10_000);
    expect(c.explorationFinalEps).toBe(0.05);
  });

  it('says which field is wrong, what was expected and what it got', () => {
    expect(() => resolveDqnConfig({ batchSize: 0 })).toThrow(new InvalidConfig('Expected dqn.batchSize to be a positive integer, got 0.'));
    expect(() => resolveDqnConfig({ gamma: 1.5 })).toThrow('Expected dqn.gamma to be a number in [0, 1], got 1.5.');
    expect(() => resolveDqnConfig({ tau: 0 })).toThrow('Expected dqn.tau to be a number in (0, 1], got 0.');
    expect(() => resolveDqnConfig({ hidden: [] })).toThrow('Expected dqn.hidden to be a non-empty array of positive integers, got [].');
    expect(() => resolveDqnConfig({ loss: 'l1' as 'mse' })).toThrow(`Expected dqn.loss to be 'huber' or 'mse', got "l1".`);
    expect(() => resolveDqnConfig({ batchSize: 64, bufferSize: 10 })).toThrow('Expected dqn.batchSize <= bufferSize (10), got 64.');
  });

  it('rejects unknown keys with a suggestion', () => {
    expect(() => resolveDqnConfig({ learning_rate: 1 } as Partial<DqnConfig>)).toThrow(/got "learning_rate"\. Did you mean "learningRate"\?$/);
  });
});

describe('dqn()', () => {
  it('refuses a continuous action space with a typed error', () => {
    const env = make('Pendulum-v1') as unknown as Env<Float32Array, number>;
    expect(() => dqn(env)).toThrow(InvalidSpace);
    expect(() => dqn(env)).toThrow(/^Expected a Discrete action space for DQN, got Box\(.*\)\. DQN chooses among a finite set of actions/);
  });

  it('does nothing and says so when learn() is called with an aborted signal', async () => {
    const agent = dqn(cartpole(), smoke);
    const controller = new AbortController();
    controller.abort();
    const r = await agent.learn({ steps: 100, signal: controller.signal, ...quiet });
    expect(r).toMatchObject({ step: 0, stopped: 'aborted', updates: 0 });
  });

  it('rejects bad learn() arguments', async () => {
    const agent = dqn(cartpole(), smoke);
    await expect(agent.learn({ steps: -1, ...quiet })).rejects.toThrow('Expected learn({ steps }) to be a non-negative integer, got -1.');
  });
});

describe('dqn smoke runs (300 steps) for every option that changes the update', () => {
  const variants: [string, Partial<DqnConfig>][] = [
    ['vanilla, hard target', {}],
    ['double', { double: true }],
    ['dueling', { dueling: true }],
    ['soft target (tau 0.05 every step)', { tau: 0.05, targetUpdateInterval: 1 }],
    ['prioritized replay', { prioritized: true }],
    ['3-step returns', { nStep: 3 }],
    ['reward clipping', { clipReward: true }],
    ['frame skip 2', { frameSkip: 2 }],
    ['mse loss, rmsprop, no grad clipping', { loss: 'mse', optimizer: 'rmsprop', maxGradNorm: null }],
    ['everything at once', { double: true, dueling: true, prioritized: true, nStep: 3, tau: 0.1, targetUpdateInterval: 4, clipReward: true, frameSkip: 2 }],
  ];
  for (const [name, extra] of variants) {
    it(name, async () => {
      const agent = dqn(cartpole(), { ...smoke, ...extra, seed: 3 });
      const before = agent.q.getState().params.map((p) => p.data.slice());
      const episodes: number[] = [];
      const r = await agent.learn({ steps: 300, onEpisode: (e) => episodes.push(e.return), ...quiet });
      expect(r.step).toBe(300);
      expect(r.stopped).toBe('done');
      expect(r.updates).toBe(Math.floor(300 / 4) - Math.floor(50 / 4)); // steps s in (50, 300] with s % 4 == 0
      expect(episodes.length).toBeGreaterThan(0);
      // Training moved the weights, and they are finite.
      const after = agent.q.getState().params;
      expect(after.some((p, i) => p.data.some((x, j) => x !== before[i]![j]))).toBe(true);
      expect(after.every((p) => p.data.every(Number.isFinite))).toBe(true);
      if (extra.frameSkip === 2) expect(episodes.reduce((a, b) => a + b, 0) / episodes.length).toBeGreaterThan(10); // 2 rewards a step
      agent.dispose();
    });
  }

  it('the tfjs engine learns without leaking tensors', async () => {
    const agent = dqn(cartpole(), { ...smoke, engine: 'tfjs', backend: 'cpu', double: true });
    await agent.learn({ steps: 120, ...quiet }); // warm-up: backend, variables, optimiser slots
    const tensors = tf.memory().numTensors;
    const r = await agent.learn({ steps: 200, ...quiet });
    expect(r.engine).toBe('tfjs');
    expect(r.backend?.name).toBe('cpu');
    expect(tf.memory().numTensors).toBe(tensors);
    agent.dispose();
  });
});

describe('save / loadDqn', () => {
  it('restores weights, optimiser, counters, rng streams and (optionally) the replay', async () => {
    const agent = dqn(cartpole(), { ...smoke, prioritized: true, seed: 5 });
    await agent.learn({ steps: 400, ...quiet });
    const dir = join(root, 'roundtrip');
    await agent.save(dir, { replay: true });
    const again = await loadDqn(dir, cartpole());
    expect(again.step).toBe(400);
    expect(again.updates).toBe(agent.updates);
    expect(again.episodes).toBe(agent.episodes);
    expect(again.config).toEqual(agent.config);
    const obs = Float32Array.from([0.01, -0.2, 0.03, 0.1]);
    expect(Array.from(again.qValues(obs))).toEqual(Array.from(agent.qValues(obs)));
    expect(again.q.getState()).toEqual(agent.q.getState());
    expect(Array.from(again.target.predict(obs, 1))).toEqual(Array.from(agent.target.predict(obs, 1)));
    const a = await agent.evaluate({ episodes: 2, seed: 9, env: cartpole() });
    const b = await again.evaluate({ episodes: 2, seed: 9, env: cartpole() });
    expect(b).toEqual(a);
    // Both continue the same way: same exploration draws, same replay samples and priorities, same updates.
    await agent.learn({ steps: 200, ...quiet });
    await again.learn({ steps: 200, ...quiet });
    expect(again.q.getState()).toEqual(agent.q.getState());
    expect(again.updates).toBe(agent.updates);
  });

  it('refuses an environment with other spaces', async () => {
    const agent = dqn(cartpole(), smoke);
    const dir = join(root, 'spaces');
    await agent.save(dir);
    const acrobot = make('Acrobot-v1') as unknown as Env<Float32Array, number>;
    await expect(loadDqn(dir, acrobot)).rejects.toThrow(/^Expected an environment whose observation space is Box\(.*\) \(as saved for CartPole-v1\), got Box\(/);
  });

  it('names a corrupt file', async () => {
    const agent = dqn(cartpole(), smoke);
    const dir = join(root, 'corrupt');
    await agent.save(dir);
    await truncate(join(dir, 'q.bin'), 12);
    const err = await loadDqn(dir, cartpole()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as CorruptFile).path).toBe(join(dir, 'q.bin'));
  });
});

describe('dqn learns CartPole', () => {
  it('clearly beats random (~22) within 10k steps: mean greedy return of two fixed seeds > 100', async () => {
    const means: number[] = [];
    for (const seed of [1, 2]) {
      const agent = dqn(cartpole(), {
        learningRate: 2.3e-3,
        batchSize: 64,
        bufferSize: 20_000,
        learningStarts: 1000,
        targetUpdateInterval: 10,
        trainFreq: 128,
        gradientSteps: 32,
        explorationFraction: 0.16,
        explorationFinalEps: 0.04,
        seed,
      });
      await agent.learn({ steps: 10_000, ...quiet });
      means.push((await agent.evaluate({ episodes: 10, seed: 100, env: cartpole() })).mean);
      agent.dispose();
    }
    // Measured: 179.8 and 235.8. A random policy averages ~22.
    expect((means[0]! + means[1]!) / 2).toBeGreaterThan(100);
    expect(Math.min(...means)).toBeGreaterThan(50);
  });
});
