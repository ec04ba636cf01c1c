import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { evaluatePolicy } from '../../agents/evaluate.js';
import { resolveModelBasedConfig } from '../../agents/model-based.js';
import {
  CemPlanner, NoiselessRng, PLANNER_DEFAULTS, addStepReturns, refitToElites, resolvePlannerConfig, sampleCandidates, setCandidate, shiftPlan, topK, type MeanPredictor, type PlannerConfig, type PlannerContext,
} from '../../agents/planner.js';
import { actorSequence } from '../../agents/planner-proposal.js';
import type { WorldModel } from '../../models/world/contract.js';
import type { Net } from '../../nn/types.js';
import { pendulumReward } from '../../models/world/known-rewards.js';

/** A deterministic world model from a step function over one row (state in, next state and reward out). */
function toyModel(stateDim: number, step: (s: Float32Array, a: Float32Array, next: Float32Array) => number): WorldModel {
  return {
    kind: 'toy', stateDim, action: { kind: 'continuous', dim: 1 }, ready: true,
    initialStates: (n, _rng, out = new Float32Array(n * stateDim)) => out,
    startRollouts: (n, _rng, out = new Int32Array(n)) => out.fill(-1),
    step(states, actions, n, _members, _rng, out) {
      for (let i = 0; i < n; i++) {
        out.rewards[i] = step(states.subarray(i * stateDim, (i + 1) * stateDim), actions.subarray(i, i + 1), out.nextStates.subarray(i * stateDim, (i + 1) * stateDim));
        out.terminated[i] = 0;
      }
      return out;
    },
  };
}

/** A 1-D point mass x' = x + u, u in [-1, 1], reward -(x')^2: from x the best first action is clip(-x). */
const pointMass = toyModel(1, (s, a, next) => {
  next[0] = s[0]! + a[0]!;
  return -(next[0] ** 2);
});

/** A delayed reward: state [x, t], x' = x + u, t' = t + 1; reward x' at t' = 3 only, minus 0.1 u^2 every step. Best u: 0 with H < 3, 1 with H >= 3. */
const delayed = toyModel(2, (s, a, next) => {
  next[0] = s[0]! + a[0]!;
  next[1] = s[1]! + 1;
  return (next[1] === 3 ? next[0] : 0) - 0.1 * a[0]! ** 2;
});

const CTX: PlannerContext = { low: [-1], high: [1], gamma: 1, reward: null, value: null, seed: 0 };

function firstAction(model: WorldModel, config: Partial<PlannerConfig>, state: number[], seed: number, ctx: Partial<PlannerContext> = {}): number {
  const p = new CemPlanner(model, resolvePlannerConfig(config), { ...CTX, ...ctx, seed });
  return p.plan(Float32Array.from(state), new Float32Array(1))[0]!;
}

const meanOver = (seeds: number, f: (seed: number) => number) => Array.from({ length: seeds }, (_, s) => f(s)).reduce((a, b) => a + b, 0) / seeds;

describe('CEM planner', () => {
  it('finds the optimum of a point mass with a quadratic cost: u = -x inside the bounds, the bound outside them', () => {
    const config = { horizon: 3, population: 200, iterations: 5, elites: 20 };
    for (const seed of [0, 1, 2]) {
      expect(firstAction(pointMass, config, [0.5], seed)).toBeCloseTo(-0.5, 1);
      expect(firstAction(pointMass, config, [-0.3], seed)).toBeCloseTo(0.3, 1);
      expect(firstAction(pointMass, config, [3], seed)).toBeLessThan(-0.9);
    }
  });

  it('elites: refitting to the best few moves the plan to the optimum; refitting to the whole population does not', () => {
    const err = (elites: number) => meanOver(8, (seed) => Math.abs(firstAction(pointMass, { horizon: 1, population: 50, iterations: 4, elites, alpha: 0 }, [0.6], seed) + 0.6));
    expect(err(5)).toBeLessThan(0.08);
    expect(err(50)).toBeGreaterThan(0.25);
  });

  it('iterations: more iterations get closer to the optimum', () => {
    const err = (iterations: number) => meanOver(10, (seed) => Math.abs(firstAction(pointMass, { horizon: 2, population: 20, iterations, elites: 4 }, [0.45], seed) + 0.45));
    expect(err(6)).toBeLessThan(0.5 * err(1));
  });

  it('horizon: a reward three steps away is seen with horizon 3 and not with horizon 2', () => {
    const config = { population: 200, iterations: 5, elites: 20 };
    expect(meanOver(4, (seed) => firstAction(delayed, { ...config, horizon: 3 }, [0, 0], seed))).toBeGreaterThan(0.6);
    expect(Math.abs(meanOver(4, (seed) => firstAction(delayed, { ...config, horizon: 2 }, [0, 0], seed)))).toBeLessThan(0.2);
  });

  it('the terminal value is added at the end of the horizon, discounted by gamma^H', () => {
    // V(s) = 10 x: with horizon 1 the quadratic cost alone says u = 0 from x = 0, the value says u = 1.
    const value = (s: Float32Array, n: number, out: Float32Array) => { for (let i = 0; i < n; i++) out[i] = 10 * s[i]!; };
    const config = { horizon: 1, population: 100, iterations: 5, elites: 10 };
    expect(Math.abs(meanOver(4, (seed) => firstAction(pointMass, config, [0], seed)))).toBeLessThan(0.15);
    expect(meanOver(4, (seed) => firstAction(pointMass, config, [0], seed, { value }))).toBeGreaterThan(0.9);
    // gamma^H = 0.01 shrinks the value below the cost: the optimum of -u^2 + 0.1 u is u = 0.05.
    expect(meanOver(4, (seed) => firstAction(pointMass, config, [0], seed, { value, gamma: 0.01 }))).toBeLessThan(0.2);
  });

  it('a terminated candidate gets no terminal value', () => {
    // Terminates once x' > 0.2: pushing past it forfeits V(s) = 10 x, so the best action is 0.2 rather than 1.
    const ending: WorldModel = { ...pointMass, step(states, actions, n, members, rng, out) {
      pointMass.step(states, actions, n, members, rng, out);
      for (let i = 0; i < n; i++) out.terminated[i] = out.nextStates[i]! > 0.2 ? 1 : 0;
      return out;
    } };
    const value = (s: Float32Array, n: number, out: Float32Array) => { for (let i = 0; i < n; i++) out[i] = 10 * s[i]!; };
    const u = meanOver(4, (seed) => firstAction(ending, { horizon: 1, population: 200, iterations: 5, elites: 10 }, [0], seed, { value }));
    expect(u).toBeGreaterThan(0.1);
    expect(u).toBeLessThan(0.3);
  });

  it('proposal: a sequence scored as the last candidate of every iteration wins when it is the best', () => {
    // The delayed reward with horizon 3 and one small iteration around u = 0: the proposal (1, 1, 1) scores 3 - 0.3,
    // far above what 4 candidates of std 0.5 find, so with one elite and alpha 0 the plan is the proposal.
    const proposal = (_s: Float32Array, out: Float32Array) => out.fill(1);
    const config = { horizon: 3, population: 4, iterations: 1, elites: 1, alpha: 0 };
    for (const seed of [0, 1, 2]) {
      expect(firstAction(delayed, config, [0, 0], seed, { proposal })).toBe(1);
      expect(firstAction(delayed, config, [0, 0], seed)).toBeLessThan(0.99);
    }
    // A bad proposal is no elite (the mean itself, candidate 0, scores above it), so the plan is not it.
    const bad = (_s: Float32Array, out: Float32Array) => out.fill(-1);
    for (const seed of [0, 1, 2]) expect(firstAction(delayed, config, [0, 0], seed, { proposal: bad })).toBeGreaterThan(-0.99);
  });

  it('valueOn: the terminal value counts only once it says so', () => {
    const value = (s: Float32Array, n: number, out: Float32Array) => { for (let i = 0; i < n; i++) out[i] = 10 * s[i]!; };
    const config = { horizon: 1, population: 100, iterations: 5, elites: 10 };
    expect(meanOver(4, (seed) => firstAction(pointMass, config, [0], seed, { value, valueOn: () => true }))).toBeGreaterThan(0.9);
    expect(Math.abs(meanOver(4, (seed) => firstAction(pointMass, config, [0], seed, { value, valueOn: () => false })))).toBeLessThan(0.15);
  });

  it('runs iterations x horizon batched model steps of population rows per plan', () => {
    const calls: number[] = [];
    const counting: WorldModel = { ...pointMass, step(states, actions, n, members, rng, out) { calls.push(n); return pointMass.step(states, actions, n, members, rng, out); } };
    new CemPlanner(counting, resolvePlannerConfig({ horizon: 4, population: 12, iterations: 3, elites: 2 }), CTX).plan(Float32Array.of(0), new Float32Array(1));
    expect(calls).toEqual(new Array(12).fill(12));
  });

  it('plans each action dimension within its own bounds (2-D point mass)', () => {
    const mass2: WorldModel = { ...toyModel(2, () => 0), action: { kind: 'continuous', dim: 2 }, step(states, actions, n, _m, _r, out) {
      for (let i = 0; i < n * 2; i++) out.nextStates[i] = states[i]! + actions[i]!;
      for (let i = 0; i < n; i++) [out.rewards[i], out.terminated[i]] = [-(out.nextStates[2 * i]! ** 2) - out.nextStates[2 * i + 1]! ** 2, 0];
      return out;
    } };
    const plan = (seed: number) => new CemPlanner(mass2, resolvePlannerConfig({ horizon: 2, population: 200, iterations: 5, elites: 20 }), { ...CTX, low: [-1, -4], high: [1, 4], seed })
      .plan(Float32Array.of(0.5, -2), new Float32Array(2));
    expect(meanOver(3, (seed) => plan(seed)[0]!)).toBeCloseTo(-0.5, 1);
    expect(meanOver(3, (seed) => plan(seed)[1]!)).toBeCloseTo(2, 1);
  });

  it("transitions 'mean': candidates step through predictMean, not the sampled step (no lucky draws among the elites)", () => {
    // Sampled next states carry noise of std 1: the elites are the lucky draws and the plan misses u = -x. The mean does not.
    const noisy: WorldModel & { predictMean: (s: Float32Array, a: Float32Array, n: number) => { nextStates: Float32Array; rewards: Float32Array } } = {
      ...pointMass,
      step(states, actions, n, members, rng, out) {
        pointMass.step(states, actions, n, members, rng, out);
        for (let i = 0; i < n; i++) { out.nextStates[i] = out.nextStates[i]! + rng.normal(); out.rewards[i] = -(out.nextStates[i]! ** 2); }
        return out;
      },
      predictMean(states, actions, n) {
        const nextStates = new Float32Array(n), rewards = new Float32Array(n);
        for (let i = 0; i < n; i++) { nextStates[i] = states[i]! + actions[i]!; rewards[i] = -(nextStates[i]! ** 2); }
        return { nextStates, rewards };
      },
    };
    const err = (transitions: PlannerConfig['transitions']) => meanOver(6, (seed) => Math.abs(firstAction(noisy, { horizon: 2, population: 100, iterations: 4, elites: 10, transitions }, [0.5], seed) + 0.5));
    expect(err('mean')).toBeLessThan(0.05);
    expect(err('sampled')).toBeGreaterThan(0.1);
    // 'member-mean': the model's own step, its normal draws at 0.
    expect(err('member-mean')).toBeLessThan(0.05);
    expect(() => firstAction(pointMass, { transitions: 'mean' }, [0], 0)).toThrow(InvalidConfig);
    expect(() => firstAction(pointMass, { transitions: 'mean' }, [0], 0)).toThrow(/predictMean for worldModel\.planner\.transitions 'mean', got the toy model/);
  });

  it('NoiselessRng: normal draws are their mean; integers follow the seed', () => {
    const quiet = new NoiselessRng(3), loud = new Rng(3);
    expect([quiet.normal(), quiet.normal(2, 5)]).toEqual([0, 2]);
    expect(quiet.int(1000)).toBe(loud.int(1000));
  });

  it('a known reward replaces the model reward', () => {
    // The known reward -(u - 0.7)^2 ignores the state: the best action is 0.7 whatever the model says.
    const reward = (_s: Float32Array, a: Float32Array, _n: Float32Array, n: number, out: Float32Array) => { for (let i = 0; i < n; i++) out[i] = -((a[i]! - 0.7) ** 2); };
    expect(meanOver(4, (seed) => firstAction(pointMass, { horizon: 2, population: 100, iterations: 5, elites: 10 }, [0.2], seed, { reward }))).toBeCloseTo(0.7, 1);
  });

  it('warm start: the next plan starts from the previous one shifted by a step, its last step at the middle of the bounds', () => {
    const p = new CemPlanner(pointMass, resolvePlannerConfig({ horizon: 4, population: 10, iterations: 1, elites: 2, alpha: 0.999 }), { ...CTX, low: [-1], high: [3] });
    const a = new Float32Array(1);
    p.plan(Float32Array.of(0), a);
    p.currentPlan.set([0.1, 0.2, 0.3, 0.4]);
    p.plan(Float32Array.of(0), a);
    // alpha 0.999 keeps the mean where the warm start put it (within 0.1% of the elites' pull).
    const plan = [...p.currentPlan];
    [0.2, 0.3, 0.4, 1].forEach((v, h) => expect(plan[h]).toBeCloseTo(v, 2));
    // reset forgets the plan.
    p.reset();
    expect([...p.currentPlan]).toEqual([1, 1, 1, 1]);
  });

  it('keeps actions within asymmetric bounds', () => {
    const p = new CemPlanner(pointMass, resolvePlannerConfig({ horizon: 3, population: 30, iterations: 2, elites: 3 }), { ...CTX, low: [0.5], high: [3] });
    const a = new Float32Array(1);
    for (const x of [-5, 0, 5]) {
      p.plan(Float32Array.of(x), a);
      expect(a[0]).toBeGreaterThanOrEqual(0.5);
      expect(a[0]).toBeLessThanOrEqual(3);
    }
    // Far below the bounds' reach the best action is the upper bound.
    expect(firstAction(pointMass, { horizon: 2, population: 100, iterations: 4, elites: 10 }, [-5], 0, { low: [0.5], high: [3] })).toBeGreaterThan(2.8);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const config = { horizon: 3, population: 20, iterations: 2, elites: 4 };
    expect(firstAction(pointMass, config, [0.5], 7)).toBe(firstAction(pointMass, config, [0.5], 7));
    expect(firstAction(pointMass, config, [0.5], 7)).not.toBe(firstAction(pointMass, config, [0.5], 8));
    const p = new CemPlanner(pointMass, resolvePlannerConfig(config), { ...CTX, seed: 7 });
    const first = p.plan(Float32Array.of(0.5), new Float32Array(1))[0];
    p.reset(7);
    expect(p.plan(Float32Array.of(0.5), new Float32Array(1))[0]).toBe(first);
  });

  it('with the true Pendulum dynamics as the world model, swings Pendulum up and holds it (return > -200)', async () => {
    const truePendulum = toyModel(3, (s, a, next) => {
      const th = Math.atan2(s[1]!, s[0]!), u = Math.min(2, Math.max(-2, a[0]!));
      const w = Math.min(8, Math.max(-8, s[2]! + (15 * Math.sin(th) + 3 * u) * 0.05)), nth = th + w * 0.05;
      [next[0], next[1], next[2]] = [Math.cos(nth), Math.sin(nth), w];
      return 0;
    });
    const p = new CemPlanner(truePendulum, resolvePlannerConfig({ horizon: 20, population: 100, iterations: 3, elites: 10 }), { low: [-2], high: [2], gamma: 1, reward: pendulumReward, value: null, seed: 0 });
    const r = await evaluatePolicy(make('Pendulum-v1'), (obs: Float32Array) => p.plan(obs, new Float32Array(1)), { episodes: 3, seed: 5 });
    expect(r.mean).toBeGreaterThan(-200);
    // The same planner without the known reward (the toy model's reward is 0) does not.
    const blind = new CemPlanner(truePendulum, resolvePlannerConfig({ horizon: 10, population: 100, iterations: 3, elites: 10 }), { low: [-2], high: [2], gamma: 1, reward: null, value: null, seed: 0 });
    expect((await evaluatePolicy(make('Pendulum-v1'), (obs: Float32Array) => blind.plan(obs, new Float32Array(1)), { episodes: 3, seed: 5 })).mean).toBeLessThan(-400);
  }, 20_000);
});

describe('CEM math', () => {
  it('sampleCandidates: candidate 0 is the mean, the rest spread by std, all clipped to the bounds (H x P x aw)', () => {
    const mean = Float32Array.of(0.5, -0.5), std = Float32Array.of(0.1, 2); // H 2, aw 1
    const out = new Float32Array(2 * 500);
    sampleCandidates(mean, std, 500, 2, 1, [-1], [1], new Rng(1), out);
    expect(out[0]).toBeCloseTo(0.5, 6);
    expect(out[500]).toBeCloseTo(-0.5, 6);
    const step0 = [...out.subarray(0, 500)], step1 = [...out.subarray(500)];
    const sd = (xs: number[]) => { const m = xs.reduce((a, b) => a + b, 0) / xs.length; return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length); };
    expect(sd(step0)).toBeGreaterThan(0.08);
    expect(sd(step0)).toBeLessThan(0.12);
    expect(Math.min(...step1)).toBe(-1);
    expect(Math.max(...step1)).toBe(1);
    expect(step1.every((a) => a >= -1 && a <= 1)).toBe(true);
  });

  it('sampleCandidates: mean + std x the rng normals in step, candidate, dimension order (2 dimensions)', () => {
    const mean = Float32Array.of(0.1, 1, -0.2, -1), std = Float32Array.of(0.3, 0.5, 0.2, 0.1); // H 2, aw 2
    const out = new Float32Array(2 * 3 * 2), rng = new Rng(4), expected: number[] = [];
    sampleCandidates(mean, std, 3, 2, 2, [-1, -2], [1, 2], new Rng(4), out);
    for (let h = 0; h < 2; h++) for (let p = 0; p < 3; p++) for (let j = 0; j < 2; j++) {
      const a = p === 0 ? mean[h * 2 + j]! : mean[h * 2 + j]! + std[h * 2 + j]! * rng.normal();
      expected.push(Math.min([1, 2][j]!, Math.max([-1, -2][j]!, a)));
    }
    [...out].forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 6));
  });

  it('refitToElites: per step and dimension (H 2, aw 2)', () => {
    // P 2, elites [1]: the Gaussian moves onto candidate 1 (alpha 0, std 0).
    const cands = Float32Array.of(9, 9, 1, 2, 9, 9, 3, 4), mean = new Float32Array(4), std = Float32Array.of(1, 1, 1, 1);
    refitToElites(cands, Int32Array.of(1), 1, 2, 2, 2, 0, mean, std);
    expect([...mean]).toEqual([1, 2, 3, 4]);
    expect([...std]).toEqual([0, 0, 0, 0]);
  });

  it('topK: the K highest, best first, ties to the lower index', () => {
    const out = new Int32Array(3);
    topK(Float64Array.of(1, 5, 3, 5, -2, 4), 6, 3, out);
    expect([...out]).toEqual([1, 3, 5]);
    topK(Float64Array.of(-1, -1, -1), 3, 3, out);
    expect([...out]).toEqual([0, 1, 2]);
  });

  it('refitToElites: mean and population std of the elites, blended by alpha', () => {
    // H 1, P 4, aw 1: elites 1 and 3 hold 2 and 4.
    const cands = Float32Array.of(0, 2, 100, 4), mean = Float32Array.of(10), std = Float32Array.of(3);
    refitToElites(cands, Int32Array.of(1, 3), 2, 4, 1, 1, 0, mean, std);
    expect(mean[0]).toBeCloseTo(3, 6);
    expect(std[0]).toBeCloseTo(1, 6);
    const m2 = Float32Array.of(10), s2 = Float32Array.of(3);
    refitToElites(cands, Int32Array.of(1, 3), 2, 4, 1, 1, 0.25, m2, s2);
    expect(m2[0]).toBeCloseTo(0.25 * 10 + 0.75 * 3, 5);
    expect(s2[0]).toBeCloseTo(Math.sqrt(0.25 * 9 + 0.75 * 1), 5);
  });

  it('shiftPlan: one step earlier, the last step filled', () => {
    const plan = Float32Array.of(1, 2, 3, 4, 5, 6); // H 3, aw 2
    shiftPlan(plan, 3, 2, [7, 8]);
    expect([...plan]).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('addStepReturns: discounted rewards of live rows; a terminated row stops counting', () => {
    const scores = new Float64Array(2), alive = Uint8Array.of(1, 1);
    addStepReturns(scores, alive, Float32Array.of(1, 2), Uint8Array.of(0, 1), 2, 1);
    addStepReturns(scores, alive, Float32Array.of(1, 2), Uint8Array.of(0, 0), 2, 0.5);
    expect([...scores]).toEqual([1.5, 2]);
    expect([...alive]).toEqual([1, 0]);
  });
});

describe('CEM math: each function reads and writes only its shapes', () => {
  // The planner's arrays are exactly these shapes, so a loop one past its end would go unseen there; longer arrays
  // with sentinels show it here.
  it('sampleCandidates draws exactly (P - 1) x H x aw normals', () => {
    const rng = new Rng(8), ref = new Rng(8);
    sampleCandidates(Float32Array.of(0, 0), Float32Array.of(1, 1), 3, 2, 1, [-5], [5], rng, new Float32Array(6));
    for (let i = 0; i < 2 * 2 * 1; i++) ref.normal();
    expect(rng.normal()).toBe(ref.normal());
  });

  it('topK looks at scores[0..P) only and writes out[0..K) only', () => {
    const out = Int32Array.of(-7, -7, -7);
    topK(Float64Array.of(1, 3, 2, 99), 3, 2, out);
    expect([...out]).toEqual([1, 2, -7]);
  });

  it('refitToElites with alpha > 0 blends each step and dimension from its own old value, and stops at H x aw', () => {
    // H 2, P 2, aw 2, elite 1 (candidate 1 holds 1, 2 at step 0 and 3, 4 at step 1); a sentinel after each array.
    const cands = Float32Array.of(9, 9, 1, 2, 9, 9, 3, 4), mean = Float32Array.of(10, 20, 30, 40, -7), std = Float32Array.of(2, 2, 2, 2, -7);
    refitToElites(cands, Int32Array.of(1), 1, 2, 2, 2, 0.5, mean, std);
    [5.5, 11, 16.5, 22].forEach((v, k) => expect(mean[k]).toBeCloseTo(v, 5));
    for (let k = 0; k < 4; k++) expect(std[k]).toBeCloseTo(Math.sqrt(0.5 * 4), 5);
    expect(mean[4]).toBe(-7);
    expect(std[4]).toBe(-7);
  });

  it('shiftPlan writes the H x aw plan only', () => {
    const plan = Float32Array.of(1, 2, 3, 4, -7); // H 2, aw 2, then a sentinel
    shiftPlan(plan, 2, 2, [7, 8]);
    expect([...plan]).toEqual([3, 4, 7, 8, -7]);
  });

  it('addStepReturns touches the P rows only', () => {
    const scores = Float64Array.of(0, 0, -7), alive = Uint8Array.of(1, 1, 1);
    addStepReturns(scores, alive, Float32Array.of(1, 2, 3), Uint8Array.of(0, 0, 1), 2, 1);
    expect([...scores]).toEqual([1, 2, -7]);
    expect([...alive]).toEqual([1, 1, 1]);
  });
});

/** An actor of `width` state floats and as many outputs: u_j = f(x_j). */
function actorOf(f: (x: number) => number, width: number): Net {
  const predict = (x: Float32Array, n: number, out = new Float32Array(n * width)): Float32Array => {
    for (let i = 0; i < n * width; i++) out[i] = f(x[i]!);
    return out;
  };
  return { inputSize: width, outputSize: width, predict } as unknown as Net;
}

describe('actorSequence (the actor as a candidate)', () => {
  /** An actor of one state float: u = -x / 2 (so with bounds [-2, 2] the action is -x). */
  const halving = { inputSize: 1, outputSize: 1, predict: (x: Float32Array, n: number, out = new Float32Array(n)) => { for (let i = 0; i < n; i++) out[i] = -x[i]! / 2; return out; } } as unknown as Net;

  it("acts from each next state of the model's step (a model without predictMean): x 0.8 gives -0.8 and then 0 (x' = x + a)", () => {
    const seq = new Float32Array(3);
    actorSequence(pointMass, halving, [-2], [2], 3, 0)(Float32Array.of(0.8), seq);
    expect(Array.from(seq).map((v) => +v.toFixed(5))).toEqual([-0.8, 0, 0]);
    // Clipped to the bounds, rescaled from the actor's [-1, 1].
    actorSequence(pointMass, halving, [-1], [1], 3, 0)(Float32Array.of(3), seq);
    expect(Array.from(seq).map((v) => +v.toFixed(5))).toEqual([-1, -1, -0.5]);
  });

  it('steps through predictMean when the model has one', () => {
    // predictMean halves x; step would add the action.
    const withMean = { ...pointMass, predictMean: (s: Float32Array, _a: Float32Array, n: number) => ({ nextStates: s.slice(0, n).map((x) => x / 2), rewards: new Float32Array(n) }) };
    const seq = new Float32Array(3);
    actorSequence(withMean, halving, [-2], [2], 3, 0)(Float32Array.of(0.8), seq);
    expect(Array.from(seq).map((v) => +v.toFixed(5))).toEqual([-0.8, -0.4, -0.2]);
  });
});

describe('setCandidate (a proposed sequence into the population)', () => {
  it('writes candidate p of every step (H x P x aw layout), clipped per dimension, and nothing else', () => {
    const cands = new Float32Array(2 * 3 * 2).fill(9);
    setCandidate(cands, 1, Float32Array.of(0.5, -3, 3, 0.2), 3, 2, 2, [-1, -2], [1, 2]);
    expect([...cands]).toEqual([9, 9, 0.5, -2, 9, 9, 9, 9, 1, 0.2, 9, 9].map((v) => Math.fround(v)));
  });
});

describe('actorSequence: members, steps and wide actions', () => {
  it('draws the members once per sequence, passes them to every step, and steps the model H - 1 times', () => {
    const seen: number[] = [];
    let starts = 0;
    const memberModel: WorldModel = {
      ...pointMass,
      startRollouts: (n, _rng, out = new Int32Array(n)) => { starts++; return out.fill(4); },
      step(states, actions, n, members, rng, out) { seen.push(members[0]!); return pointMass.step(states, actions, n, members, rng, out); },
    };
    actorSequence(memberModel, actorOf((x) => -x / 2, 1), [-2], [2], 4, 0)(Float32Array.of(0.8), new Float32Array(4));
    expect(starts).toBe(1);
    expect(seen).toEqual([4, 4, 4]);
  });

  it('draws no members for a model with predictMean', () => {
    let starts = 0, means = 0;
    const withMean: WorldModel & MeanPredictor = {
      ...pointMass,
      startRollouts: (n, _rng, out = new Int32Array(n)) => { starts++; return out.fill(0); },
      predictMean: (s: Float32Array, _a: Float32Array, n: number) => { means++; return { nextStates: s.slice(0, n), rewards: new Float32Array(n) }; },
    };
    actorSequence(withMean, actorOf((x) => -x / 2, 1), [-2], [2], 3, 0)(Float32Array.of(0.8), new Float32Array(3));
    expect([starts, means]).toEqual([0, 2]);
  });

  it('lays out two action dimensions step by step, each rescaled to its own bounds', () => {
    // x' = x + a in 2-D; the actor's u = -x / 2 per dimension.
    const plane: WorldModel = {
      ...pointMass, stateDim: 2, action: { kind: 'continuous', dim: 2 },
      step(states, actions, n, _members, _rng, out) {
        for (let k = 0; k < 2 * n; k++) out.nextStates[k] = states[k]! + actions[k]!;
        return out;
      },
    };
    const seq = new Float32Array(6);
    actorSequence(plane, actorOf((x) => -x / 2, 2), [-2, -1], [2, 1], 3, 0)(Float32Array.of(0.8, 0.4), seq);
    expect(Array.from(seq).map((v) => +v.toFixed(5))).toEqual([-0.8, -0.2, 0, -0.1, 0, -0.05]);
  });
});

describe('planner config', () => {
  it('fills the defaults for missing fields', () => {
    expect(resolvePlannerConfig({ horizon: 7 })).toEqual({ ...PLANNER_DEFAULTS, horizon: 7 });
    expect(resolveModelBasedConfig({ planner: { population: 50, elites: 5 } }).planner).toEqual({ ...PLANNER_DEFAULTS, population: 50, elites: 5 });
    expect(resolveModelBasedConfig({}).planner).toBeNull();
  });

  it('bad values give InvalidConfig naming the field and the expected form', () => {
    const bad: [unknown, RegExp][] = [
      [{ horizon: 0 }, /worldModel\.planner\.horizon to be an integer from 1 to 1000, got 0/],
      [{ population: 1.5 }, /worldModel\.planner\.population to be an integer from 2/],
      [{ iterations: -1 }, /worldModel\.planner\.iterations to be an integer from 1/],
      [{ elites: 0 }, /worldModel\.planner\.elites to be an integer from 1/],
      [{ population: 10, elites: 11 }, /worldModel\.planner\.elites <= population \(10\), got 11/],
      [{ alpha: 1 }, /worldModel\.planner\.alpha to be a number in \[0, 0\.999\]/],
      [{ terminalValue: 'yes' }, /worldModel\.planner\.terminalValue to be a boolean/],
      [{ terminalValueFrom: -1 }, /worldModel\.planner\.terminalValueFrom to be a non-negative integer/],
      [{ actorCandidate: 1 }, /worldModel\.planner\.actorCandidate to be a boolean/],
      [{ noise: -0.1 }, /worldModel\.planner\.noise to be a number in \[0, 10\]/],
      [{ transitions: 'expected' }, /worldModel\.planner\.transitions to be 'sampled', 'mean' or 'member-mean'/],
      [{ horizn: 5 }, /worldModel\.planner config key .*"horizn"/],
    ];
    for (const [config, message] of bad) {
      expect(() => resolvePlannerConfig(config)).toThrow(InvalidConfig);
      expect(() => resolvePlannerConfig(config)).toThrow(message);
    }
    expect(() => resolveModelBasedConfig({ planner: 5 as never })).toThrow(/worldModel\.planner to be null or an object \{ horizon, population/);
    expect(() => resolveModelBasedConfig({ planner: { horizon: 0 } })).toThrow(/worldModel\.planner\.horizon/);
  });

  it('rejects a world model of discrete actions', () => {
    const discrete: WorldModel = { ...pointMass, action: { kind: 'discrete', n: 2, start: 0 } };
    expect(() => new CemPlanner(discrete, resolvePlannerConfig({}), CTX)).toThrow(/continuous actions for the CEM planner, got discrete/);
  });
});
