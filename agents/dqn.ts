/**
 * DQN (Mnih et al. 2015) with the usual improvements as options: Double DQN, dueling heads, Huber or MSE loss,
 * gradient clipping, hard or soft (Polyak) target updates, prioritized replay and n-step returns; frame skip and
 * reward clipping are wrappers the run applies. Discrete actions only.
 *
 * Reads top to bottom like CleanRL's dqn.py: the config, the TD target and the loss (pure functions), the agent
 * (networks, replay, exploration, one gradient step), the loop (`runOffPolicy`), then saving and loading through
 * the generic checkpoint. Algorithm parts are marked ALGORITHM; bookkeeping parts BOOKKEEPING.
 */
import { join } from 'node:path';
import type { Env } from '../core/env.js';
import { InvalidConfig } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { linearSchedule, type Schedule } from '../core/schedules.js';
import { PrioritizedReplayBuffer, ReplayBuffer, type ReplayBatch } from '../replay/index.js';
import { loadReplay } from '../replay/node/files.js';
import { duelingBackward, duelingCombine } from '../nn/heads.js';
import { huberLoss, mseLoss } from '../nn/losses.js';
import { createNet } from '../nn/net.js';
import type { NamedArray, Net, NetSpec, Optimizer } from '../nn/types.js';
import type { Agent, LearnOptions, LearnResult } from './agent.js';
import { argmax, beginLearn, BootstrapWatch, checkSavedSpaces, envRecord, EpisodeCarry, netParams, setNetParams, makeOptimizer, mlpSpec, ObservationEncoder, RunCounters, requireActionSpace, restoreRngs, saveCheckpoint, trainingEnv } from './common.js';
import { bool, int, nullOr, num, oneOf, resolveConfig, widths, type FieldRule } from './config.js';
import { EVAL_SEED_OFFSET, evaluatePolicy, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
import { learnCallbacks, runOffPolicyLearner } from './loops/off-policy-learner.js';
import type { BatchSource } from './loops/off-policy.js';
import type { CheckpointContent, LoadedCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { openCheckpoint } from './runs/find.js';

// ==================== Config ====================

/** Everything that defines a DQN run. Defaults (`DQN_DEFAULTS`) are Stable-Baselines3's DQN defaults. */
export interface DqnConfig {
  /** Discount factor gamma in [0, 1]. */ gamma: number;
  /** Optimiser step size. */ learningRate: number;
  /** Replay capacity in transitions. */ bufferSize: number;
  /** Environment steps of uniformly random actions before the first gradient step. */ learningStarts: number;
  /** Transitions per gradient step. */ batchSize: number;
  /** Target update coefficient: 1 copies (hard update), below 1 blends (Polyak). */ tau: number;
  /** Environment steps between target-network updates. */ targetUpdateInterval: number;
  /** Environment steps between training rounds. */ trainFreq: number;
  /** Gradient steps per training round; -1: as many as env steps collected in the round (SB3). */ gradientSteps: number;
  /** Fraction of the run over which epsilon falls linearly from its initial to its final value. */ explorationFraction: number;
  /** Epsilon (probability of a random action) at step 0. */ explorationInitialEps: number;
  /** Epsilon after the exploration fraction. */ explorationFinalEps: number;
  /** Global gradient-norm clipping; null disables it. */ maxGradNorm: number | null;
  /** Hidden layer widths of the Q-network. */ hidden: number[];
  /** Hidden-layer nonlinearity. */ activation: 'relu' | 'tanh' | 'elu';
  /** Double DQN: the online network picks the next action, the target network values it. */ double: boolean;
  /** Dueling head: Q = V + A - mean(A). */ dueling: boolean;
  /** Layer normalisation of each hidden layer before its nonlinearity. */ layerNorm: boolean;
  /** Pixel torso: 'conv' (Nature DQN conv layers, tfjs engine) for [H, W, C] images; 'auto' picks it for 3-d Box observations. */ torso: 'auto' | 'mlp' | 'conv';
  /** TD loss: huber (delta 1, SB3's smooth L1) or mse. */ loss: 'huber' | 'mse';
  /** Optimiser. */ optimizer: 'adam' | 'rmsprop';
  /** Optimiser epsilon; null for the optimiser's default (1e-8 Adam, 1e-7 RMSProp). */ adamEpsilon: number | null;
  /** Clip rewards to [-1, 1] (a ClipReward wrapper the run applies; logged returns are the clipped ones). */ clipReward: boolean;
  /** Clip max_a' Q_target(s', a') to the range of any return the replayed rewards allow, so Q cannot run away. */ clipBootstrap: boolean;
  /** Repeat each action this many steps (a FrameSkip wrapper the run applies); 1 disables it. */ frameSkip: number;
  /** Prioritized experience replay (Schaul et al. 2016). */ prioritized: boolean;
  /** PER priority exponent alpha. */ priorityAlpha: number;
  /** PER importance-sampling exponent at the start; anneals linearly to 1 over the run. */ priorityBeta0: number;
  /** PER constant added to |TD error| so that no transition has zero priority. */ priorityEps: number;
  /** n-step returns: bootstrap after n rewards (1 is plain one-step TD). */ nStep: number;
  /** Network engine: plain Float32Array + SIMD, tfjs, or auto (by measured speed for the size and batch). */ engine: 'auto' | 'plain' | 'tfjs';
  /** tfjs backend for the tfjs engine. */ backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Seed of weights, exploration, replay sampling and environment resets. */ seed: number;
  /** Environment steps between 'log' metrics records. */ logInterval: number;
  /** Envs stepped side by side (the env and copies from its spec); trainFreq then counts vector steps (SB3). */ numEnvs: number;
  /** Step the envs in worker threads (AsyncVectorEnv) instead of this thread. */ asyncEnvs: boolean;
}

/** SB3's DQN defaults (dqn.py, MlpPolicy), plus off-by-default extensions. */
export const DQN_DEFAULTS: Readonly<DqnConfig> = Object.freeze({
  gamma: 0.99, learningRate: 1e-4, bufferSize: 1_000_000, learningStarts: 100, batchSize: 32, tau: 1,
  targetUpdateInterval: 10_000, trainFreq: 4, gradientSteps: 1, explorationFraction: 0.1, explorationInitialEps: 1,
  explorationFinalEps: 0.05, maxGradNorm: 10, hidden: [64, 64], activation: 'relu', double: false, dueling: false,
  layerNorm: false, torso: 'auto', loss: 'huber', optimizer: 'adam', adamEpsilon: null, clipReward: false, clipBootstrap: false, frameSkip: 1,
  prioritized: false, priorityAlpha: 0.6, priorityBeta0: 0.4, priorityEps: 1e-6, nStep: 1, engine: 'auto',
  backend: 'auto', seed: 0, logInterval: 1000, numEnvs: 1, asyncEnvs: false,
} satisfies DqnConfig) as Readonly<DqnConfig>;

const positive = (v: unknown) => num(0, Infinity, true)(v);
/** How each field is checked, and how the expectation reads in an error message. */
const RULES: { readonly [K in keyof DqnConfig]: FieldRule } = {
  gamma: [num(0, 1), 'a number in [0, 1]'], learningRate: [positive, 'a positive number'],
  bufferSize: [int(1, 1e9), 'an integer from 1 to 1e9'], learningStarts: [int(0), 'a non-negative integer'],
  batchSize: [int(1, 1e6), 'an integer from 1 to 1e6'], tau: [num(0, 1, true), 'a number in (0, 1]'],
  targetUpdateInterval: [int(1), 'a positive integer'], trainFreq: [int(1), 'a positive integer'],
  gradientSteps: [(v) => v === -1 || int(1)(v), 'a positive integer or -1'], explorationFraction: [num(0, 1), 'a number in [0, 1]'],
  explorationInitialEps: [num(0, 1), 'a number in [0, 1]'], explorationFinalEps: [num(0, 1), 'a number in [0, 1]'],
  maxGradNorm: [nullOr(positive), 'a positive number or null'], hidden: [widths(), 'a non-empty array of positive integers'],
  activation: [oneOf('relu', 'tanh', 'elu'), "'relu', 'tanh' or 'elu'"], double: [bool, 'a boolean'], dueling: [bool, 'a boolean'],
  layerNorm: [bool, 'a boolean'], torso: [oneOf('auto', 'mlp', 'conv'), "'auto', 'mlp' or 'conv'"], loss: [oneOf('huber', 'mse'), "'huber' or 'mse'"],
  optimizer: [oneOf('adam', 'rmsprop'), "'adam' or 'rmsprop'"], adamEpsilon: [nullOr(positive), 'a positive number or null'],
  clipReward: [bool, 'a boolean'], clipBootstrap: [bool, 'a boolean'], frameSkip: [int(1, 1000), 'an integer from 1 to 1000'], prioritized: [bool, 'a boolean'],
  priorityAlpha: [num(0, Infinity), 'a number >= 0'], priorityBeta0: [num(0, 1), 'a number in [0, 1]'],
  priorityEps: [positive, 'a positive number'], nStep: [int(1, 1000), 'an integer from 1 to 1000'],
  engine: [oneOf('auto', 'plain', 'tfjs'), "'auto', 'plain' or 'tfjs'"],
  backend: [oneOf('auto', 'tensorflow', 'wasm', 'cpu'), "'auto', 'tensorflow', 'wasm' or 'cpu'"],
  seed: [int(0, 2 ** 31 - 1), 'an integer from 0 to 2^31 - 1'], logInterval: [int(1), 'a positive integer'],
  numEnvs: [int(1, 4096), 'an integer from 1 to 4096'], asyncEnvs: [bool, 'a boolean'],
};

/** The config fields, in documentation order. */
export const DQN_CONFIG_KEYS = Object.keys(RULES) as (keyof DqnConfig)[];

/** Fills defaults and validates every field; throws `InvalidConfig` naming the first bad one or an unknown key. */
export function resolveDqnConfig(partial: Partial<DqnConfig> = {}): DqnConfig {
  const c = resolveConfig('dqn', RULES, DQN_DEFAULTS, partial);
  if (c.explorationFinalEps > c.explorationInitialEps) {
    throw new InvalidConfig(`Expected dqn.explorationFinalEps <= explorationInitialEps (${c.explorationInitialEps}), got ${c.explorationFinalEps}.`);
  }
  if (c.batchSize > c.bufferSize) throw new InvalidConfig(`Expected dqn.batchSize <= bufferSize (${c.bufferSize}), got ${c.batchSize}.`);
  return c;
}

// ==================== ALGORITHM: the TD target and the loss, as pure functions ====================

/**
 * TD targets y_i = r_i + discount_i * (1 - terminated_i) * Q_target(s'_i, a'_i), into `out` (n values); `stats` adds up
 * the bootstrapped values before clipping (for the divergence watch). a'_i = argmax_a Q_online(s'_i, a) for Double
 * DQN (`nextQOnline` given), else argmax_a Q_target(s'_i, a). discount_i = gamma^k with k the rewards summed into r_i
 * (n-step; `discounts` from the replay), else `gamma`. Truncated transitions still bootstrap: only `terminated`
 * zeroes the tail. `clip` bounds the bootstrapped value (clipBootstrap). Q arrays are n x numActions.
 */
export function tdTargets(
  rewards: Float32Array, terminated: Uint8Array, discounts: Float32Array | undefined, gamma: number,
  nextQTarget: Float32Array, nextQOnline: Float32Array | null, n: number, numActions: number, out: Float32Array,
  clip: { lo: number; hi: number } | null = null, stats: { sum: number; count: number } | null = null,
): Float32Array {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const row = i * numActions;
    const pick = nextQOnline ?? nextQTarget; // Double DQN: the online network picks, the target network values.
    let best = 0;
    for (let a = 1; a < numActions; a++) if (pick[row + a]! > pick[row + best]!) best = a;
    let next = nextQTarget[row + best]!;
    sum += next;
    // Stryker disable next-line EqualityOperator: at next = hi (or lo) clipping gives the same value
    if (clip !== null) next = next > clip.hi ? clip.hi : next < clip.lo ? clip.lo : next;
    const discount = discounts ? discounts[i]! : gamma;
    out[i] = rewards[i]! + (terminated[i] ? 0 : discount * next);
  }
  if (stats !== null) { stats.sum += sum; stats.count += n; }
  return out;
}

/** Scratch of `dqnLoss` for a batch of n (allocated once): Q(s_i, a_i), its gradient, and the losses' options. */
export interface DqnLossScratch { qTaken: Float32Array; dTaken: Float32Array; opts?: { errorsOut: Float32Array; weights?: Float32Array | undefined } }

/**
 * The DQN loss: Huber (delta 1) or MSE between Q(s_i, a_i) and y_i, averaged with PER importance weights w_i when
 * given (mean of w_i l_i). Writes dLoss/dQ into dQ (n x numActions, zero but at a_i) and |Q(s_i, a_i) - y_i| into
 * tdAbs (the new priorities). q is n x numActions; actions count from 0.
 */
export function dqnLoss(
  q: Float32Array, actions: Int32Array, targets: Float32Array, n: number, numActions: number, kind: 'huber' | 'mse',
  weights: Float32Array | undefined, dQ: Float32Array, tdAbs: Float32Array, scratch: DqnLossScratch,
): number {
  const { qTaken, dTaken } = scratch;
  for (let i = 0; i < n; i++) qTaken[i] = q[i * numActions + actions[i]!]!;
  // Stryker disable next-line ObjectLiteral: the next two lines set both of its fields
  const opts = (scratch.opts ??= { errorsOut: tdAbs }); // one options object per scratch: nothing allocated per step
  opts.errorsOut = tdAbs;
  opts.weights = weights;
  const loss = kind === 'huber' ? huberLoss(qTaken, targets, n, dTaken, opts) : mseLoss(qTaken, targets, n, dTaken, opts);
  dQ.fill(0, 0, n * numActions);
  for (let i = 0; i < n; i++) dQ[i * numActions + actions[i]!] = dTaken[i]!;
  return loss;
}

/** The Q-network: optional conv torso, the hidden layers, then numActions outputs (+1 for V with a dueling head). */
export function qNetSpec(obsShape: readonly number[], numActions: number, c: DqnConfig): NetSpec {
  return mlpSpec(obsShape, { ...c, outputs: numActions + (c.dueling ? 1 : 0) });
}

// ==================== Agent ====================

/** A DQN agent: the shared `Agent` roles plus its networks and epsilon. Make one with `dqn()` or `loadDqn()`. */
export interface DqnAgent<O = unknown> extends Agent<O, number> {
  readonly config: Readonly<DqnConfig>;
  /** The online and target Q-networks. */ readonly q: Net; readonly target: Net;
  /** Where update batches come from: null for the replay; model-based training mixes in imagined transitions. */ batchSource: BatchSource<'discrete'> | null;
  /** Current exploration epsilon. */
  readonly epsilon: number;
  /** Q-values of one observation (numActions floats). */ qValues(obs: O): Float32Array;
  /** One gradient step on a batch (actions from 0; `weights` for PER); returns the loss. The loop calls it on replay samples. */
  update(batch: ReplayBatch<'discrete'>): number;
}

/** The learner's scratch arrays for batch B, A actions, W network outputs and N envs. */
function scratch(B: number, A: number, W: number, N: number) {
  const f = (n: number) => new Float32Array(n);
  return { qRow: f(A), qRows: f(N * A), greedy: new Uint8Array(N), rawOut: f(Math.max(B, N) * W), dRaw: f(B * W), nextQTarget: f(B * A), nextQOnline: f(B * A), qBatch: f(B * A), dQ: f(B * A), targets: f(B), tdAbs: f(B), qTaken: f(B), dTaken: f(B) };
}

/** Builds a DQN agent for `env` (discrete actions); throws `InvalidSpace` or `InvalidConfig` naming the problem. */
export function dqn<O>(env: Env<O, number>, config: Partial<DqnConfig> = {}): DqnAgent<O> {
  return new Dqn(env, resolveDqnConfig(config));
}

class Dqn<O> implements DqnAgent<O> {
  readonly algo = 'dqn';
  readonly env: Env<O, number>;
  readonly q: Net;
  readonly target: Net;
  private readonly opt: Optimizer;
  private readonly obs: ObservationEncoder<O>;
  private readonly numActions: number;
  private readonly actionStart: number;
  private readonly actRng: Rng; // epsilon-greedy draws
  private readonly sampleRng: Rng; // replay sampling draws
  replay: ReplayBuffer<'discrete', O>; batchSource: BatchSource<'discrete'> | null = null;
  readonly counters = new RunCounters();
  private readonly carry = new EpisodeCarry<O>(); // the episode in flight, for exact resume
  private readonly watch: BootstrapWatch; // the bootstrap bounds and the divergence warning
  private epsilonAt: Schedule;
  private betaAt: Schedule;
  private readonly t: ReturnType<typeof scratch>; // BOOKKEEPING: the learner's scratch, allocated once
  private batch: ReplayBatch<'discrete'> | undefined;

  constructor(env: Env<O, number>, readonly config: DqnConfig) {
    const space = requireActionSpace('dqn', env as Env<unknown, unknown>, ['discrete']) as { n: number; start: number };
    const c = config;
    this.env = trainingEnv(env, c);
    this.obs = new ObservationEncoder(env.observationSpace);
    [this.numActions, this.actionStart] = [space.n, space.start];
    const seedRng = new Rng(c.seed);
    [this.actRng, this.sampleRng] = [seedRng.fork(), seedRng.fork()];
    this.q = createNet(qNetSpec(this.obs.shape, this.numActions, c), { engine: c.engine, batchSize: c.batchSize });
    this.target = this.q.clone();
    this.opt = makeOptimizer(c.optimizer, [this.q], c.learningRate, c.maxGradNorm, c.adamEpsilon);
    this.replay = this.makeReplay();
    this.epsilonAt = linearSchedule(c.explorationInitialEps, c.explorationFinalEps, 0);
    this.betaAt = () => c.priorityBeta0;
    this.t = scratch(c.batchSize, this.numActions, this.q.outputSize, c.numEnvs);
    this.watch = new BootstrapWatch(c.gamma);
  }

  private makeReplay(): ReplayBuffer<'discrete', O> {
    const c = this.config;
    const common = { capacity: c.bufferSize, obsDim: this.obs.dim, actionKind: 'discrete' as const, obsSpace: this.obs.space, nStep: c.nStep, gamma: c.gamma, streams: c.numEnvs };
    return c.prioritized
      ? new PrioritizedReplayBuffer<'discrete', O>({ ...common, alpha: c.priorityAlpha, beta: c.priorityBeta0, epsilon: c.priorityEps })
      : new ReplayBuffer<'discrete', O>(common);
  }

  get step(): number { return this.counters.step; }
  get episodes(): number { return this.counters.episodes; }
  get updates(): number { return this.counters.updates; }
  get epsilon(): number { return this.epsilonAt(this.counters.step); }

  /** Q-values of n rows of x (dueling heads combined) into out (n x numActions); `train` keeps the forward for backward. */
  private qOf(x: Float32Array, n: number, out: Float32Array, net: Net, train = false): Float32Array {
    if (!this.config.dueling) return train ? (out.set(net.forward(x, n).subarray(0, n * this.numActions)), out) : net.predict(x, n, out);
    const raw = train ? net.forward(x, n) : net.predict(x, n, this.t.rawOut);
    return duelingCombine(raw, n, this.numActions, out);
  }

  qValues(obs: O): Float32Array {
    return this.qOf(this.obs.encode(obs), 1, new Float32Array(this.numActions), this.q);
  }
  values(obs: O): Float32Array { return this.qValues(obs); }

  act(obs: O): number {
    return argmax(this.qOf(this.obs.encode(obs), 1, this.t.qRow, this.q), 0, this.numActions) + this.actionStart;
  }

  // ALGORITHM: the behaviour policy on n flat observation rows: uniformly random until learning starts (SB3), then
  // epsilon-greedy with a draw per env; one forward pass over the rows for the envs that act greedily.
  private explore(x: Float32Array, n: number, s: number, out: Int32Array | Float32Array): void {
    const { greedy, qRows } = this.t;
    let any = false;
    for (let i = 0; i < n; i++) {
      greedy[i] = s < this.config.learningStarts || this.actRng.float() < this.epsilonAt(s) ? 0 : 1;
      if (greedy[i] === 0) out[i] = this.actRng.int(this.numActions) + this.actionStart;
      else any = true;
    }
    if (!any) return;
    const q = this.qOf(this.obs.scaledRows(x, n), n, qRows, this.q);
    for (let i = 0, A = this.numActions; i < n; i++) if (greedy[i]) out[i] = argmax(q, i * A, A) + this.actionStart;
  }

  // ALGORITHM: one gradient step on a replay batch.
  private trainStep(step: number): number {
    const B = this.config.batchSize;
    const replay = this.replay;
    const batch = (this.batch ??= replay.createBatch(B));
    if (replay instanceof PrioritizedReplayBuffer) replay.sampleInto(batch, this.sampleRng, this.betaAt(step));
    else (this.batchSource ?? replay).sampleInto(batch, this.sampleRng);
    if (this.actionStart !== 0) for (let i = 0; i < B; i++) batch.actions[i]! -= this.actionStart;
    this.obs.scaleRows(batch.obs);
    this.obs.scaleRows(batch.nextObs);
    const loss = this.update(batch);
    // PER: new priority = (|TD error| + eps)^alpha (the buffer adds eps and the power).
    if (replay instanceof PrioritizedReplayBuffer) replay.updatePriorities(batch.indices, this.t.tdAbs);
    return loss;
  }

  update(batch: ReplayBatch<'discrete'>): number {
    const c = this.config;
    const B = c.batchSize;
    const A = this.numActions;
    if (batch.batchSize !== B) throw new InvalidConfig(`Expected a batch of dqn.batchSize = ${B} rows, got ${batch.batchSize}.`);
    // y = r + gamma^k (1 - terminated) Q_target(s', a'), a' from the online net for Double DQN.
    this.qOf(batch.nextObs, B, this.t.nextQTarget, this.target);
    if (c.double) this.qOf(batch.nextObs, B, this.t.nextQOnline, this.q);
    const w = this.watch.observe(batch.rewards, B); // the replayed rewards so far bound every return
    tdTargets(batch.rewards, batch.terminated, batch.discounts, c.gamma, this.t.nextQTarget, c.double ? this.t.nextQOnline : null, B, A, this.t.targets, c.clipBootstrap ? w.bounds : null, w.stats);
    // loss = mean_i w_i huber(Q(s_i, a_i) - y_i); backward through the dueling head and the network; optimiser step.
    const q = this.qOf(batch.obs, B, this.t.qBatch, this.q, true);
    const loss = dqnLoss(q, batch.actions, this.t.targets, B, A, c.loss, batch.weights, this.t.dQ, this.t.tdAbs, this.t);
    this.q.backward(c.dueling ? duelingBackward(this.t.dQ, B, A, this.t.dRaw) : this.t.dQ, B);
    this.opt.step();
    this.counters.updates++;
    return loss;
  }

  // The loop: runOffPolicy drives the env; the replay, the learner and the target updates run as scheduled.
  async learn(options: LearnOptions<O, number>): Promise<LearnResult> {
    const c = this.config;
    const k = this.counters;
    const { startStep, steps, totalSteps, log, engine } = await beginLearn('dqn', options, k, this.q);
    this.epsilonAt = linearSchedule(c.explorationInitialEps, c.explorationFinalEps, c.explorationFraction * totalSteps);
    this.betaAt = linearSchedule(c.priorityBeta0, 1, Math.max(1, totalSteps));
    const hint = `Try clipBootstrap=true, a longer targetUpdateInterval (${c.targetUpdateInterval} now), or fewer steps (${totalSteps} now; presets are tuned for their own step count).`;
    const result = await runOffPolicyLearner(this.env, {
      algo: 'dqn', vector: { numEnvs: c.numEnvs, asyncEnvs: c.asyncEnvs, wrap: c.frameSkip > 1 || c.clipReward ? (e) => trainingEnv(e, c) : null },
      steps, actRows: options.behaviour ?? ((x, n, s, out) => this.explore(x, n, s, out)), replay: this.replay as never,
      learningStarts: c.learningStarts, trainFreq: c.trainFreq, gradientSteps: c.gradientSteps,
      canTrain: () => this.replay.size >= c.batchSize,
      train: (s) => this.trainStep(s),
      // Target update every targetUpdateInterval env steps (with N envs every interval / N vector steps, as SB3):
      // a copy when tau = 1, else a Polyak blend.
      afterStep: (s, v) => {
        k.step = s;
        if (v % Math.max(1, Math.floor(c.targetUpdateInterval / c.numEnvs)) === 0) this.target.polyakFrom(this.q, c.tau);
        const warning = s % BootstrapWatch.WINDOW < c.numEnvs ? this.watch.check(s - (s % BootstrapWatch.WINDOW), hint) : null; // passed a window's end
        if (warning !== null) log(`dqn: ${warning}`);
      },
      ...learnCallbacks(options, k, { startStep, totalSteps }, (s, loss) => ({ epsilon: this.epsilonAt(s), loss }), (e) => ({ epsilon: this.epsilonAt(e.globalStep) })),
      logInterval: c.logInterval, seed: (c.seed + startStep) % 2 ** 31, carried: this.carry.take(log, 'dqn'),
    });
    Object.assign(k, { step: result.step, episodes: result.episodes, updates: result.updates });
    return { ...result, engine };
  }

  evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
    const env = (options.env ?? this.env) as Env<O, number>;
    return evaluatePolicy(env, (obs) => this.act(obs), { ...options, seed: options.seed ?? this.config.seed + EVAL_SEED_OFFSET });
  }

  // BOOKKEEPING: checkpoints through the generic run layer.
  snapshot(): Record<string, NamedArray[]> { return netParams({ q: this.q, target: this.target }); }
  restoreSnapshot(nets: Record<string, NamedArray[]>): void { setNetParams({ q: this.q, target: this.target }, nets); }

  async save(dir: string, options: { replay?: boolean; selection?: CheckpointContent['selection'] } = {}): Promise<void> {
    await saveCheckpoint(dir, {
      algo: 'dqn', step: this.counters.step, config: this.config, nets: this.snapshot(),
      env: { ...envRecord(this.env as Env<unknown, unknown>), state: this.carry.save(this.env) },
      optimizers: { q: this.opt.getState() }, rngs: { act: this.actRng.getState(), sample: this.sampleRng.getState() },
      counters: this.counters.toJSON(), selection: options.selection ?? null,
    }, options.replay ? this.replay : null);
  }

  /** Restores a checkpoint read by `readCheckpoint` into this agent (same config shape). */
  async restore(saved: LoadedCheckpoint): Promise<void> {
    this.restoreSnapshot(saved.nets);
    if (saved.optimizers['q']) this.opt.setState(saved.optimizers['q']);
    restoreRngs(saved, { act: this.actRng, sample: this.sampleRng });
    this.counters.restore(saved.counters, saved.dir);
    this.epsilonAt = linearSchedule(this.config.explorationInitialEps, this.config.explorationFinalEps, this.config.explorationFraction * this.counters.totalSteps);
    this.carry.restore(this.env, saved.env.state, saved.dir);
    if (saved.replay) this.replay = await loadReplay<'discrete', O>(join(saved.dir, 'replay'), { actionKind: 'discrete', obsDim: this.obs.dim });
  }

  dispose(): void {
    this.q.dispose();
    this.target.dispose();
  }
}

/**
 * Loads a DQN agent saved by `save()` (a checkpoint folder, or a run folder: its final/ or newest checkpoint) for
 * `env`, which must have the saved spaces. `overrides` change fields that keep the network's shape.
 */
export async function loadDqn<O>(path: string, env: Env<O, number>, overrides: Partial<DqnConfig> = {}, options: { prefer?: 'final' | 'latest' } = {}): Promise<DqnAgent<O>> {
  return restoreDqn((await openCheckpoint(path, options.prefer ?? 'final')).checkpoint, env, overrides);
}

/** A DQN agent from a checkpoint already read (the algorithm registry reads it once and dispatches here). */
export async function restoreDqn<O>(saved: LoadedCheckpoint, env: Env<O, number>, overrides: Partial<DqnConfig> = {}): Promise<DqnAgent<O>> {
  if (saved.algo !== 'dqn') throw new InvalidConfig(`Expected a dqn checkpoint, got one of '${saved.algo}' at ${saved.dir}. Load it with loadAgent().`);
  checkSavedSpaces(saved.env, env as Env<unknown, unknown>, join(saved.dir, 'state.json'));
  const agent = new Dqn(env, resolveDqnConfig({ ...(saved.config as Partial<DqnConfig>), ...overrides }));
  await agent.restore(saved);
  return agent;
}
