/**
 * Model-predictive control over a world model: a cross-entropy-method (CEM) planner over action sequences, as PETS
 * (Chua et al. 2018) and mbrl-lib's CEMOptimizer plan, with an optional learned terminal value as LOOP (Sikchi et
 * al. 2021, "H-step lookahead") and TD-MPC add.
 *
 * Each `plan(state)`: a Gaussian over H x actionDim action sequences starts at the previous plan shifted by one step
 * (warm start; the new last step at the middle of the bounds) with a std of a quarter of the action range; then for
 * I iterations: sample P sequences (the mean itself as the first, the rest clipped to the bounds), roll each through
 * the model from the current state (the model's batched step: one elite per candidate or a random elite per step,
 * as the model's `startRollouts` says), score it by
 *     J = sum_{t<H} gamma^t r_t + gamma^H V(s_H)     (V: e.g. min(Q1, Q2)(s_H, actor(s_H)); stops at a termination)
 * and refit the Gaussian to the top K (blended with the old one by `alpha`, as mbrl-lib). The first action of the
 * final mean is the one taken. Every buffer is preallocated: a plan allocates nothing.
 */
import { InvalidConfig } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { RewardFn, WorldModel, WorldStepOut } from '../models/world/contract.js';
import { worldStepOut } from '../models/world/contract.js';
import type { Env } from '../core/env.js';
import type { BoxSpace } from '../core/spaces.js';
import type { Net } from '../nn/types.js';
import { bool, int, num, oneOf, resolveConfig, type FieldRule } from './config.js';
import { concatObsAction } from './ddpg.js';
import { actorSequence, type SequenceProposal } from './planner-proposal.js';

/** Settings of the CEM planner (`worldModel.planner`). */
export interface PlannerConfig {
  /** Model steps per candidate action sequence (H). */ horizon: number;
  /** Candidate sequences per iteration (P). */ population: number;
  /** CEM iterations per planned action (I). */ iterations: number;
  /** Best candidates the Gaussian is refitted to each iteration (K <= P). */ elites: number;
  /** Weight of the old mean and variance in each refit (mbrl-lib's alpha, 0.1). */ alpha: number;
  /** Add gamma^H V(s_H), the agent's critic value of the last state (LOOP), when the agent has one. */ terminalValue: boolean;
  /** The agent's gradient updates before the terminal value counts (an untrained critic misleads the first plans); 0: from the start. */ terminalValueFrom: number;
  /** Score the agent's actor, rolled through the model's mean, as one candidate each iteration (TD-MPC), when the agent has one. */ actorCandidate: boolean;
  /** While training: Gaussian noise of this std (in half action ranges) on the planned action; 0 for none. */ noise: number;
  /**
   * 'sampled': candidates step through the model's sampled next states (its propagation: TS-1 or TS-inf, PETS);
   * 'mean': through the elites' mean next state (PETS's expectation; no aleatoric noise, so elites are not picked for
   * lucky draws). 'mean' needs a model with `predictMean` and predicts no terminations. 'member-mean': the
   * model's step with every normal draw at 0, i.e. each row's member's mean (members still drawn as propagation
   * says; the cost of 'sampled', for models whose sampling noise comes from `rng.normal`).
   */
  transitions: 'sampled' | 'mean' | 'member-mean';
}

/**
 * Defaults: mbrl-lib's CEM blend (alpha 0.1) and elite fraction (0.1); horizon, population and iterations as measured
 * on Pendulum with a learned model (horizon 10 did not swing up on a model fitted to one episode, 20 did; more
 * population or iterations cost 1.5-2.5x for no clear gain); no terminal value (an untrained critic misled the first
 * plans).
 */
export const PLANNER_DEFAULTS: Readonly<PlannerConfig> = Object.freeze({ horizon: 20, population: 100, iterations: 3, elites: 10, alpha: 0.1, terminalValue: false, terminalValueFrom: 0, actorCandidate: false, noise: 0, transitions: 'sampled' });

const RULES: { readonly [K in keyof PlannerConfig]: FieldRule } = {
  horizon: [int(1, 1000), 'an integer from 1 to 1000'], population: [int(2, 1e6), 'an integer from 2 to 1e6'], iterations: [int(1, 1000), 'an integer from 1 to 1000'],
  elites: [int(1, 1e6), 'an integer from 1 to 1e6'], alpha: [num(0, 0.999), 'a number in [0, 0.999]'], terminalValue: [bool, 'a boolean'], terminalValueFrom: [int(0), 'a non-negative integer'], actorCandidate: [bool, 'a boolean'], noise: [num(0, 10), 'a number in [0, 10]'],
  transitions: [oneOf('sampled', 'mean', 'member-mean'), "'sampled', 'mean' or 'member-mean'"],
};

/** Fills the planner's defaults and validates every field; `InvalidConfig` names the bad one (`worldModel.planner.<field>`). */
export function resolvePlannerConfig(partial: unknown): PlannerConfig {
  const c = resolveConfig('worldModel.planner', RULES, PLANNER_DEFAULTS, partial);
  if (c.elites > c.population) throw new InvalidConfig(`Expected worldModel.planner.elites <= population (${c.population}), got ${c.elites}.`);
  return c;
}

// =========================================================================================================
// The math of one CEM iteration (pure functions over flat arrays)
// =========================================================================================================

/**
 * P candidate sequences into `out` (H x P x aw, step-major so that step h of every candidate is one block): the
 * mean (H x aw) as candidate 0, the others mean + std * N(0, 1), each clipped to [low, high].
 */
export function sampleCandidates(mean: Float32Array, std: Float32Array, P: number, H: number, aw: number, low: ArrayLike<number>, high: ArrayLike<number>, rng: Rng, out: Float32Array): void {
  for (let h = 0; h < H; h++) {
    for (let p = 0; p < P; p++) {
      for (let j = 0; j < aw; j++) {
        const k = h * aw + j;
        const a = p === 0 ? mean[k]! : mean[k]! + std[k]! * rng.normal();
        out[(h * P + p) * aw + j] = Math.min(high[j]!, Math.max(low[j]!, a));
      }
    }
  }
}

/** The indices of the K highest of scores[0..P) into `out` (best first; ties go to the lower index). */
export function topK(scores: Float64Array, P: number, K: number, out: Int32Array): void {
  for (let k = 0; k < K; k++) {
    let best = -1;
    for (let p = 0; p < P; p++) {
      if (best >= 0 && !(scores[p]! > scores[best]!)) continue;
      let taken = false;
      for (let q = 0; q < k; q++) if (out[q] === p) { taken = true; break; }
      if (!taken) best = p;
    }
    out[k] = best;
  }
}

/**
 * Refits the Gaussian to the K elites `idx` of the candidates (H x P x aw): mean <- alpha mean + (1 - alpha)
 * eliteMean, var <- alpha var + (1 - alpha) eliteVar (population variance), per step and action dimension.
 */
export function refitToElites(cands: Float32Array, idx: Int32Array, K: number, P: number, H: number, aw: number, alpha: number, mean: Float32Array, std: Float32Array): void {
  for (let h = 0; h < H; h++) {
    for (let j = 0; j < aw; j++) {
      let s = 0;
      for (let e = 0; e < K; e++) s += cands[(h * P + idx[e]!) * aw + j]!;
      const m = s / K;
      let v = 0;
      for (let e = 0; e < K; e++) v += (cands[(h * P + idx[e]!) * aw + j]! - m) ** 2;
      const k = h * aw + j;
      mean[k] = alpha * mean[k]! + (1 - alpha) * m;
      std[k] = Math.sqrt(alpha * std[k]! * std[k]! + (1 - alpha) * (v / K));
    }
  }
}

/** Candidate p of the candidates (H x P x aw) set to `seq` (H x aw), clipped to [low, high]. */
export function setCandidate(cands: Float32Array, p: number, seq: Float32Array, P: number, H: number, aw: number, low: ArrayLike<number>, high: ArrayLike<number>): void {
  // Stryker disable next-line EqualityOperator: step H lies past the end of the H x P x aw candidates, so its writes are dropped.
  for (let h = 0; h < H; h++) for (let j = 0; j < aw; j++) cands[(h * P + p) * aw + j] = Math.min(high[j]!, Math.max(low[j]!, seq[h * aw + j]!));
}

/** The warm start: the plan (H x aw) moved one step earlier, its last step set to `fill` (aw values). */
export function shiftPlan(mean: Float32Array, H: number, aw: number, fill: ArrayLike<number>): void {
  mean.copyWithin(0, aw, H * aw);
  for (let j = 0; j < aw; j++) mean[(H - 1) * aw + j] = fill[j]!;
}

/** Adds step h's discounted rewards gamma^h r_i to the scores of the P live rows, then marks terminated rows dead. */
export function addStepReturns(scores: Float64Array, alive: Uint8Array, rewards: Float32Array, terminated: Uint8Array, P: number, discount: number): void {
  for (let p = 0; p < P; p++) {
    if (!alive[p]) continue;
    scores[p] = scores[p]! + discount * rewards[p]!;
    if (terminated[p]) alive[p] = 0;
  }
}

// =========================================================================================================
// The planner
// =========================================================================================================

/** A world model that also predicts its elites' mean next state and reward of n rows (EnsembleDynamics). */
export interface MeanPredictor {
  predictMean(states: Float32Array, actions: Float32Array, n: number): { nextStates: Float32Array; rewards: Float32Array };
}

/** Whether `model` offers `predictMean` (what the planner's 'mean' transitions step through). */
export function predictsMean(model: WorldModel): model is WorldModel & MeanPredictor {
  return typeof (model as Partial<MeanPredictor>).predictMean === 'function';
}

/** An Rng whose normal draws are their mean (no noise); integers and uniforms as its seed says. */
export class NoiselessRng extends Rng {
  /** Always `mean`: a model sampling through this rng steps to its predicted means. */
  override normal(mean = 0, _std = 1): number {
    return mean;
  }
}

/** A terminal value: V(s) of n state rows (n x stateDim) into out (n). */
export type TerminalValue = (states: Float32Array, n: number, out: Float32Array) => void;

/** What a planner needs besides its config: the bounds, the discount, a known reward (else the model's), a terminal value, a seed. */
export interface PlannerContext {
  low: ArrayLike<number>;
  high: ArrayLike<number>;
  /** Discount of the planned return (the agent's gamma, so that the terminal value's scale matches). */
  gamma: number;
  reward: RewardFn | null;
  value: TerminalValue | null;
  /** Whether the terminal value counts yet (absent: always). */
  valueOn?: () => boolean;
  /** A sequence scored as the last candidate of every iteration (e.g. the actor's), else null or absent. */
  proposal?: SequenceProposal | null;
  seed: number;
}

/** CEM over action sequences through `model`: `plan(state, action)` writes the first action of the final mean sequence. */
export class CemPlanner {
  private readonly rng: Rng;
  /** The rng of model steps: `rng` itself, or a noiseless one under 'member-mean'. */
  private readonly stepRng: Rng;
  private readonly d: number;
  private readonly aw: number;
  private readonly low: Float32Array;
  private readonly high: Float32Array;
  private readonly middle: Float32Array;
  private readonly mean: Float32Array; // H x aw
  private readonly std: Float32Array; // H x aw
  private readonly cands: Float32Array; // H x P x aw
  private readonly stepActions: Float32Array[]; // step h of every candidate: views of cands, made once
  private readonly scores: Float64Array; // P
  private readonly alive: Uint8Array; // P
  private readonly elite: Int32Array; // K
  private readonly states: Float32Array; // P x d
  private readonly members: Int32Array; // P
  private readonly values: Float32Array; // P
  private readonly proposed: Float32Array; // H x aw
  private readonly out: WorldStepOut;
  /** Planned actions so far (for metrics and cost per action). */
  planned = 0;

  constructor(private readonly model: WorldModel, readonly config: PlannerConfig, private readonly ctx: PlannerContext) {
    if (model.action.kind !== 'continuous') throw new InvalidConfig(`Expected a world model of continuous actions for the CEM planner, got ${model.action.kind} ones.`);
    if (config.transitions === 'mean' && !predictsMean(model)) throw new InvalidConfig(`Expected a world model with predictMean for worldModel.planner.transitions 'mean', got the ${model.kind} model.`);
    const { horizon: H, population: P, elites: K } = config;
    this.d = model.stateDim;
    this.aw = model.action.dim;
    this.low = Float32Array.from(ctx.low);
    this.high = Float32Array.from(ctx.high);
    this.middle = this.low.map((l, j) => (l + this.high[j]!) / 2);
    this.rng = new Rng(ctx.seed);
    this.stepRng = config.transitions === 'member-mean' ? new NoiselessRng(ctx.seed + 1) : this.rng;
    [this.mean, this.std] = [new Float32Array(H * this.aw), new Float32Array(H * this.aw)];
    this.cands = new Float32Array(H * P * this.aw);
    this.stepActions = Array.from({ length: H }, (_, h) => this.cands.subarray(h * P * this.aw, (h + 1) * P * this.aw));
    [this.scores, this.alive, this.elite] = [new Float64Array(P), new Uint8Array(P), new Int32Array(K)];
    [this.states, this.members, this.values] = [new Float32Array(P * this.d), new Int32Array(P), new Float32Array(P)];
    this.proposed = new Float32Array(H * this.aw);
    this.out = worldStepOut(P, this.d);
    this.reset();
  }

  /** Forgets the warm start (a new episode): the mean plan at the middle of the bounds; reseeds when `seed` is given. */
  reset(seed?: number): void {
    for (let h = 0; h < this.config.horizon; h++) this.mean.set(this.middle, h * this.aw);
    if (seed !== undefined) this.rng.reseed(seed);
    if (seed !== undefined && this.stepRng !== this.rng) this.stepRng.reseed(seed + 1);
  }

  /** The mean action sequence (H x aw) the next plan starts from (after a plan: the one it chose, not yet shifted). */
  get currentPlan(): Float32Array { return this.mean; }

  // ALGORITHM: CEM from the shifted previous plan; the first action of the final mean is returned in `action` (aw).
  plan(state: Float32Array, action: Float32Array): Float32Array {
    const { horizon: H, population: P, iterations: I, elites: K, alpha } = this.config, aw = this.aw;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the first plan's mean is the middle everywhere, which a shift keeps.
    if (this.planned > 0) shiftPlan(this.mean, H, aw, this.middle);
    // Stryker disable next-line EqualityOperator: std holds H x aw floats; a write at index H x aw is dropped.
    for (let k = 0; k < H * aw; k++) this.std[k] = (this.high[k % aw]! - this.low[k % aw]!) / 4;
    const proposal = this.ctx.proposal;
    proposal?.(state, this.proposed);
    for (let it = 0; it < I; it++) {
      sampleCandidates(this.mean, this.std, P, H, aw, this.low, this.high, this.rng, this.cands);
      // The last candidate, not the first: candidate 0 is the mean.
      if (proposal) setCandidate(this.cands, P - 1, this.proposed, P, H, aw, this.low, this.high);
      this.score(state);
      topK(this.scores, P, K, this.elite);
      refitToElites(this.cands, this.elite, K, P, H, aw, alpha, this.mean, this.std);
    }
    // Stryker disable next-line EqualityOperator: action holds aw floats; a write at index aw is dropped.
    for (let j = 0; j < aw; j++) action[j] = this.mean[j]!;
    this.planned++;
    return action;
  }

  /** J of every candidate: its discounted model return from `state`, plus gamma^H V(s_H) for rows still alive. */
  private score(state: Float32Array): void {
    const { horizon: H, population: P } = this.config, d = this.d, { gamma, reward, value } = this.ctx;
    // Stryker disable next-line EqualityOperator: states holds P x d floats: a write past it is dropped, and row p's extra write lands on row p + 1's first float, which that row then sets.
    for (let p = 0; p < P; p++) for (let j = 0; j < d; j++) this.states[p * d + j] = state[j]!;
    this.scores.fill(0);
    this.alive.fill(1);
    this.model.startRollouts(P, this.stepRng, this.members);
    let discount = 1;
    for (let h = 0; h < H; h++) {
      const actions = this.stepActions[h]!;
      if (this.config.transitions === 'mean') this.meanStep(actions);
      else this.model.step(this.states, actions, P, this.members, this.stepRng, this.out);
      reward?.(this.states, actions, this.out.nextStates, P, this.out.rewards);
      addStepReturns(this.scores, this.alive, this.out.rewards, this.out.terminated, P, discount);
      this.states.set(this.out.nextStates);
      discount *= gamma;
    }
    if (!value || this.ctx.valueOn?.() === false) return;
    value(this.states, P, this.values);
    // Stryker disable next-line EqualityOperator: alive holds P flags, so alive[P] is undefined and row P is skipped.
    for (let p = 0; p < P; p++) if (this.alive[p]) this.scores[p] = this.scores[p]! + discount * this.values[p]!;
  }

  /** One step of the P rows through the elites' mean prediction into `out` (no terminations). */
  private meanStep(actions: Float32Array): void {
    const P = this.config.population, m = (this.model as WorldModel & MeanPredictor).predictMean(this.states, actions, P);
    this.out.nextStates.set(m.nextStates); // n x stateDim and n, as MeanPredictor says: the P rows exactly
    this.out.rewards.set(m.rewards);
    this.out.terminated.fill(0);
  }
}

/**
 * The terminal value of a DDPG/TD3 agent: min_k Q_k(s, a(s)) over its critics, a(s) = low + (actor(s) + 1) half,
 * for up to `maxRows` state rows (stateDim floats each, the critic's observation units); buffers preallocated.
 */
export function criticValue(actor: Net, critics: readonly Net[], low: ArrayLike<number>, high: ArrayLike<number>, maxRows: number): TerminalValue {
  const d = actor.inputSize, aw = actor.outputSize;
  const u = new Float32Array(maxRows * aw), a = new Float32Array(maxRows * aw), rows = new Float32Array(maxRows * (d + aw)), q = new Float32Array(maxRows);
  return (states, n, out) => {
    actor.predict(states.subarray(0, n * d), n, u.subarray(0, n * aw));
    for (let k = 0; k < n * aw; k++) a[k] = low[k % aw]! + (u[k]! + 1) * ((high[k % aw]! - low[k % aw]!) / 2);
    concatObsAction(states, a, n, d, aw, rows);
    for (let c = 0; c < critics.length; c++) {
      critics[c]!.predict(rows.subarray(0, n * (d + aw)), n, q.subarray(0, n));
      for (let i = 0; i < n; i++) out[i] = c === 0 ? q[i]! : Math.min(out[i]!, q[i]!);
    }
  };
}

/**
 * A planner through `model` for a DDPG/TD3 agent: its bounds and gamma, a known reward (else the model's), its
 * critics' terminal value if `terminalValue` (once `updates()` reaches `terminalValueFrom`), its actor's sequence as
 * a candidate if `actorCandidate`.
 */
export function plannerFor(model: WorldModel, config: PlannerConfig, a: { box: BoxSpace; gamma: number; reward: RewardFn | null; actor: Net | null; critics: readonly Net[]; seed: number; updates?: () => number }): CemPlanner {
  const value = config.terminalValue && a.actor && a.critics.length > 0 ? criticValue(a.actor, a.critics, a.box.low, a.box.high, config.population) : null;
  const updates = a.updates, valueOn = config.terminalValueFrom > 0 && updates ? () => updates() >= config.terminalValueFrom : null;
  const proposal = config.actorCandidate && a.actor ? actorSequence(model, a.actor, a.box.low, a.box.high, config.horizon, a.seed + 2) : null;
  return new CemPlanner(model, config, { low: a.box.low, high: a.box.high, gamma: a.gamma, reward: a.reward, value, ...(valueOn ? { valueOn } : {}), proposal, seed: a.seed % 2 ** 31 });
}

/** `env` with `onReset` called before each of its resets (a planner's warm start belongs to one episode). */
export function onEachReset<E extends Env<unknown, unknown>>(env: E, onReset: () => void): E {
  return new Proxy(env, {
    get(target, key) {
      const v = Reflect.get(target, key, target) as unknown;
      if (key === 'reset') return (...args: unknown[]) => { onReset(); return (v as (...x: unknown[]) => unknown).apply(target, args); };
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  });
}
