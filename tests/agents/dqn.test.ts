import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { CorruptFile, InvalidConfig, InvalidSpace } from '../../core/errors.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { DQN_DEFAULTS, dqn, dqnLoss, loadDqn, resolveDqnConfig, tdTargets, type DqnConfig } from '../../agents/dqn.js';
import { BootstrapWatch } from '../../agents/common.js';
import type { ReplayBatch } from '../../replay/types.js';

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
    expect(() => resolveDqnConfig({ batchSize: 0 })).toThrow(new InvalidConfig('Expected dqn.batchSize to be an integer from 1 to 1e6, got 0.'));
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
  it('refuses networks that cannot fit in memory, saying how much they need', () => {
    expect(() => dqn(cartpole(), { hidden: [100_000, 100_000] })).toThrow(
      'Expected a network of at most 268435456 parameters (1.07 GB a copy), got one of 1.00e+10 parameters: 40.0 GB a copy, about 200 GB to train. Use narrower or fewer layers.',
    );
  });

  it('refuses a continuous action space with a typed error', () => {
    const env = make('Pendulum-v1') as unknown as Env<Float32Array, number>;
    expect(() => dqn(env)).toThrow(InvalidSpace);
    expect(() => dqn(env)).toThrow(/^Expected a discrete action space for dqn, got Box\(.*\)\./);
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

describe('tdTargets: y = r + discount (1 - terminated) Q_target(s\', a\')', () => {
  // Three transitions, two actions. Q rows: target [1, 3], [5, 2], [4, 0]; online [2, 1], [0, 0], [0, 9].
  const rewards = Float32Array.from([1, 2, 0.5]);
  const terminated = Uint8Array.from([0, 1, 0]);
  const qTarget = Float32Array.from([1, 3, 5, 2, 4, 0]);
  const qOnline = Float32Array.from([2, 1, 0, 0, 0, 9]);
  const out = new Float32Array(3);
  it('takes the max of the target network, and no tail after termination', () => {
    expect(Array.from(tdTargets(rewards, terminated, undefined, 0.9, qTarget, null, 3, 2, out))).toEqual([1 + 0.9 * 3, 2, 0.5 + 0.9 * 4].map(Math.fround));
  });
  it('Double DQN: the online network picks a\', the target network values it', () => {
    // a'0 = argmax [2, 1] = 0 -> Q_target 1; a'2 = argmax [0, 9] = 1 -> Q_target 0.
    expect(Array.from(tdTargets(rewards, terminated, undefined, 0.9, qTarget, qOnline, 3, 2, out))).toEqual([1 + 0.9 * 1, 2, 0.5].map(Math.fround));
  });
  it('n-step: each row bootstraps with its own gamma^k, not gamma', () => {
    const discounts = Float32Array.from([0.729, 0.81, 0.9]);
    expect(Array.from(tdTargets(rewards, terminated, discounts, 0.99, qTarget, null, 3, 2, out))).toEqual([1 + Math.fround(0.729) * 3, 2, 0.5 + Math.fround(0.9) * 4].map(Math.fround));
  });
});

describe('tdTargets: clipBootstrap and the divergence statistics', () => {
  it('clips the bootstrapped value to the bounds and reports the unclipped sum', () => {
    const out = new Float32Array(2);
    const stats = { sum: 5, count: 1 };
    // Rows: max Q_target 150 (above hi 100) and -30 (below lo -10); gamma 0.5, nothing terminated.
    tdTargets(Float32Array.from([1, 2]), Uint8Array.from([0, 0]), undefined, 0.5, Float32Array.from([150, 3, -40, -30]), null, 2, 2, out, { lo: -10, hi: 100 }, stats);
    expect(Array.from(out)).toEqual([1 + 0.5 * 100, 2 + 0.5 * -10]);
    expect(stats).toEqual({ sum: 5 + 150 - 30, count: 3 }); // added to what the window had
  });
});

describe('BootstrapWatch', () => {
  it('bounds returns by the replayed rewards, and warns once after 3 windows of mean bootstrap > 2x the largest return', () => {
    const w = new BootstrapWatch(0.9);
    const rewards = Float32Array.from([1, 0.5]); // largest return 1 / (1 - 0.9) = 10
    const windowOf = (next: number) => {
      w.observe(rewards, 2);
      w.stats.sum += 2 * next;
      w.stats.count += 2;
    };
    windowOf(5);
    expect(w.bounds).toEqual({ lo: 0, hi: expect.closeTo(10, 9) });
    expect(w.check(999, '')).toBeNull(); // not a window's end
    expect(w.check(1000, '')).toBeNull(); // 5 < 20
    const lines: (string | null)[] = [];
    for (let k = 2; k <= 6; k++) {
      windowOf(25); // above 2 x 10
      lines.push(w.check(1000 * k, 'hint'));
    }
    expect(lines.slice(0, 2)).toEqual([null, null]);
    expect(lines[2]).toMatch(/^warning at step 4000: Q-values are diverging\. .* was 25\.0 over the last 1000 steps, more than 2x the largest possible return .* = 10\.0 for 3000 steps; .* hint$/);
    expect(lines.slice(3)).toEqual([null, null]); // once
    const calm = new BootstrapWatch(0.9);
    for (let k = 1; k <= 5; k++) {
      calm.observe(rewards, 2);
      calm.stats.sum += 2 * 19;
      calm.stats.count += 2;
      expect(calm.check(1000 * k, '')).toBeNull(); // 19 < 20: no strike
    }
  });
});

describe('dqnLoss', () => {
  const q = Float32Array.from([1, 2, 3, 4]);
  const actions = Int32Array.from([1, 0]);
  const targets = Float32Array.from([2.5, 0]);
  const scratch = { qTaken: new Float32Array(2), dTaken: new Float32Array(2) };
  it('Huber on Q(s, a) - y: quadratic inside 1, linear outside, gradient only at the taken action', () => {
    const dQ = new Float32Array(4).fill(7);
    const td = new Float32Array(2);
    // d = [-0.5, 3]: huber [0.125, 2.5], mean 1.3125; gradients [-0.5, 1] / 2.
    expect(dqnLoss(q, actions, targets, 2, 2, 'huber', undefined, dQ, td, scratch)).toBeCloseTo(1.3125, 6);
    expect(Array.from(dQ)).toEqual([0, -0.25, 0.5, 0]);
    expect(Array.from(td)).toEqual([0.5, 3]);
  });
  it('PER importance weights scale each sample\'s loss and gradient', () => {
    const dQ = new Float32Array(4);
    const weights = Float32Array.from([1, 0.5]);
    expect(dqnLoss(q, actions, targets, 2, 2, 'huber', weights, dQ, new Float32Array(2), scratch)).toBeCloseTo((0.125 + 1.25) / 2, 6);
    expect(Array.from(dQ)).toEqual([0, -0.25, 0.25, 0]);
  });
  it('MSE: mean of d^2 with gradient 2d/n', () => {
    const dQ = new Float32Array(4);
    expect(dqnLoss(q, actions, targets, 2, 2, 'mse', undefined, dQ, new Float32Array(2), scratch)).toBeCloseTo((0.25 + 9) / 2, 6);
    expect(Array.from(dQ)).toEqual([0, -0.5, 3, 0]);
  });
});

describe('DqnAgent.update: the wiring of target, loss and options on a hand-made batch', () => {
  const B = 4;
  /** A batch whose truncated row still bootstraps, with n-step discounts unlike gamma and PER weights. */
  const batch = (withWeights: boolean): ReplayBatch<'discrete'> => ({
    batchSize: B, obsDim: 4, actionDim: 1,
    obs: Float32Array.from({ length: B * 4 }, (_, i) => Math.sin(i)),
    nextObs: Float32Array.from({ length: B * 4 }, (_, i) => Math.cos(3 * i)),
    actions: Int32Array.from([0, 1, 1, 0]),
    rewards: Float32Array.from([1, -0.5, 0.25, 2]),
    terminated: Uint8Array.from([0, 1, 0, 0]),
    truncated: Uint8Array.from([0, 0, 1, 0]),
    indices: Int32Array.from([0, 1, 2, 3]),
    discounts: Float32Array.from([0.5, 0.25, 0.125, 0.7]),
    ...(withWeights ? { weights: Float32Array.from([1, 0.25, 0.5, 0.75]) } : {}),
  });
  /** The loss computed by hand from the agent's networks before the update. */
  const expectedLoss = (agent: ReturnType<typeof dqn<Float32Array>>, b: ReplayBatch<'discrete'>, double: boolean): number => {
    const qt = agent.target.predict(b.nextObs, B);
    const qo = agent.q.predict(b.nextObs, B);
    const q = agent.q.predict(b.obs, B);
    let sum = 0;
    for (let i = 0; i < B; i++) {
      const pick = double ? qo : qt;
      const best = pick[2 * i + 1]! > pick[2 * i]! ? 1 : 0;
      const y = b.rewards[i]! + (b.terminated[i] ? 0 : b.discounts![i]! * qt[2 * i + best]!);
      const d = Math.abs(q[2 * i + b.actions[i]!]! - y);
      sum += (b.weights ? b.weights[i]! : 1) * (d <= 1 ? 0.5 * d * d : d - 0.5);
    }
    return sum / B;
  };
  for (const double of [false, true]) {
    for (const weights of [false, true]) {
      it(`double ${double}, weights ${weights}`, () => {
        const agent = dqn(cartpole(), { ...smoke, batchSize: B, double, gamma: 0.99, seed: 11 });
        // Make the target differ from the online network so that Double DQN's choice matters.
        agent.target.params.forEach((_, i, p) => (p[i] = p[i]! * -1.5 + 0.1));
        agent.target.paramsChanged();
        const b = batch(weights);
        const expected = expectedLoss(agent, b, double);
        // The option must matter on this batch, or this test could not see it broken.
        expect(Math.abs(expectedLoss(agent, b, !double) - expected)).toBeGreaterThan(1e-4);
        const before = agent.q.params.slice();
        expect(agent.update(b)).toBeCloseTo(expected, 5);
        expect(agent.q.params.some((x, i) => x !== before[i])).toBe(true);
        agent.dispose();
      });
    }
  }
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
      const before = agent.q.params.slice();
      const episodes: number[] = [];
      const r = await agent.learn({ steps: 300, onEpisode: (e) => episodes.push(e.return), ...quiet });
      expect(r.step).toBe(300);
      expect(r.stopped).toBe('done');
      expect(r.updates).toBe(Math.floor(300 / 4) - Math.floor(50 / 4)); // steps s in (50, 300] with s % 4 == 0
      expect(episodes.length).toBeGreaterThan(0);
      // Training moved the weights, and they are finite.
      const after = agent.q.params;
      expect(after.some((x, i) => x !== before[i])).toBe(true);
      expect(after.every(Number.isFinite)).toBe(true);
      if (extra.frameSkip === 2) expect(episodes.reduce((a, b) => a + b, 0) / episodes.length).toBeGreaterThan(10); // 2 rewards a step
      agent.dispose();
    });
  }

  it('the tfjs engine learns without leaking tensors', async () => {
    const agent = dqn(cartpole(), { ...smoke, engine: 'tfjs', backend: 'cpu', double: true });
    await agent.learn({ steps: 120, ...quiet }); // warm-up: backend, variables, optimiser slots
    const tensors = tf.memory().numTensors;
    const r = await agent.learn({ steps: 200, ...quiet });
    expect(r.engine).toMatch(/^tfjs \(tfjs [\d.]+ on cpu/);
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
    expect(Array.from(again.q.params)).toEqual(Array.from(agent.q.params));
    expect(Array.from(again.target.params)).toEqual(Array.from(agent.target.params));
    const a = await agent.evaluate({ episodes: 2, seed: 9, env: cartpole() });
    const b = await again.evaluate({ episodes: 2, seed: 9, env: cartpole() });
    expect(b).toEqual(a);
    // Both continue the same way: same exploration draws, same replay samples and priorities, same updates.
    await agent.learn({ steps: 200, ...quiet });
    await again.learn({ steps: 200, ...quiet });
    expect(Array.from(again.q.params)).toEqual(Array.from(agent.q.params));
    expect(again.updates).toBe(agent.updates);
  });

  it('two learn() calls continue the episode in flight, as one call does (SB3 keeps its last observation too)', async () => {
    const one = dqn(cartpole(), { ...smoke, seed: 8 });
    const two = dqn(cartpole(), { ...smoke, seed: 8 });
    const a: number[] = [];
    const b: number[] = [];
    await one.learn({ steps: 600, totalSteps: 600, onEpisode: (e) => a.push(e.return), ...quiet });
    await two.learn({ steps: 333, totalSteps: 600, onEpisode: (e) => b.push(e.return), ...quiet });
    await two.learn({ steps: 267, totalSteps: 600, onEpisode: (e) => b.push(e.return), ...quiet });
    expect(b).toEqual(a);
    expect(Array.from(two.q.params)).toEqual(Array.from(one.q.params));
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
    await truncate(join(dir, 'tensors.bin'), 12);
    const err = await loadDqn(dir, cartpole()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as CorruptFile).message).toContain('tensors.bin');
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
