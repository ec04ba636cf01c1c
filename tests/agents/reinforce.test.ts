import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseEnv, type Env, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidConfig, InvalidSpace } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { box, discrete, multiBinary, type BoxSpace, type DiscreteSpace, type MultiBinarySpace } from '../../core/spaces.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { sampleCategorical } from '../../nn/heads.js';
import type { OnPolicyPolicy } from '../../agents/loops/on-policy.js';
import { RolloutBuffer, discountedReturns } from '../../agents/loops/rollout.js';
import { readCheckpoint } from '../../core/node/checkpoint/checkpoint.js';
import {
  REINFORCE_DEFAULTS, categoricalPolicyLoss, gaussianPolicyLoss, gaussianToAction, policyLossScratch, reinforce, resolveReinforceConfig,
  restoreReinforce, scoreWeights, valueLoss, type ReinforceAgent, type ReinforceConfig,
} from '../../agents/reinforce.js';

const quiet = { log: () => {} };
const f32 = (...xs: number[]) => Float32Array.from(xs);
const cartpole = () => make('CartPole-v1') as unknown as Env<Float32Array, number>;

/** One step: observe c ~ U(-1, 1), act a in [-bound, bound], reward -(a - c)^2. Optimum 0; ignoring c (a = 0) earns -1/3. */
class TargetEnv extends BaseEnv<Float32Array, Float32Array> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: -1, high: 1, shape: [1] });
  readonly actionSpace: BoxSpace<'float32'>;
  /** Every action value the env was given. */
  readonly seen: number[] = [];
  private c = 0;
  constructor(bound = 2) {
    super();
    this.actionSpace = box({ low: -bound, high: bound, shape: [1] });
  }
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    this.c = this.rng.uniform(-1, 1);
    return { obs: f32(this.c), info: {} };
  }
  step(action: Float32Array): StepResult<Float32Array> {
    this.seen.push(action[0]!);
    return { obs: f32(this.c), reward: -((action[0]! - this.c) ** 2), terminated: true, truncated: false, info: {} };
  }
}

/** Discrete(3, start -1) actions on a 2-float observation (for the action offset); never stepped. */
class OffsetEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: -5, high: 5, shape: [2] });
  readonly actionSpace: DiscreteSpace = discrete(3, { start: -1 });
  reset(): ResetResult<Float32Array> { return { obs: f32(0, 0), info: {} }; }
  step(): StepResult<Float32Array> { return { obs: f32(0, 0), reward: 0, terminated: true, truncated: false, info: {} }; }
}

class BitsEnv extends BaseEnv<Float32Array, Uint8Array> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: 0, high: 1, shape: [1] });
  readonly actionSpace: MultiBinarySpace = multiBinary(3);
  reset(): ResetResult<Float32Array> { return { obs: f32(0), info: {} }; }
  step(): StepResult<Float32Array> { return { obs: f32(0), reward: 0, terminated: true, truncated: false, info: {} }; }
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-reinforce-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveReinforceConfig and bad input', () => {
  it("fills pytorch/examples' defaults", () => {
    expect(resolveReinforceConfig()).toEqual(REINFORCE_DEFAULTS);
    expect(REINFORCE_DEFAULTS).toMatchObject({ gamma: 0.99, learningRate: 1e-2, hidden: [128], normalizeReturns: true, baseline: 'none', rolloutLength: null });
  });

  it('refuses a bad field when the agent is made, naming it and the expected form', () => {
    const bad: [Partial<ReinforceConfig>, string][] = [
      [{ gamma: 2 }, 'Expected reinforce.gamma to be a number in [0, 1], got 2.'],
      [{ baseline: 'critic' as 'value' }, `Expected reinforce.baseline to be 'none', 'mean' or 'value', got "critic".`],
      [{ rolloutLength: 0 }, 'Expected reinforce.rolloutLength to be an integer from 1 to 1e7 or null, got 0.'],
      [{ baselineDecay: 1 }, 'Expected reinforce.baselineDecay to be a number in [0, 1), got 1.'],
      [{ entropyCoef: -0.1 }, 'Expected reinforce.entropyCoef to be a number >= 0, got -0.1.'],
      [{ numEnvs: 1.5 }, 'Expected reinforce.numEnvs to be an integer from 1 to 4096, got 1.5.'],
      [{ gaussian: 'squash' as 'tanh' }, `Expected reinforce.gaussian to be 'clip' or 'tanh', got "squash".`],
    ];
    for (const [config, message] of bad) expect(() => reinforce(cartpole(), config)).toThrow(new InvalidConfig(message));
    expect(() => reinforce(cartpole(), { learningrate: 1 } as Partial<ReinforceConfig>)).toThrow(/got "learningrate". Did you mean "learningRate"\?$/);
  });

  it('refuses what the env cannot support: tanh on unbounded actions, several envs without a spec to copy', () => {
    const unbounded = new TargetEnv(Infinity);
    expect(() => reinforce(unbounded, { gaussian: 'tanh' })).toThrow(/^Expected finite action bounds for reinforce.gaussian 'tanh', got Box\(/);
    expect(() => reinforce(new TargetEnv(), { numEnvs: 4 })).toThrow(/^Expected an env made by make\(\) \(with a spec to copy\) for reinforce.numEnvs 4/);
  });

  it('names the action spaces it takes when given another', () => {
    const err = (() => { try { reinforce(new BitsEnv()); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InvalidSpace);
    expect((err as Error).message).toMatch(/^Expected a discrete or multi-discrete or box action space for reinforce, got MultiBinary\(3\)\./);
  });
});

describe('scoreWeights: A_t = G_t - b_t, optionally standardised', () => {
  const G = f32(1, 2, 3, 6);
  it('subtracts a scalar (running mean) or per-step (V(s)) baseline', () => {
    expect(Array.from(scoreWeights(G, 1, 4, false, new Float32Array(4)))).toEqual([0, 1, 2, 5]);
    expect(Array.from(scoreWeights(G, f32(1, 1, 4, 4), 4, false, new Float32Array(4)))).toEqual([0, 1, -1, 2]);
  });
  it('standardises over the batch: mean 3, std sqrt(3.5)', () => {
    const w = scoreWeights(G, 0, 4, true, new Float32Array(4));
    const s = Math.sqrt(3.5);
    [-2 / s, -1 / s, 0, 3 / s].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 6));
  });
});

describe('categoricalPolicyLoss: hand-computed values', () => {
  // One row, logits [0, ln 3]: p = [0.25, 0.75], action 1, weight 2.
  const logits = f32(0, Math.log(3));
  const H = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
  it('score term: L = -A log p(a), dL/dlogits = -A (onehot(a) - p)', () => {
    const d = new Float32Array(2);
    const r = categoricalPolicyLoss(logits, Int32Array.of(1), f32(2), 1, [2], 0, d, policyLossScratch(1, 2));
    expect(r.loss).toBeCloseTo(-2 * Math.log(0.75), 6);
    expect(r.entropy).toBeCloseTo(H, 6);
    expect(d[0]).toBeCloseTo(0.5, 6);
    expect(d[1]).toBeCloseTo(-0.5, 6);
  });
  it('entropy bonus: L - beta H, dL/dlogit_j += beta p_j (log p_j + H)', () => {
    const d = new Float32Array(2);
    const beta = 0.1;
    const r = categoricalPolicyLoss(logits, Int32Array.of(1), f32(2), 1, [2], beta, d, policyLossScratch(1, 2));
    expect(r.loss).toBeCloseTo(-2 * Math.log(0.75) - beta * H, 6);
    expect(d[0]).toBeCloseTo(0.5 + beta * 0.25 * (Math.log(0.25) + H), 6);
    expect(d[1]).toBeCloseTo(-0.5 + beta * 0.75 * (Math.log(0.75) + H), 6);
  });
  it('averages over rows, and MultiDiscrete adds the blocks: log pi = log p0(a0) + log p1(a1)', () => {
    // Two rows of two blocks [3, 2]; row 0 takes (2, 0) with A = 1, row 1 takes (0, 1) with A = -3; zero logits.
    const d = new Float32Array(10);
    const r = categoricalPolicyLoss(new Float32Array(10), Int32Array.of(2, 0, 0, 1), f32(1, -3), 2, [3, 2], 0, d, policyLossScratch(2, 5));
    const lp = Math.log(1 / 3) + Math.log(1 / 2);
    expect(r.loss).toBeCloseTo(-(1 * lp - 3 * lp) / 2, 6);
    expect(r.entropy).toBeCloseTo(Math.log(3) + Math.log(2), 6);
    // Row 0: -(1/2)(onehot - p) per block; row 1: +(3/2)(onehot - p).
    const want = [1 / 6, 1 / 6, -1 / 3, -1 / 4, 1 / 4, 1, -1 / 2, -1 / 2, -3 / 4, 3 / 4];
    want.forEach((x, i) => expect(d[i]).toBeCloseTo(x, 6));
  });
});

describe('gaussianPolicyLoss: hand-computed values', () => {
  const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
  it('clip form: log N(u) of the unclipped sample; dMean = -A (u - mu) / sigma^2, dLogStd = -A ((u - mu)^2 / sigma^2 - 1)', () => {
    const dMean = new Float32Array(1);
    const dLogStd = new Float32Array(1);
    const r = gaussianPolicyLoss(f32(0.5), f32(Math.log(2)), f32(2.5), f32(3), 1, 1, 0, null, dMean, dLogStd, policyLossScratch(1, 1));
    // z = (2.5 - 0.5) / 2 = 1: log N = -0.5 - ln 2 - 0.5 ln 2 pi.
    expect(r.loss).toBeCloseTo(-3 * (-0.5 - Math.log(2) - HALF_LOG_2PI), 5);
    expect(dMean[0]).toBeCloseTo(-3 * (2 / 4), 6);
    expect(dLogStd[0]).toBeCloseTo(0, 6);
    expect(r.entropy).toBeCloseTo(Math.log(2) + 0.5 + HALF_LOG_2PI, 6);
  });
  it('clip form with an entropy bonus: dLogStd gets -beta per row, the shared log-std sums the rows', () => {
    const dMean = new Float32Array(2);
    const dLogStd = new Float32Array(1);
    gaussianPolicyLoss(f32(0, 0), f32(0), f32(2, -1), f32(1, 1), 2, 1, 0.5, null, dMean, dLogStd, policyLossScratch(2, 1));
    // Rows: dMean = -(1/2) u; dLogStd = -(1/2)(u^2 - 1) summed = -(3 + 0)/2, plus -0.5 (beta, averaged over rows).
    expect(Array.from(dMean)).toEqual([-1, 0.5]);
    expect(dLogStd[0]).toBeCloseTo(-1.5 - 0.5, 6);
  });
  it('tanh form: log pi(a) = log N(u) - logDet(u); the score gradient is that of log N(u); the entropy bonus adds logDet', () => {
    const squash = { low: f32(-2), high: f32(2) };
    const u = 0.7;
    const dMean = new Float32Array(1);
    const dLogStd = new Float32Array(1);
    const beta = 0.2;
    const r = gaussianPolicyLoss(f32(0.2), f32(0), f32(u), f32(1), 1, 1, beta, squash, dMean, dLogStd, policyLossScratch(1, 1));
    const logDet = Math.log(1 - Math.tanh(u) ** 2) + Math.log(2); // (high - low) / 2 = 2
    const logN = -0.5 * 0.25 - HALF_LOG_2PI;
    const H = 0.5 + HALF_LOG_2PI + logDet;
    expect(r.entropy).toBeCloseTo(H, 5);
    expect(r.loss).toBeCloseTo(-(logN - logDet) - beta * H, 5);
    // dlogDet/du = -2 tanh(u); u - mean = 0.5 = sigma eps.
    expect(dMean[0]).toBeCloseTo(-0.5 - beta * -2 * Math.tanh(u), 5);
    expect(dLogStd[0]).toBeCloseTo(-(0.25 - 1) - beta - beta * -2 * Math.tanh(u) * 0.5, 5);
  });
  it('maps samples to env actions: clipped, or squashed into the bounds', () => {
    const b = { low: f32(-1, 0), high: f32(1, 4) };
    expect(Array.from(gaussianToAction(f32(3, -2), 1, 2, b, false, new Float32Array(2)))).toEqual([1, 0]);
    const sq = gaussianToAction(f32(0, 0.5), 1, 2, b, true, new Float32Array(2));
    expect(sq[0]).toBeCloseTo(0, 6);
    expect(sq[1]).toBeCloseTo(2 + 2 * Math.tanh(0.5), 5);
  });
  it('valueLoss is the mean squared error with gradient 2 (V - G) / n', () => {
    const d = new Float32Array(2);
    expect(valueLoss(f32(1, 4), f32(2, 2), 2, d)).toBeCloseTo(2.5, 6);
    expect(Array.from(d)).toEqual([-1, 2]);
  });
});

/** Mean and standard error of per-sample gradient contributions. */
function meanSe(xs: Float64Array): { mean: number; se: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, se: Math.sqrt(v / xs.length) };
}

describe('the score-function gradient matches finite differences of the expected return (closed form)', () => {
  const N = 100_000;
  it('two-armed bandit: J(theta) = sum_a softmax(theta)_a r_a, with and without a constant baseline', () => {
    const theta = [0.3, -0.4];
    const r = [1, 0.2];
    const J = (t: number[]) => {
      const e = t.map(Math.exp);
      return (e[0]! * r[0]! + e[1]! * r[1]!) / (e[0]! + e[1]!);
    };
    const h = 1e-5;
    const fd = [0, 1].map((j) => (J(theta.map((x, k) => x + (k === j ? h : 0))) - J(theta.map((x, k) => x - (k === j ? h : 0)))) / (2 * h));
    const logits = new Float32Array(2 * N);
    for (let i = 0; i < N; i++) logits.set(theta, 2 * i);
    const actions = sampleCategorical(logits, N, 2, new Rng(7), new Int32Array(N));
    for (const baseline of [0, 0.6]) {
      const w = new Float32Array(N);
      for (let i = 0; i < N; i++) w[i] = r[actions[i]!]! - baseline;
      const d = new Float32Array(2 * N);
      categoricalPolicyLoss(logits, actions, w, N, [2], 0, d, policyLossScratch(N, 2));
      for (const j of [0, 1]) {
        // Each row's contribution to grad J is -N dL/dlogit (the loss averages over rows).
        const g = new Float64Array(N);
        for (let i = 0; i < N; i++) g[i] = -N * d[2 * i + j]!;
        const { mean, se } = meanSe(g);
        expect(Math.abs(mean - fd[j]!)).toBeLessThan(4 * se);
        expect(se).toBeLessThan(0.01); // tight enough that a wrong sign or scale fails
      }
    }
  });

  it('one-step Gaussian task: J(mu, s) = E[-(a - c)^2] = -((mu - c)^2 + e^(2s))', () => {
    const c = 0.8;
    const mu = 0.1;
    const s = -0.3;
    const J = (m: number, ls: number) => -((m - c) ** 2 + Math.exp(2 * ls));
    const h = 1e-5;
    const fdMu = (J(mu + h, s) - J(mu - h, s)) / (2 * h);
    const fdS = (J(mu, s + h) - J(mu, s - h)) / (2 * h);
    const rng = new Rng(3);
    const u = new Float32Array(N);
    for (let i = 0; i < N; i++) u[i] = mu + Math.exp(s) * rng.normal();
    const w = u.map((x) => -((x - c) ** 2));
    const dMean = new Float32Array(N);
    const dLogStd = new Float32Array(1);
    gaussianPolicyLoss(new Float32Array(N).fill(mu), f32(s), u, w, N, 1, 0, null, dMean, dLogStd, policyLossScratch(N, 1));
    const gMu = meanSe(Float64Array.from(dMean, (x) => -N * x));
    expect(Math.abs(gMu.mean - fdMu)).toBeLessThan(4 * gMu.se);
    // The shared log-std's gradient is summed over the rows; its per-row terms are A ((u - mu)^2 / sigma^2 - 1).
    const gS = meanSe(Float64Array.from(u, (x, i) => w[i]! * ((x - mu) ** 2 / Math.exp(2 * s) - 1)));
    expect(-dLogStd[0]!).toBeCloseTo(gS.mean, 3);
    expect(Math.abs(gS.mean - fdS)).toBeLessThan(4 * gS.se);
  });

  it('tanh-squashed Gaussian: J = integral of r(tanh(u)) N(u; mu, sigma) du (quadrature), the logDet term drops out', () => {
    const mu = 0.4;
    const s = -0.5;
    const reward = (a: number) => -((a - 0.5) ** 2) + a; // any smooth reward of the squashed action
    const J = (m: number, ls: number) => {
      // Simpson's rule over mu +- 10 sigma.
      const sd = Math.exp(ls);
      const K = 4000;
      const lo = m - 10 * sd;
      const dx = (20 * sd) / K;
      let sum = 0;
      for (let k = 0; k <= K; k++) {
        const x = lo + k * dx;
        const f = reward(Math.tanh(x)) * Math.exp(-0.5 * ((x - m) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));
        sum += f * (k === 0 || k === K ? 1 : k % 2 === 1 ? 4 : 2);
      }
      return (sum * dx) / 3;
    };
    const h = 1e-4;
    const fdMu = (J(mu + h, s) - J(mu - h, s)) / (2 * h);
    const fdS = (J(mu, s + h) - J(mu, s - h)) / (2 * h);
    const rng = new Rng(11);
    const u = new Float32Array(N);
    for (let i = 0; i < N; i++) u[i] = mu + Math.exp(s) * rng.normal();
    const w = u.map((x) => reward(Math.tanh(x)));
    const dMean = new Float32Array(N);
    const dLogStd = new Float32Array(1);
    gaussianPolicyLoss(new Float32Array(N).fill(mu), f32(s), u, w, N, 1, 0, { low: f32(-1), high: f32(1) }, dMean, dLogStd, policyLossScratch(N, 1));
    const gMu = meanSe(Float64Array.from(dMean, (x) => -N * x));
    expect(Math.abs(gMu.mean - fdMu)).toBeLessThan(4 * gMu.se);
    const gS = meanSe(Float64Array.from(u, (x, i) => w[i]! * ((x - mu) ** 2 / Math.exp(2 * s) - 1)));
    expect(-dLogStd[0]!).toBeCloseTo(gS.mean, 3);
    expect(Math.abs(gS.mean - fdS)).toBeLessThan(4 * gS.se);
  });
});

/** A hand-filled rollout: env 0 has 3 steps ending in a termination, env 1 two steps ending in a truncation. */
function handRollout(kind: 'discrete' | 'continuous', obsDim: number, actions: number[][], rewardScale = 1): RolloutBuffer {
  const r = new RolloutBuffer({ numEnvs: 2, capacity: 4, obsDim, actionKind: kind });
  const steps = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]] as const;
  steps.forEach(([i, t], k) => {
    const row = r.row(i, t);
    for (let j = 0; j < obsDim; j++) r.obs[row * obsDim + j] = 0.3 * k - 0.5 * j;
    r.actions[row] = actions[i]![t]!;
    r.rewards[row] = (1 + k) * rewardScale;
  });
  r.terminated[r.row(0, 2)] = 1;
  r.truncated[r.row(1, 1)] = 1;
  r.nextValues[r.row(1, 1)] = 4; // the baseline's value of the final observation
  r.lengths.set([3, 2]);
  return r;
}

/** The contiguous rows of a hand rollout (env 0's steps, then env 1's) and its reward-to-go. */
function rows(r: RolloutBuffer, gamma: number): { obs: Float32Array; actions: number[]; returns: Float32Array } {
  const obs = new Float32Array(5 * r.obsDim);
  const actions: number[] = [];
  const returns = new Float32Array(5);
  let k = 0;
  for (let i = 0; i < 2; i++) {
    const s = r.segment(i);
    const g = discountedReturns(s.rewards, s.terminated, s.truncated, s.nextValues, gamma, new Float32Array(r.lengths[i]!));
    for (let t = 0; t < r.lengths[i]!; t++, k++) {
      obs.set(r.obs.subarray(r.row(i, t) * r.obsDim, (r.row(i, t) + 1) * r.obsDim), k * r.obsDim);
      actions.push(r.actions[r.row(i, t)]!);
      returns[k] = g[t]!;
    }
  }
  return { obs, actions, returns };
}

describe('ReinforceAgent.update: the wiring of returns, baselines, loss and optimisers on a hand-made rollout', () => {
  const lr = 0.05;
  it('Discrete (start -1), value baseline, normalisation, entropy bonus: one SGD step on each network', () => {
    const agent = reinforce(new OffsetEnv(), { optimizer: 'sgd', learningRate: lr, valueLearningRate: 2 * lr, hidden: [5], baseline: 'value', entropyCoef: 0.05, gamma: 0.9, seed: 4 });
    const policy = agent.policy.clone();
    const value = agent.value!.clone();
    const r = handRollout('discrete', 2, [[-1, 1, 0], [1, -1]]);
    const { obs, actions, returns } = rows(r, 0.9);
    // Env 1 truncated: its last return bootstraps from 4; env 0's never sees env 1's steps.
    expect(returns[4]).toBeCloseTo(5 + 0.9 * 4, 5);
    expect(returns[2]).toBe(3);
    // The expected step, written out: weights from V before its update, one SGD step per network.
    const v = value.forward(obs, 5);
    const w = scoreWeights(returns, v, 5, true, new Float32Array(5));
    const dLogits = new Float32Array(15);
    categoricalPolicyLoss(policy.forward(obs, 5), Int32Array.from(actions, (a) => a + 1), w, 5, [3], 0.05, dLogits, policyLossScratch(5, 3));
    policy.backward(dLogits, 5);
    const dV = new Float32Array(5);
    const vl = valueLoss(v, returns, 5, dV);
    value.backward(dV, 5);
    const loss = agent.update(r);
    expect(Number.isFinite(loss)).toBe(true);
    expect(agent.updates).toBe(1);
    expectClose(agent.policy.params, policy.params.map((p, i) => p - lr * policy.grads[i]!));
    expectClose(agent.value!.params, value.params.map((p, i) => p - 2 * lr * value.grads[i]!));
    expect((agent as unknown as { metrics: { valueLoss: number } }).metrics.valueLoss).toBeCloseTo(vl, 5);
  });

  it('running-mean baseline: the first batch sets it, later ones decay into it; each update uses the one before it', () => {
    const agent = reinforce(new OffsetEnv(), { optimizer: 'sgd', learningRate: lr, hidden: [5], baseline: 'mean', baselineDecay: 0.75, normalizeReturns: false, gamma: 0.5 });
    const r = handRollout('discrete', 2, [[0, 1, 1], [-1, 0]]);
    const { obs, actions, returns } = rows(r, 0.5);
    // gamma 0.5: env 0 G = [1 + 0.5 (2 + 0.5 * 3), 2 + 1.5, 3] = [2.75, 3.5, 3]; env 1 G = [4 + 0.5 * 7, 5 + 0.5 * 4] = [7.5, 7].
    expect(Array.from(returns)).toEqual([2.75, 3.5, 3, 7.5, 7]);
    const expectStep = (G: Float32Array, b: number) => {
      const policy = agent.policy.clone();
      const d = new Float32Array(15);
      categoricalPolicyLoss(policy.forward(obs, 5), Int32Array.from(actions, (a) => a + 1), scoreWeights(G, b, 5, false, new Float32Array(5)), 5, [3], 0, d, policyLossScratch(5, 3));
      policy.backward(d, 5);
      return policy.params.map((p, i) => p - lr * policy.grads[i]!);
    };
    let want = expectStep(returns, 0);
    agent.update(r);
    expectClose(agent.policy.params, want);
    expect(agent.baselineMean).toBeCloseTo(4.75, 6);
    expect(Array.from(agent.values(f32(0, 0)))).toEqual([agent.baselineMean]);
    // A second batch with doubled rewards, G = [5.5, 7, 6, 14, 12] (mean 8.9), is weighed against the first batch's baseline.
    const r2 = handRollout('discrete', 2, [[0, 1, 1], [-1, 0]], 2);
    const returns2 = rows(r2, 0.5).returns;
    expect(Array.from(returns2)).toEqual([5.5, 7, 6, 14, 12]);
    want = expectStep(returns2, 4.75);
    agent.update(r2);
    expectClose(agent.policy.params, want);
    expect(agent.baselineMean).toBeCloseTo(0.75 * 4.75 + 0.25 * 8.9, 5);
  });

  it('Box, tanh form: the stored samples u, the log-std net (a bias at input 0) and the policy take one step', () => {
    const agent = reinforce(new TargetEnv(2), { optimizer: 'sgd', learningRate: lr, hidden: [5], gaussian: 'tanh', entropyCoef: 0.1, normalizeReturns: false, logStdInit: -0.5 });
    expect(Array.from(agent.logStd!.predict(f32(0), 1))).toEqual([-0.5]);
    const policy = agent.policy.clone();
    const r = handRollout('continuous', 1, [[2.5, -0.3, 0.1], [-4, 1]]);
    const { obs, actions, returns } = rows(r, 0.99);
    const dMean = new Float32Array(5);
    const dLogStd = new Float32Array(1);
    gaussianPolicyLoss(policy.forward(obs, 5), f32(-0.5), Float32Array.from(actions), returns, 5, 1, 0.1, { low: f32(-2), high: f32(2) }, dMean, dLogStd, policyLossScratch(5, 1));
    policy.backward(dMean, 5);
    agent.update(r);
    expectClose(agent.policy.params, policy.params.map((p, i) => p - lr * policy.grads[i]!));
    expect(agent.logStd!.predict(f32(0), 1)[0]).toBeCloseTo(-0.5 - lr * dLogStd[0]!, 6);
    // The kernel of the log-std layer (input 0) never moves.
    expect(agent.logStd!.params[0]).toBe(0);
  });
});

function expectClose(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst).toBeLessThan(1e-6);
}

describe('acting', () => {
  it('act() is deterministic: argmax plus the space start; the Gaussian mean clipped or squashed into the bounds', () => {
    const agent = reinforce(new OffsetEnv(), { hidden: [4] });
    const logits = agent.policy.predict(f32(0.2, -1), 1);
    expect(agent.act(f32(0.2, -1))).toBe(logits.indexOf(Math.max(...logits)) - 1);
    for (const gaussian of ['clip', 'tanh'] as const) {
      const g = reinforce(new TargetEnv(0.01), { hidden: [4], gaussian });
      const mean = g.policy.predict(f32(0.5), 1)[0]!;
      const a = g.act(f32(0.5))[0]!;
      expect(a).toBeCloseTo(gaussian === 'clip' ? Math.min(0.01, Math.max(-0.01, mean)) : 0.01 * Math.tanh(mean), 6);
    }
  });

  it('values(): V(s) from the critic, nothing without a baseline', () => {
    const v = reinforce(cartpole(), { baseline: 'value', hidden: [4] });
    const obs = f32(0.01, 0.2, -0.03, 0.1);
    expect(Array.from(v.values(obs))).toEqual(Array.from(v.value!.predict(obs, 1)));
    const none = reinforce(cartpole(), { hidden: [4] });
    expect(none.values(obs).length).toBe(0);
    // Without a baseline a cut or truncated return bootstraps from 0: the loop gets no value function.
    expect((none as unknown as { onPolicy: OnPolicyPolicy }).onPolicy.value).toBeUndefined();
  });

  it('the env gets clipped (or squashed) actions; the update sees the unclipped samples', async () => {
    for (const gaussian of ['clip', 'tanh'] as const) {
      const env = new TargetEnv(0.5);
      const agent = reinforce(env, { hidden: [4], gaussian, logStdInit: 1, rolloutLength: 50 });
      let widest = 0;
      const update = agent.update.bind(agent);
      agent.update = (r) => {
        for (let i = 0; i < r.size; i++) widest = Math.max(widest, Math.abs(r.actions[i]!));
        return update(r);
      };
      // The consumers see each action as the env took it (a copy each: the action buffer is reused).
      const taken: Float32Array[] = [];
      await agent.learn({ steps: 200, ...quiet, consumers: [(source) => source.pipe(tap((tr) => void taken.push(tr.action)))] });
      expect(widest).toBeGreaterThan(0.5);
      expect(taken.map((a) => a[0])).toEqual(env.seen);
      expect(new Set(taken).size).toBe(taken.length);
      expect(Math.max(...env.seen.map(Math.abs))).toBeLessThanOrEqual(0.5);
      if (gaussian === 'clip') expect(env.seen.filter((a) => Math.abs(a) === 0.5).length).toBeGreaterThan(10);
    }
  });
});

describe('recording', () => {
  it('consumers and onReset change nothing about the run: 2 envs, env 0 the agent env, episodes numbered as logged', async () => {
    const c = { numEnvs: 2, rolloutLength: 16, hidden: [8], seed: 1 };
    const plain = reinforce(cartpole(), c);
    const env = cartpole();
    const watched = reinforce(env, c);
    const logged = new Map<number, number>();
    const recorded = new Map<number, number>();
    const resets: number[] = [];
    await plain.learn({ steps: 1200, ...quiet });
    await watched.learn({
      steps: 1200, ...quiet,
      onEpisode: (e) => void logged.set(e.episode, e.length),
      consumers: [(source) => source.pipe(tap((tr) => { if (tr.terminated || tr.truncated) recorded.set(tr.episode, tr.t + 1); }))],
      onReset: (obs, ctx) => { expect(Math.max(...Array.from(obs, Math.abs))).toBeLessThanOrEqual(0.05); resets.push(ctx.episode); },
    });
    expect(Array.from(watched.policy.params)).toEqual(Array.from(plain.policy.params));
    expect(watched.episodes).toBe(plain.episodes);
    expect(recorded.size).toBeGreaterThan(5);
    for (const [k, length] of recorded) expect(logged.get(k)).toBe(length);
    expect(resets.slice(0, recorded.size)).toEqual([...recorded.keys()]);
  });
});

describe('determinism and resume', () => {
  const runs: [string, () => Env<unknown, unknown>, Partial<ReinforceConfig>][] = [
    ['whole episodes, no baseline', cartpole as () => Env<unknown, unknown>, {}],
    ['4 envs x 32-step rollouts, value baseline', cartpole as () => Env<unknown, unknown>, { numEnvs: 4, rolloutLength: 32, baseline: 'value', entropyCoef: 0.01 }],
    ['2 episodes per update, running mean', cartpole as () => Env<unknown, unknown>, { episodesPerUpdate: 2, baseline: 'mean' }],
    ['tanh Gaussian', () => new TargetEnv() as Env<unknown, unknown>, { gaussian: 'tanh', rolloutLength: 16, entropyCoef: 0.01 }],
  ];
  for (const [name, makeEnv, config] of runs) {
    it(`${name}: the same seed gives the same run; save, load and continue match an uninterrupted run bit for bit`, async () => {
      const c = { ...config, hidden: [16], seed: 3 };
      const a = reinforce(makeEnv(), c);
      const twin = reinforce(makeEnv(), c);
      await a.learn({ steps: 1500, ...quiet });
      await twin.learn({ steps: 1500, ...quiet });
      expect(Array.from(twin.policy.params)).toEqual(Array.from(a.policy.params));
      const other = reinforce(makeEnv(), { ...c, seed: 4 });
      await other.learn({ steps: 1500, ...quiet });
      expect(Array.from(other.policy.params)).not.toEqual(Array.from(a.policy.params));

      const dir = join(root, name.replace(/\W+/g, '-'));
      await a.save(dir);
      const b: ReinforceAgent<unknown, unknown> = await restoreReinforce(await readCheckpoint(dir), makeEnv());
      expect(b.step).toBe(a.step);
      expect(b.updates).toBe(a.updates);
      expect(b.baselineMean).toBe(a.baselineMean);
      await a.learn({ steps: 1000, ...quiet });
      await b.learn({ steps: 1000, ...quiet });
      expect(b.step).toBe(a.step);
      expect(b.episodes).toBe(a.episodes);
      expect(Array.from(b.policy.params)).toEqual(Array.from(a.policy.params));
      for (const k of ['value', 'logStd'] as const) if (a[k]) expect(Array.from(b[k]!.params)).toEqual(Array.from(a[k]!.params));
    });
  }

  it('refuses a checkpoint of another algorithm or for other spaces', async () => {
    const dir = join(root, 'spaces');
    await reinforce(cartpole(), { hidden: [4] }).save(dir);
    const saved = await readCheckpoint(dir);
    await expect(restoreReinforce(saved, make('Acrobot-v1'))).rejects.toThrow(/^Expected an environment whose observation space is Box\(.*\) \(as saved for CartPole-v1\)/);
    await expect(restoreReinforce({ ...saved, algo: 'dqn' }, cartpole())).rejects.toThrow(/^Expected a reinforce checkpoint, got one of 'dqn'/);
  });
});

describe('reinforce learns', () => {
  it('CartPole-v1 with the defaults: the 100-episode running mean reaches 475 on two seeds', async () => {
    for (const seed of [1, 2]) {
      const agent = reinforce(cartpole(), { seed });
      const stop = new AbortController();
      await agent.learn({
        steps: 400_000, signal: stop.signal, ...quiet,
        onEpisode: () => { if (agent.episodes >= 100 && (agent as unknown as { counters: { meanReturn: number } }).counters.meanReturn >= 475) stop.abort(); },
      });
      expect(stop.signal.aborted).toBe(true);
      expect((await agent.evaluate({ episodes: 5, env: cartpole() })).mean).toBeGreaterThan(400);
    }
  });

  it('Gaussian policy, one-step target task: close to the optimum 0 (ignoring the target earns -1/3), clip and tanh forms', async () => {
    for (const gaussian of ['clip', 'tanh'] as const) {
      const agent = reinforce(new TargetEnv(2), { gaussian, rolloutLength: 64, baseline: 'value', learningRate: 3e-3, hidden: [32], seed: 1 });
      const before = await agent.evaluate({ episodes: 200, env: new TargetEnv(2) });
      await agent.learn({ steps: 30_000, ...quiet });
      const after = await agent.evaluate({ episodes: 200, env: new TargetEnv(2) });
      expect(after.mean).toBeGreaterThan(-0.02);
      expect(before.mean).toBeLessThan(-0.1);
      expect(agent.logStd!.predict(f32(0), 1)[0]).toBeLessThan(-1); // the policy narrowed
    }
  });
});
