/**
 * REINFORCE (Williams 1992): grad J = E[grad log pi(a_t|s_t) (G_t - b(s_t))], G_t the discounted reward-to-go, on a batch
 * of whole episodes or of fixed rollouts from N envs (a cut episode's return bootstraps from the baseline, never from the
 * next episode). Baselines: none, a running mean, or a learned V(s) (actor-critic); return normalisation; entropy bonus.
 * Policies: softmax for Discrete and MultiDiscrete; for Box a diagonal Gaussian with a learned log-std, its samples clipped
 * to the bounds (log-probability of the unclipped sample, as SB3) or tanh-squashed into them. Reads top to bottom: config,
 * losses (pure functions), agent, loop (`runOnPolicy`), checkpoints; ALGORITHM marks the algorithm, BOOKKEEPING the rest.
 */
import { join } from 'node:path';
import type { Env } from '../core/env.js';
import { InvalidConfig, InvalidSpace } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { describeSpace, flatdim, type AnySpace } from '../core/spaces.js';
import { gaussianEntropy, gaussianLogProb, multiCategoricalEntropy, multiCategoricalLogProb, sampleGaussian, sampleMultiCategorical, tanhSquash, tanhSquashBackward, type ActionBounds } from '../nn/heads.js';
import { mseLoss } from '../nn/losses.js';
import { createNet } from '../nn/net.js';
import type { NamedArray, Net, NetSpec, Optimizer } from '../nn/types.js';
import type { Agent, LearnOptions, LearnProgress, LearnResult } from './agent.js';
import { checkSavedSpaces, describeEngine, envRecord, learnSpan, makeOptimizer, mlpSpec, ObservationEncoder, RunCounters, requireActionSpace, restoreRngs, saveCheckpoint } from './common.js';
import { bool, int, nullOr, num, oneOf, resolveConfig, widths, type FieldRule } from './config.js';
import { EVAL_SEED_OFFSET, evaluatePolicy, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
import { runOnPolicy, type LoopProgress, type OnPolicyPolicy, type PolicyOutput, type RolloutBuffer, type VecEnvLike } from './loops/index.js';
import { openLearnerVec } from './loops/open-vec.js';
import type { AlgorithmEntry } from './registry.js';
import type { CheckpointContent, LoadedCheckpoint } from '../core/node/checkpoint/checkpoint.js';

// ==== Config ========================================================================================================

/** Everything that defines a REINFORCE run. Defaults (`REINFORCE_DEFAULTS`) follow pytorch/examples' reinforce.py. */
export interface ReinforceConfig {
  /** Discount factor gamma in [0, 1]. */ gamma: number;
  /** Policy optimiser step size. */ learningRate: number;
  /** Value-network optimiser step size (baseline 'value'). */ valueLearningRate: number;
  /** Whole episodes per update (when rolloutLength is null). */ episodesPerUpdate: number;
  /** Steps per env per update, cut episodes bootstrapping from the baseline; null collects whole episodes. */ rolloutLength: number | null;
  /** Envs stepped side by side: the env itself (recorded, drawn) and numEnvs - 1 copies made from its spec. */ numEnvs: number;
  /** Step the envs in worker threads (AsyncVectorEnv) instead of this thread. */ asyncEnvs: boolean;
  /** Baseline b(s): none, an exponential running mean of the returns, or a learned V(s). */ baseline: 'none' | 'mean' | 'value';
  /** Decay of the running-mean baseline per update, in [0, 1). */ baselineDecay: number;
  /** Standardise the weights G_t - b_t over each batch (mean 0, std 1). */ normalizeReturns: boolean;
  /** Entropy bonus coefficient beta (the loss subtracts beta times the mean entropy). */ entropyCoef: number;
  /** Box actions: 'clip' Gaussian samples to the bounds (SB3), or 'tanh'-squash them into finite bounds. */ gaussian: 'clip' | 'tanh';
  /** Initial log standard deviation of the Gaussian policy. */ logStdInit: number;
  /** Global gradient-norm clipping per optimiser; null disables it. */ maxGradNorm: number | null;
  /** Hidden layer widths of the policy and value networks. */ hidden: number[];
  /** Hidden-layer nonlinearity. */ activation: 'relu' | 'tanh' | 'elu';
  /** Optimiser of both networks. */ optimizer: 'adam' | 'rmsprop' | 'sgd';
  /** Network engine: plain Float32Array + SIMD, tfjs, or auto. */ engine: 'auto' | 'plain' | 'tfjs';
  /** tfjs backend for the tfjs engine. */ backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Seed of weights, action sampling and environment resets. */ seed: number;
  /** Environment steps between 'log' metrics records. */ logInterval: number;
}

/** pytorch/examples' REINFORCE (Adam 1e-2, gamma 0.99, one episode per update, normalised returns), net [128]. */
export const REINFORCE_DEFAULTS: Readonly<ReinforceConfig> = Object.freeze({
  gamma: 0.99, learningRate: 1e-2, valueLearningRate: 1e-2, episodesPerUpdate: 1, rolloutLength: null, numEnvs: 1, asyncEnvs: false,
  baseline: 'none', baselineDecay: 0.9, normalizeReturns: true, entropyCoef: 0, gaussian: 'clip', logStdInit: 0,
  maxGradNorm: null, hidden: [128], activation: 'relu', optimizer: 'adam', engine: 'auto', backend: 'auto', seed: 0, logInterval: 1000,
} satisfies ReinforceConfig) as Readonly<ReinforceConfig>;

const positive = num(0, Infinity, true);
const RULES: { readonly [K in keyof ReinforceConfig]: FieldRule } = {
  gamma: [num(0, 1), 'a number in [0, 1]'], learningRate: [positive, 'a positive number'], valueLearningRate: [positive, 'a positive number'],
  episodesPerUpdate: [int(1, 1e6), 'an integer from 1 to 1e6'], rolloutLength: [nullOr(int(1, 1e7)), 'an integer from 1 to 1e7 or null'],
  numEnvs: [int(1, 4096), 'an integer from 1 to 4096'], asyncEnvs: [bool, 'a boolean'], baseline: [oneOf('none', 'mean', 'value'), "'none', 'mean' or 'value'"],
  baselineDecay: [(v) => num(0, 1)(v) && v !== 1, 'a number in [0, 1)'], normalizeReturns: [bool, 'a boolean'],
  entropyCoef: [num(0, Infinity), 'a number >= 0'], gaussian: [oneOf('clip', 'tanh'), "'clip' or 'tanh'"], logStdInit: [num(-20, 2), 'a number in [-20, 2]'],
  maxGradNorm: [nullOr(positive), 'a positive number or null'], hidden: [widths(), 'a non-empty array of positive integers'],
  activation: [oneOf('relu', 'tanh', 'elu'), "'relu', 'tanh' or 'elu'"], optimizer: [oneOf('adam', 'rmsprop', 'sgd'), "'adam', 'rmsprop' or 'sgd'"],
  engine: [oneOf('auto', 'plain', 'tfjs'), "'auto', 'plain' or 'tfjs'"], backend: [oneOf('auto', 'tensorflow', 'wasm', 'cpu'), "'auto', 'tensorflow', 'wasm' or 'cpu'"],
  seed: [int(0, 2 ** 31 - 1), 'an integer from 0 to 2^31 - 1'], logInterval: [int(1), 'a positive integer'],
};

/** Fills defaults and validates every field; throws `InvalidConfig` naming the first bad one or an unknown key. */
export function resolveReinforceConfig(partial: Partial<ReinforceConfig> = {}): ReinforceConfig {
  return resolveConfig('reinforce', RULES, REINFORCE_DEFAULTS, partial);
}

// ==== ALGORITHM: the weights of the score function and the losses, as pure functions ================================

/** Each step's score weight into out (n): A_t = G_t - b_t (b a scalar or n values), standardised over the batch with `normalize`. */
export function scoreWeights(returns: Float32Array, baseline: Float32Array | number, n: number, normalize: boolean, out: Float32Array): Float32Array {
  let mean = 0, v = 0;
  for (let i = 0; i < n; i++) mean += out[i] = returns[i]! - (typeof baseline === 'number' ? baseline : baseline[i]!);
  if (!normalize) return out;
  for (let i = 0; i < n; i++) v += (out[i]! - mean / n) ** 2;
  for (let i = 0; i < n; i++) out[i] = (out[i]! - mean / n) / (Math.sqrt(v / n) + 1e-8);
  return out;
}

/** The policy loss of a batch and the mean entropy of its action distributions. */ export interface PolicyLoss { loss: number; entropy: number }
const f32 = (n: number) => new Float32Array(n);
/** Scratch of the policy losses for n rows and `width` head outputs (allocated once per batch size). */
export const policyLossScratch = (n: number, width: number) => ({ logProb: f32(n), entropy: f32(n), dLogProb: f32(n), dEntropy: f32(n), logDet: f32(n), extra: f32(n * width), squashed: f32(n * width) });
export type PolicyLossScratch = ReturnType<typeof policyLossScratch>;

/**
 * REINFORCE loss of a softmax policy (Discrete: nvec = [k]; MultiDiscrete: a block per sub-action; actions n x nvec.length
 * from 0): L = -(1/n) sum_t A_t log pi(a_t|s_t) - beta (1/n) sum_t H_t; dL/dLogits (n x sum(nvec)) averages to -grad J.
 */
export function categoricalPolicyLoss(
  logits: Float32Array, actions: Int32Array, weights: Float32Array, n: number, nvec: readonly number[], entropyCoef: number, dLogits: Float32Array, s: PolicyLossScratch,
): PolicyLoss {
  for (let i = 0; i < n; i++) s.dLogProb[i] = -weights[i]! / n;
  multiCategoricalLogProb(logits, actions, n, nvec, s.logProb, dLogits, s.dLogProb);
  s.dEntropy.fill(-entropyCoef / n, 0, n);
  multiCategoricalEntropy(logits, n, nvec, s.entropy, s.extra, s.dEntropy);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: entropyCoef >= 0 (the config refuses less), and at 0 the terms added are zeros
  if (entropyCoef > 0) for (let k = 0; k < n * nvec.reduce((a, b) => a + b, 0); k++) dLogits[k]! += s.extra[k]!;
  return total(s, weights, n, entropyCoef, false);
}

/**
 * The same loss for a diagonal Gaussian N(mean, exp(logStd)^2) (logStd: d values shared by the rows) at unsquashed samples
 * u (n x d). With `squash` (tanh into the bounds) log pi(a) = log N(u) - logDet(u), whose gradient at a fixed action is that
 * of log N(u); the entropy is estimated as H(N) + logDet(u) at u = mean + sigma eps. Writes dL/dMean (n x d), dL/dLogStd (d).
 */
export function gaussianPolicyLoss(
  mean: Float32Array, logStd: Float32Array, u: Float32Array, weights: Float32Array, n: number, d: number, entropyCoef: number,
  squash: Required<ActionBounds> | null, dMean: Float32Array, dLogStd: Float32Array, s: PolicyLossScratch,
): PolicyLoss {
  for (let i = 0; i < n; i++) s.dLogProb[i] = -weights[i]! / n;
  gaussianLogProb(mean, logStd, u, n, d, s.logProb, { sharedLogStd: true, dLogProb: s.dLogProb, dMean, dLogStd });
  s.dEntropy.fill(-entropyCoef / n, 0, n);
  gaussianEntropy(logStd, n, d, s.entropy, { sharedLogStd: true, dEntropy: s.dEntropy, dLogStd: s.extra });
  for (let j = 0; j < d; j++) dLogStd[j]! += s.extra[j]!;
  if (!squash) return total(s, weights, n, entropyCoef, false);
  tanhSquash(u, n, d, s.squashed, { ...squash, logDetOut: s.logDet });
  for (let i = 0; i < n; i++) s.entropy[i]! += s.logDet[i]!;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: entropyCoef >= 0 (the config refuses less), and at 0 the terms added are zeros
  if (entropyCoef > 0) {
    // dlogDet/dmean = dlogDet/du; dlogDet/dlogStd = dlogDet/du * sigma eps = dlogDet/du * (u - mean).
    tanhSquashBackward(u, n, d, null, s.extra, { ...squash, dLogDet: s.dEntropy });
    for (let k = 0; k < n * d; k++) dMean[k]! += s.extra[k]!;
    for (let k = 0; k < n * d; k++) dLogStd[k % d]! += s.extra[k]! * (u[k]! - mean[k]!);
  }
  return total(s, weights, n, entropyCoef, true);
}

/** The loss value: -(1/n) sum_t A_t log pi_t - beta (1/n) sum_t H_t, with log pi = log N(u) - logDet when squashed. */
function total(s: PolicyLossScratch, weights: Float32Array, n: number, entropyCoef: number, squashed: boolean): PolicyLoss {
  let score = 0, entropy = 0;
  for (let i = 0; i < n; i++) score -= weights[i]! * (s.logProb[i]! - (squashed ? s.logDet[i]! : 0));
  for (let i = 0; i < n; i++) entropy += s.entropy[i]!;
  return { loss: (score - entropyCoef * entropy) / n, entropy: entropy / n };
}

/** The critic's loss: mean (V(s_t) - G_t)^2 over n rows, gradient into dValues (n). */
export const valueLoss = (values: Float32Array, returns: Float32Array, n: number, dValues: Float32Array): number => mseLoss(values, returns, n, dValues);

/** Env actions from Gaussian samples u (n x d): clipped to [low, high], or tanh-squashed into them. */
export function gaussianToAction(u: Float32Array, n: number, d: number, bounds: Required<ActionBounds>, squash: boolean, out: Float32Array): Float32Array {
  if (squash) tanhSquash(u, n, d, out, bounds);
  else for (let k = 0; k < n * d; k++) out[k] = Math.min(bounds.high[k % d]!, Math.max(bounds.low[k % d]!, u[k]!));
  return out;
}

// ==== Agent =========================================================================================================
type Head = { kind: 'categorical'; nvec: number[]; start: number[]; width: number } | { kind: 'gaussian'; d: number; bounds: Required<ActionBounds>; squash: boolean; width: number };

/** A REINFORCE agent: the shared `Agent` roles plus its networks. Make one with `reinforce()` or `loadAgent()`. */
export interface ReinforceAgent<O = unknown, A = unknown> extends Agent<O, A> {
  readonly config: Readonly<ReinforceConfig>;
  /** Logits (softmax) or Gaussian means; the Gaussian log-std (a bias read at input 0, else null); V(s) (baseline 'value', else null). */
  readonly policy: Net; readonly logStd: Net | null; readonly value: Net | null;
  /** The running-mean baseline (baseline 'mean'; 0 before the first update). */ readonly baselineMean: number;
  /** One update on a collected rollout (actions as the env takes them); returns the policy loss. */ update(rollout: RolloutBuffer): number;
}

/** The policy network's and (baseline 'value') the value network's specs for `env`. */
export function reinforceNetSpecs(env: Env<unknown, unknown>, c: ReinforceConfig): NetSpec[] {
  const mlp = (outputs: number, seed: number) => mlpSpec([flatdim(env.observationSpace as AnySpace)], { ...c, torso: 'mlp', outputs, seed });
  return [mlp(headOf(env.actionSpace as AnySpace, c).width, c.seed), ...(c.baseline === 'value' ? [mlp(1, c.seed + 1)] : [])];
}

function headOf(space: AnySpace, c: ReinforceConfig): Head {
  if (space.kind === 'discrete') return { kind: 'categorical', nvec: [space.n], start: [space.start], width: space.n };
  if (space.kind === 'multi-discrete') return { kind: 'categorical', nvec: [...space.nvec], start: [...space.start], width: space.nvec.reduce((a, b) => a + b, 0) };
  const box = space as Extract<AnySpace, { kind: 'box' }>;
  if (box.dtype !== 'float32' && box.dtype !== 'float64') throw new InvalidSpace(`Expected a float Box action space for reinforce, got ${describeSpace(space)}.`);
  if (c.gaussian === 'tanh' && !box.low.concat(box.high).every(Number.isFinite)) throw new InvalidConfig(`Expected finite action bounds for reinforce.gaussian 'tanh', got ${describeSpace(space)}. Use gaussian 'clip'.`);
  return { kind: 'gaussian', d: box.low.length, bounds: { low: Float32Array.from(box.low), high: Float32Array.from(box.high) }, squash: c.gaussian === 'tanh', width: box.low.length };
}

/** Builds a REINFORCE agent for `env` (Discrete, MultiDiscrete or Box actions); throws `InvalidSpace` or `InvalidConfig`. */
export function reinforce<O, A>(env: Env<O, A>, config: Partial<ReinforceConfig> = {}): ReinforceAgent<O, A> {
  return new Reinforce(env, resolveReinforceConfig(config));
}

/** Rows per update a config expects (an episode counted as 500 steps), for the engine choice. */ const batchOf = (c: ReinforceConfig): number => (c.rolloutLength ?? 500 * c.episodesPerUpdate) * c.numEnvs;
class Reinforce<O, A> implements ReinforceAgent<O, A> {
  readonly algo = 'reinforce';
  readonly policy: Net; readonly logStd: Net | null = null; readonly value: Net | null;
  readonly counters = new RunCounters();
  /** The running mean of the returns (baseline 'mean'); null before the first update. */ private runningMean: number | null = null;
  private readonly head: Head;
  private readonly opt: Optimizer; // the policy's (and the log-std's)
  private readonly valueOpt: Optimizer | null;
  private readonly obs: ObservationEncoder<O>;
  private readonly actRng: Rng;
  /** What runOnPolicy drives: sampling, and the baseline's bootstrap values. */ readonly onPolicy: OnPolicyPolicy;
  metrics = { entropy: NaN, policyLoss: NaN, valueLoss: NaN };
  // BOOKKEEPING: scratch (and option objects: a literal per call allocates) for acting on numEnvs rows and for updates.
  private readonly s: { zero: Float32Array; std: Float32Array; row: Float32Array; raw: Float32Array; idx: Int32Array; shared: { sharedLogStd: true }; squash: ActionBounds & { logDetOut: Float32Array } };
  private b = batchScratch(0, 1, 1, 1);
  constructor(readonly env: Env<O, A>, readonly config: ReinforceConfig) {
    requireActionSpace('reinforce', env as Env<unknown, unknown>, ['discrete', 'multi-discrete', 'box']);
    const c = config;
    if (c.numEnvs > 1 && !env.spec) throw new InvalidConfig(`Expected an env made by make() (with a spec to copy) for reinforce.numEnvs ${c.numEnvs}, got one without a spec. Use numEnvs 1.`);
    const h = (this.head = headOf(env.actionSpace as AnySpace, c));
    this.obs = new ObservationEncoder(env.observationSpace);
    this.actRng = new Rng(c.seed).fork();
    const [policySpec, valueSpec] = reinforceNetSpecs(env as Env<unknown, unknown>, c);
    this.policy = createNet(policySpec!, { engine: c.engine, batchSize: batchOf(c) });
    this.value = valueSpec ? createNet(valueSpec, { engine: c.engine, batchSize: batchOf(c) }) : null;
    if (h.kind === 'gaussian') {
      // A state-independent parameter vector: a dense layer read at input 0, so its kernel gets zero gradient and only the bias learns.
      this.logStd = createNet({ input: 1, layers: [{ kind: 'dense', units: h.d }], seed: c.seed }, { engine: 'plain' });
      this.logStd.setParams([{ name: '0/dense/kernel', shape: [1, h.d], data: f32(h.d) }, { name: '0/dense/bias', shape: [h.d], data: f32(h.d).fill(c.logStdInit) }]);
    }
    this.opt = makeOptimizer(c.optimizer, this.logStd ? [this.policy, this.logStd] : [this.policy], c.learningRate, c.maxGradNorm);
    this.valueOpt = this.value ? makeOptimizer(c.optimizer, [this.value], c.valueLearningRate, c.maxGradNorm) : null;
    this.s = { zero: f32(1), std: f32(h.width), row: f32(h.width), raw: f32(c.numEnvs * h.width), idx: new Int32Array(c.numEnvs * h.width), shared: { sharedLogStd: true }, squash: { ...(h.kind === 'gaussian' ? h.bounds : {}), logDetOut: f32(c.numEnvs) } };
    // The baseline's estimate of the return after a cut or a truncation (N observations): V(s), or the running mean.
    const bootstrap = (obs: Float32Array, out: Float32Array): void => void (this.value ? this.value.predict(obs, out.length, out) : out.fill(this.baselineMean));
    this.onPolicy = { act: (obs, out) => this.sample(obs, out), ...(c.baseline !== 'none' ? { value: bootstrap } : {}) };
  }
  get step(): number { return this.counters.step; }
  get episodes(): number { return this.counters.episodes; }
  get updates(): number { return this.counters.updates; }
  get baselineMean(): number { return this.runningMean ?? 0; }
  /** The deterministic action: each block's most likely action, or the Gaussian mean clipped or squashed into the bounds. */
  act(obs: O): A {
    const raw = this.policy.predict(this.obs.encode(obs), 1, this.s.row);
    const h = this.head;
    if (h.kind === 'gaussian') return gaussianToAction(raw, 1, h.d, h.bounds, h.squash, f32(h.d)) as A;
    const out = new Int32Array(h.nvec.length);
    for (let b = 0, col = 0; b < h.nvec.length; col += h.nvec[b]!, b++) {
      let best = 0;
      for (let j = 1; j < h.nvec[b]!; j++) if (raw[col + j]! > raw[col + best]!) best = j;
      out[b] = best + h.start[b]!;
    }
    return ((this.env.actionSpace as AnySpace).kind === 'discrete' ? out[0] : out) as A;
  }
  /** V(s) with baseline 'value', the running mean with 'mean', nothing with 'none'. */
  values(obs: O): Float32Array {
    const out = f32(this.config.baseline === 'none' ? 0 : 1);
    if (out.length > 0) this.onPolicy.value!(this.obs.encode(obs), out);
    return out;
  }
  // ALGORITHM: the behaviour policy on N flattened observations: sample, record log pi(a|s) (no values: the update recomputes V).
  private sample(obs: Float32Array, out: PolicyOutput): void {
    const { head: h, s } = this;
    const n = out.logProbs.length;
    const raw = this.policy.predict(obs, n, s.raw);
    if (h.kind === 'categorical') {
      sampleMultiCategorical(raw, n, h.nvec, this.actRng, s.idx);
      multiCategoricalLogProb(raw, s.idx, n, h.nvec, out.logProbs);
      for (let k = 0, m = h.nvec.length; k < n * m; k++) out.actions[k] = s.idx[k]! + h.start[k % m]!;
      return;
    }
    // The loop stores the unsquashed, unclipped samples u; makeVec() maps them to env actions.
    const u = out.actions as Float32Array;
    const logStd = this.logStd!.predict(s.zero, 1, s.std);
    sampleGaussian(raw, logStd, n, h.d, this.actRng, u, s.shared);
    gaussianLogProb(raw, logStd, u, n, h.d, out.logProbs, s.shared);
    if (!h.squash) return;
    tanhSquash(u, n, h.d, s.raw, s.squash);
    for (let i = 0; i < n; i++) out.logProbs[i]! -= s.squash.logDetOut[i]!;
  }
  // ALGORITHM: one update: reward-to-go, weights G - b, the policy step, then the critic's step.
  update(r: RolloutBuffer): number {
    const { config: c, head: h } = this;
    const { size: n, actionDim: m } = r;
    if (n === 0) return NaN;
    r.computeReturns(c.gamma);
    if (this.b.n < n) this.b = batchScratch(Math.max(n, 2 * this.b.n), r.obsDim, m, h.width);
    const b = this.b;
    // Gather the envs' segments into contiguous rows (the buffer is env-major with gaps); actions count from 0.
    for (let i = 0, k = 0; i < r.numEnvs; i++) for (let t = 0; t < r.lengths[i]!; t++, k++) {
      const row = r.row(i, t);
      b.obs.set(r.obs.subarray(row * r.obsDim, (row + 1) * r.obsDim), k * r.obsDim);
      for (let j = 0; j < m; j++) b.u[k * m + j] = r.actions[row * m + j]!;
      if (h.kind === 'categorical') for (let j = 0; j < m; j++) b.actions[k * m + j] = r.actions[row * m + j]! - h.start[j]!;
      b.returns[k] = r.returns[row]!;
    }
    const obs = b.obs.subarray(0, n * r.obsDim);
    const v = this.value ? this.value.forward(obs, n, b.values) : null;
    scoreWeights(b.returns, v ?? (c.baseline === 'mean' ? this.baselineMean : 0), n, c.normalizeReturns, b.weights);
    const out = this.policy.forward(obs, n);
    const pl = h.kind === 'categorical'
      ? categoricalPolicyLoss(out, b.actions, b.weights, n, h.nvec, c.entropyCoef, b.dOut, b.loss)
      : gaussianPolicyLoss(out, this.logStd!.forward(this.s.zero, 1), b.u, b.weights, n, h.d, c.entropyCoef, h.squash ? h.bounds : null, b.dOut, b.dLogStd, b.loss);
    if (this.logStd) this.logStd.backward(b.dLogStd, 1);
    this.policy.backward(b.dOut, n);
    this.opt.step();
    this.metrics = { entropy: pl.entropy, policyLoss: pl.loss, valueLoss: v ? valueLoss(v, b.returns, n, b.dValues) : NaN };
    if (v) this.value!.backward(b.dValues, n);
    this.valueOpt?.step();
    // Later batches' baseline: an exponential running mean of each batch's mean return (the first batch sets it).
    const mean = b.returns.subarray(0, n).reduce((a, x) => a + x, 0) / n;
    if (c.baseline === 'mean') this.runningMean = this.runningMean === null ? mean : c.baselineDecay * this.runningMean + (1 - c.baselineDecay) * mean;
    this.counters.updates++;
    return pl.loss;
  }
  // The loop: runOnPolicy collects episodes or rollouts from one env or N, and calls update().
  async learn(options: LearnOptions<O, A>): Promise<LearnResult> {
    const { config: c, counters: k } = this;
    const { startStep, steps, totalSteps } = learnSpan(options, k.step);
    k.totalSteps = totalSteps;
    const engine = await describeEngine(this.policy);
    (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(`reinforce: engine ${engine}`);
    const consumers = options.consumers ?? [];
    const report = (p: LoopProgress, metrics: Record<string, number>): LearnProgress => ({ ...p, totalSteps, startStep, meanReturn: k.meanReturn, metrics });
    let sums = [0, 0, 0, 0]; // entropy, policy loss, value loss, updates since the last log record
    let lastEpisodeAt = performance.now();
    const result = await runOnPolicy(await this.makeVec(consumers.length > 0 || options.onReset !== undefined), {
      steps, policy: this.onPolicy, update: (r) => this.update(r), hooks: options.periodic ?? [],
      collect: c.rolloutLength !== null ? { rolloutLength: c.rolloutLength } : { episodes: c.episodesPerUpdate },
      onEpisode: (e) => {
        k.addEpisode(Math.max(e.episode, k.episodes - 1), e.return); // with N envs, env 0's index may come after higher ones
        options.onEpisode?.({ ...e, step: e.globalStep - 1, seconds: (performance.now() - lastEpisodeAt) / 1000, metrics: { entropy: this.metrics.entropy } });
        lastEpisodeAt = performance.now();
      },
      onProgress: (p) => {
        const { entropy, policyLoss, valueLoss } = this.metrics;
        const logDue = Math.floor(p.step / c.logInterval) > Math.floor(k.step / c.logInterval);
        Object.assign(k, { step: p.step, updates: p.updates, episodes: p.episodes });
        sums = [sums[0]! + entropy, sums[1]! + policyLoss, sums[2]! + valueLoss, sums[3]! + 1];
        options.onProgress?.(report(p, { entropy, policyLoss, valueLoss }));
        // Every logInterval steps: the metrics averaged over the updates since the last record.
        if (logDue) options.onLog?.(report(p, { entropy: sums[0]! / sums[3]!, policyLoss: sums[1]! / sums[3]!, valueLoss: sums[2]! / sums[3]! }));
        if (logDue) sums = [0, 0, 0, 0];
      },
      startStep, startEpisodes: k.episodes, startUpdates: k.updates, seed: (c.seed + startStep) % 2 ** 31,
      ...(options.signal ? { signal: options.signal } : {}), consumers, ...(options.onReset ? { onReset: options.onReset } : {}),
    });
    Object.assign(k, { step: result.step, episodes: result.episodes, updates: result.updates });
    return { ...result, engine };
  }
  /** The env as env 0 of numEnvs (tapped for consumers: the CLI draws `this.env`); Box actions are the samples clipped or squashed. */
  private async makeVec(tap: boolean): Promise<VecEnvLike> {
    const { config: { numEnvs, asyncEnvs }, head: h } = this;
    const vec = await openLearnerVec('reinforce', this.env, { numEnvs, asyncEnvs, tap, wrap: null });
    if (h.kind !== 'gaussian') return vec;
    const u = f32(numEnvs * h.d);
    return {
      numEnvs, obsDim: vec.obsDim, actDim: vec.actDim, singleActionSpace: vec.singleActionSpace, actionBuffer: u, envs: vec.envs as VecEnvLike['envs'],
      reset: (args) => vec.reset(args), close: () => vec.close(),
      step: () => vec.step(gaussianToAction(u, numEnvs, h.d, h.bounds, h.squash, vec.actionBuffer as Float32Array)),
    };
  }
  evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
    return evaluatePolicy((options.env ?? this.env) as Env<O, A>, (obs) => this.act(obs), { ...options, seed: options.seed ?? this.config.seed + EVAL_SEED_OFFSET });
  }
  // BOOKKEEPING: checkpoints through the generic run layer.
  private nets(): [string, Net][] { return [['policy', this.policy], ['logStd', this.logStd], ['value', this.value]].filter((e): e is [string, Net] => e[1] !== null); }
  snapshot(): Record<string, NamedArray[]> { return Object.fromEntries(this.nets().map(([name, net]) => [name, net.getParams()])); }
  restoreSnapshot(nets: Record<string, NamedArray[]>): void { for (const [name, net] of this.nets()) if (nets[name]) net.setParams(nets[name]); }
  dispose(): void { for (const [, net] of this.nets()) net.dispose(); }
  async save(dir: string, options: { replay?: boolean; selection?: CheckpointContent['selection'] } = {}): Promise<void> {
    await saveCheckpoint(dir, {
      algo: 'reinforce', step: this.counters.step, config: this.config, env: envRecord(this.env as Env<unknown, unknown>), nets: this.snapshot(),
      optimizers: { policy: this.opt.getState(), ...(this.valueOpt ? { value: this.valueOpt.getState() } : {}) }, rngs: { act: this.actRng.getState() },
      counters: { ...this.counters.toJSON(), runningMean: this.runningMean }, selection: options.selection ?? null,
    }, null);
  }
  /** Restores a checkpoint read by `readCheckpoint` into this agent (same config shape); returns the agent. */
  restore(saved: LoadedCheckpoint): this {
    this.restoreSnapshot(saved.nets);
    if (saved.optimizers['policy']) this.opt.setState(saved.optimizers['policy']);
    if (saved.optimizers['value']) this.valueOpt?.setState(saved.optimizers['value']);
    restoreRngs(saved, { act: this.actRng });
    this.counters.restore(saved.counters, saved.dir);
    this.runningMean = typeof saved.counters['runningMean'] === 'number' ? saved.counters['runningMean'] : null;
    return this;
  }
}

/** The update's scratch for n rows (grown when a batch is larger; never per step). */
function batchScratch(n: number, obsDim: number, actDim: number, width: number) {
  return { n, obs: f32(n * obsDim), actions: new Int32Array(n * actDim), u: f32(n * actDim), returns: f32(n), values: f32(n), weights: f32(n), dValues: f32(n), dOut: f32(n * width), dLogStd: f32(width), loss: policyLossScratch(n, width) };
}

/** A REINFORCE agent from a checkpoint already read (`loadAgent()` reads it once and dispatches here). */
export async function restoreReinforce<O, A>(saved: LoadedCheckpoint, env: Env<O, A>, overrides: Partial<ReinforceConfig> = {}): Promise<ReinforceAgent<O, A>> {
  if (saved.algo !== 'reinforce') throw new InvalidConfig(`Expected a reinforce checkpoint, got one of '${saved.algo}' at ${saved.dir}. Load it with loadAgent().`);
  checkSavedSpaces(saved.env, env as Env<unknown, unknown>, join(saved.dir, 'state.json'));
  return new Reinforce(env, resolveReinforceConfig({ ...(saved.config as Partial<ReinforceConfig>), ...overrides })).restore(saved);
}

/** The algorithm registry's entry for REINFORCE. */
export const REINFORCE_ENTRY: AlgorithmEntry = {
  name: 'reinforce', summary: 'REINFORCE (score function; baselines none, mean or V(s)) for Discrete, MultiDiscrete and Box actions',
  actionSpaces: ['discrete', 'multi-discrete', 'box'], configKeys: Object.keys(RULES), defaults: REINFORCE_DEFAULTS, resolveConfig: (partial) => resolveReinforceConfig(partial as Partial<ReinforceConfig>),
  netSpecs: (env, config) => reinforceNetSpecs(env, config as ReinforceConfig).map((spec) => ({ spec, batchSize: batchOf(config as ReinforceConfig) })),
  create: (env, config) => reinforce(env, config as ReinforceConfig), restore: (saved, env, overrides) => restoreReinforce(saved, env, overrides as Partial<ReinforceConfig>),
  progressFields: [{ key: 'entropy', label: 'entropy', digits: 3 }, { key: 'policyLoss', label: 'pi loss', digits: 4 }, { key: 'valueLoss', label: 'v loss', digits: 3 }], episodeFields: ['entropy'],
};
