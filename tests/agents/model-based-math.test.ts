// Model-based training's arithmetic against hand-computed values: the horizon schedule, when refits and rounds of
// rollouts run, the model replay's size, the reward and termination choice, the rollout policy's rescaling and noise,
// and the mixed batches (round(realRatio B) real rows, the disagreement bonus).
// `npm run mutate` runs this file against agents/model-based.ts and agents/mixed-batches.ts.
import { describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { Rng } from '../../core/rng.js';
import { box } from '../../core/spaces.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { td3 } from '../../agents/ddpg.js';
import { dqn } from '../../agents/dqn.js';
import { ReplayBuffer } from '../../replay/replay-buffer.js';
import {
  actorToActions, addRolloutNoise, eliteMse, firstFitStep, horizonAt, imaginedCapacity, refitDue, rewardFor, rolloutDue, roundsPerRefit, terminationFor,
  resolveModelBasedConfig, withWorldModel,
} from '../../agents/model-based.js';
import { MixedBatches, addBonus, gatherUniform, realRowCount } from '../../agents/mixed-batches.js';
import type { WorldModel, WorldStepOut } from '../../models/world/contract.js';
import type { EnsembleDynamics } from '../../models/world/dynamics.js';
import { pendulumReward } from '../../models/world/known-rewards.js';
import { cartPoleTermination } from '../../models/world/known-terminations.js';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

describe('the rollout horizon: floor(start + clip((step - from) / (to - from), 0, 1) (end - start))', () => {
  it('holds before horizonFrom, grows linearly (floored) between, and holds after horizonTo', () => {
    const up = { horizonStart: 1, horizonEnd: 5, horizonFrom: 10, horizonTo: 20 };
    expect([0, 10, 12, 15, 17, 19, 20, 40].map((s) => horizonAt(up, s))).toEqual([1, 1, 1, 3, 3, 4, 5, 5]);
    const down = { horizonStart: 5, horizonEnd: 1, horizonFrom: 10, horizonTo: 20 };
    // 5 - 0.2 * 4 = 4.2 -> 4; 5 - 0.5 * 4 = 3; past the end 1.
    expect([0, 12, 15, 25].map((s) => horizonAt(down, s))).toEqual([5, 4, 3, 1]);
  });
});

describe('rounds of rollouts and the model replay', () => {
  it('rounds per refit: ceil(refitEvery / rolloutEvery), or 1 without rolloutEvery', () => {
    expect(roundsPerRefit({ refitEvery: 250, rolloutEvery: 0 })).toBe(1);
    expect(roundsPerRefit({ refitEvery: 250, rolloutEvery: 100 })).toBe(3);
    expect(roundsPerRefit({ refitEvery: 250, rolloutEvery: 250 })).toBe(1);
    expect(roundsPerRefit({ refitEvery: 250, rolloutEvery: 1000 })).toBe(1);
  });

  it('keeps rolloutBatch x the longest horizon x retainRefits x rounds per refit rows', () => {
    const c = { rolloutBatch: 10, horizonStart: 2, horizonEnd: 5, retainRefits: 3, refitEvery: 250, rolloutEvery: 100 };
    expect(imaginedCapacity(c)).toBe(10 * 5 * 3 * 3);
    expect(imaginedCapacity({ ...c, horizonStart: 5, horizonEnd: 2 })).toBe(450);
    expect(imaginedCapacity({ ...c, rolloutEvery: 0 })).toBe(150);
  });

  it('the first fit is at firstFit, or at learningStarts when firstFit is 0', () => {
    expect(firstFitStep({ firstFit: 0 }, 200)).toBe(200);
    expect(firstFitStep({ firstFit: 50 }, 200)).toBe(50);
  });

  it('a refit is due from firstFit on, with real rows, refitEvery steps after the last one', () => {
    expect(refitDue(199, 200, 10, -1, 100)).toBe(false);
    expect(refitDue(200, 200, 10, -1, 100)).toBe(true);
    expect(refitDue(200, 200, 0, -1, 100)).toBe(false);
    // No fit yet: due at once, however few steps have passed.
    expect(refitDue(50, 0, 5, -1, 100)).toBe(true);
    expect(refitDue(299, 200, 10, 200, 100)).toBe(false);
    expect(refitDue(300, 200, 10, 200, 100)).toBe(true);
    // A fit at step 0 counts as a fit.
    expect(refitDue(50, 0, 5, 0, 100)).toBe(false);
  });

  it('a round of rollouts runs after a fit, rolloutEvery steps after the last round, unless every row is real', () => {
    const c = { rolloutEvery: 50, realRatio: 0.5 };
    expect(rolloutDue(100, -1, -1, c)).toBe(false);
    expect(rolloutDue(100, 0, 0, c)).toBe(true);
    expect(rolloutDue(100, 0, 50, c)).toBe(true);
    expect(rolloutDue(99, 0, 50, c)).toBe(false);
    expect(rolloutDue(100, 0, 0, { rolloutEvery: 50, realRatio: 1 })).toBe(false);
    expect(rolloutDue(100, 0, 0, { rolloutEvery: 50, realRatio: 0.99 })).toBe(true);
  });

  it("reports the elites' mean held-out MSE", () => {
    expect(eliteMse([0.5, 0.1, 0.3, 0.9], [1, 2])).toBeCloseTo(0.2, 12);
    expect(eliteMse([0.5, 0.1, 0.3, 0.9], [3])).toBe(0.9);
  });
});

describe('the reward and termination of imagined steps', () => {
  const c = resolveModelBasedConfig();
  it("termination 'auto' takes a built-in env's known rule ('never' for Pendulum), else a learned one", () => {
    expect(terminationFor('Pendulum-v1', c)).toEqual({ termination: 'never', fns: {} });
    const cart = terminationFor('CartPole-v1', c);
    expect(cart.termination).toBe('function');
    expect(cart.fns.termination).toBe(cartPoleTermination);
    expect(terminationFor('MyEnv-v0', c)).toEqual({ termination: 'learned', fns: {} });
    expect(terminationFor(null, c)).toEqual({ termination: 'learned', fns: {} });
  });

  it("termination 'never' or 'learned' is taken as given, even for an env with a known rule", () => {
    expect(terminationFor('CartPole-v1', { ...c, termination: 'never' })).toEqual({ termination: 'never', fns: {} });
    expect(terminationFor('CartPole-v1', { ...c, termination: 'learned' })).toEqual({ termination: 'learned', fns: {} });
    expect(terminationFor('Pendulum-v1', { ...c, termination: 'learned' })).toEqual({ termination: 'learned', fns: {} });
  });

  it("reward 'auto' takes a built-in env's known reward; 'learned', or an env without one, keeps the model's", () => {
    expect(rewardFor('Pendulum-v1', { reward: 'auto' })).toBe(pendulumReward);
    expect(rewardFor('Pendulum-v1', { reward: 'learned' })).toBeNull();
    expect(rewardFor('CartPole-v1', { reward: 'auto' })).toBeNull();
    expect(rewardFor(null, { reward: 'auto' })).toBeNull();
  });

  it("a custom env id that names an Object member ('toString', 'constructor') finds no known rule", () => {
    for (const id of ['toString', 'constructor', 'hasOwnProperty']) {
      expect(rewardFor(id, { reward: 'auto' })).toBeNull();
      expect(terminationFor(id, resolveModelBasedConfig())).toEqual({ termination: 'learned', fns: {} });
    }
  });
});

describe('the rollout policy', () => {
  it("rescales the actor's u in [-1, 1] to low + (u + 1) (high - low) / 2 per action column", () => {
    const actions = new Float32Array(6).fill(9);
    actorToActions(f32([-1, 0, 1, 0.5]), 2, 2, [-2, 0], [2, 10], actions);
    expect([...actions]).toEqual([-2, 5, 2, 7.5, 9, 9]);
  });

  it('adds noise std half-ranges to live rows only, clipped to the bounds, drawing one normal per live entry', () => {
    const low = [-1, 0], high = [1, 10], noise = 0.5;
    const start = [...f32([0.2, 4, 0.9, 9, -0.1, 1])];
    const actions = f32([...start, 7, 8]);
    // Row 3 is past n: alive or not, it is not the rollout's.
    const alive = Uint8Array.from([1, 0, 1, 1]);
    addRolloutNoise(actions, 3, 2, alive, low, high, noise, new Rng(3));
    const replica = new Rng(3);
    const expected = start.slice();
    for (const i of [0, 2]) {
      for (let j = 0; j < 2; j++) {
        const half = (high[j]! - low[j]!) / 2;
        expected[i * 2 + j] = Math.min(high[j]!, Math.max(low[j]!, start[i * 2 + j]! + noise * half * replica.normal()));
      }
    }
    expect([...actions]).toEqual([...f32([...expected, 7, 8])]);
    // The draws moved the live rows; the dead row and the entry past n are untouched.
    expect(actions[0]).not.toBeCloseTo(0.2, 3);
    expect([actions[2], actions[3], actions[6]]).toEqual([start[2], 9, 7]);
  });

  it('clips noisy actions at both bounds', () => {
    const actions = f32([0.9, -0.9, 0, 0]);
    const big = 50;
    addRolloutNoise(actions, 4, 1, Uint8Array.from([1, 1, 1, 1]), [-1], [1], big, new Rng(0));
    for (const a of actions) expect(Math.abs(a)).toBeLessThanOrEqual(1);
    expect([...actions].filter((a) => a === 1).length + [...actions].filter((a) => a === -1).length).toBeGreaterThanOrEqual(3);
    expect(actions).toContain(1);
    expect(actions).toContain(-1);
  });
});

/** A replay of n rows whose values say which row they are (obs [10 i, 10 i + 1], action [i, -i], reward i). */
function numbered(n: number, sign = 1, gamma?: number): ReplayBuffer<'continuous', unknown> {
  const b = new ReplayBuffer<'continuous', unknown>({ capacity: n, obsDim: 2, actionKind: 'continuous', actionDim: 2, ...(gamma === undefined ? {} : { gamma }) });
  for (let i = 0; i < n; i++) b.add([sign * 10 * i, sign * (10 * i + 1)], [sign * i, -sign * i], sign * i, [sign * (10 * i + 5), sign * (10 * i + 6)], i % 3 === 0, i % 4 === 0);
  return b;
}

describe('mixed batches', () => {
  it('real rows: round(realRatio B), or all B while the model replay is empty', () => {
    expect(realRowCount(0.25, 20, 5)).toBe(5);
    expect(realRowCount(0.25, 20, 0)).toBe(20);
    expect(realRowCount(0.3, 5, 1)).toBe(2);
    expect(realRowCount(0.05, 256, 1)).toBe(13);
  });

  it('the bonus adds scale x disagreement to the first B rewards and returns the mean added', () => {
    const rewards = f32([1, 2, 3]);
    expect(addBonus(rewards, [0.5, 1, 2], 2, 2)).toBe(1.5);
    expect([...rewards]).toEqual([2, 4, 3]);
  });

  it('gathers whole uniformly drawn rows into the batch from row `from` on', () => {
    const src = numbered(7);
    const batch = src.createBatch(5);
    for (const a of [batch.obs, batch.nextObs, batch.actions, batch.rewards]) a.fill(-99);
    gatherUniform(src, batch, 1, 3, new Rng(4));
    const replica = new Rng(4);
    for (let r = 1; r < 4; r++) {
      const i = replica.int(7);
      expect(batch.indices[r]).toBe(i);
      expect([...batch.obs.subarray(2 * r, 2 * r + 2)]).toEqual([10 * i, 10 * i + 1]);
      expect([...batch.nextObs.subarray(2 * r, 2 * r + 2)]).toEqual([10 * i + 5, 10 * i + 6]);
      expect([...batch.actions.subarray(2 * r, 2 * r + 2)]).toEqual([i, -i]);
      expect(batch.rewards[r]).toBe(i);
      expect(batch.terminated[r]).toBe(i % 3 === 0 ? 1 : 0);
      expect(batch.truncated[r]).toBe(i % 4 === 0 ? 1 : 0);
    }
    for (const a of [batch.obs, batch.nextObs, batch.actions]) expect([...a.subarray(0, 2), ...a.subarray(8, 10)]).toEqual([-99, -99, -99, -99]);
    expect([batch.rewards[0], batch.rewards[4]]).toEqual([-99, -99]);
  });

  it('samples real rows then imagined ones, counts both, and sets every discount to gamma', () => {
    const mix = new MixedBatches(numbered(9, 1, 0.9), numbered(9, -1, 0.9), { realRatio: 0.3, gamma: 0.9, bonusScale: 0, model: null });
    const batch = numbered(9, 1, 0.9).createBatch(10);
    mix.sampleInto(batch, new Rng(1));
    // Rows from the imagined replay have negative next observations.
    expect([...batch.nextObs].filter((_, k) => k % 2 === 0).map((v) => v > 0)).toEqual([...Array(3).fill(true), ...Array(7).fill(false)]);
    expect(mix.counts).toEqual({ realRows: 3, imaginedRows: 7, lastBonus: 0 });
    expect([...batch.discounts!]).toEqual(Array(10).fill(f32([0.9])[0]));
    // Exactly one draw per row of the batch.
    const rng = new Rng(2), replica = new Rng(2);
    mix.sampleInto(batch, rng);
    for (let i = 0; i < 10; i++) replica.int(9);
    expect(rng.float()).toBe(replica.float());
    expect(mix.counts).toEqual({ realRows: 6, imaginedRows: 14, lastBonus: 0 });
  });

  it('adds the bonus only with a positive scale, a ready model with a disagreement, and continuous actions', () => {
    const scratch: Float32Array[] = [];
    const disagreement = (_s: Float32Array, _a: Float32Array, n: number, out = new Float32Array(n)): Float32Array => {
      scratch.push(out);
      for (let i = 0; i < n; i++) out[i] = i + 1;
      return out;
    };
    const model = { ready: true, disagreement } as unknown as WorldModel;
    const run = (scale: number, m: WorldModel | null): { rewards: number[]; bonus: number } => {
      const mix = new MixedBatches(numbered(9), numbered(9, -1), { realRatio: 0.5, gamma: 0.9, bonusScale: scale, model: m });
      const batch = numbered(9).createBatch(4);
      mix.sampleInto(batch, new Rng(5));
      return { rewards: [...batch.rewards], bonus: mix.counts.lastBonus };
    };
    const plain = run(0, model);
    expect(plain.bonus).toBe(0);
    // Without the bonus the model is not asked at all.
    expect(scratch).toHaveLength(0);
    const withBonus = run(0.5, model);
    expect(withBonus.rewards).toEqual(plain.rewards.map((r, i) => r + 0.5 * (i + 1)));
    expect(withBonus.bonus).toBeCloseTo((0.5 * (1 + 2 + 3 + 4)) / 4, 12);
    expect(run(0.5, { ...model, ready: false } as WorldModel)).toEqual(plain);
    expect(run(0.5, { ready: true } as unknown as WorldModel)).toEqual(plain);
    expect(run(0.5, null)).toEqual(plain);
    // The bonus's scratch is allocated once, not per batch.
    const mix2 = new MixedBatches(numbered(9), numbered(9, -1), { realRatio: 0.5, gamma: 0.9, bonusScale: 0.5, model });
    const batch2 = numbered(9).createBatch(4);
    scratch.length = 0;
    mix2.sampleInto(batch2, new Rng(1));
    mix2.sampleInto(batch2, new Rng(2));
    expect(scratch).toHaveLength(2);
    expect(scratch[1]).toBe(scratch[0]);
    expect(scratch[0]!.length).toBe(4);
    // Discrete actions (one value a row, Int32): no bonus.
    const discrete = (sign: number): ReplayBuffer<'discrete', unknown> => {
      const b = new ReplayBuffer<'discrete', unknown>({ capacity: 4, obsDim: 1, actionKind: 'discrete' });
      for (let i = 0; i < 4; i++) b.add([i], sign > 0 ? 0 : 1, sign * i, [i + 1], false, false);
      return b;
    };
    const mix = new MixedBatches(discrete(1), discrete(-1), { realRatio: 0.5, gamma: 0.9, bonusScale: 0.5, model });
    const batch = discrete(1).createBatch(4);
    mix.sampleInto(batch, new Rng(5));
    expect(mix.counts.lastBonus).toBe(0);
    expect([...batch.rewards].every((r) => Number.isInteger(r))).toBe(true);
  });
});

/** What the rollout test reads of the wrapper's internals: its replays and one round of rollouts. */
interface RolloutInternals {
  real: ReplayBuffer<'continuous', unknown>;
  imagined: ReplayBuffer<'continuous', unknown>;
  metrics: Record<string, number>;
  imagine(horizon: number): number;
}

/**
 * A Pendulum agent wrapped around a made-up model: each step adds 1 to the first state column, rewards 10 + that
 * column before the step, and terminates once the first column reaches 2.5. One real state, first column 0.6.
 */
function countingRollouts(reward: 'auto' | 'learned', env: Env<Float32Array, Float32Array> = make('Pendulum-v1') as Env<Float32Array, Float32Array>): RolloutInternals & { agent: { act(obs: Float32Array): Float32Array } } {
  const agent = td3(env, { learningStarts: 10, batchSize: 4, hidden: [4], seed: 0 });
  const aw = (env.actionSpace as unknown as { low: number[] }).low.length;
  const model = {
    kind: 'counter', stateDim: 3, action: { kind: 'continuous', dim: aw }, ready: true,
    fit: async () => ({ epochs: 1, steps: 1, seconds: 0, losses: [], holdoutMse: [0], elites: [0] }),
    observeStarts: () => {},
    initialStates: (n: number) => new Float32Array(n * 3),
    startRollouts: (n: number) => new Int32Array(n).fill(-1),
    step: (states: Float32Array, _a: Float32Array, n: number, _m: Int32Array, _r: Rng, out: WorldStepOut) => {
      for (let i = 0; i < n; i++) {
        out.nextStates.set(states.subarray(i * 3, i * 3 + 3), i * 3);
        out.nextStates[i * 3] = states[i * 3]! + 1;
        out.rewards[i] = 10 + states[i * 3]!;
        out.terminated[i] = out.nextStates[i * 3]! >= 2.5 ? 1 : 0;
      }
      return out;
    },
  } as unknown as EnsembleDynamics;
  const wrapped = withWorldModel(agent, { rolloutBatch: 3, realRatio: 0.5, rolloutNoise: 0, reward, retainRefits: 4, horizonStart: 4, horizonEnd: 4 }, model) as unknown as RolloutInternals;
  wrapped.real.add([0.6, 0.8, 0.25], Array(aw).fill(0.5), -1, [0.6, 0.8, 0.25], false, false);
  return Object.assign(wrapped, { agent });
}

describe('branched rollouts', () => {
  it("keep each row's steps up to and including its first imagined termination, the model's reward with reward 'learned'", () => {
    const w = countingRollouts('learned');
    // 0.6 -> 1.6 (reward 10.6) -> 2.6 (reward 11.6, terminated): two steps per row, however long the horizon.
    expect(w.imagine(4)).toBe(6);
    expect(w.imagined.size).toBe(6);
    const rows = Array.from({ length: 6 }, (_, k) => k);
    expect(rows.map((k) => w.imagined.rewards[k])).toEqual([...f32([10.6, 10.6, 10.6, 11.6, 11.6, 11.6])]);
    expect(rows.map((k) => w.imagined.terminated[k])).toEqual([0, 0, 0, 1, 1, 1]);
    expect(rows.map((k) => w.imagined.obs[k * 3])).toEqual([...f32([0.6, 0.6, 0.6, 1.6, 1.6, 1.6])]);
    expect(rows.map((k) => w.imagined.nextObs[k * 3])).toEqual([...f32([1.6, 1.6, 1.6, 2.6, 2.6, 2.6])]);
    expect(rows.map((k) => w.imagined.truncated[k])).toEqual([0, 0, 0, 0, 0, 0]);
    expect(w.metrics['imaginedTransitions']).toBe(6);
    // A horizon of 1 stops before any termination.
    expect(w.imagine(1)).toBe(3);
    expect(w.imagined.size).toBe(9);
    expect(w.metrics['imaginedTransitions']).toBe(9);
  });

  it('store each row\'s whole action on a Box of two action columns', () => {
    // A made-up env: the rollouts never step it, the agent only reads its spaces.
    const obs = new Float32Array(3);
    const planar = {
      observationSpace: box({ low: -100, high: 100, shape: [3] }), actionSpace: box({ low: [-1, -2], high: [1, 2] }),
      metadata: {}, spec: undefined, get unwrapped() { return planar; },
      reset: () => ({ obs, info: {} }), step: () => ({ obs, reward: 0, terminated: false, truncated: false, info: {} }), close: () => {},
    } as unknown as Env<Float32Array, Float32Array>;
    const w = countingRollouts('learned', planar);
    expect(w.imagine(4)).toBe(6);
    for (let k = 0; k < 6; k++) {
      const state = w.imagined.obs.slice(k * 3, k * 3 + 3);
      expect([...w.imagined.actions.subarray(2 * k, 2 * k + 2)].map((a) => Math.round(a * 1e4))).toEqual([...w.agent.act(state)].map((a) => Math.round(a * 1e4)));
    }
    expect(w.imagined.actions[0]).not.toBe(w.imagined.actions[1]);
  });

  it('branch from uniformly drawn real states, one draw per rollout', () => {
    const w = countingRollouts('learned');
    const firstColumns = [0.6, -10, -20, -30, -40];
    for (const c of firstColumns.slice(1)) w.real.add([c, 0, 0], [0], 0, [c, 0, 0], false, false);
    for (let round = 0; round < 3; round++) w.imagine(1);
    // The wrapper's rng (seed 0 -> 17): B = 3 start rows, then one noise draw per live row and action column.
    const replica = new Rng(17), firsts: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) firsts.push(firstColumns[replica.int(5)]!);
      for (let i = 0; i < 3; i++) replica.normal();
    }
    expect(Array.from({ length: 9 }, (_, k) => w.imagined.obs[k * 3])).toEqual([...f32(firsts)]);
    expect(new Set(firsts).size).toBeGreaterThan(2);
  });

  it('on Discrete actions store the policy\'s action value of each row', () => {
    const agent = dqn(make('CartPole-v1') as Env<Float32Array, number>, { learningStarts: 10, hidden: [4], seed: 0 });
    const model = {
      kind: 'still', stateDim: 4, action: { kind: 'discrete', n: 2, start: 0 }, ready: true,
      fit: async () => ({ epochs: 1, steps: 1, seconds: 0, losses: [], holdoutMse: [0], elites: [0] }),
      observeStarts: () => {},
      initialStates: (n: number) => new Float32Array(n * 4),
      startRollouts: (n: number) => new Int32Array(n).fill(-1),
      step: (states: Float32Array, _a: Float32Array, n: number, _m: Int32Array, _r: Rng, out: WorldStepOut) => {
        out.nextStates.set(states.subarray(0, n * 4));
        out.rewards.fill(1, 0, n);
        out.terminated.fill(0, 0, n);
        return out;
      },
    } as unknown as EnsembleDynamics;
    const w = withWorldModel(agent, { rolloutBatch: 4, realRatio: 0.5, rolloutNoise: 0 }, model) as unknown as {
      real: ReplayBuffer<'discrete', unknown>; imagined: ReplayBuffer<'discrete', unknown>; imagine(h: number): number;
    };
    w.real.add([0.01, 0.2, -0.03, 0.1], 1, 1, [0.01, 0.2, -0.03, 0.1], false, false);
    expect(w.imagine(1)).toBe(4);
    const greedy = agent.act(f32([0.01, 0.2, -0.03, 0.1]));
    expect([...w.imagined.actions.subarray(0, 4)]).toEqual(Array(4).fill(greedy));
  });

  it("reward 'auto' on Pendulum replaces the model's reward with the known one of (state, action)", () => {
    const w = countingRollouts('auto');
    expect(w.imagine(1)).toBe(3);
    const expected = new Float32Array(3);
    pendulumReward(w.imagined.obs.subarray(0, 9), w.imagined.actions.subarray(0, 3), w.imagined.nextObs.subarray(0, 9), 3, expected);
    expect([...w.imagined.rewards.subarray(0, 3)]).toEqual([...expected]);
    expect(expected[0]).not.toBeCloseTo(10.6, 1);
  });
});
