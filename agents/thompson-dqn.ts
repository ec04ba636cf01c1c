/**
 * The DQN agent that explores by Thompson sampling (`explore: 'bootstrap' | 'mc-dropout'`): at the start of each
 * episode it draws one Q-function from its posterior (a head of the bootstrapped ensemble, or a dropout mask) and
 * acts greedily with it for the whole episode. Everything else is DQN's: the replay, the off-policy loop, the
 * target-network schedule, checkpoints and resume. The posteriors (the algorithms) are bootstrapped-dqn.ts and
 * mc-dropout-dqn.ts; this file is the agent around them.
 */
import { join } from 'node:path';
import type { Env } from '../core/env.js';
import { InvalidConfig } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { CheckpointContent, JsonValue, LoadedCheckpoint, OptimizerState } from '../core/node/checkpoint/checkpoint.js';
import { loadReplay } from '../replay/node/files.js';
import { ReplayBuffer } from '../replay/replay-buffer.js';
import type { ReplayBatch } from '../replay/types.js';
import type { NamedArray } from '../nn/types.js';
import type { Agent, LearnOptions, LearnResult } from './agent.js';
import { BootstrapReplay } from './bootstrap-replay.js';
import { BootstrapEnsemble } from './bootstrapped-dqn.js';
import { beginLearn, checkSavedSpaces, envRecord, EpisodeCarry, ObservationEncoder, RunCounters, requireActionSpace, restoreRngs, saveCheckpoint, trainingEnv } from './common.js';
import { DropoutQ } from './mc-dropout-dqn.js';
import { EVAL_SEED_OFFSET, evaluatePolicy, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
import { resolveExploringDqnConfig, type ExploringDqnConfig } from './explore-config.js';
import { runOffPolicy } from './loops/off-policy.js';
import { openCheckpoint } from './runs/find.js';

/** The config fields a posterior reads. */
export type QPosteriorConfig = ExploringDqnConfig;

/** A distribution over Q-functions that the agent samples once per episode. Observations are encoded rows. */
export interface QPosterior {
  readonly kind: 'bootstrap' | 'mc-dropout';
  readonly numActions: number;
  /** Draws the Q-function the next episode acts with. */
  resample(rng: Rng): void;
  /** Q(x, .) of the sampled function for one row (numActions floats into out). */
  sampledQ(x: Float32Array, out: Float32Array): Float32Array;
  /** Q(x, .) of the posterior's mean function: the greedy policy for evaluation and the viewer. */
  meanQ(x: Float32Array, out: Float32Array): Float32Array;
  /** How much the posterior's Q-functions disagree at x: the standard deviation over samples, averaged over actions. */
  qSpread(x: Float32Array): number;
  /** One gradient step on an encoded batch (actions from 0); returns the loss. */
  update(batch: ReplayBatch<'discrete'>): number;
  /** Target networks: a copy (tau 1) or a Polyak blend of the online ones. */
  updateTargets(tau: number): void;
  nets(): Record<string, NamedArray[]>;
  setNets(saved: Record<string, NamedArray[]>): void;
  optimizerStates(): Record<string, OptimizerState>;
  setOptimizerStates(saved: Record<string, OptimizerState>): void;
  /** The current sample (head index, dropout mask) for checkpoints: a resumed episode keeps acting with it. */
  getSample(): JsonValue;
  setSample(v: JsonValue): void;
}

/** A DQN agent that explores by Thompson sampling. Make one with `exploringDqn()`. */
export interface ThompsonDqnAgent<O = unknown> extends Agent<O, number> {
  readonly config: Readonly<ExploringDqnConfig>;
  readonly posterior: QPosterior;
  /** Q-values of one observation under the posterior's mean function. */
  qValues(obs: O): Float32Array;
  /** The spread of Q(obs, .) over the posterior (see `QPosterior.qSpread`): what the viewer shows as qSpread. */
  uncertainty(obs: O): number;
}

/** A DQN agent for `env` exploring as `config.explore` says; 'epsilon' is refused here (use `dqn()`). */
export function thompsonDqn<O>(env: Env<O, number>, config: Partial<ExploringDqnConfig>): ThompsonDqnAgent<O> {
  const c = resolveExploringDqnConfig(config);
  if (c.explore === 'epsilon') throw new InvalidConfig("Expected explore 'bootstrap' or 'mc-dropout' for thompsonDqn(), got 'epsilon': use dqn() or exploringDqn().");
  return new ThompsonDqn(env, c);
}

class ThompsonDqn<O> implements ThompsonDqnAgent<O> {
  readonly algo = 'dqn';
  readonly env: Env<O, number>;
  readonly posterior: QPosterior;
  replay: ReplayBuffer<'discrete', O>;
  readonly counters = new RunCounters();
  private readonly obs: ObservationEncoder<O>;
  private readonly numActions: number;
  private readonly actionStart: number;
  private readonly actRng: Rng; // the per-episode draws and greedy tie-breaks
  private readonly sampleRng: Rng; // replay sampling
  private readonly maskRng: Rng; // bootstrap masks
  private readonly carry = new EpisodeCarry<O>();
  private readonly qRow: Float32Array;
  private batch: ReplayBatch<'discrete'> | undefined;

  constructor(env: Env<O, number>, readonly config: ExploringDqnConfig) {
    const space = requireActionSpace('dqn', env as Env<unknown, unknown>, ['discrete']) as { n: number; start: number };
    const c = config;
    this.env = trainingEnv(env, c);
    this.obs = new ObservationEncoder(env.observationSpace);
    [this.numActions, this.actionStart] = [space.n, space.start];
    const seedRng = new Rng(c.seed);
    [this.actRng, this.sampleRng, this.maskRng] = [seedRng.fork(), seedRng.fork(), seedRng.fork()];
    this.posterior = c.explore === 'bootstrap' ? new BootstrapEnsemble(this.obs.dim, this.numActions, c) : new DropoutQ(this.obs.dim, this.numActions, c);
    this.posterior.resample(this.actRng);
    this.replay = this.makeReplay();
    this.qRow = new Float32Array(this.numActions);
  }

  private replayConfig() {
    const c = this.config;
    return { capacity: c.bufferSize, obsDim: this.obs.dim, actionKind: 'discrete' as const, obsSpace: this.obs.space, nStep: c.nStep, gamma: c.gamma };
  }

  private makeReplay(): ReplayBuffer<'discrete', O> {
    const c = this.config;
    return c.explore === 'bootstrap' ? new BootstrapReplay<O>(this.replayConfig(), c.heads, c.maskProb, this.maskRng, this.priorCache()) : new ReplayBuffer<'discrete', O>(this.replayConfig());
  }

  /** The heads' prior outputs, cached per stored row: the priors never change, so each row's are computed once. */
  private priorCache() {
    const p = this.posterior;
    if (!(p instanceof BootstrapEnsemble) || this.config.priorScale === 0) return null;
    p.usePriorCache = true;
    return { width: this.config.heads * this.numActions, scale: this.obs.scale, compute: (x: Float32Array, out: Float32Array) => p.priorRow(x, out) };
  }

  get step(): number { return this.counters.step; }
  get episodes(): number { return this.counters.episodes; }
  get updates(): number { return this.counters.updates; }

  qValues(obs: O): Float32Array { return this.posterior.meanQ(this.obs.encode(obs), new Float32Array(this.numActions)); }
  values(obs: O): Float32Array { return this.qValues(obs); }
  uncertainty(obs: O): number { return this.posterior.qSpread(this.obs.encode(obs)); }

  act(obs: O): number {
    return this.argmax(this.posterior.meanQ(this.obs.encode(obs), this.qRow), false) + this.actionStart;
  }

  // ALGORITHM: the behaviour policy is greedy under this episode's sampled Q-function (ties broken at random, as bsuite).
  private explore(obs: O): number {
    return this.argmax(this.posterior.sampledQ(this.obs.encode(obs), this.qRow), true) + this.actionStart;
  }

  private argmax(q: Float32Array, randomTies: boolean): number {
    return greedyAction(q, this.numActions, randomTies ? this.actRng : null);
  }

  // ALGORITHM: one learner step: a uniform batch (with its bootstrap masks), then the posterior's update.
  private trainStep(): number {
    const B = this.config.batchSize;
    const batch = (this.batch ??= this.replay.createBatch(B));
    this.replay.sampleInto(batch, this.sampleRng);
    if (this.actionStart !== 0) for (let i = 0; i < B; i++) batch.actions[i]! -= this.actionStart;
    this.obs.scaleRows(batch.obs);
    this.obs.scaleRows(batch.nextObs);
    if (this.replay instanceof BootstrapReplay && this.posterior instanceof BootstrapEnsemble) {
      this.replay.gatherMasks(batch, this.posterior.batchMasks);
      this.replay.gatherCache(batch, this.posterior.batchPriors);
    }
    const loss = this.posterior.update(batch);
    this.counters.updates++;
    return loss;
  }

  async learn(options: LearnOptions<O, number>): Promise<LearnResult> {
    const c = this.config;
    const k = this.counters;
    const { startStep, steps, totalSteps, log, engine } = await beginLearn(`dqn (explore ${c.explore})`, options, k, this.firstNet());
    const report = (p: { step: number; episodes: number; updates: number; fps: number; loss: number }) => ({
      step: p.step, totalSteps, startStep, episodes: p.episodes, fps: p.fps, meanReturn: k.meanReturn, updates: p.updates, metrics: { epsilon: 0, loss: p.loss },
    });
    const result = await runOffPolicy(this.env, {
      steps,
      act: (obs) => this.explore(obs),
      store: this.replay,
      learningStarts: c.learningStarts, trainFreq: c.trainFreq, gradientSteps: c.gradientSteps,
      canTrain: () => this.replay.size >= c.batchSize,
      train: () => this.trainStep(),
      afterStep: (s) => {
        k.step = s;
        if (s % c.targetUpdateInterval === 0) this.posterior.updateTargets(c.tau);
      },
      // Thompson sampling: a new Q-function at every reset (a resumed episode is not a reset and keeps its sample).
      onReset: (obs, ctx) => {
        this.posterior.resample(this.actRng);
        options.onReset?.(obs, ctx);
      },
      hooks: options.periodic ?? [], consumers: options.consumers ?? [],
      onEpisode: (e) => {
        k.addEpisode(e.episode, e.return);
        options.onEpisode?.({ ...e, metrics: { epsilon: 0 } });
      },
      onLog: (p) => options.onLog?.(report(p)),
      onProgress: (p) => options.onProgress?.(report(p)),
      logInterval: c.logInterval, startStep, startEpisodes: k.episodes, startUpdates: k.updates,
      seed: (c.seed + startStep) % 2 ** 31, ...this.carry.take(log, 'dqn'),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    Object.assign(k, { step: result.step, episodes: result.episodes, updates: result.updates });
    return { ...result, engine };
  }

  private firstNet() {
    const p = this.posterior;
    return p instanceof BootstrapEnsemble ? p.heads[0]!.f.nets[0]! : (p as DropoutQ).q.nets[0]!;
  }

  evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
    const env = (options.env ?? this.env) as Env<O, number>;
    return evaluatePolicy(env, (obs) => this.act(obs), { ...options, seed: options.seed ?? this.config.seed + EVAL_SEED_OFFSET });
  }

  // BOOKKEEPING: checkpoints through the generic run layer.
  snapshot(): Record<string, NamedArray[]> { return this.posterior.nets(); }
  restoreSnapshot(nets: Record<string, NamedArray[]>): void { this.posterior.setNets(nets); }

  async save(dir: string, options: { replay?: boolean; selection?: CheckpointContent['selection'] } = {}): Promise<void> {
    await saveCheckpoint(dir, {
      algo: 'dqn', step: this.counters.step, config: this.config, nets: this.snapshot(),
      env: { ...envRecord(this.env as Env<unknown, unknown>), state: this.carry.save(this.env) },
      optimizers: this.posterior.optimizerStates(),
      rngs: { act: this.actRng.getState(), sample: this.sampleRng.getState(), mask: this.maskRng.getState() },
      counters: { ...this.counters.toJSON(), sample: this.posterior.getSample() }, selection: options.selection ?? null,
    }, options.replay ? this.replay : null);
  }

  /** Restores a checkpoint read by `readCheckpoint` into this agent (same config shape). */
  async restore(saved: LoadedCheckpoint): Promise<void> {
    this.restoreSnapshot(saved.nets);
    this.posterior.setOptimizerStates(saved.optimizers);
    restoreRngs(saved, { act: this.actRng, sample: this.sampleRng, mask: this.maskRng });
    this.counters.restore(saved.counters, saved.dir);
    if (saved.counters['sample'] !== undefined) this.posterior.setSample(saved.counters['sample'] as JsonValue);
    this.carry.restore(this.env, saved.env.state, saved.dir);
    if (!saved.replay) return;
    const dir = join(saved.dir, 'replay');
    const c = this.config;
    this.replay = c.explore === 'bootstrap'
      ? await BootstrapReplay.load<O>(dir, this.replayConfig(), c.heads, c.maskProb, this.maskRng, this.priorCache())
      : await loadReplay<'discrete', O>(dir, { actionKind: 'discrete', obsDim: this.obs.dim });
  }

  /** Nothing to free: the posteriors run on the plain engine, whose networks are ordinary typed arrays. */
  dispose(): void {}
}

/**
 * The index of the largest of q[0 .. n); ties go to the first, or with `tieRng` to one of the tied drawn uniformly
 * (reservoir sampling: the j-th tie replaces the pick with probability 1/j, one `rng.int` per later tie).
 */
export function greedyAction(q: Float32Array, n: number, tieRng: Rng | null): number {
  let best = 0, ties = 1;
  for (let a = 1; a < n; a++) {
    if (q[a]! > q[best]!) [best, ties] = [a, 1];
    else if (tieRng !== null && q[a] === q[best] && tieRng.int(++ties) === 0) best = a;
  }
  return best;
}

/** Loads a Thompson-sampling DQN agent saved by `save()` (a checkpoint or run folder) for `env`. */
export async function loadThompsonDqn<O>(path: string, env: Env<O, number>, overrides: Partial<ExploringDqnConfig> = {}): Promise<ThompsonDqnAgent<O>> {
  return restoreThompsonDqn((await openCheckpoint(path, 'final')).checkpoint, env, overrides);
}

/** A Thompson-sampling DQN agent from a checkpoint already read (the registry reads it once and dispatches here). */
export async function restoreThompsonDqn<O>(saved: LoadedCheckpoint, env: Env<O, number>, overrides: Partial<ExploringDqnConfig> = {}): Promise<ThompsonDqnAgent<O>> {
  if (saved.algo !== 'dqn') throw new InvalidConfig(`Expected a dqn checkpoint, got one of '${saved.algo}' at ${saved.dir}. Load it with loadAgent().`);
  checkSavedSpaces(saved.env, env as Env<unknown, unknown>, join(saved.dir, 'state.json'));
  const agent = new ThompsonDqn(env, resolveExploringDqnConfig({ ...(saved.config as object), ...overrides }));
  await agent.restore(saved);
  return agent;
}
