/**
 * The world-model contract: an environment's dynamics as a batched function, shaped like mbrl-lib's `ModelEnv`
 * (reset from a batch of observations, which fixes the rollouts' model state; then step a batch of actions with it).
 *
 * States are flat float rows (n x stateDim, the env's flattened observation); actions are rows in the env's own
 * units (n x actionDim floats for Box actions; for Discrete actions one float per row holding the action value,
 * `start` included). Everything is batched so that thousands of imagined rollouts run at once; nothing allocates
 * per step when the caller passes its `out` arrays.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { describeSpace, type AnySpace } from '../../core/spaces.js';

/** The action side of a world model: Box actions of `dim` floats, or Discrete actions `start .. start + n - 1`. */
export type WorldAction = { kind: 'continuous'; dim: number } | { kind: 'discrete'; n: number; start: number };

/** Floats per action row: `dim` for Box actions, 1 (the action value) for Discrete ones. */
export function actionWidth(action: WorldAction): number {
  return action.kind === 'continuous' ? action.dim : 1;
}

/** Floats a network sees per action: the Box row, or a one-hot of n for a Discrete action. */
export function actionFeatures(action: WorldAction): number {
  return action.kind === 'continuous' ? action.dim : action.n;
}

/** How an ensemble carries a batch of rollouts through its members (PETS's TS1 and TS-infinity). */
export type Propagation = 'random-member' | 'fixed-member';

/** What one imagined step writes: n next states (n x stateDim), n rewards and n terminated flags (0/1). */
export interface WorldStepOut {
  nextStates: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
}

/** `WorldStepOut` arrays for n rows of `stateDim`. */
export function worldStepOut(n: number, stateDim: number): WorldStepOut {
  return { nextStates: new Float32Array(n * stateDim), rewards: new Float32Array(n), terminated: new Uint8Array(n) };
}

/**
 * A learned (or known) model of an environment: an initial-state distribution, a batched transition and, optionally,
 * its epistemic uncertainty. `dreamEnv` turns one into an `Env`; model-based training branches rollouts from it.
 */
export interface WorldModel {
  /** The model's kind, e.g. 'ensemble'. */
  readonly kind: string;
  /** Floats per state row (the flattened observation). */
  readonly stateDim: number;
  readonly action: WorldAction;
  /** True once the model can predict (fitted or loaded). */
  readonly ready: boolean;
  /** n start states (n x stateDim) drawn from the initial-state distribution with `rng`, into `out` if given. */
  initialStates(n: number, rng: Rng, out?: Float32Array): Float32Array;
  /**
   * Starts n rollouts (mbrl-lib's `ModelEnv.reset`): returns their model state, the ensemble member each row
   * propagates through for the whole rollout ('fixed-member'), or -1 for a fresh random member every step.
   */
  startRollouts(n: number, rng: Rng, out?: Int32Array): Int32Array;
  /**
   * One imagined transition per row: states (n x stateDim) and actions (n x actionWidth) in, a sampled next state,
   * reward and terminated flag out (`members` from `startRollouts`; sampling draws from `rng`). Returns `out`.
   */
  step(states: Float32Array, actions: Float32Array, n: number, members: Int32Array, rng: Rng, out: WorldStepOut): WorldStepOut;
  /**
   * Epistemic uncertainty of each row's transition: the disagreement of the members' predicted next-state means
   * (the trace of their covariance, in squared state units), n values into `out` if given. Absent on a model
   * without one.
   */
  disagreement?(states: Float32Array, actions: Float32Array, n: number, out?: Float32Array): Float32Array;
}

/** Batched reward: writes the reward of n rows of (state, action, next state) into `out`. */
export type RewardFn = (states: Float32Array, actions: Float32Array, nextStates: Float32Array, n: number, out: Float32Array) => void;

/** Batched termination: writes terminated (0/1) for n rows of (state, action, next state) into `out`. */
export type TerminationFn = (states: Float32Array, actions: Float32Array, nextStates: Float32Array, n: number, out: Uint8Array) => void;

/** The env's observation and action spaces as a world model sees them: `InvalidConfig` for spaces it cannot model. */
export function worldShapeOf(observationSpace: AnySpace, actionSpace: AnySpace): { stateDim: number; action: WorldAction } {
  if (observationSpace.kind !== 'box' || observationSpace.dtype === 'uint8') {
    throw new InvalidConfig(
      `Expected a float Box observation space for a world model (states are rows of floats), got ${describeSpace(observationSpace)}. ` +
        'Pixel observations need an encoder to a latent state first.',
    );
  }
  const stateDim = observationSpace.low.length;
  if (actionSpace.kind === 'box') return { stateDim, action: { kind: 'continuous', dim: actionSpace.low.length } };
  if (actionSpace.kind === 'discrete') return { stateDim, action: { kind: 'discrete', n: actionSpace.n, start: actionSpace.start } };
  throw new InvalidConfig(`Expected a Box or Discrete action space for a world model, got ${describeSpace(actionSpace)}.`);
}

/**
 * Throws `InvalidConfig` naming the mismatch unless `model` fits an env with these spaces: the same state width and
 * the same action kind and width (Discrete: the same n and start).
 */
export function checkModelFits(model: Pick<WorldModel, 'stateDim' | 'action' | 'kind'>, observationSpace: AnySpace, actionSpace: AnySpace, envName = 'the env'): void {
  const want = worldShapeOf(observationSpace, actionSpace);
  if (model.stateDim !== want.stateDim) {
    throw new InvalidConfig(
      `Expected a world model of ${want.stateDim} state floats for ${envName} (observation space ${describeSpace(observationSpace)}), got a ${model.kind} model of ${model.stateDim}.`,
    );
  }
  const a = model.action, b = want.action;
  const same = a.kind === b.kind && (a.kind === 'continuous' ? a.dim === (b as { dim: number }).dim : a.n === (b as { n: number }).n && a.start === (b as { start: number }).start);
  if (!same) {
    throw new InvalidConfig(
      `Expected a world model of ${describeAction(b)} for ${envName} (action space ${describeSpace(actionSpace)}), got a ${model.kind} model of ${describeAction(a)}.`,
    );
  }
}

/** "2 continuous action floats" or "3 discrete actions from 0". */
export function describeAction(a: WorldAction): string {
  return a.kind === 'continuous' ? `${a.dim} continuous action float${a.dim === 1 ? '' : 's'}` : `${a.n} discrete actions from ${a.start}`;
}

/** Throws `InvalidConfig` unless `a` is a valid `WorldAction` (from a config or a saved model). */
export function checkWorldAction(a: unknown): WorldAction {
  const o = a as Record<string, unknown> | null;
  const int = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  if (o && o['kind'] === 'continuous' && int(o['dim'], 1)) return { kind: 'continuous', dim: o['dim'] as number };
  if (o && o['kind'] === 'discrete' && int(o['n'], 1) && Number.isSafeInteger(o['start'])) return { kind: 'discrete', n: o['n'] as number, start: o['start'] as number };
  throw new InvalidConfig(`Expected action to be { kind: 'continuous', dim >= 1 } or { kind: 'discrete', n >= 1, start }, got ${describeValue(a)}.`);
}
