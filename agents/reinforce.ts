/**
 * REINFORCE (Williams 1992): grad J = E[grad log pi(a_t|s_t) (G_t - b(s_t))] with the discounted reward-to-go G_t, on
 * a batch of whole episodes or of fixed rollouts from N envs (a cut episode's return bootstraps from the baseline,
 * never from the next episode). Baselines: none, a running mean, or a learned V(s) (the actor-critic form); return
 * normalisation; an entropy bonus. Policies: softmax for Discrete and MultiDiscrete; for Box a diagonal Gaussian with
 * a learned log-std, its samples clipped to the bounds (log-probability of the unclipped sample, as SB3) or
 * tanh-squashed into them. Reads top to bottom: config, weights and losses (pure functions), agent, loop
 * (`runOnPolicy`), saving and loading; ALGORITHM marks the algorithm, BOOKKEEPING the rest.
 */
import { join } from 'node:path';
import type { Env } from '../core/env.js';
import { InvalidConfig, InvalidSpace } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { describeSpace, flatdim, type AnySpace } from '../core/spaces.js';
import { SyncVectorEnv } from '../envs/vector.js';
import { gaussianEntropy, gaussianLogProb, multiCategoricalEntropy, multiCategoricalLogProb, sampleGaussian, sampleMultiCategorical, tanhSquash, tanhSquashBackward, type ActionBounds } from '../nn/heads.js';
import { mseLoss } from '../nn/losses.js';
import { createNet } from '../nn/net.js';
import type { NamedArray, Net, NetSpec, Optimizer } from '../nn/types.js';
import type { Agent, LearnOptions, LearnProgress, LearnResult } from './agent.js';
import { checkSavedSpaces, describeEngine, envRecord, learnSpan, makeOptimizer, mlpSpec, ObservationEncoder, RunCounters, requireActionSpace, restoreRngs, saveCheckpoint } from './common.js';
import { bool, int, nullOr, num, oneOf, resolveConfig, widths, type FieldRule } from './config.js';
import { evaluatePolicy, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
import { runOnPolicy, type OnPolicyPolicy, type PolicyOutput, type VecEnvLike } from './loops/on-policy.js';
import type { RolloutBuffer } from './loops/rollout.js';
import { SingleEnvVec } from './loops/single-env-vec.js';
import type { AlgorithmEntry } from './registry.js';
import type { CheckpointContent, LoadedCheckpoint } from './runs/checkpoint.js';

// =========================================================================================================
// Config
// =========================================================================================================

/** Everything that defines a REINFORCE run. Defaults (`REINFORCE_DEFAULTS`) follow pytorch/examples' reinforce.py. */
export interface ReinforceConfig {
  /** Discount factor gamma in [0, 1]. */ gamma: number;
  /** Policy optimiser step size. */ learningRate: number;
  /** Value-network optimiser step size (baseline 'value'). */ valueLearningRate: number;
  /** Whole episodes per update (when rolloutLength is null). */ episodesPerUpdate: number;
  /** Steps per env per update, cut episodes bootstrapping from the baseline; null collects whole episodes. */ rolloutLength: number | null;
  /** Envs stepped side by side (copies made with make() from the env's spec when above 1). */ numEnvs: number;
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
  gamma: 0.99, learningRate: 1e-2, valueLearningRate: 1e-2, episodesPerUpdate: 1, rolloutLength: null, numEnvs: 1,
  baseline: 'none', baselineDecay: 0.9, normalizeReturns: true, entropyCoef: 0, gaussian: 'clip', logStdInit: 0,
  maxGradNorm: null, hidden: [128], activation: 'relu', optimizer: 'adam', engine: 'auto', backend: 'auto', seed: 0, logInterval: 1000,
} satisfies ReinforceConfig) as Readonly<ReinforceConfig>;

const positive = num(0, Infinity, true);
const RULES: { readonly [K in keyof ReinforceConfig]: FieldRule } = {
  gamma: [num(0, 1), 'a number in [0, 1]'], learningRate: [positive, 'a positive number'], valueLearningRate: [positive, 'a positive number'],
  episodesPerUpdate: [int(1, 1e6), 'an integer from 1 to 1e6'], rolloutLength: [nullOr(int(1, 1e7)), 'an integer from 1 to 1e7 or null'],
  numEnvs: [int(1, 4096), 'an integer from 1 to 4096'], baseline: [oneOf('none', 'mean', 'value'), "'none', 'mean' or 'value'"],
  baselineDecay: [(v) => num(0, 1)(v) && v !== 1, 'a number in [0, 1)'], normalizeReturns: [bool, 'a boolean'],
  entropyCoef: [num(0, Infinity), 'a number >= 0'], gaussian: [oneOf('clip', 'tanh'), "'clip' or 'tanh'"], logStdInit: [num(-20, 2), 'a number in [-20, 2]'],
  maxGradNorm: [nullOr(positive), 'a positive number or null'], hidden: [widths(), 'a non-empty array of integers from 1 to 65536'],
  activation: [oneOf('relu', 'tanh', 'elu'), "'relu', 'tanh' or 'elu'"], optimizer: [oneOf('adam', 'rmsprop', 'sgd'), "'adam', 'rmsprop' or 'sgd'"],
  engine: [oneOf('auto', 'plain', 'tfjs'), "'auto', 'plain' or 'tfjs'"], backend: [oneOf('auto', 'tensorflow', 'wasm', 'cpu'), "'auto', 'tensorflow', 'wasm' or 'cpu'"],
  seed: [int(0, 2 ** 31 - 1), 'an integer from 0 to 2^31 - 1'], logInterval: [int(1), 'a positive integer'],
};

/** The config fields, in documentation order. */
export const REINFORCE_CONFIG_KEYS = Object.keys(RULES) as (keyof ReinforceConfig)[];
/** Fills defaults and validates every field; throws `InvalidConfig` naming the first bad one or an unknown key. */
export function resolveReinforceConfig(partial: Partial<ReinforceConfig> = {}): ReinforceConfig {
  return resolveConfig('reinforce', RULES, REINFORCE_DEFAULTS, partial);
}

// =========================================================================================================
// ALGORITHM: the weights of the score function and the losses, as pure functions
// =========================================================================================================

/**
 * The weight of each step's score, into out (n): A_t = G_t - b_t with b a scalar (running mean) or n values (V(s_t)),
 * then, with `normalize`, standardised over the batch: (A_t - mean) / (std + 1e-8). Returns out.
 */
export function scoreWeights(returns: Float32Array, baseline: Float32Array | number, n: number, normalize: boolean, out: Float32Array): Float32Array {
  let mean = 0;
  let v = 0;
  for (let i = 0; i < n; i++) mean += out[i] = returns[i]! - (typeof baseline === 'number' ? baseline : baseline[i]!);
  if (!normalize) return out;
  for (let i = 0; i < n; i++) v += (out[i]! - mean / n) ** 2;
  for (let i = 0; i < n; i++) out[i] = (out[i]! - mean / n) / (Math.sqrt(v / n) + 1e-8);
  return out;
}

/** The policy loss of a batch and the mean entropy of its action distributions. */
export interface PolicyLoss { loss: number; entropy: number }
const f32 = (n: number) => new Float32Array(n);
/** Scratch of the policy losses for n rows and `width` head outputs (allocated once per batch size). */
export const policyLossScratch = (n: number, width: number) => ({ logProb: f32(n), entropy: f32(n), dLogProb: f32(n), dEntropy: f32(n), logDet: f32(n), extra: f32(n * width), squashed: f32(n * width) });
export type PolicyLossScratch = ReturnType<typeof policyLossScratch>;

/**
 * REINFORCE loss of a softmax policy (Discrete: nvec = [k]; MultiDiscrete: one block per sub-action, actions n x
 * nvec.length from 0): L = -(1/n) sum_t A_t log pi(a_t|s_t) - beta (1/n) sum_t H(pi(.|s_t)). Writes dL/dLogits
 * (n x sum(nvec)); its expectation (A_t = G_t) is minus the gradient of the expected return.
 */
export function categoricalPolicyLoss(
  logits: Float32Array, actions: Int32Array, weights: Float32Array, n: number, nvec: readonly number[], entropyCoef: number, dLogits: Float32Array, s: PolicyLossScratch,
): PolicyLoss {
  for (let i = 0; i < n; i++) s.dLogProb[i] = -weights[i]! / n;
  multiCategoricalLogProb(logits, actions, n, nvec, s.logProb, dLogits, s.dLogProb);
  s.dEntropy.fill(-entropyCoef / n, 0, n);
  multiCategoricalEntropy(logits, n, nvec, s.entropy, s.extra, s.dEntropy);
  if (entropyCoef > 0) for (let k = 0; k < n * nvec.reduce((a, b) => a + b, 0); k++) dLogits[k]! += s.extra[k]!;
  return total(s, weights, n, entropyCoef, false);
}

/**
 * REINFORCE loss of a diagonal Gaussian N(mean, exp(logStd)^2) (logStd: d values shared by the rows) at the
 * unsquashed samples u (n x d), L as above. With `squash` (tanh into the bounds) log pi(a) = log N(u) - logDet(u),
 * whose gradient at a fixed action is that of log N(u); the squashed action's entropy is estimated as
 * H(N) + logDet(u) at u = mean + sigma eps (reparameterised). Writes dL/dMean (n x d) and dL/dLogStd (d).
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
  if (entropyCoef > 0) {
    // dlogDet/dmean = dlogDet/du; dlogDet/dlogStd = dlogDet/du * sigma eps = dlogDet/du * (u - mean).
    tanhSquashBackward(u, n, d, null, s.extra, { ...squash, dLogDet: s.dEntropy });
    for (let k = 0; k < n * d; k++) {
      dMean[k]! += s.extra[k]!;
      dLogStd[k % d]! += s.extra[k]! * (u[k]! - mean[k]!);
    }
  }
  return total(s, weights, n, entropyCoef, true);
}

/** The loss value: -(1/n) sum_t A_t log pi_t - beta (1/n) sum_t H_t, with log pi = log N(u) - logDet when squashed. */
function total(s: PolicyLossScratch, weights: Float32Array, n: number, entropyCoef: number, squashed: boolean): PolicyLoss {
  let score = 0;
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    score -= weights[i]! * (s.logProb[i]! - (squashed ? s.logDet[i]! : 0));
    entropy += s.entropy[i]!;
  }
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

// =========================================================================================================
// Agent
// =========================================================================================================

type Head = { kind: 'categorical'; nvec: number[]; start: number[]; width: number } | { kind: 'gaussian'; d: number; bounds: Required<ActionBounds>; squash: boolean; width: number };

/** A REINFORCE agent: the shared `Agent` roles plus its networks. Make one with `reinforce()` or `loadAgent()`. */
export interface ReinforceAgent<O = unknown, A = unknown> extends Agent<O, A> {
  readonly config: Readonly<ReinforceConfig>;
  /** Logits (softmax) or Gaussian means; the Gaussian log-std (a bias read at input 0, else null); V(s) (baseline 'value', else null). */
  readonly policy: Net; readonly logStd: Net | null; readonly value: Net | null;
  /** The running-mean baseline (baseline 'mean'; 0 before the first update). */
  readonly baselineMean: number;
  /** One update on a collected rollout (actions as the env takes them); returns the policy loss. */
  update(rollout: RolloutBuffer): number;
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
  if (c.gaussian === 'tanh' && !box.low.concat(box.high).every(Number.isFinite)) {
    throw new InvalidConfig(`Expected finite action bounds for reinforce.gaussian 'tanh', got ${describeSpace(space)}. Use gaussian 'clip'.`);
  }
  return { kind: 'gaussian', d: box.low.length, bounds: { low: Float32Array.from(box.low), high: Float32Array.from(box.high) }, squash: c.gaussian === 'tanh', width: box.low.length };
}

/** Builds a REINFORCE agent for `env` (Discrete, MultiDiscrete or Box actions); throws `InvalidSpace` or `InvalidConfig`. */
export function reinforce<O, A>(env: Env<O, A>, config: Partial<ReinforceConfig> = {}): ReinforceAgent<O, A> {
  return new Reinforce(env, resolveReinforceConfig(config));
}

const EVAL_SEED_OFFSET = 1_000_000;
const batchOf = (c: ReinforceConfig): number => (c.rolloutLength ?? 500 * c.episodesPerUpdate) * c.numEnvs;

class Reinforce<O, A> implements ReinforceAgent<O, A> {
  readonly algo = 'reinforce';
  readonly policy: Net;
  readonly logStd: Net | null = null;
  readonly value: Net | null;
  readonly counters = new RunCounters();
  baselineMean = 0;
  private baselineSeen = false;
  private readonly head: Head;
  private readonly opt: Optimizer;
  private readonly valueOpt: Optimizer | null;
  private readonly obs: ObservationEncoder<O>;
  private readonly actRng: Rng;
  /** What runOnPolicy drives: sampling, and the baseline's bootstrap values. */
  readonly onPolicy: OnPolicyPolicy;
  metrics = { entropy: NaN, policyLoss: NaN, valueLoss: NaN };
  // BOOKKEEPING: scratch for acting (numEnvs rows) and for updates (grown to the largest batch, never per step).
  private readonly zero = f32(1);
  private readonly s: { std: Float32Array; row: Float32Array; raw: Float32Array; idx: Int32Array; logDet: Float32Array };
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
      const bias = this.logStd.paramShapes().find((p) => p.name.endsWith('bias'))!;
      this.logStd.params.fill(0).fill(c.logStdInit, bias.offset, bias.offset + bias.size);
      this.logStd.paramsChanged();
    }
    this.opt = makeOptimizer(c.optimizer, this.logStd ? [this.policy, this.logStd] : [this.policy], c.learningRate, c.maxGradNorm);
    this.valueOpt = this.value ? makeOptimizer(c.optimizer, [this.value], c.valueLearningRate, c.maxGradNorm) : null;
    this.s = { std: f32(h.width), row: f32(h.width), raw: f32(c.numEnvs * h.width), idx: new Int32Array(c.numEnvs * h.width), logDet: f32(c.numEnvs) };
    this.onPolicy = { act: (obs, out) => this.sample(obs, out), ...(c.baseline !== 'none' ? { value: (obs: Float32Array, out: Float32Array) => this.bootstrap(obs, out) } : {}) };
  }

  get step(): number { return this.counters.step; }
  get episodes(): number { return this.counters.episodes; }
  get updates(): number { return this.counters.updates; }

  /** The deterministic action: each block's most likely action, or the Gaussian mean clipped or squashed into the bounds. */
  act(obs: O): A {
    const raw = this.policy.predict(this.obs.encode(obs), 1, this.s.row);
    const h = this.head;
    if (h.kind === 'gaussian') return gaussianToAction(raw, 1, h.d, h.bounds, h.squash, new Float32Array(h.d)) as A;
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
    if (this.value) return this.value.predict(this.obs.encode(obs), 1, new Float32Array(1));
    return this.config.baseline === 'mean' ? Float32Array.of(this.baselineMean) : new Float32Array(0);
  }

  // ALGORITHM: the behaviour policy on N flattened observations: sample, and record log pi(a|s). No values are
  // recorded: the update recomputes V(s) with the current critic.
  private sample(obs: Float32Array, out: PolicyOutput): void {
    const h = this.head;
    const n = out.logProbs.length;
    const s = this.s;
    const raw = this.policy.predict(obs, n, s.raw);
    if (h.kind === 'categorical') {
      sampleMultiCategorical(raw, n, h.nvec, this.actRng, s.idx);
      multiCategoricalLogProb(raw, s.idx, n, h.nvec, out.logProbs);
      for (let k = 0, m = h.nvec.length; k < n * m; k++) out.actions[k] = s.idx[k]! + h.start[k % m]!;
      return;
    }
    // The loop stores the unsquashed, unclipped samples u; makeVec() maps them to env actions.
    const u = out.actions as Float32Array;
    const logStd = this.logStd!.predict(this.zero, 1, s.std);
    sampleGaussian(raw, logStd, n, h.d, this.actRng, u, { sharedLogStd: true });
    gaussianLogProb(raw, logStd, u, n, h.d, out.logProbs, { sharedLogStd: true });
    if (!h.squash) return;
    tanhSquash(u, n, h.d, s.raw, { ...h.bounds, logDetOut: s.logDet });
    for (let i = 0; i < n; i++) out.logProbs[i]! -= s.logDet[i]!;
  }

  /** The baseline's estimate of the return after a cut or a truncation: V(s), or the running mean. */
  private bootstrap(obs: Float32Array, out: Float32Array): void {
    if (this.value) this.value.predict(obs, out.length, out);
    else out.fill(this.baselineMean);
  }

  // ALGORITHM: one update: reward-to-go, weights G - b, the policy step, then the critic's step.
  update(r: RolloutBuffer): number {
    const c = this.config;
    const h = this.head;
    const n = r.size;
    if (n === 0) return NaN;
    r.computeReturns(c.gamma);
    if (this.b.n < n) this.b = batchScratch(Math.max(n, 2 * this.b.n), r.obsDim, r.actionDim, h.width);
    const b = this.b;
    // Gather the envs' segments into contiguous rows (the buffer is env-major with gaps); actions count from 0.
    for (let i = 0, k = 0; i < r.numEnvs; i++) {
      for (let t = 0; t < r.lengths[i]!; t++, k++) {
        const row = r.row(i, t);
        b.obs.set(r.obs.subarray(row * r.obsDim, (row + 1) * r.obsDim), k * r.obsDim);
        for (let j = 0, m = r.actionDim; j < m; j++) {
          if (h.kind === 'categorical') b.actions[k * m + j] = r.actions[row * m + j]! - h.start[j]!;
          else b.u[k * m + j] = r.actions[row * m + j]!;
        }
        b.returns[k] = r.returns[row]!;
      }
    }
    const obs = b.obs.subarray(0, n * r.obsDim);
    const v = this.value ? this.value.forward(obs, n, b.values) : null;
    scoreWeights(b.returns, v ?? (c.baseline === 'mean' ? this.baselineMean : 0), n, c.normalizeReturns, b.weights);
    const out = this.policy.forward(obs, n);
    let pl: PolicyLoss;
    if (h.kind === 'categorical') {
      pl = categoricalPolicyLoss(out, b.actions, b.weights, n, h.nvec, c.entropyCoef, b.dOut, b.loss);
    } else {
      pl = gaussianPolicyLoss(out, this.logStd!.forward(this.zero, 1), b.u, b.weights, n, h.d, c.entropyCoef, h.squash ? h.bounds : null, b.dOut, b.dLogStd, b.loss);
      this.logStd!.backward(b.dLogStd, 1);
    }
    this.policy.backward(b.dOut, n);
    this.opt.step();
    this.metrics = { entropy: pl.entropy, policyLoss: pl.loss, valueLoss: NaN };
    if (v) {
      this.metrics.valueLoss = valueLoss(v, b.returns, n, b.dValues);
      this.value!.backward(b.dValues, n);
      this.valueOpt!.step();
    }
    if (c.baseline === 'mean') {
      // Later batches' baseline: an exponential running mean of each batch's mean return (the first batch sets it).
      const mean = b.returns.subarray(0, n).reduce((a, x) => a + x, 0) / n;
      this.baselineMean = this.baselineSeen ? c.baselineDecay * this.baselineMean + (1 - c.baselineDecay) * mean : mean;
      this.baselineSeen = true;
    }
    this.counters.updates++;
    return pl.loss;
  }

  // The loop: runOnPolicy collects episodes or rollouts from one env or N, and calls update().
  async learn(options: LearnOptions<O, A>): Promise<LearnResult> {
    const c = this.config;
    const k = this.counters;
    const { startStep, steps, totalSteps } = learnSpan(options, k.step);
    k.totalSteps = totalSteps;
    const engine = await describeEngine(this.policy);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    log(`reinforce: engine ${engine}`);
    if ((options.consumers ?? []).length > 0) log('reinforce: the on-policy loop does not run transition consumers (recording, live view) yet.');
    const report = (step: number, fps: number, metrics: Record<string, number>): LearnProgress => ({ step, totalSteps, startStep, episodes: k.episodes, fps, meanReturn: k.meanReturn, updates: k.updates, metrics });
    const sum = { entropy: 0, policyLoss: 0, valueLoss: 0, n: 0 };
    let lastEpisodeAt = performance.now();
    let nextLog = (Math.floor(startStep / c.logInterval) + 1) * c.logInterval;
    const result = await runOnPolicy(this.makeVec(), {
      steps, policy: this.onPolicy, update: (r) => this.update(r), hooks: options.periodic ?? [],
      collect: c.rolloutLength !== null ? { rolloutLength: c.rolloutLength } : { episodes: c.episodesPerUpdate },
      onEpisode: (e) => {
        k.addEpisode(e.episode, e.return);
        const at = performance.now();
        options.onEpisode?.({ ...e, step: e.globalStep - 1, seconds: (at - lastEpisodeAt) / 1000, metrics: { entropy: this.metrics.entropy } });
        lastEpisodeAt = at;
      },
      onProgress: (p) => {
        Object.assign(k, { step: p.step, updates: p.updates });
        const m = this.metrics;
        Object.assign(sum, { entropy: sum.entropy + m.entropy, policyLoss: sum.policyLoss + m.policyLoss, valueLoss: sum.valueLoss + m.valueLoss, n: sum.n + 1 });
        options.onProgress?.(report(p.step, p.fps, { ...m }));
        if (p.step < nextLog) return;
        // Every logInterval steps: the metrics averaged over the updates since the last record.
        options.onLog?.(report(p.step, p.fps, { entropy: sum.entropy / sum.n, policyLoss: sum.policyLoss / sum.n, valueLoss: sum.valueLoss / sum.n }));
        Object.assign(sum, { entropy: 0, policyLoss: 0, valueLoss: 0, n: 0 });
        nextLog = (Math.floor(p.step / c.logInterval) + 1) * c.logInterval;
      },
      startStep, startEpisodes: k.episodes, startUpdates: k.updates, seed: (c.seed + startStep) % 2 ** 31,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    Object.assign(k, { step: result.step, episodes: result.episodes, updates: result.updates });
    return { ...result, engine };
  }

  /** One env as a vector of one, or N copies made from its spec; Box actions are the samples clipped or squashed. */
  private makeVec(): VecEnvLike {
    const { numEnvs } = this.config;
    const spec = this.env.spec;
    const vec: VecEnvLike = numEnvs === 1 || !spec
      ? new SingleEnvVec(this.env)
      : SyncVectorEnv.make(spec.id, numEnvs, { kwargs: spec.kwargs, maxEpisodeSteps: spec.maxEpisodeSteps ?? null });
    const h = this.head;
    if (h.kind !== 'gaussian') return vec;
    const u = new Float32Array(numEnvs * h.d);
    const inner = vec.actionBuffer as Float32Array;
    return {
      numEnvs, obsDim: vec.obsDim, actDim: vec.actDim, singleActionSpace: vec.singleActionSpace, actionBuffer: u,
      reset: (args) => vec.reset(args), close: () => vec.close(),
      step: () => vec.step(gaussianToAction(u, numEnvs, h.d, h.bounds, h.squash, inner)),
    };
  }

  evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
    return evaluatePolicy((options.env ?? this.env) as Env<O, A>, (obs) => this.act(obs), { ...options, seed: options.seed ?? this.config.seed + EVAL_SEED_OFFSET });
  }

  // BOOKKEEPING: checkpoints through the generic run layer.
  private nets(): [string, Net][] {
    return [['policy', this.policy], ['logStd', this.logStd], ['value', this.value]].filter((e): e is [string, Net] => e[1] !== null);
  }
  snapshot(): Record<string, NamedArray[]> {
    return Object.fromEntries(this.nets().map(([name, net]) => [name, net.getParams()]));
  }
  restoreSnapshot(nets: Record<string, NamedArray[]>): void {
    for (const [name, net] of this.nets()) if (nets[name]) net.setParams(nets[name]);
  }

  async save(dir: string, options: { replay?: boolean; selection?: CheckpointContent['selection'] } = {}): Promise<void> {
    await saveCheckpoint(dir, {
      algo: 'reinforce', step: this.counters.step, config: this.config, env: envRecord(this.env as Env<unknown, unknown>), nets: this.snapshot(),
      optimizers: { policy: this.opt.getState(), ...(this.valueOpt ? { value: this.valueOpt.getState() } : {}) }, rngs: { act: this.actRng.getState() },
      counters: { ...this.counters.toJSON(), baselineMean: this.baselineMean, baselineSeen: this.baselineSeen }, selection: options.selection ?? null,
    }, null);
  }

  /** Restores a checkpoint read by `readCheckpoint` into this agent (same config shape). */
  restore(saved: LoadedCheckpoint): void {
    this.restoreSnapshot(saved.nets);
    if (saved.optimizers['policy']) this.opt.setState(saved.optimizers['policy']);
    if (saved.optimizers['value']) this.valueOpt?.setState(saved.optimizers['value']);
    restoreRngs(saved, { act: this.actRng });
    this.counters.restore(saved.counters, saved.dir);
    this.baselineMean = typeof saved.counters['baselineMean'] === 'number' ? saved.counters['baselineMean'] : 0;
    this.baselineSeen = saved.counters['baselineSeen'] === true;
  }

  dispose(): void {
    for (const [, net] of this.nets()) net.dispose();
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
  const agent = new Reinforce(env, resolveReinforceConfig({ ...(saved.config as Partial<ReinforceConfig>), ...overrides }));
  agent.restore(saved);
  return agent;
}

/** The algorithm registry's entry for REINFORCE. */
export const REINFORCE_ENTRY: AlgorithmEntry = {
  name: 'reinforce', summary: 'REINFORCE (score function; baselines none, mean or V(s)) for Discrete, MultiDiscrete and Box actions',
  actionSpaces: ['discrete', 'multi-discrete', 'box'], configKeys: REINFORCE_CONFIG_KEYS, defaults: REINFORCE_DEFAULTS,
  resolveConfig: (partial) => resolveReinforceConfig(partial as Partial<ReinforceConfig>),
  netSpecs: (env, config) => reinforceNetSpecs(env, config as ReinforceConfig).map((spec) => ({ spec, batchSize: batchOf(config as ReinforceConfig) })),
  create: (env, config) => reinforce(env, config as ReinforceConfig),
  restore: (saved, env, overrides) => restoreReinforce(saved, env, overrides as Partial<ReinforceConfig>),
  progressFields: [{ key: 'entropy', label: 'entropy', digits: 3 }, { key: 'policyLoss', label: 'pi loss', digits: 4 }, { key: 'valueLoss', label: 'v loss', digits: 3 }],
  episodeFields: ['entropy'],
};
