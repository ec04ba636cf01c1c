/**
 * Model-based training (Dyna; MBPO, Janner et al. 2019, as mbrl-lib's mbpo.py runs it) around an off-policy agent
 * (TD3, DDPG, or DQN on Discrete actions), which trains unchanged on the batches it is handed:
 *
 * 1. every real transition also goes to a real-data replay the dynamics model learns from (episode starts feed its
 *    initial-state distribution);
 * 2. every `refitEvery` env steps from `firstFit` on: refit the model on all real data, then branch `rolloutBatch`
 *    imagined rollouts from real states, `horizon(step)` model steps each (a schedule that grows linearly), acting
 *    with the agent's policy plus noise, into a model replay that keeps about `retainRefits` refits' worth; with
 *    `rolloutEvery` > 0, also a round of rollouts from the last fitted model every `rolloutEvery` steps between refits
 *    (the MBPO paper rolls out at every env step), so imagined data follows the policy and the newest real states;
 *    with `reward` 'auto', a built-in env's known reward replaces the model's in imagined steps (as PETS);
 * 3. each of the agent's gradient steps draws round(realRatio B) real rows and the rest imagined (`MixedBatches`);
 *    with `disagreementScale` > 0 the rewards get the ensemble-disagreement bonus (continuous agents).
 *
 * With `planner` set (continuous actions), the agent also ACTS by model-predictive control once the model is
 * fitted (CEM over action sequences through the model, optionally with the critic's terminal value; planner.ts): in
 * training (uniform random actions before the first fit) and in `act` / `evaluate`; it still learns as above.
 *
 * `withWorldModel(agent, config)` returns an `Agent` whose `learn` does all this and reports real and imagined
 * counts in its metrics; `save` writes the agent's checkpoint and the fitted ensemble in its world/ folder, which
 * `readWorldModel` reads back (model-based-checkpoint.ts); snapshots are the agent's own.
 */
import type { Env, Transition } from '../core/env.js';
import { InvalidConfig } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { flatten, type AnySpace, type BoxSpace } from '../core/spaces.js';
import type { OperatorFunction } from 'rxjs';
import { tap } from 'rxjs';
import { ReplayBuffer } from '../replay/replay-buffer.js';
import type { ActionKind } from '../replay/types.js';
import type { NamedArray, Net } from '../nn/types.js';
import { actionWidth, checkModelFits, worldShapeOf, worldStepOut, type RewardFn, type WorldModel } from '../models/world/contract.js';
import { EnsembleDynamics, type DynamicsConfig, type DynamicsFunctions } from '../models/world/dynamics.js';
import { KNOWN_REWARDS } from '../models/world/known-rewards.js';
import { KNOWN_TERMINATIONS } from '../models/world/known-terminations.js';
import type { Agent, LearnOptions, LearnProgress, LearnResult } from './agent.js';
import { horizonAt, resolveModelBasedConfig, type ModelBasedConfig, type ModelBasedSettings } from './model-based-config.js';
import { EVAL_SEED_OFFSET, evaluatePolicy, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
import { onEachReset, plannerFor, type CemPlanner } from './planner.js';
import type { BatchSource } from './loops/off-policy.js';
import { MixedBatches } from './mixed-batches.js';
import type { CheckpointContent } from '../core/node/checkpoint/checkpoint.js';
import type { RngState } from '../core/rng.js';
import { adoptReplayRows, writeWorldModel, type WorldSchedule } from './model-based-checkpoint.js';

export { MODEL_BASED_CONFIG_KEYS, MODEL_BASED_DEFAULTS, horizonAt, resolveModelBasedConfig, type ModelBasedConfig, type ModelBasedSettings } from './model-based-config.js';

// =========================================================================================================
// The agent it wraps
// =========================================================================================================

/** What model-based training needs of an agent: the batch hook and the config fields it reads. */
export interface OffPolicyAgent<O = unknown, A = unknown> extends Agent<O, A> {
  batchSource: BatchSource<ActionKind> | null;
  readonly config: Readonly<{ gamma: number; learningStarts: number; seed: number; batchSize: number; prioritized?: boolean; nStep?: number; clipReward?: boolean; numEnvs?: number }>;
}

/** Throws `InvalidConfig` naming why `agent` cannot train with a world model (or with the disagreement bonus). */
function checkAgent(agent: Agent, c: ModelBasedConfig): asserts agent is OffPolicyAgent {
  if (!('batchSource' in agent)) {
    throw new InvalidConfig(`Expected an off-policy agent (td3, ddpg or dqn) for model-based training, got ${agent.algo}: it has no replay batches to mix imagined transitions into.`);
  }
  const ac = agent.config as OffPolicyAgent['config'];
  if (ac.prioritized) throw new InvalidConfig(`Expected ${agent.algo}.prioritized false with a world model (imagined rows have no priorities), got true.`);
  if ((ac.nStep ?? 1) > 1) throw new InvalidConfig(`Expected ${agent.algo}.nStep 1 with a world model (imagined transitions are one step), got ${ac.nStep}.`);
  if (ac.clipReward) throw new InvalidConfig(`Expected ${agent.algo}.clipReward false with a world model (the model learns the env's own rewards), got true.`);
  // The real data reaches the model through the run's transition consumers, which see env 0 only on N envs.
  if ((ac.numEnvs ?? 1) > 1) throw new InvalidConfig(`Expected ${agent.algo}.numEnvs 1 with a world model (the model learns from one env's transitions), got ${ac.numEnvs}.`);
  if (ac.learningStarts < 1) throw new InvalidConfig(`Expected ${agent.algo}.learningStarts >= 1 with a world model (the first batches are real), got ${ac.learningStarts}.`);
  if (c.planner && (agent.env.actionSpace as AnySpace).kind !== 'box') {
    throw new InvalidConfig(`Expected a continuous agent (td3 or ddpg) for worldModel.planner (CEM plans Box actions), got ${agent.algo} on ${(agent.env.actionSpace as AnySpace).kind} actions.`);
  }
  if (c.disagreementScale > 0 && (agent.env.actionSpace as AnySpace).kind !== 'box') {
    throw new InvalidConfig(`Expected a continuous agent (td3 or ddpg) for the disagreement bonus, got ${agent.algo} on ${(agent.env.actionSpace as AnySpace).kind} actions; DQN explores with epsilon or bootstrapped heads.`);
  }
}

/** The termination the dynamics model uses for `envId` under `c.termination`. */
export function terminationFor(envId: string | null, c: ModelBasedConfig): { termination: DynamicsConfig['termination']; fns: DynamicsFunctions } {
  if (c.termination !== 'auto') return { termination: c.termination, fns: {} };
  // Own keys only: a custom env's id such as 'toString' must not find Object.prototype's members.
  // Stryker disable next-line ConditionalExpression: Object.hasOwn(table, null) is false as well (no env is named 'null'); the test is for the type.
  const known = envId !== null && Object.hasOwn(KNOWN_TERMINATIONS, envId) ? KNOWN_TERMINATIONS[envId] : undefined;
  if (known === 'never') return { termination: 'never', fns: {} };
  if (known) return { termination: 'function', fns: { termination: known } };
  return { termination: 'learned', fns: {} };
}

/** The known reward that replaces the model's in rollouts: `reward` 'auto' on an env listed in KNOWN_REWARDS, else null. */
export function rewardFor(envId: string | null, c: Pick<ModelBasedConfig, 'reward'>): RewardFn | null {
  // Stryker disable next-line ConditionalExpression: Object.hasOwn(table, null) is false as well (no env is named 'null'); the test is for the type.
  return c.reward === 'auto' && envId !== null && Object.hasOwn(KNOWN_REWARDS, envId) ? KNOWN_REWARDS[envId]! : null;
}

/** Env step of the first fit: `firstFit`, or the agent's `learningStarts` when firstFit is 0. */
export function firstFitStep(c: Pick<ModelBasedConfig, 'firstFit'>, learningStarts: number): number {
  return c.firstFit > 0 ? c.firstFit : learningStarts;
}

/** Whether a refit is due at env step `step`: from `firstFit` on, with real rows, `refitEvery` steps after the last fit (-1: none yet). */
export function refitDue(step: number, firstFit: number, realRows: number, lastFitStep: number, refitEvery: number): boolean {
  return step >= firstFit && realRows > 0 && (lastFitStep < 0 || step - lastFitStep >= refitEvery);
}

/** Whether a round of rollouts between refits runs at `step`: a model is fitted, none ran in the last `rolloutEvery` steps, and realRatio < 1. */
export function rolloutDue(step: number, lastFitStep: number, lastRolloutStep: number, c: Pick<ModelBasedConfig, 'rolloutEvery' | 'realRatio'>): boolean {
  return lastFitStep >= 0 && step - lastRolloutStep >= c.rolloutEvery && c.realRatio < 1;
}

/** Rows the model replay keeps: rolloutBatch x the longest horizon x retainRefits x rounds per refit (at least 1). */
export function imaginedCapacity(c: Pick<ModelBasedConfig, 'rolloutBatch' | 'horizonStart' | 'horizonEnd' | 'retainRefits' | 'refitEvery' | 'rolloutEvery'>): number {
  return Math.max(1, c.rolloutBatch * Math.max(c.horizonStart, c.horizonEnd) * c.retainRefits * roundsPerRefit(c));
}

/** The mean held-out MSE of the elites (standardised units) from a fit's per-member `holdoutMse`. */
export function eliteMse(holdoutMse: readonly number[], elites: readonly number[]): number {
  return elites.reduce((s, k) => s + holdoutMse[k]!, 0) / elites.length;
}

/** Actor outputs u in [-1, 1] (n x aw) rescaled to the bounds, low + (u + 1) (high - low) / 2, into actions (as DDPG/TD3 act). */
export function actorToActions(u: Float32Array, n: number, aw: number, low: ArrayLike<number>, high: ArrayLike<number>, actions: Float32Array): void {
  for (let k = 0; k < n * aw; k++) actions[k] = low[k % aw]! + (u[k]! + 1) * ((high[k % aw]! - low[k % aw]!) / 2);
}

/** Adds Gaussian noise of std `noise` half action ranges to the live rows of actions (n x aw), clipped to [low, high]. */
export function addRolloutNoise(actions: Float32Array, n: number, aw: number, alive: Uint8Array, low: ArrayLike<number>, high: ArrayLike<number>, noise: number, rng: Rng): void {
  for (let i = 0; i < n; i++) {
    if (!alive[i]) continue;
    for (let j = 0; j < aw; j++) {
      const half = (high[j]! - low[j]!) / 2;
      actions[i * aw + j] = Math.min(high[j]!, Math.max(low[j]!, actions[i * aw + j]! + noise * half * rng.normal()));
    }
  }
}

// =========================================================================================================
// Model-based training
// =========================================================================================================

/** Wraps `agent` (TD3, DDPG, or DQN) in model-based training; `model` defaults to an `EnsembleDynamics` for its env. */
export function withWorldModel<O, A>(agent: Agent<O, A>, config: ModelBasedSettings = {}, model?: WorldModel & { fit: EnsembleDynamics['fit']; observeStarts: EnsembleDynamics['observeStarts'] }): ModelBasedAgent<O, A> {
  return new ModelBasedAgent(agent, resolveModelBasedConfig(config), model);
}

/** An agent trained with a world model: the wrapped agent's roles, plus the model and the real/imagined counts. */
export class ModelBasedAgent<O = unknown, A = unknown> implements Agent<O, A> {
  readonly model: WorldModel & { fit: EnsembleDynamics['fit']; observeStarts: EnsembleDynamics['observeStarts'] };
  readonly config: Readonly<object>;
  private readonly inner: OffPolicyAgent<O, A>;
  private readonly kind: 'continuous' | 'discrete';
  private readonly real: ReplayBuffer<ActionKind, unknown>;
  private readonly imagined: ReplayBuffer<ActionKind, unknown>;
  private readonly mixer: MixedBatches<ActionKind>;
  private readonly rng: Rng;
  private readonly stateDim: number;
  private readonly aw: number;
  /** Counts and the refit schedule (saved with the ensemble, so a resumed run refits when it was due). */
  private readonly at: WorldSchedule = { realSeen: 0, imaginedMade: 0, fits: 0, fitSeconds: 0, lastMse: NaN, horizon: 0, lastFitStep: -1, lastRolloutStep: -1 };
  /** The wrapped agent's actor for batched rollout actions (DDPG, TD3 on float observations), else null; and its output rows. */
  private readonly actor: Net | null;
  /** A known reward that replaces the model's in rollouts (reward 'auto' on a built-in env), else null. */
  private readonly rewardFn: RewardFn | null;
  private uRows = new Float32Array(0);
  /** The CEM planners of training and of evaluation (own seeds and warm starts) when `planner` is set, else null. */
  private readonly planners: { train: CemPlanner; eval: CemPlanner } | null;
  private readonly oneAlive = Uint8Array.of(1);

  constructor(agent: Agent<O, A>, readonly worldConfig: ModelBasedConfig, model?: ModelBasedAgent['model']) {
    checkAgent(agent as Agent, worldConfig);
    this.inner = agent as unknown as OffPolicyAgent<O, A>;
    this.config = agent.config;
    const env = agent.env as Env<unknown, unknown>;
    const shape = worldShapeOf(env.observationSpace as AnySpace, env.actionSpace as AnySpace);
    const c = worldConfig;
    const ac = this.inner.config;
    if (model) {
      checkModelFits(model, env.observationSpace as AnySpace, env.actionSpace as AnySpace, env.spec?.id ?? String(env));
      this.model = model;
    } else {
      const t = terminationFor(env.spec?.id ?? null, c);
      this.model = new EnsembleDynamics({ ...shape, members: c.members, elites: c.elites, hidden: c.hidden, maxEpochs: c.maxEpochs, minSteps: c.minFitSteps, propagation: c.propagation, termination: t.termination, seed: ac.seed }, t.fns);
    }
    [this.stateDim, this.aw, this.kind] = [shape.stateDim, actionWidth(shape.action), shape.action.kind];
    const replay = (capacity: number, obsSpace?: AnySpace) => new ReplayBuffer<ActionKind, unknown>({
      capacity, obsDim: shape.stateDim, actionKind: this.kind, ...(this.kind === 'continuous' ? { actionDim: this.aw } : {}), ...(obsSpace ? { obsSpace } : {}),
    });
    this.real = replay(c.realBufferSize, env.observationSpace as AnySpace);
    this.imagined = replay(imaginedCapacity(c));
    this.rng = new Rng((ac.seed * 7919 + 17) % 2 ** 31);
    this.actor = actorOf(agent);
    this.rewardFn = rewardFor(env.spec?.id ?? null, c);
    this.mixer = new MixedBatches(this.real, this.imagined, {
      realRatio: c.realRatio, gamma: ac.gamma, bonusScale: c.disagreementScale, model: this.model,
    });
    const critics = (agent as { critics?: readonly Net[] }).critics ?? [], box = env.actionSpace as BoxSpace;
    const planner = (seed: number) => plannerFor(this.model, c.planner!, { box, gamma: ac.gamma, reward: this.rewardFn, actor: this.actor, critics, seed, updates: () => this.inner.updates });
    this.planners = c.planner ? { train: planner(ac.seed * 31 + 5), eval: planner(ac.seed + EVAL_SEED_OFFSET) } : null;
  }

  get algo(): string { return this.inner.algo; }
  get env(): Env<O, A> { return this.inner.env; }
  get step(): number { return this.inner.step; }
  get episodes(): number { return this.inner.episodes; }
  get updates(): number { return this.inner.updates; }
  /** Real and imagined counts and the model's state, as `learn` reports them in its metrics. */
  get metrics(): Record<string, number> {
    const m = this.mixer.counts;
    return {
      realTransitions: this.at.realSeen, imaginedTransitions: this.at.imaginedMade, modelReplay: this.imagined.size, realRows: m.realRows, imaginedRows: m.imaginedRows,
      modelFits: this.at.fits, modelSeconds: this.at.fitSeconds, modelMse: this.at.lastMse, horizon: this.at.horizon, bonus: m.lastBonus,
      plannedActions: (this.planners?.train.planned ?? 0) + (this.planners?.eval.planned ?? 0),
    };
  }

  /** The planner's action once the model is fitted (with `planner`), else the agent's own. */
  act(obs: O): A {
    if (!this.planners || !this.model.ready) return this.inner.act(obs);
    return this.planners.eval.plan(flatten(this.env.observationSpace, obs), new Float32Array(this.aw)) as A;
  }
  /** For greedy episodes through `act` (recordings): seeds the evaluation planner as `evaluate` does; call with no seed at each reset (a fresh warm start). */
  resetPlanning(seed?: number): void { this.planners?.eval.reset(seed); }
  values(obs: O): Float32Array { return this.inner.values(obs); }
  /** Greedy episodes of the planning policy once the model is fitted (with `planner`; a fresh warm start each episode), else the agent's. */
  evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
    if (!this.planners || !this.model.ready) return this.inner.evaluate(options);
    const seed = options.seed ?? this.inner.config.seed + EVAL_SEED_OFFSET, planner = this.planners.eval;
    planner.reset(seed);
    const env = onEachReset((options.env ?? this.env) as Env<unknown, unknown>, () => planner.reset());
    return evaluatePolicy(env, (obs) => planner.plan(flatten(env.observationSpace, obs), new Float32Array(this.aw)), { ...options, seed });
  }
  /** The agent's checkpoint, then the fitted ensemble and the refit schedule in its world/ folder (model-based-checkpoint.ts). */
  async save(dir: string, options?: { replay?: boolean; selection?: CheckpointContent['selection'] }): Promise<void> {
    await this.inner.save(dir, options);
    if (!(this.model instanceof EnsembleDynamics) || !this.model.ready) return;
    await writeWorldModel(dir, this.model, this.at, this.rng.getState());
  }
  snapshot(): Record<string, NamedArray[]> { return this.inner.snapshot(); }
  restoreSnapshot(nets: Record<string, NamedArray[]>): void { this.inner.restoreSnapshot(nets); }
  dispose(): void { this.inner.dispose(); }

  /** The wrapped agent's `learn`, with the real-data tap, the refit-and-rollout hook and the mixed batches in place. */
  async learn(options: LearnOptions<O, A>): Promise<LearnResult> {
    const c = this.worldConfig;
    const firstFit = firstFitStep(c, this.inner.config.learningStarts);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const collect: OperatorFunction<Transition<O, A>, unknown> = tap((t: Transition<O, A>) => this.observe(t));
    const withMetrics = (f: ((p: LearnProgress) => void) | undefined) => f && ((p: LearnProgress) => f({ ...p, metrics: { ...p.metrics, ...this.metrics } }));
    this.inner.batchSource = this.mixer;
    this.adoptRestoredReplay(log);
    // A refit (or round of rollouts) due at this call's first step would be skipped (the loop runs no hooks at its start boundary).
    if (this.due(this.step, firstFit)) await this.refitAndImagine(this.step, c.verbose ? log : null, options.signal);
    // Resumed with the saved ensemble but not its model replay (not saved): a round of rollouts refills it.
    else if (c.rolloutEvery > 0 || (this.imagined.size === 0 && this.real.size > 0)) await this.imagineBetweenRefits(this.step);
    try {
      const result = await this.inner.learn({
        ...options,
        consumers: [collect, ...(options.consumers ?? [])],
        periodic: [
          { every: c.refitEvery, run: async (step) => { if (this.due(step, firstFit)) await this.refitAndImagine(step, c.verbose ? log : null, options.signal); } },
          ...(c.rolloutEvery > 0 ? [{ every: c.rolloutEvery, run: (step: number) => this.imagineBetweenRefits(step) }] : []),
          ...(options.periodic ?? []),
        ],
        ...(this.planners && !options.behaviour ? {
          behaviour: (rows: Float32Array, n: number, _step: number, out: Int32Array | Float32Array) => this.planBehaviour(rows, n, out as Float32Array),
          onReset: (obs: O, ctx: Parameters<NonNullable<LearnOptions<O, A>['onReset']>>[1]) => { this.planners!.train.reset(); options.onReset?.(obs, ctx); },
        } : {}),
        ...(options.onProgress ? { onProgress: withMetrics(options.onProgress)! } : {}),
        ...(options.onLog ? { onLog: withMetrics(options.onLog)! } : {}),
      });
      // The loop runs no hooks at its last step: with refitAtEnd a refit due there runs now (the next call would run it first).
      if (c.refitAtEnd && !options.signal?.aborted && this.due(this.step, firstFit)) await this.refitAndImagine(this.step, c.verbose ? log : null, options.signal);
      return result;
    } finally {
      this.inner.batchSource = null;
    }
  }

  /**
   * A resumed agent brings its replay back from the checkpoint (`--checkpoint-replay`) while this wrapper's real data
   * starts empty: the replay holds the same real transitions, so they become the model's data (oldest first), and the
   * first refit sees everything the run collected rather than only this session's steps.
   */
  private adoptRestoredReplay(log: (line: string) => void): void {
    if (this.real.size > 0 || this.step === 0) return;
    const adopted = adoptReplayRows(this.real, (this.inner as { replay?: unknown }).replay, this.kind, this.stateDim, this.aw);
    // A restored schedule has counted these already.
    this.at.realSeen = Math.max(this.at.realSeen, adopted);
    log(adopted > 0
      ? `world model: resuming at step ${this.step} with the ${adopted} real transitions of the restored replay`
      : `world model: resuming at step ${this.step} without a replay in the checkpoint, so the model learns from this session's real steps (--checkpoint-replay keeps them)`);
  }

  /** Takes the saved ensemble's schedule and rollout rng (`readWorldModel`): the next refit comes when it was due. */
  adoptSchedule(s: WorldSchedule, rolloutRng: RngState): void {
    Object.assign(this.at, s);
    this.rng.setState(rolloutRng);
  }

  // ALGORITHM: acting with the planner in training: uniform random actions until the model is fitted, then the
  // planned action plus Gaussian noise of `planner.noise` half ranges (clipped to the bounds).
  private planBehaviour(rows: Float32Array, n: number, out: Float32Array): void {
    const box = this.env.actionSpace as BoxSpace, d = this.stateDim, aw = this.aw, planner = this.planners!.train;
    for (let i = 0; i < n; i++) {
      // One env (checkAgent), so no per-step views: the row is the whole buffer.
      const action = n === 1 ? out : out.subarray(i * aw, (i + 1) * aw);
      if (!this.model.ready) {
        for (let j = 0; j < aw; j++) action[j] = box.low[j]! + this.rng.float() * (box.high[j]! - box.low[j]!);
        continue;
      }
      planner.plan(n === 1 ? rows : rows.subarray(i * d, (i + 1) * d), action);
      if (planner.config.noise > 0) addRolloutNoise(action, 1, aw, this.oneAlive, box.low, box.high, planner.config.noise, this.rng);
    }
  }

  /** Whether a refit is due at `step`: from `firstFit` on, `refitEvery` steps after the last one. */
  private due(step: number, firstFit: number): boolean {
    return refitDue(step, firstFit, this.real.size, this.at.lastFitStep, this.worldConfig.refitEvery);
  }

  /** A round of rollouts from the last fitted model, unless one ran at this step (or no model or real state yet). */
  private async imagineBetweenRefits(step: number): Promise<void> {
    if (this.real.size === 0 || !rolloutDue(step, this.at.lastFitStep, this.at.lastRolloutStep, this.worldConfig)) return;
    this.at.horizon = horizonAt(this.worldConfig, step);
    this.at.lastRolloutStep = step;
    this.imagine(this.at.horizon);
  }

  // ALGORITHM: the real data the model learns from, and the starts of its initial-state distribution.
  private observe(t: Transition<O, A>): void {
    this.real.addTransition(t as Transition<unknown, never>);
    this.at.realSeen++;
    if (t.t === 0) this.model.observeStarts(this.real.obs.subarray(this.lastRow() * this.stateDim, (this.lastRow() + 1) * this.stateDim), 1);
  }
  private lastRow(): number {
    return (this.real.position - 1 + this.real.capacity) % this.real.capacity;
  }

  /** Refits the model on every real transition, then branches imagined rollouts into the model replay. */
  private async refitAndImagine(step: number, log: ((line: string) => void) | null, signal: AbortSignal | undefined): Promise<void> {
    const r = this.real, n = r.size;
    this.at.lastFitStep = step;
    const report = await this.model.fit({ n, states: r.obs, actions: r.actions, rewards: r.rewards, nextStates: r.nextObs, terminated: r.terminated }, signal ? { signal } : {});
    this.at.fits++;
    this.at.fitSeconds += report.seconds;
    this.at.lastMse = eliteMse(report.holdoutMse, report.elites);
    this.at.horizon = horizonAt(this.worldConfig, step);
    this.at.lastRolloutStep = step;
    const made = this.worldConfig.realRatio < 1 ? this.imagine(this.at.horizon) : 0;
    log?.(`world model: step ${step}, fit ${report.epochs} epochs in ${report.seconds.toFixed(1)} s on ${n} real transitions, held-out MSE ${this.at.lastMse.toExponential(2)}; ${made} imagined transitions (horizon ${this.at.horizon})`);
  }

  // ALGORITHM: MBPO's branched rollouts: start at real states, act with the current policy plus noise, and keep
  // each row's transitions until its first imagined termination.
  private imagine(horizon: number): number {
    const c = this.worldConfig, d = this.stateDim, aw = this.aw, B = c.rolloutBatch;
    const states = new Float32Array(B * d), actions = new Float32Array(B * aw), alive = new Uint8Array(B).fill(1);
    const out = worldStepOut(B, d);
    for (let i = 0; i < B; i++) copyRow(this.real.obs, this.rng.int(this.real.size), states, i, d);
    const members = this.model.startRollouts(B, this.rng);
    let made = 0;
    for (let h = 0; h < horizon; h++) {
      this.rolloutActions(states, B, alive, actions);
      this.model.step(states, actions, B, members, this.rng, out);
      this.rewardFn?.(states, actions, out.nextStates, B, out.rewards);
      // Stryker disable next-line EqualityOperator: row B is not alive (alive holds B flags), so one more row is skipped.
      for (let i = 0; i < B; i++) {
        if (!alive[i]) continue;
        const action = this.kind === 'continuous' ? actions.subarray(i * aw, (i + 1) * aw) : actions[i]!;
        this.imagined.add(states.subarray(i * d, (i + 1) * d), action as never, out.rewards[i]!, out.nextStates.subarray(i * d, (i + 1) * d), out.terminated[i] === 1, false);
        made++;
        if (out.terminated[i]) alive[i] = 0;
      }
      states.set(out.nextStates);
    }
    this.at.imaginedMade += made;
    return made;
  }

  /**
   * The rollout policy on n state rows (n x stateDim) into actions (n x actionWidth): the agent's greedy action plus
   * Gaussian noise in half action ranges (clipped), or epsilon-greedy. One forward pass over all rows when the agent
   * exposes its actor (DDPG, TD3); else one `act` per live row.
   */
  private rolloutActions(states: Float32Array, n: number, alive: Uint8Array, actions: Float32Array): void {
    const noise = this.worldConfig.rolloutNoise, space = this.env.actionSpace as AnySpace, d = this.stateDim, aw = this.aw;
    if (space.kind === 'discrete') {
      for (let i = 0; i < n; i++) {
        if (alive[i]) actions[i] = this.rng.float() < noise ? space.start + this.rng.int(space.n) : (this.inner.act(states.subarray(i * d, (i + 1) * d) as O) as number);
      }
      return;
    }
    const box = space as BoxSpace, actor = this.actor;
    if (actor) {
      // The actor's tanh outputs u in [-1, 1]^aw, rescaled to the bounds as the agent's own act does.
      if (this.uRows.length < n * aw) this.uRows = new Float32Array(n * aw);
      const u = actor.predict(states.subarray(0, n * d), n, this.uRows.subarray(0, n * aw));
      actorToActions(u, n, aw, box.low, box.high, actions);
    } else {
      for (let i = 0; i < n; i++) if (alive[i]) actions.set(this.inner.act(states.subarray(i * d, (i + 1) * d) as O) as Float32Array, i * aw);
    }
    addRolloutNoise(actions, n, aw, alive, box.low, box.high, noise, this.rng);
  }
}

/** The actor of a DDPG or TD3 agent (which acts as low + (actor(obs) + 1) (high - low) / 2 on float observations), else null. */
function actorOf(agent: Agent): Net | null {
  const a = agent as Agent & { actor?: unknown };
  return (agent.algo === 'td3' || agent.algo === 'ddpg') && a.actor && typeof (a.actor as Net).predict === 'function' ? (a.actor as Net) : null;
}

/** Rounds of rollouts per refit: refitEvery / rolloutEvery rounded up, or 1 without rolloutEvery. */
export function roundsPerRefit(c: Pick<ModelBasedConfig, 'refitEvery' | 'rolloutEvery'>): number {
  return c.rolloutEvery > 0 ? Math.max(1, Math.ceil(c.refitEvery / c.rolloutEvery)) : 1;
}

/** Row `from` of src (rows of d) into row `to` of dst. */
function copyRow(src: Float32Array, from: number, dst: Float32Array, to: number, d: number): void {
  for (let j = 0; j < d; j++) dst[to * d + j] = src[from * d + j]!;
}
