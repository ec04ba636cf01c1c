/**
 * DDPG (Lillicrap et al. 2016) and TD3 (Fujimoto et al. 2018) for Box actions. TD3 is DDPG with three options on:
 * twin critics with the clipped double-Q target, delayed policy and target updates, and target policy smoothing
 * (noise.ts); `td3()` is `ddpg()` with those defaults, as SB3's DDPG is its TD3 with them off. Reads top to bottom
 * like CleanRL's td3_continuous_action.py: config, target, critic loss and deterministic policy gradient (pure
 * functions), the agent, the loop (`runOffPolicy`), saving and loading. The actor outputs tanh in [-1, 1] per
 * action dimension, rescaled to the bounds; the critics take [observation, action] in the env's units.
 */
import { join } from 'node:path';
import type { Env } from '../core/env.js';
import { InvalidConfig, InvalidSpace } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { describeSpace, type BoxSpace } from '../core/spaces.js';
import { ReplayBuffer, type ReplayBatch } from '../replay/index.js';
import { loadReplay } from '../replay/node/files.js';
import { mseLoss } from '../nn/losses.js';
import { createNet } from '../nn/net.js';
import type { NamedArray, Net, NetSpec, Optimizer } from '../nn/types.js';
import type { Agent, LearnOptions, LearnResult } from './agent.js';
import { checkSavedSpaces, describeEngine, envRecord, EpisodeCarry, learnSpan, makeOptimizer, mlpSpec, netParams, ObservationEncoder, RunCounters, requireActionSpace, restoreRngs, saveCheckpoint, setNetParams } from './common.js';
import { bool, int, num, oneOf, resolveConfig, widths, type FieldRule } from './config.js';
import { EVAL_SEED_OFFSET, evaluatePolicy, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
import { learnCallbacks, runOffPolicyLearner } from './loops/off-policy-learner.js';
import type { BatchSource } from './loops/off-policy.js';
import { gaussianNoise, ornsteinUhlenbeckNoise, smoothTargetActions, type ActionNoise } from './noise.js';
import type { CheckpointContent, LoadedCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { openCheckpoint } from './runs/find.js';

// =========================================================================================================
// Config
// =========================================================================================================

/** Everything that defines a DDPG or TD3 run. Defaults: SB3's DDPG (`DDPG_DEFAULTS`) and TD3 (`TD3_DEFAULTS`). */
export interface DdpgConfig {
  /** Discount factor gamma in [0, 1]. */ gamma: number;
  /** Step size of the actor's and the critics' Adam optimisers (no gradient clipping, as SB3). */ learningRate: number;
  /** Replay capacity in transitions. */ bufferSize: number;
  /** Environment steps of uniformly random actions before the first gradient step. */ learningStarts: number;
  /** Transitions per gradient step. */ batchSize: number;
  /** Polyak coefficient of the target networks, blended after every actor update. */ tau: number;
  /** Environment steps between training rounds. */ trainFreq: number;
  /** Gradient steps (critic updates) per training round; -1: as many as env steps collected in the round (SB3). */ gradientSteps: number;
  /** Critic updates per actor and target update (TD3: 2). */ policyDelay: number;
  /** Two critics; the target takes the smaller of their values (TD3's clipped double Q). */ twinCritics: boolean;
  /** Std of the Gaussian noise on the target action, in half action ranges (TD3: 0.2); 0 disables it. */ targetPolicyNoise: number;
  /** The target noise is clipped to +-this, in half action ranges (TD3: 0.5). */ targetNoiseClip: number;
  /** Exploration noise on the actor's action while learning; OU with SB3's theta 0.15 and dt 0.01. */ actionNoise: 'gaussian' | 'ornstein-uhlenbeck' | 'none';
  /** Std of the exploration noise (OU: sigma), in half action ranges. */ noiseStd: number;
  /** Hidden layer widths of the actor and of each critic. */ hidden: number[];
  /** Hidden-layer nonlinearity. */ activation: 'relu' | 'tanh' | 'elu';
  /** Network engine: plain Float32Array + SIMD, tfjs, or auto (by measured speed for the size and batch). */ engine: 'auto' | 'plain' | 'tfjs';
  /** tfjs backend for the tfjs engine. */ backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Seed of weights, exploration, replay sampling, target noise and environment resets. */ seed: number;
  /** Environment steps between 'log' metrics records. */ logInterval: number;
  /** Envs stepped side by side (the env and copies from its spec), each with its own exploration noise; trainFreq counts vector steps (SB3). */ numEnvs: number;
  /** Step the envs in worker threads (AsyncVectorEnv) instead of this thread. */ asyncEnvs: boolean;
}

/** SB3's DDPG defaults (ddpg.py; its net [400, 300]), with CleanRL's Gaussian exploration noise 0.1 (SB3 has none by default). */
export const DDPG_DEFAULTS: Readonly<DdpgConfig> = Object.freeze({
  gamma: 0.99, learningRate: 1e-3, bufferSize: 1_000_000, learningStarts: 100, batchSize: 256, tau: 0.005, trainFreq: 1,
  gradientSteps: 1, policyDelay: 1, twinCritics: false, targetPolicyNoise: 0, targetNoiseClip: 0.5, actionNoise: 'gaussian',
  noiseStd: 0.1, hidden: [400, 300], activation: 'relu', engine: 'auto', backend: 'auto', seed: 0, logInterval: 1000, numEnvs: 1, asyncEnvs: false,
} satisfies DdpgConfig) as Readonly<DdpgConfig>;

/** SB3's TD3 defaults: DDPG's with twin critics, policy delay 2 and target noise 0.2 clipped to 0.5. */
export const TD3_DEFAULTS: Readonly<DdpgConfig> = Object.freeze({ ...DDPG_DEFAULTS, twinCritics: true, policyDelay: 2, targetPolicyNoise: 0.2 });

const positive = (v: unknown) => num(0, Infinity, true)(v);
/** How each field is checked, and how the expectation reads in an error message. */
const RULES: { readonly [K in keyof DdpgConfig]: FieldRule } = {
  gamma: [num(0, 1), 'a number in [0, 1]'], learningRate: [positive, 'a positive number'], bufferSize: [int(1, 1e9), 'an integer from 1 to 1e9'],
  learningStarts: [int(0), 'a non-negative integer'], batchSize: [int(1, 1e6), 'an integer from 1 to 1e6'], tau: [num(0, 1, true), 'a number in (0, 1]'],
  trainFreq: [int(1), 'a positive integer'], gradientSteps: [(v) => v === -1 || int(1)(v), 'a positive integer or -1'], policyDelay: [int(1, 1000), 'an integer from 1 to 1000'],
  twinCritics: [bool, 'a boolean'], targetPolicyNoise: [num(0, 10), 'a number in [0, 10]'], targetNoiseClip: [num(0, 10), 'a number in [0, 10]'],
  actionNoise: [oneOf('gaussian', 'ornstein-uhlenbeck', 'none'), "'gaussian', 'ornstein-uhlenbeck' or 'none'"], noiseStd: [num(0, 10), 'a number in [0, 10]'],
  hidden: [widths(), 'a non-empty array of positive integers'], activation: [oneOf('relu', 'tanh', 'elu'), "'relu', 'tanh' or 'elu'"],
  engine: [oneOf('auto', 'plain', 'tfjs'), "'auto', 'plain' or 'tfjs'"], backend: [oneOf('auto', 'tensorflow', 'wasm', 'cpu'), "'auto', 'tensorflow', 'wasm' or 'cpu'"],
  seed: [int(0, 2 ** 31 - 1), 'an integer from 0 to 2^31 - 1'], logInterval: [int(1), 'a positive integer'],
  numEnvs: [int(1, 4096), 'an integer from 1 to 4096'], asyncEnvs: [bool, 'a boolean'],
};

/** The config fields, in documentation order. */
export const DDPG_CONFIG_KEYS = Object.keys(RULES) as (keyof DdpgConfig)[];

/** Fills `algo`'s defaults and validates every field; throws `InvalidConfig` naming the first bad one or an unknown key. */
export function resolveDdpgConfig(partial: Partial<DdpgConfig> = {}, algo: 'ddpg' | 'td3' = 'ddpg'): DdpgConfig {
  const c = resolveConfig(algo, RULES, algo === 'td3' ? TD3_DEFAULTS : DDPG_DEFAULTS, partial);
  if (c.batchSize > c.bufferSize) throw new InvalidConfig(`Expected ${algo}.batchSize <= bufferSize (${c.bufferSize}), got ${c.batchSize}.`);
  return c;
}

// =========================================================================================================
// ALGORITHM: the target, the critic loss and the deterministic policy gradient
// =========================================================================================================

/**
 * Critic targets y_i = r_i + discount_i (1 - terminated_i) min(Q1'(s'_i, a'_i), Q2'(s'_i, a'_i)) into `out` (n values);
 * DDPG (q2Next null): Q1' alone. discount_i = discounts[i] when given (n-step), else gamma. Truncated rows bootstrap.
 */
export function td3Target(rewards: Float32Array, terminated: Uint8Array, discounts: Float32Array | undefined, gamma: number,
  q1Next: Float32Array, q2Next: Float32Array | null, n: number, out: Float32Array): Float32Array {
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: on a tie both critics give the same value
    const q = q2Next !== null && q2Next[i]! < q1Next[i]! ? q2Next[i]! : q1Next[i]!; // clipped double Q
    out[i] = rewards[i]! + (terminated[i] ? 0 : (discounts ? discounts[i]! : gamma) * q);
  }
  return out;
}

/** The critic loss: MSE(Q1, y) (+ MSE(Q2, y) with twin critics, as SB3 sums them); dLoss/dQ into dQ1, dQ2 (n each). */
export function criticLoss(q1: Float32Array, q2: Float32Array | null, targets: Float32Array, n: number, dQ1: Float32Array, dQ2: Float32Array | null): number {
  return mseLoss(q1, targets, n, dQ1) + (q2 !== null && dQ2 !== null ? mseLoss(q2, targets, n, dQ2) : 0);
}

/** Rows [obs_i, action_i] (n x (obsDim + actDim)) into out: the critic's input. */
export function concatObsAction(obs: Float32Array, actions: Float32Array, n: number, obsDim: number, actDim: number, out: Float32Array): Float32Array {
  const w = obsDim + actDim;
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: k = obsDim writes the row's first action column, which the next loop overwrites
    for (let k = 0; k < obsDim; k++) out[i * w + k] = obs[i * obsDim + k]!;
    for (let j = 0; j < actDim; j++) out[i * w + obsDim + j] = actions[i * actDim + j]!;
  }
  return out;
}

/** Actions a = low + (u + 1) half from the actor's tanh outputs u in [-1, 1] (n x d; `half` = (high - low) / 2). */
export function scaleActions(u: Float32Array, n: number, d: number, low: Float32Array, half: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < n * d; i++) out[i] = low[i % d]! + (u[i]! + 1) * half[i % d]!;
  return out;
}

/**
 * The policy-gradient assembly: dQ/da is the action slice of the critic's input gradient dCriticIn (n x (obsDim + d));
 * chained through the rescale (da/du = half), dU = dQ/da * half (n x d) is what the actor's backward takes.
 */
export function actorGradient(dCriticIn: Float32Array, n: number, obsDim: number, d: number, half: Float32Array, dU: Float32Array): Float32Array {
  const w = obsDim + d;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) dU[i * d + j] = dCriticIn[i * w + obsDim + j]! * half[j]!;
  return dU;
}

/** The deterministic policy gradient's scratch for a batch of n (`dpgScratch`). */
export type DpgScratch = ReturnType<typeof dpgScratch>;
/** Scratch arrays of `deterministicPolicyGradient` for n rows, obsDim and d action dimensions. */
export function dpgScratch(n: number, obsDim: number, d: number) {
  return { a: new Float32Array(n * d), critIn: new Float32Array(n * (obsDim + d)), dCritIn: new Float32Array(n * (obsDim + d)), dQ: new Float32Array(n).fill(-1 / n), dU: new Float32Array(n * d) };
}

/**
 * Accumulates dL/dtheta of the actor loss L = -mean_i Q(s_i, scale(actor(s_i))) into actor.grads (n rows of obs) and
 * returns L. The loss flows back through the critic (its input gradient), whose own grads are zeroed afterwards so
 * that the actor step leaks nothing into the next critic update.
 */
export function deterministicPolicyGradient(actor: Net, critic: Net, obs: Float32Array, n: number, low: Float32Array, half: Float32Array, s: DpgScratch): number {
  const d = actor.outputSize, obsDim = actor.inputSize;
  scaleActions(actor.forward(obs, n), n, d, low, half, s.a);
  const q = critic.forward(concatObsAction(obs, s.a, n, obsDim, d, s.critIn), n);
  let loss = 0;
  for (let i = 0; i < n; i++) loss -= q[i]! / n;
  critic.backward(s.dQ, n, s.dCritIn); // dL/dQ_i = -1/n
  critic.zeroGrad();
  actor.backward(actorGradient(s.dCritIn, n, obsDim, d, half, s.dU), n);
  return loss;
}

/** The actor: the hidden layers, then d tanh outputs in [-1, 1]. */
export function actorSpec(obsShape: readonly number[], d: number, c: DdpgConfig): NetSpec {
  return mlpSpec(obsShape, { hidden: c.hidden, activation: c.activation, torso: 'mlp', outputs: d, outputActivation: 'tanh', seed: c.seed });
}
/** Critic number k: [obs, action] (obsDim + d inputs) to one Q value; each critic gets its own initial weights. */
export function criticSpec(obsDim: number, d: number, c: DdpgConfig, k: number): NetSpec {
  return mlpSpec([obsDim + d], { hidden: c.hidden, activation: c.activation, torso: 'mlp', outputs: 1, seed: (c.seed + 7919 * (k + 1)) % 2 ** 31 });
}

// =========================================================================================================
// Agent
// =========================================================================================================

/** A DDPG or TD3 agent: the shared `Agent` roles plus its networks. Make one with `ddpg()`, `td3()` or `loadAgent()`. */
export interface DdpgAgent<O = unknown> extends Agent<O, Float32Array> {
  readonly algo: 'ddpg' | 'td3';
  readonly config: Readonly<DdpgConfig>;
  /** The actor, the critics (one, or two with twin critics) and their target networks. */
  readonly actor: Net; readonly actorTarget: Net; readonly critics: readonly Net[]; readonly criticTargets: readonly Net[];
  /** The replay, the exploration noise process (null for 'none'), and where update batches come from (null: the replay). */
  readonly replay: ReplayBuffer<'continuous', O>; readonly noise: ActionNoise | null; batchSource: BatchSource<'continuous'> | null;
  /** Q1(s, act(s)) of one observation (1 float). */
  values(obs: O): Float32Array;
  /** One critic update, and every policyDelay-th call an actor and target update; returns the critic loss. */
  update(batch: ReplayBatch<'continuous'>): number;
}


/** Builds a DDPG agent for `env` (Box actions with finite bounds); throws `InvalidSpace` or `InvalidConfig` naming the problem. */
export function ddpg<O>(env: Env<O, Float32Array>, config: Partial<DdpgConfig> = {}): DdpgAgent<O> {
  return new Ddpg(env, resolveDdpgConfig(config, 'ddpg'), 'ddpg');
}
/** Builds a TD3 agent (DDPG with TD3's defaults: twin critics, policy delay 2, target smoothing) for `env`. */
export function td3<O>(env: Env<O, Float32Array>, config: Partial<DdpgConfig> = {}): DdpgAgent<O> {
  return new Ddpg(env, resolveDdpgConfig(config, 'td3'), 'td3');
}

/** The learner's scratch arrays for batch B, obsDim D, d action dimensions and N envs (allocated once). */
function scratch(B: number, D: number, d: number, N: number) {
  const f = (n: number) => new Float32Array(n);
  return { dpg: dpgScratch(B, D, d), uRows: f(N * d), uNext: f(B * d), aNext: f(B * d), nextIn: f(B * (D + d)), critIn: f(B * (D + d)), q1Next: f(B), q2Next: f(B), targets: f(B), dQ1: f(B), dQ2: f(B), uRow: f(d), noiseRow: f(d), rowIn: f(D + d), actorLoss: NaN };
}

class Ddpg<O> implements DdpgAgent<O> {
  readonly env: Env<O, Float32Array>;
  readonly actor: Net; readonly actorTarget: Net; readonly critics: Net[]; readonly criticTargets: Net[];
  readonly noise: ActionNoise | null;
  private readonly envNoise: (ActionNoise | null)[]; // env i's exploration noise (env 0's is `noise`)
  private readonly actorOpt: Optimizer; private readonly criticOpt: Optimizer;
  private readonly obs: ObservationEncoder<O>;
  private readonly d: number; // action dimensions
  private readonly low: Float32Array; private readonly high: Float32Array; private readonly half: Float32Array; // bounds, (high - low) / 2
  private readonly actRng: Rng; private readonly sampleRng: Rng; // warm-up actions and exploration noise; replay and target noise
  replay: ReplayBuffer<'continuous', O>; batchSource: BatchSource<'continuous'> | null = null;
  readonly counters = new RunCounters();
  private readonly carry = new EpisodeCarry<O>(); // the episode in flight, for exact resume
  // BOOKKEEPING: scratch for the learner, allocated once (nothing per step).
  private readonly t: ReturnType<typeof scratch>;
  private batch: ReplayBatch<'continuous'> | undefined;

  constructor(env: Env<O, Float32Array>, readonly config: DdpgConfig, readonly algo: 'ddpg' | 'td3') {
    const space = requireActionSpace(algo, env as Env<unknown, unknown>, ['box']) as BoxSpace;
    if (![...space.low, ...space.high].every(Number.isFinite)) {
      throw new InvalidSpace(`Expected a Box action space with finite bounds for ${algo}, got ${describeSpace(space)}. Wrap the env to rescale its actions to finite bounds.`);
    }
    const c = config;
    [this.env, this.obs] = [env, new ObservationEncoder(env.observationSpace)];
    this.d = space.low.length;
    [this.low, this.high] = [Float32Array.from(space.low), Float32Array.from(space.high)];
    this.half = this.high.map((h, j) => (h - this.low[j]!) / 2);
    const seedRng = new Rng(c.seed);
    [this.actRng, this.sampleRng] = [seedRng.fork(), seedRng.fork()];
    const make = (spec: NetSpec) => createNet(spec, { engine: c.engine, batchSize: c.batchSize });
    this.actor = make(actorSpec(this.obs.shape, this.d, c));
    this.actorTarget = this.actor.clone();
    this.critics = (c.twinCritics ? [0, 1] : [0]).map((k) => make(criticSpec(this.obs.dim, this.d, c, k)));
    this.criticTargets = this.critics.map((q) => q.clone());
    this.actorOpt = makeOptimizer('adam', [this.actor], c.learningRate, null);
    this.criticOpt = makeOptimizer('adam', this.critics, c.learningRate, null);
    const noise = () => c.actionNoise === 'gaussian' ? gaussianNoise(this.d, c.noiseStd, this.actRng)
      : c.actionNoise === 'ornstein-uhlenbeck' ? ornsteinUhlenbeckNoise(this.d, { std: c.noiseStd }, this.actRng) : null;
    this.envNoise = Array.from({ length: c.numEnvs }, noise);
    this.noise = this.envNoise[0]!;
    // No gamma: with one-step targets a per-row discount would cost 4 bytes a transition for nothing.
    this.replay = new ReplayBuffer<'continuous', O>({ capacity: c.bufferSize, obsDim: this.obs.dim, actionKind: 'continuous', actionDim: this.d, obsSpace: this.obs.space, streams: c.numEnvs });
    this.t = scratch(c.batchSize, this.obs.dim, this.d, c.numEnvs);
  }

  get step(): number { return this.counters.step; }
  get episodes(): number { return this.counters.episodes; }
  get updates(): number { return this.counters.updates; }
  // A new array per action: the transition that carries it may be kept by consumers (recorder, viewer).
  act(obs: O): Float32Array {
    return scaleActions(this.actor.predict(this.obs.encode(obs), 1, this.t.uRow), 1, this.d, this.low, this.half, new Float32Array(this.d));
  }
  values(obs: O): Float32Array {
    const a = this.act(obs);
    return this.critics[0]!.predict(concatObsAction(this.obs.encode(obs), a, 1, this.obs.dim, this.d, this.t.rowIn), 1, new Float32Array(1));
  }

  // ALGORITHM: the behaviour policy on n flat observation rows (n x d actions into out). Uniform over the bounds until
  // learning starts (SB3), then the actor's actions (one forward pass) plus each env's own noise, clipped to the bounds.
  private explore(x: Float32Array, n: number, s: number, out: Int32Array | Float32Array): void {
    const d = this.d;
    if (s < this.config.learningStarts) {
      for (let k = 0; k < n * d; k++) out[k] = this.low[k % d]! + this.actRng.float() * (this.high[k % d]! - this.low[k % d]!);
      return;
    }
    const u = this.actor.predict(this.obs.scaledRows(x, n), n, this.t.uRows);
    for (let i = 0; i < n; i++) {
      const eps = this.envNoise[i]?.sample(this.t.noiseRow);
      if (eps) for (let j = 0; j < d; j++) u[i * d + j] = Math.min(1, Math.max(-1, u[i * d + j]! + eps[j]!));
    }
    scaleActions(u, n, d, this.low, this.half, out as Float32Array);
  }

  private trainStep(): number {
    const batch = (this.batch ??= this.replay.createBatch(this.config.batchSize));
    (this.batchSource ?? this.replay).sampleInto(batch, this.sampleRng);
    this.obs.scaleRows(batch.obs);
    this.obs.scaleRows(batch.nextObs);
    return this.update(batch);
  }
  // ALGORITHM: one critic update; every policyDelay-th, an actor update and the Polyak target updates.
  update(batch: ReplayBatch<'continuous'>): number {
    const c = this.config, B = c.batchSize, D = this.obs.dim, d = this.d, t = this.t;
    // Indexing, not destructuring: an array pattern allocates an iterator on every update.
    const q1 = this.critics[0]!, q2 = this.critics[1], q1Target = this.criticTargets[0]!, q2Target = this.criticTargets[1];
    if (batch.batchSize !== B) throw new InvalidConfig(`Expected a batch of ${this.algo}.batchSize = ${B} rows, got ${batch.batchSize}.`);
    // y = r + gamma (1 - terminated) min_k Q_k'(s', a'), a' = the target actor's action plus clipped noise (TD3).
    const uNext = this.actorTarget.predict(batch.nextObs, B, t.uNext);
    smoothTargetActions(uNext, B, d, c.targetPolicyNoise, c.targetNoiseClip, this.sampleRng, this.low, this.half, t.aNext);
    concatObsAction(batch.nextObs, t.aNext, B, D, d, t.nextIn);
    q1Target.predict(t.nextIn, B, t.q1Next);
    if (q2Target) q2Target.predict(t.nextIn, B, t.q2Next);
    td3Target(batch.rewards, batch.terminated, batch.discounts, c.gamma, t.q1Next, q2Target ? t.q2Next : null, B, t.targets);
    // Critic loss: the sum of each critic's MSE to y; one optimiser step over both critics.
    concatObsAction(batch.obs, batch.actions, B, D, d, t.critIn);
    const loss = criticLoss(q1.forward(t.critIn, B), q2 ? q2.forward(t.critIn, B) : null, t.targets, B, t.dQ1, q2 ? t.dQ2 : null);
    q1.backward(t.dQ1, B);
    if (q2) q2.backward(t.dQ2, B);
    this.criticOpt.step();
    this.counters.updates++;
    if (this.counters.updates % c.policyDelay === 0) {
      // Actor: maximise Q1(s, actor(s)) through the critic; then blend every target towards its network.
      t.actorLoss = deterministicPolicyGradient(this.actor, q1, batch.obs, B, this.low, this.half, t.dpg);
      this.actorOpt.step();
      this.actorTarget.polyakFrom(this.actor, c.tau);
      for (let k = 0; k < this.critics.length; k++) this.criticTargets[k]!.polyakFrom(this.critics[k]!, c.tau);
    }
    return loss;
  }

  // The loop: runOffPolicy drives the env; the replay and the learner run as scheduled.
  async learn(options: LearnOptions<O, Float32Array>): Promise<LearnResult> {
    const c = this.config;
    const k = this.counters;
    const { startStep, steps, totalSteps } = learnSpan(options, k.step);
    k.totalSteps = totalSteps;
    const engine = await describeEngine(this.critics[0]!);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    log(`${this.algo}: engine ${engine}`);
    const carried = this.carry.take(log, this.algo);
    // New episodes start with fresh noise; a resumed one keeps its restored OU state.
    if (!carried.resumeEpisode) for (const noise of this.envNoise) noise?.reset();
    const noiseStd = this.noise ? c.noiseStd : 0;
    const result = await runOffPolicyLearner(this.env, {
      algo: this.algo, vector: { numEnvs: c.numEnvs, asyncEnvs: c.asyncEnvs, wrap: null },
      steps, actRows: options.behaviour ?? ((x, n, s, out) => this.explore(x, n, s, out)), replay: this.replay as never,
      learningStarts: c.learningStarts, trainFreq: c.trainFreq, gradientSteps: c.gradientSteps,
      canTrain: () => this.replay.size >= c.batchSize,
      train: () => this.trainStep(),
      afterStep: (s) => { k.step = s; },
      // SB3 resets an env's noise process at each of its episode ends.
      ...learnCallbacks(options, k, { startStep, totalSteps }, (_, loss) => ({ criticLoss: loss, actorLoss: this.t.actorLoss, noiseStd }), (e) => {
        this.envNoise[e.env ?? 0]?.reset();
        return { noiseStd };
      }),
      logInterval: c.logInterval, seed: (c.seed + startStep) % 2 ** 31, carried,
    });
    Object.assign(k, { step: result.step, episodes: result.episodes, updates: result.updates });
    return { ...result, engine };
  }
  evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
    const env = (options.env ?? this.env) as Env<O, Float32Array>;
    return evaluatePolicy(env, (obs) => this.act(obs), { ...options, seed: options.seed ?? this.config.seed + EVAL_SEED_OFFSET });
  }

  // BOOKKEEPING: checkpoints through the generic run layer.
  private get nets(): Record<string, Net> {
    return Object.fromEntries([['actor', this.actor], ['actorTarget', this.actorTarget], ...this.critics.flatMap((q, k) => [[`critic${k + 1}`, q], [`critic${k + 1}Target`, this.criticTargets[k]!]])] as [string, Net][]);
  }
  snapshot(): Record<string, NamedArray[]> { return netParams(this.nets); }
  restoreSnapshot(saved: Record<string, NamedArray[]>): void { setNetParams(this.nets, saved); }
  async save(dir: string, options: { replay?: boolean; selection?: CheckpointContent['selection'] } = {}): Promise<void> {
    await saveCheckpoint(dir, {
      algo: this.algo, step: this.counters.step, config: this.config, nets: this.snapshot(),
      env: { ...envRecord(this.env as Env<unknown, unknown>), state: this.carry.save(this.env) },
      optimizers: { actor: this.actorOpt.getState(), critics: this.criticOpt.getState() }, rngs: { act: this.actRng.getState(), sample: this.sampleRng.getState() },
      counters: { ...this.counters.toJSON(), noise: this.noise?.getState() ?? [] }, selection: options.selection ?? null,
    }, options.replay ? this.replay : null);
  }
  /** Restores a checkpoint read by `readCheckpoint` into this agent (same network shapes). */
  async restore(saved: LoadedCheckpoint): Promise<void> {
    this.restoreSnapshot(saved.nets);
    if (saved.optimizers['actor']) this.actorOpt.setState(saved.optimizers['actor']);
    if (saved.optimizers['critics']) this.criticOpt.setState(saved.optimizers['critics']);
    restoreRngs(saved, { act: this.actRng, sample: this.sampleRng });
    this.counters.restore(saved.counters, saved.dir);
    const noise = saved.counters['noise']; // the OU value in the episode in flight
    if (this.noise && Array.isArray(noise) && noise.length > 0) this.noise.setState(noise as number[]);
    this.carry.restore(this.env, saved.env.state, saved.dir);
    if (saved.replay) this.replay = await loadReplay<'continuous', O>(join(saved.dir, 'replay'), { actionKind: 'continuous', obsDim: this.obs.dim, actionDim: this.d });
  }
  dispose(): void {
    for (const net of Object.values(this.nets)) net.dispose();
  }
}

/** Loads a DDPG or TD3 agent saved by `save()` (a checkpoint folder, or a run folder's final/ or newest checkpoint) for `env`. */
export async function loadDdpg<O>(path: string, env: Env<O, Float32Array>, overrides: Partial<DdpgConfig> = {}, options: { prefer?: 'final' | 'latest' } = {}): Promise<DdpgAgent<O>> {
  return restoreDdpg((await openCheckpoint(path, options.prefer ?? 'final')).checkpoint, env, overrides);
}
/** A DDPG or TD3 agent (as the checkpoint says) from a checkpoint already read; the registry dispatches here. */
export async function restoreDdpg<O>(saved: LoadedCheckpoint, env: Env<O, Float32Array>, overrides: Partial<DdpgConfig> = {}): Promise<DdpgAgent<O>> {
  if (saved.algo !== 'ddpg' && saved.algo !== 'td3') throw new InvalidConfig(`Expected a ddpg or td3 checkpoint, got one of '${saved.algo}' at ${saved.dir}. Load it with loadAgent().`);
  checkSavedSpaces(saved.env, env as Env<unknown, unknown>, join(saved.dir, 'state.json'));
  const agent = new Ddpg(env, resolveDdpgConfig({ ...(saved.config as Partial<DdpgConfig>), ...overrides }, saved.algo), saved.algo);
  await agent.restore(saved);
  return agent;
}
