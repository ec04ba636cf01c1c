/**
 * DQN (Mnih et al. 2015) with the usual improvements as options: Double DQN, dueling heads, Huber loss,
 * gradient clipping, hard or soft (Polyak) target updates, reward clipping, frame skip, prioritized replay
 * and n-step returns. Discrete actions only.
 *
 * Reads top to bottom like CleanRL's dqn.py: the config (one documented field each), the agent (networks,
 * replay, exploration), the loop (steps$ feeds the replay writer, the learner, and the episode statistics),
 * then saving and loading. Algorithm parts are marked ALGORITHM; bookkeeping parts BOOKKEEPING.
 *
 * ```ts
 * const agent = dqn(make('CartPole-v1'), { learningRate: 2.3e-3, batchSize: 64, learningStarts: 1000, trainFreq: 128, gradientSteps: 32, targetUpdateInterval: 10, explorationFraction: 0.16, explorationFinalEps: 0.04 });
 * await agent.learn({ steps: 50_000 });
 * console.log(await agent.evaluate({ episodes: 10, seed: 1 }));
 * await agent.save('runs/cartpole');
 * const again = await loadDqn('runs/cartpole', make('CartPole-v1'));
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { map, share, type OperatorFunction, type Subscription } from 'rxjs';
import type { Env, Transition } from '../core/env.js';
import { CorruptFile, InvalidConfig, InvalidSpace, describeValue } from '../core/errors.js';
import { episodeStats } from '../core/operators/episode-stats.js';
import { Rng, type RngState } from '../core/rng.js';
import { describeSpace, flatdim, flatten, spaceFromJSON, spaceToJSON, spacesEqual, type AnySpace, type Space } from '../core/spaces.js';
import { steps$, type EpisodeSummary } from '../core/streams.js';
import { FrameSkip } from '../envs/wrappers/frame-skip.js';
import { PrioritizedReplayBuffer, ReplayBuffer, writeTo, type ReplayBatch } from '../replay/index.js';
import {
  decodeArrays,
  encodeArrays,
  isDirectory,
  latestCheckpoint,
  readJsonFile,
  verifyCheckpoint,
  writeCheckpoint,
  type TensorIndex,
} from './checkpoint.js';
import { backendInfo, describeBackend, initBackend, type BackendInfo } from './nn/backend.js';
import { qNetwork, type NetworkState, type QFunction } from './nn/q-network.js';
import { linearSchedule, type Schedule } from '../core/schedules.js';

// =========================================================================================================
// Config
// =========================================================================================================

/** Everything that defines a DQN run. Defaults (`DQN_DEFAULTS`) are Stable-Baselines3's DQN defaults. */
export interface DqnConfig {
  /** Discount factor gamma in [0, 1]. */
  gamma: number;
  /** Adam (or RMSProp) step size. */
  learningRate: number;
  /** Replay capacity in transitions. */
  bufferSize: number;
  /** Environment steps of uniformly random actions before the first gradient step. */
  learningStarts: number;
  /** Transitions per gradient step. */
  batchSize: number;
  /** Target-network update coefficient: 1 copies (hard update), below 1 blends (Polyak, soft update). */
  tau: number;
  /** Environment steps between target-network updates. */
  targetUpdateInterval: number;
  /** Environment steps between training rounds. */
  trainFreq: number;
  /** Gradient steps per training round. */
  gradientSteps: number;
  /** Fraction of the run over which epsilon falls linearly from its initial to its final value. */
  explorationFraction: number;
  /** Epsilon (probability of a random action) at step 0. */
  explorationInitialEps: number;
  /** Epsilon after the exploration fraction. */
  explorationFinalEps: number;
  /** Global gradient-norm clipping; null disables it. */
  maxGradNorm: number | null;
  /** Hidden layer widths of the Q-network. */
  hidden: number[];
  /** Hidden-layer nonlinearity. */
  activation: 'relu' | 'tanh';
  /** Double DQN: the online network picks the next action, the target network values it. */
  double: boolean;
  /** Dueling head: Q = V + A - mean(A). */
  dueling: boolean;
  /** Layer normalisation of hidden layers (tfjs engine). */
  layerNorm: boolean;
  /** TD loss: huber (delta 1, SB3's smooth L1) or mse. */
  loss: 'huber' | 'mse';
  /** Optimiser. */
  optimizer: 'adam' | 'rmsprop';
  /** Optimiser epsilon; null for the optimiser's default (1e-8 Adam, 1e-7 RMSProp). */
  adamEpsilon: number | null;
  /** Clip stored rewards to [-1, 1] (Atari DQN); logged returns stay unclipped. */
  clipReward: boolean;
  /** Repeat each action this many steps (FrameSkip wrapper, max-pooled frames); 1 disables it. */
  frameSkip: number;
  /** Prioritized experience replay (Schaul et al. 2016). */
  prioritized: boolean;
  /** PER priority exponent alpha. */
  priorityAlpha: number;
  /** PER importance-sampling exponent at the start; anneals linearly to 1 over the run. */
  priorityBeta0: number;
  /** PER constant added to |TD error| so that no transition has zero priority. */
  priorityEps: number;
  /** n-step returns: bootstrap after n rewards (1 is plain one-step TD). */
  nStep: number;
  /** Network engine: plain Float32Array MLP, tfjs, or auto (picked by size). */
  engine: 'auto' | 'plain' | 'tfjs';
  /** tfjs backend for the tfjs engine. */
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Seed of weights, exploration, replay sampling and environment resets. */
  seed: number;
  /** Environment steps between 'log' metrics records (mean loss, fps, epsilon). */
  logInterval: number;
}

/** SB3's DQN defaults (dqn.py, MlpPolicy), plus off-by-default extensions. */
export const DQN_DEFAULTS: Readonly<DqnConfig> = Object.freeze({
  gamma: 0.99,
  learningRate: 1e-4,
  bufferSize: 1_000_000,
  learningStarts: 100,
  batchSize: 32,
  tau: 1,
  targetUpdateInterval: 10_000,
  trainFreq: 4,
  gradientSteps: 1,
  explorationFraction: 0.1,
  explorationInitialEps: 1,
  explorationFinalEps: 0.05,
  maxGradNorm: 10,
  hidden: [64, 64],
  activation: 'relu',
  double: false,
  dueling: false,
  layerNorm: false,
  loss: 'huber',
  optimizer: 'adam',
  adamEpsilon: null,
  clipReward: false,
  frameSkip: 1,
  prioritized: false,
  priorityAlpha: 0.6,
  priorityBeta0: 0.4,
  priorityEps: 1e-6,
  nStep: 1,
  engine: 'auto',
  backend: 'auto',
  seed: 0,
  logInterval: 1000,
} satisfies DqnConfig) as Readonly<DqnConfig>;

type FieldCheck = (v: unknown) => boolean;
const num = (lo: number, hi: number, loOpen = false): FieldCheck => (v) =>
  typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi;
const int = (lo: number): FieldCheck => (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= lo;
const bool: FieldCheck = (v) => typeof v === 'boolean';
const oneOf = (...xs: string[]): FieldCheck => (v) => typeof v === 'string' && xs.includes(v);

/** How each field is checked, and how the expectation reads in an error message. */
const FIELDS: { [K in keyof DqnConfig]: [FieldCheck, string] } = {
  gamma: [num(0, 1), 'a number in [0, 1]'],
  learningRate: [num(0, Infinity, true), 'a positive number'],
  bufferSize: [int(1), 'a positive integer'],
  learningStarts: [int(0), 'a non-negative integer'],
  batchSize: [int(1), 'a positive integer'],
  tau: [num(0, 1, true), 'a number in (0, 1]'],
  targetUpdateInterval: [int(1), 'a positive integer'],
  trainFreq: [int(1), 'a positive integer'],
  gradientSteps: [int(1), 'a positive integer'],
  explorationFraction: [num(0, 1), 'a number in [0, 1]'],
  explorationInitialEps: [num(0, 1), 'a number in [0, 1]'],
  explorationFinalEps: [num(0, 1), 'a number in [0, 1]'],
  maxGradNorm: [(v) => v === null || num(0, Infinity, true)(v), 'a positive number or null'],
  hidden: [(v) => Array.isArray(v) && v.length > 0 && v.every(int(1)), 'a non-empty array of positive integers'],
  activation: [oneOf('relu', 'tanh'), "'relu' or 'tanh'"],
  double: [bool, 'a boolean'],
  dueling: [bool, 'a boolean'],
  layerNorm: [bool, 'a boolean'],
  loss: [oneOf('huber', 'mse'), "'huber' or 'mse'"],
  optimizer: [oneOf('adam', 'rmsprop'), "'adam' or 'rmsprop'"],
  adamEpsilon: [(v) => v === null || num(0, Infinity, true)(v), 'a positive number or null'],
  clipReward: [bool, 'a boolean'],
  frameSkip: [int(1), 'a positive integer'],
  prioritized: [bool, 'a boolean'],
  priorityAlpha: [num(0, Infinity), 'a number >= 0'],
  priorityBeta0: [num(0, 1), 'a number in [0, 1]'],
  priorityEps: [num(0, Infinity, true), 'a positive number'],
  nStep: [int(1), 'a positive integer'],
  engine: [oneOf('auto', 'plain', 'tfjs'), "'auto', 'plain' or 'tfjs'"],
  backend: [oneOf('auto', 'tensorflow', 'wasm', 'cpu'), "'auto', 'tensorflow', 'wasm' or 'cpu'"],
  seed: [int(0), 'a non-negative integer'],
  logInterval: [int(1), 'a positive integer'],
};

/** The config fields, in documentation order. */
export const DQN_CONFIG_KEYS = Object.keys(FIELDS) as (keyof DqnConfig)[];

/**
 * Fills defaults and validates every field; throws `InvalidConfig` ("Expected dqn.batchSize to be a positive
 * integer, got 0.") on the first bad one, and on unknown keys with a suggestion.
 */
export function resolveDqnConfig(partial: Partial<DqnConfig> = {}): DqnConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new InvalidConfig(`Expected a DQN config object, got ${describeValue(partial)}.`);
  }
  for (const key of Object.keys(partial)) {
    if (!(key in FIELDS)) {
      const near = DQN_CONFIG_KEYS.find((k) => k.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ''));
      throw new InvalidConfig(
        `Expected a DQN config key (${DQN_CONFIG_KEYS.join(', ')}), got "${key}".${near ? ` Did you mean "${near}"?` : ''}`,
      );
    }
  }
  const config = { ...DQN_DEFAULTS, hidden: [...DQN_DEFAULTS.hidden] } as DqnConfig;
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of DQN_CONFIG_KEYS) {
    const [check, expected] = FIELDS[key];
    if (!check(config[key])) throw new InvalidConfig(`Expected dqn.${key} to be ${expected}, got ${describeValue(config[key])}.`);
  }
  if (config.explorationFinalEps > config.explorationInitialEps) {
    throw new InvalidConfig(
      `Expected dqn.explorationFinalEps <= explorationInitialEps (${config.explorationInitialEps}), got ${config.explorationFinalEps}.`,
    );
  }
  if (config.batchSize > config.bufferSize) {
    throw new InvalidConfig(`Expected dqn.batchSize <= bufferSize (${config.bufferSize}), got ${config.batchSize}.`);
  }
  config.hidden = [...config.hidden];
  return config;
}

// =========================================================================================================
// Agent
// =========================================================================================================

/** What `learn()` reports while it runs (often; throttle on your side). */
export interface DqnProgress {
  /** Global environment steps taken so far (across resumes). */
  step: number;
  /** The step `learn()` runs to. */
  totalSteps: number;
  episodes: number;
  /** Environment steps per second in this `learn()` call. */
  fps: number;
  /** Mean return of the last 100 finished episodes (NaN before the first). */
  meanReturn: number;
  epsilon: number;
  /** Mean TD loss since the previous progress report, or of the last training round (NaN before learning starts). */
  loss: number;
  /** Gradient steps taken so far. */
  updates: number;
}

/** One 'log' record: emitted every `logInterval` steps. */
export interface DqnLogRecord extends DqnProgress {
  /** Mean loss over the interval. */
  loss: number;
}

/** Options of `learn()`; `O` is the agent's observation type (for `consumers`). */
export interface LearnOptions<O = unknown> {
  /** Environment steps to take in this call. */
  steps: number;
  /** Horizon of the exploration and PER-beta schedules (a resumed run passes its total); default: the current step plus `steps`. The call stops there even if `steps` would go further. */
  totalSteps?: number;
  /** Called every 100 steps and after every episode. */
  onProgress?: (p: DqnProgress) => void;
  /** Called once per finished episode (`step` is the global step of its last transition). */
  onEpisode?: (e: EpisodeSummary & { globalStep: number; epsilon: number }) => void;
  /** Called every `config.logInterval` steps. */
  onLog?: (r: DqnLogRecord) => void;
  /** Steps between calls to `onCheckpoint` (the stream pauses until it resolves). */
  checkpointEvery?: number;
  /** Saves a checkpoint at a step boundary; `learn()` waits for it. */
  onCheckpoint?: (step: number) => Promise<void>;
  /** More work at step boundaries every so many steps (e.g. `bestModelTracker`'s evaluations); `learn()` waits for each. */
  periodic?: readonly PeriodicHook[];
  /** Aborting stops the run at the next step boundary; `learn()` then resolves with `stopped: 'aborted'`. */
  signal?: AbortSignal;
  /** Where `learn()` says which engine and backend run; default stderr. Pass `() => {}` for silence. */
  log?: (line: string) => void;
  /**
   * Extra consumers of the run's shared transition stream (a recorder, a live viewer), each subscribed beside
   * the replay writer and unsubscribed when `learn()` ends; an error from one fails `learn()`. Each sees a
   * transition synchronously right after `env.step`, so `env.scene()` there is the state after that step.
   * `episode` and `step` count from 0 in each `learn()` call (add the agent's `episodes`/`step` from before
   * the call for run-wide numbers). Absent, the loop is unchanged.
   */
  consumers?: readonly OperatorFunction<Transition<O, number>, unknown>[];
}

/** Work `learn()` pauses for at a step boundary every `every` steps (after the first step of the call). */
export interface PeriodicHook {
  every: number;
  run: (step: number) => Promise<void>;
}

/** What `learn()` resolves to. */
export interface LearnResult {
  /** Global step reached. */
  step: number;
  episodes: number;
  updates: number;
  seconds: number;
  /** Steps per second of this call. */
  fps: number;
  stopped: 'done' | 'aborted';
  engine: 'plain' | 'tfjs';
  /** The tfjs backend (only when the tfjs engine runs). */
  backend: BackendInfo | null;
}

/** Options of `evaluate()`. */
export interface EvaluateOptions {
  /** Number of greedy episodes. Default 10. */
  episodes?: number;
  /** Seed of the first reset (later episodes continue the env's stream, as Gymnasium). Default config.seed + 1e6. */
  seed?: number;
  /** Evaluate on this environment instead of the agent's own. */
  env?: Env<unknown, number>;
  /** Probability of a random action; default 0 (greedy). */
  epsilon?: number;
  /** Steps per episode before it is cut (for environments without a time limit). Default 100000. */
  maxEpisodeSteps?: number;
}

/** What `evaluate()` resolves to. */
export interface EvaluateResult {
  mean: number;
  std: number;
  returns: number[];
  lengths: number[];
}

/** A DQN agent: greedy `act`, `learn`, `evaluate`, `save`. Make one with `dqn()` or `loadDqn()`. */
export interface DqnAgent<O = unknown> {
  readonly config: Readonly<DqnConfig>;
  /** The training environment (wrapped in FrameSkip when `config.frameSkip > 1`). */
  readonly env: Env<O, number>;
  /** The online Q-network. */
  readonly q: QFunction;
  /** The target Q-network. */
  readonly target: QFunction;
  /** Global environment steps taken. */
  readonly step: number;
  readonly episodes: number;
  readonly updates: number;
  /** Current exploration epsilon. */
  readonly epsilon: number;
  /** Greedy action for one observation. */
  act(obs: O): number;
  /** Q-values of one observation (numActions floats). */
  qValues(obs: O): Float32Array;
  learn(options: LearnOptions<O>): Promise<LearnResult>;
  evaluate(options?: EvaluateOptions): Promise<EvaluateResult>;
  /** Writes a checkpoint directory (weights, optimiser, rng, counters, optionally the replay). */
  save(dir: string, options?: { replay?: boolean }): Promise<void>;
  /** Frees network memory. */
  dispose(): void;
}

/** Counters and rng streams that a checkpoint restores. */
interface AgentState {
  step: number;
  episodes: number;
  updates: number;
  totalSteps: number;
  recentReturns: number[];
}

const CHECKPOINT_VERSION = 1;
const EVAL_SEED_OFFSET = 1_000_000;

/**
 * Builds a DQN agent for `env` (discrete actions, any flattenable observations). Throws `InvalidSpace` for a
 * non-discrete action space and `InvalidConfig` for a bad config field.
 */
export function dqn<O>(env: Env<O, number>, config: Partial<DqnConfig> = {}): DqnAgent<O> {
  return new Dqn(env, resolveDqnConfig(config));
}

class Dqn<O> implements DqnAgent<O> {
  readonly config: DqnConfig;
  readonly env: Env<O, number>;
  readonly q: QFunction;
  readonly target: QFunction;
  readonly obsSpace: Space<O>;
  readonly numActions: number;
  readonly actionStart: number;
  readonly obsDim: number;
  /** Exploration draws (epsilon-greedy). */
  readonly actRng: Rng;
  /** Replay sampling draws. */
  readonly sampleRng: Rng;
  replay: ReplayBuffer<'discrete', O>;
  state: AgentState = { step: 0, episodes: 0, updates: 0, totalSteps: 0, recentReturns: [] };
  private epsilonAt: Schedule;
  private betaAt: Schedule;
  // Preallocated scratch for act() and the learner (no allocation per step).
  private readonly obsBuf: Float32Array;
  private readonly nextQTarget: Float32Array;
  private readonly nextQOnline: Float32Array;
  private readonly targets: Float32Array;
  private readonly tdErrors: Float32Array;
  private batch: ReplayBatch<'discrete'> | undefined;
  private lossSum = 0;
  private lossCount = 0;

  constructor(env: Env<O, number>, config: DqnConfig) {
    const actionSpace = env.actionSpace as AnySpace;
    if (actionSpace.kind !== 'discrete') {
      throw new InvalidSpace(
        `Expected a Discrete action space for DQN, got ${describeSpace(actionSpace)}. DQN chooses among a finite set of actions; ` +
          'use a continuous-control agent (DDPG/TD3) or discretise the actions with a wrapper.',
      );
    }
    this.config = config;
    this.env = (config.frameSkip > 1 ? new FrameSkip(env, config.frameSkip) : env) as Env<O, number>;
    this.obsSpace = env.observationSpace;
    this.numActions = actionSpace.n;
    this.actionStart = actionSpace.start;
    this.obsDim = flatdim(this.obsSpace as AnySpace);
    const seedRng = new Rng(config.seed);
    this.actRng = seedRng.fork();
    this.sampleRng = seedRng.fork();
    this.q = qNetwork({
      obsDim: this.obsDim,
      numActions: this.numActions,
      hidden: config.hidden,
      activation: config.activation,
      dueling: config.dueling,
      layerNorm: config.layerNorm,
      optimizer: config.optimizer,
      learningRate: config.learningRate,
      ...(config.adamEpsilon !== null ? { adamEpsilon: config.adamEpsilon } : {}),
      loss: config.loss,
      maxGradNorm: config.maxGradNorm,
      engine: config.engine,
      seed: config.seed,
    });
    this.target = this.q.clone();
    this.replay = this.makeReplay();
    this.epsilonAt = linearSchedule(config.explorationInitialEps, config.explorationFinalEps, 0);
    this.betaAt = () => config.priorityBeta0;
    const b = config.batchSize;
    this.obsBuf = new Float32Array(this.obsDim);
    this.nextQTarget = new Float32Array(b * this.numActions);
    this.nextQOnline = new Float32Array(b * this.numActions);
    this.targets = new Float32Array(b);
    this.tdErrors = new Float32Array(b);
  }

  private makeReplay(): ReplayBuffer<'discrete', O> {
    const c = this.config;
    // Observations are flattened by the buffer; discrete actions are stored as given (minus nothing).
    const common = {
      capacity: c.bufferSize,
      obsDim: this.obsDim,
      actionKind: 'discrete' as const,
      obsSpace: this.obsSpace,
      nStep: c.nStep,
      gamma: c.gamma,
    };
    return c.prioritized
      ? new PrioritizedReplayBuffer<'discrete', O>({ ...common, alpha: c.priorityAlpha, beta: c.priorityBeta0, epsilon: c.priorityEps })
      : new ReplayBuffer<'discrete', O>(common);
  }

  get step(): number {
    return this.state.step;
  }
  get episodes(): number {
    return this.state.episodes;
  }
  get updates(): number {
    return this.state.updates;
  }
  get epsilon(): number {
    return this.epsilonAt(this.state.step);
  }

  private flat(obs: O): Float32Array {
    return flatten(this.obsSpace, obs, this.obsBuf);
  }

  act(obs: O): number {
    return this.q.act(this.flat(obs)) + this.actionStart;
  }

  qValues(obs: O): Float32Array {
    return this.q.predict(this.flat(obs), 1, new Float32Array(this.numActions));
  }

  // -------------------------------------------------------------------------------------------------------
  // ALGORITHM: epsilon-greedy behaviour policy
  // -------------------------------------------------------------------------------------------------------
  private explore(obs: O): number {
    const s = this.state.step;
    // Uniformly random until learning starts (SB3), then epsilon-greedy with the linear schedule.
    if (s < this.config.learningStarts || this.actRng.float() < this.epsilonAt(s)) {
      return this.actRng.int(this.numActions) + this.actionStart;
    }
    return this.q.act(this.flat(obs)) + this.actionStart;
  }

  // -------------------------------------------------------------------------------------------------------
  // ALGORITHM: one gradient step on a replay batch
  // -------------------------------------------------------------------------------------------------------
  private trainStep(): number {
    const c = this.config;
    const B = c.batchSize;
    const A = this.numActions;
    const replay = this.replay;
    const per = replay instanceof PrioritizedReplayBuffer;
    const batch = (this.batch ??= replay.createBatch(B));
    if (per) replay.sampleInto(batch, this.sampleRng, this.betaAt(this.state.step));
    else replay.sampleInto(batch, this.sampleRng);
    if (this.actionStart !== 0) for (let i = 0; i < B; i++) batch.actions[i]! -= this.actionStart;
    // Q_target(s', .) for every next state; Double DQN also needs Q_online(s', .) to pick a'.
    this.target.predict(batch.nextObs, B, this.nextQTarget);
    if (c.double) this.q.predict(batch.nextObs, B, this.nextQOnline);
    const y = this.targets;
    for (let i = 0; i < B; i++) {
      const row = i * A;
      let next: number;
      if (c.double) {
        // a' = argmax_a Q_online(s', a); value it with the target network (van Hasselt et al. 2016).
        let best = 0;
        for (let a = 1; a < A; a++) if (this.nextQOnline[row + a]! > this.nextQOnline[row + best]!) best = a;
        next = this.nextQTarget[row + best]!;
      } else {
        next = this.nextQTarget[row]!;
        for (let a = 1; a < A; a++) if (this.nextQTarget[row + a]! > next) next = this.nextQTarget[row + a]!;
      }
      // TD target: y = r + gamma^k * (1 - terminated) * max_a' Q(s', a'); k = 1 or the n-step length.
      // A truncated transition still bootstraps: only `terminated` zeroes the tail.
      const discount = batch.discounts ? batch.discounts[i]! : c.gamma;
      y[i] = batch.rewards[i]! + (batch.terminated[i] ? 0 : discount * next);
    }
    const loss = this.q.fit(batch.obs, batch.actions, y, B, per ? { weights: batch.weights!, tdErrorsOut: this.tdErrors } : undefined);
    // PER: new priority = (|TD error| + eps)^alpha (the buffer adds eps and the power).
    if (per) replay.updatePriorities(batch.indices, this.tdErrors);
    this.state.updates++;
    return loss;
  }

  // -------------------------------------------------------------------------------------------------------
  // ALGORITHM: what happens after every environment step
  // -------------------------------------------------------------------------------------------------------
  private afterStep(): void {
    const c = this.config;
    const s = ++this.state.step;
    if (s > c.learningStarts && s % c.trainFreq === 0 && this.replay.size >= c.batchSize) {
      for (let g = 0; g < c.gradientSteps; g++) {
        const loss = this.trainStep();
        this.lossSum += loss;
        this.lossCount++;
      }
    }
    // Target update every targetUpdateInterval env steps: a copy when tau = 1, else a Polyak blend.
    if (s % c.targetUpdateInterval === 0) this.target.updateFrom(this.q, c.tau);
  }

  // -------------------------------------------------------------------------------------------------------
  // The loop: steps$ drives the env; the replay writer, the learner and episode statistics consume it.
  // -------------------------------------------------------------------------------------------------------
  async learn(options: LearnOptions<O>): Promise<LearnResult> {
    const c = this.config;
    const steps = options.steps;
    if (!Number.isSafeInteger(steps) || steps < 0) {
      throw new InvalidConfig(`Expected learn({ steps }) to be a non-negative integer, got ${describeValue(steps)}.`);
    }
    const every = options.checkpointEvery;
    if (every !== undefined && (!Number.isSafeInteger(every) || every < 1)) {
      throw new InvalidConfig(`Expected learn({ checkpointEvery }) to be a positive integer, got ${describeValue(every)}.`);
    }
    const hooks: PeriodicHook[] = [...(options.periodic ?? [])];
    if (every !== undefined && options.onCheckpoint) hooks.push({ every, run: options.onCheckpoint });
    for (const h of hooks) {
      if (!Number.isSafeInteger(h.every) || h.every < 1) {
        throw new InvalidConfig(`Expected learn({ periodic }) every to be a positive integer, got ${describeValue(h.every)}.`);
      }
    }
    const startStep = this.state.step;
    const totalSteps = options.totalSteps ?? startStep + steps;
    this.state.totalSteps = totalSteps;
    this.epsilonAt = linearSchedule(c.explorationInitialEps, c.explorationFinalEps, c.explorationFraction * totalSteps);
    this.betaAt = linearSchedule(c.priorityBeta0, 1, Math.max(1, totalSteps));

    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    let backend: BackendInfo | null = null;
    if (this.q.engine === 'tfjs') {
      backend = await initBackend(c.backend);
      log(`dqn: engine tfjs, ${describeBackend(backend)}`);
    } else {
      log(`dqn: engine plain (Float32Array MLP ${this.obsDim}-${c.hidden.join('-')}-${this.numActions}, no tensors)`);
    }

    const started = performance.now();
    const fps = () => ((this.state.step - startStep) * 1000) / Math.max(1, performance.now() - started);
    let lastLoss = NaN;
    let lossWindowSum = 0;
    let lossWindowCount = 0;
    const progress = (): DqnProgress => {
      // Between training rounds, show the last round's loss rather than nothing.
      const loss = this.lossCount > 0 ? this.lossSum / this.lossCount : lastLoss;
      lastLoss = loss;
      if (this.lossCount > 0) {
        lossWindowSum += this.lossSum;
        lossWindowCount += this.lossCount;
      }
      this.lossSum = 0;
      this.lossCount = 0;
      const r = this.state.recentReturns;
      return {
        step: this.state.step,
        totalSteps,
        episodes: this.state.episodes,
        fps: fps(),
        meanReturn: r.length ? r.reduce((a, b) => a + b, 0) / r.length : NaN,
        epsilon: this.epsilon,
        loss,
        updates: this.state.updates,
      };
    };

    let stopped: 'done' | 'aborted' = options.signal?.aborted ? 'aborted' : 'done';
    const remaining = Math.max(0, Math.min(steps, totalSteps - startStep));
    if (remaining > 0 && !options.signal?.aborted) {
      await new Promise<void>((resolve, reject) => {
        let sub: Subscription | undefined;
        let finished = false;
        const finish = (err?: unknown) => {
          if (finished) return;
          finished = true;
          sub?.unsubscribe();
          options.signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        };
        const onAbort = () => {
          stopped = 'aborted';
        };
        options.signal?.addEventListener('abort', onAbort);

        // BOOKKEEPING: the actor is also where the run pauses for checkpoints and stops on abort, because it
        // is called at a step boundary: every earlier transition is stored and learned from.
        const actor = (obs: O): number | Promise<number> => {
          if (stopped === 'aborted') {
            queueMicrotask(() => finish());
            return new Promise<number>(() => {}); // never resolves: the subscription ends first
          }
          const s = this.state.step;
          if (hooks.length > 0 && s > startStep) {
            let due: Promise<void> | null = null;
            for (let i = 0; i < hooks.length; i++) {
              const h = hooks[i]!;
              if (s % h.every === 0) due = due === null ? h.run(s) : due.then(() => h.run(s));
            }
            if (due !== null) return due.then(() => this.explore(obs));
          }
          return this.explore(obs);
        };

        const stream = steps$(this.env, actor, {
          seed: (c.seed + startStep) % 2 ** 31,
          maxSteps: remaining,
        }).pipe(share());

        // ALGORITHM: the replay writer (rewards clipped to [-1, 1] when asked; logged returns stay raw),
        // then the learner, which runs when the schedule says so.
        const toStore = c.clipReward ? stream.pipe(map(clipReward)) : stream;
        sub = toStore.pipe(writeTo(this.replay)).subscribe({
          next: () => {
            this.afterStep();
            if (this.state.step % c.logInterval === 0 && options.onLog) {
              const p = progress();
              const loss = lossWindowCount > 0 ? lossWindowSum / lossWindowCount : NaN;
              lossWindowSum = 0;
              lossWindowCount = 0;
              options.onLog({ ...p, loss });
            } else if (this.state.step % 100 === 0 && options.onProgress) {
              options.onProgress(progress());
            }
          },
          error: (err: unknown) => finish(err),
          complete: () => finish(),
        });
        // BOOKKEEPING: episode statistics, a consumer beside the writer and the learner.
        const statsSub = stream.pipe(episodeStats()).subscribe((e) => {
          this.state.episodes++;
          const r = this.state.recentReturns;
          r.push(e.return);
          if (r.length > 100) r.shift();
          options.onEpisode?.({ ...e, episode: this.state.episodes - 1, globalStep: this.state.step, epsilon: this.epsilon });
          options.onProgress?.(progress());
        });
        sub.add(statsSub);
        // BOOKKEEPING: caller-supplied consumers (recorder, live viewer) share the same run.
        for (const consumer of options.consumers ?? []) {
          sub.add(stream.pipe(consumer).subscribe({ error: (err: unknown) => finish(err) }));
        }
      });
    }
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.(progress());
    return {
      step: this.state.step,
      episodes: this.state.episodes,
      updates: this.state.updates,
      seconds,
      fps: (this.state.step - startStep) / Math.max(seconds, 1e-9),
      stopped,
      engine: this.q.engine,
      backend: backend ?? (this.q.engine === 'tfjs' ? await backendInfo() : null),
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Evaluation: greedy episodes
  // -------------------------------------------------------------------------------------------------------
  async evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
    const episodes = options.episodes ?? 10;
    if (!Number.isSafeInteger(episodes) || episodes < 1) {
      throw new InvalidConfig(`Expected evaluate({ episodes }) to be a positive integer, got ${describeValue(episodes)}.`);
    }
    const env = (options.env ?? this.env) as Env<O, number>;
    const seed = options.seed ?? this.config.seed + EVAL_SEED_OFFSET;
    const epsilon = options.epsilon ?? 0;
    const maxSteps = options.maxEpisodeSteps ?? 100_000;
    const rng = new Rng(seed);
    const returns: number[] = [];
    const lengths: number[] = [];
    for (let ep = 0; ep < episodes; ep++) {
      let { obs } = env.reset(ep === 0 ? { seed } : undefined);
      let total = 0;
      let length = 0;
      for (;;) {
        const action = epsilon > 0 && rng.float() < epsilon ? rng.int(this.numActions) + this.actionStart : this.act(obs);
        const r = env.step(action);
        total += r.reward;
        length++;
        obs = r.obs;
        if (r.terminated || r.truncated || length >= maxSteps) break;
      }
      returns.push(total);
      lengths.push(length);
      // Let timers and signals run between episodes.
      if (ep % 4 === 3) await new Promise((r) => setImmediate(r));
    }
    const mean = returns.reduce((a, b) => a + b, 0) / episodes;
    const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
    return { mean, std, returns, lengths };
  }

  // -------------------------------------------------------------------------------------------------------
  // BOOKKEEPING: checkpoints
  // -------------------------------------------------------------------------------------------------------
  async save(dir: string, options: { replay?: boolean } = {}): Promise<void> {
    const q = encodeNetwork(this.q.getState());
    const target = encodeNetwork(this.target.getState(), false);
    const state: DqnCheckpointState = {
      algo: 'dqn',
      version: CHECKPOINT_VERSION,
      config: this.config,
      envId: this.env.spec?.id ?? null,
      observationSpace: spaceToJSON(this.obsSpace as AnySpace),
      actionSpace: spaceToJSON(this.env.actionSpace as AnySpace),
      counters: { ...this.state, recentReturns: [...this.state.recentReturns] },
      rng: { act: this.actRng.getState(), sample: this.sampleRng.getState() },
      q: { index: q.index, step: q.step },
      target: { index: target.index },
      replay: options.replay === true,
    };
    await writeCheckpoint(
      dir,
      this.state.step,
      { 'q.bin': q.data, 'target.bin': target.data, 'state.json': `${JSON.stringify(state, null, 2)}\n` },
      options.replay ? { writeExtra: (d) => this.replay.save(join(d, 'replay')) } : {},
    );
  }

  /** Restores a verified checkpoint directory into this agent. */
  async restore(dir: string, state: DqnCheckpointState): Promise<void> {
    const qPath = join(dir, 'q.bin');
    const tPath = join(dir, 'target.bin');
    this.q.setState(decodeNetwork(state.q.index, await readFile(qPath), qPath, state.q.step));
    const targetState = decodeNetwork(state.target.index, await readFile(tPath), tPath, 0);
    targetState.optimizer = [];
    this.target.setState(targetState);
    const statePath = join(dir, 'state.json');
    try {
      this.actRng.setState(state.rng.act);
      this.sampleRng.setState(state.rng.sample);
    } catch (cause) {
      throw new CorruptFile(statePath, `Expected rng states in ${statePath}, got ${describeValue(state.rng)}.`, { cause });
    }
    const k = state.counters;
    this.state = { step: k.step, episodes: k.episodes, updates: k.updates, totalSteps: k.totalSteps, recentReturns: [...k.recentReturns] };
    this.epsilonAt = linearSchedule(this.config.explorationInitialEps, this.config.explorationFinalEps, this.config.explorationFraction * k.totalSteps);
    if (state.replay) {
      const expect = { actionKind: 'discrete' as const, obsDim: this.obsDim };
      const replayDir = join(dir, 'replay');
      this.replay = this.config.prioritized
        ? await PrioritizedReplayBuffer.load<'discrete', O>(replayDir, expect)
        : await ReplayBuffer.load<'discrete', O>(replayDir, expect);
    }
  }

  dispose(): void {
    this.q.dispose();
    this.target.dispose();
  }
}

function clipReward<T extends { reward: number }>(t: T): T {
  return t.reward >= -1 && t.reward <= 1 ? t : { ...t, reward: t.reward > 1 ? 1 : -1 };
}

/** The content of a DQN checkpoint's state.json. */
export interface DqnCheckpointState {
  algo: 'dqn';
  version: number;
  config: DqnConfig;
  envId: string | null;
  observationSpace: unknown;
  actionSpace: unknown;
  counters: AgentState;
  rng: { act: RngState; sample: RngState };
  q: { index: TensorIndex; step: number };
  target: { index: TensorIndex };
  /** Whether the checkpoint holds the replay buffer (replay/). */
  replay: boolean;
}

function encodeNetwork(state: NetworkState, withOptimizer = true): { index: TensorIndex; data: Uint8Array; step: number } {
  const arrays = [
    ...state.params.map((p) => ({ ...p, name: `param:${p.name}` })),
    ...(withOptimizer ? state.optimizer.map((p) => ({ ...p, name: `optimizer:${p.name}` })) : []),
  ];
  const { index, data } = encodeArrays(arrays);
  return { index, data, step: state.step };
}

function decodeNetwork(index: TensorIndex, data: Uint8Array, path: string, step: number): NetworkState {
  const arrays = decodeArrays(index, data, path);
  const strip = (prefix: string) =>
    arrays.filter((a) => a.name.startsWith(prefix)).map((a) => ({ ...a, name: a.name.slice(prefix.length) }));
  return { params: strip('param:'), optimizer: strip('optimizer:'), step };
}

/**
 * Finds the checkpoint to load under `path`: the path itself when it holds a manifest, else the run's final/,
 * else its newest complete checkpoint. Throws `CorruptFile` when there is none or it is damaged.
 */
export async function findCheckpoint(path: string, prefer: 'final' | 'latest' = 'final'): Promise<string> {
  if (await isDirectory(path)) {
    const { existsSync } = await import('node:fs');
    if (existsSync(join(path, 'manifest.json'))) return path;
    const final = join(path, 'final');
    if (prefer === 'final' && existsSync(join(final, 'manifest.json'))) return final;
    const latest = await latestCheckpoint(join(path, 'checkpoints'));
    if (latest) return latest.dir;
    if (prefer === 'latest' && existsSync(join(final, 'manifest.json'))) return final;
  }
  throw new CorruptFile(path, `Expected a DQN checkpoint (a folder with manifest.json, or a run with final/ or checkpoints/), got none at ${path}.`);
}

/** Reads and checks a DQN checkpoint's state.json (after `verifyCheckpoint`). */
export async function readDqnState(dir: string): Promise<DqnCheckpointState> {
  await verifyCheckpoint(dir);
  const path = join(dir, 'state.json');
  const state = await readJsonFile<DqnCheckpointState>(path);
  if (!state || state.algo !== 'dqn' || state.version !== CHECKPOINT_VERSION || !state.q || !state.target || !state.counters) {
    throw new CorruptFile(path, `Expected ${path} to be a DQN checkpoint state (algo "dqn", version ${CHECKPOINT_VERSION}), got ${describeValue(state)}.`);
  }
  return state;
}

/**
 * Loads a DQN agent saved by `save()` (a checkpoint dir, or a run folder: its final/ or newest checkpoint)
 * for `env`, which must have the saved observation and action spaces. `overrides` change config fields that
 * do not alter the network (e.g. `learningStarts`, `explorationFinalEps`).
 */
export async function loadDqn<O>(
  path: string,
  env: Env<O, number>,
  overrides: Partial<DqnConfig> = {},
  options: { prefer?: 'final' | 'latest' } = {},
): Promise<DqnAgent<O>> {
  const dir = await findCheckpoint(path, options.prefer);
  const state = await readDqnState(dir);
  const config = resolveDqnConfig({ ...state.config, ...overrides });
  const statePath = join(dir, 'state.json');
  for (const [what, saved, live] of [
    ['observation', state.observationSpace, env.observationSpace],
    ['action', state.actionSpace, env.actionSpace],
  ] as const) {
    let savedSpace: AnySpace;
    try {
      savedSpace = spaceFromJSON(saved);
    } catch (cause) {
      throw new CorruptFile(statePath, `Expected a saved ${what} space in ${statePath}, got ${describeValue(saved)}.`, { cause });
    }
    if (!spacesEqual(savedSpace, live as AnySpace)) {
      throw new InvalidSpace(
        `Expected an environment whose ${what} space is ${describeSpace(savedSpace)} (as saved${state.envId ? ` for ${state.envId}` : ''}), got ${describeSpace(live as AnySpace)}.`,
      );
    }
  }
  const agent = new Dqn(env, config);
  await agent.restore(dir, state);
  return agent;
}
