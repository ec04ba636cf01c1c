/**
 * Shared machinery of the tabular toy-text environments (FrozenLake, CliffWalking, Taxi): the transition
 * table `P[s][a]`, Gymnasium's `categorical_sample`, kwargs checks and the `reset({ options: { state } })`
 * validation. Kept in one place so the three environments sample, validate and fail the same way.
 */
import { BaseEnv, type Info, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidAction, InvalidConfig, describeValue } from '../../core/errors.js';
import { discrete, type DiscreteSpace } from '../../core/spaces.js';
import { stateFields as f, stateSchema, type StateField } from '../snapshot.js';

/** One outcome of `P[s][a]`: `[probability, nextState, reward, terminated]`, as in Gymnasium's `env.P`. */
export type Outcome = readonly [prob: number, nextState: number, reward: number, terminated: boolean];

/** `P[s][a]` = the outcomes of action `a` in state `s` (nS x nA lists). */
export type TransitionTable = readonly (readonly (readonly Outcome[])[])[];

/** A source of uniform draws in [0, 1), as `np_random.random()`; injectable so recorded draws can be replayed. */
export type UniformSource = () => number;

/**
 * Gymnasium's `categorical_sample(probs, np_random)`: the first index whose running sum of probabilities
 * exceeds `u` (`argmax(cumsum(probs) > u)`), or 0 when none does (numpy's argmax of an all-false array).
 */
export function categoricalSample(probs: ArrayLike<number>, u: number): number {
  let cum = 0;
  for (let i = 0; i < probs.length; i++) {
    cum += probs[i]!;
    if (cum > u) return i;
  }
  return 0;
}

/** `categoricalSample` over the probabilities of a list of outcomes (no intermediate array). */
export function sampleOutcome(outcomes: readonly Outcome[], u: number): number {
  let cum = 0;
  for (let i = 0; i < outcomes.length; i++) {
    cum += outcomes[i]![0];
    if (cum > u) return i;
  }
  return 0;
}

/** Throws `InvalidConfig` naming the first key of `kwargs` that is not in `allowed` (with a camelCase hint). */
export function checkKwargKeys(what: string, kwargs: object, allowed: readonly string[]): void {
  for (const key of Object.keys(kwargs)) {
    if (allowed.includes(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = camel !== key && allowed.includes(camel) ? ` Use camelCase: ${camel}.` : '';
    throw new InvalidConfig(`Expected ${what} options among ${allowed.join(', ')}, got ${JSON.stringify(key)}.${hint}`);
  }
}

/** Validates an optional boolean option; returns `fallback` when undefined. */
export function boolOption(what: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidConfig(`Expected ${what} to be true or false, got ${describeValue(value)}.`);
  return value;
}

/** Validates an optional probability option in [0, 1]; returns `fallback` when undefined. */
export function probabilityOption(what: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidConfig(`Expected ${what} to be a probability in [0, 1], got ${describeValue(value)}.`);
  }
  return value;
}

/** Validates an optional uniform source; returns undefined when none is given. */
export function uniformOption(what: string, value: unknown): UniformSource | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidConfig(`Expected ${what} to be a function () => number in [0, 1), got ${describeValue(value)}.`);
  return value as UniformSource;
}

/** Options every tabular environment accepts. */
export interface TabularOptions {
  /**
   * Source of the uniform draws that pick each transition (and the start state) like Gymnasium's
   * `categorical_sample`; default `this.rng.float()`. Replaceable later through the public `uniform` field.
   */
  uniform?: UniformSource;
}

/**
 * Base of the tabular environments: Discrete observations and actions, a public transition table `P`, an
 * initial-state distribution, and step/reset that sample exactly as Gymnasium does (one uniform per reset and
 * per step, outcome `argmax(cumsum(p) > u)`). `reset({ options: { state } })` sets the state without a draw.
 */
export abstract class TabularEnv extends BaseEnv<number, number> {
  readonly observationSpace: DiscreteSpace;
  readonly actionSpace: DiscreteSpace;
  /** Gymnasium's `P`: `P[s][a]` = list of `[prob, nextState, reward, terminated]`. Never mutate it. */
  readonly P: TransitionTable;
  /** Probability of starting in each state (sums to 1). */
  readonly initialStateDistrib: Float64Array;
  /** Where uniform draws come from; replace it to replay recorded draws. Default: `this.rng.float()`. */
  uniform: UniformSource;
  /** Current state index (Gymnasium's `s`). */
  s = 0;
  /** Last action taken, or null right after reset (drives the agent's facing in `scene()`). */
  lastAction: number | null = null;
  protected readonly nS: number;
  protected readonly nA: number;

  protected constructor(P: TransitionTable, initialStateDistrib: Float64Array, uniform: UniformSource | undefined) {
    super();
    this.P = P;
    this.nS = P.length;
    this.nA = P[0]!.length;
    this.initialStateDistrib = initialStateDistrib;
    this.observationSpace = discrete(this.nS);
    this.actionSpace = discrete(this.nA);
    this.uniform = uniform ?? (() => this.rng.float());
    this.metadata = { renderFps: 4 };
  }

  /**
   * Everything to continue exactly (see `snapshotEnv`): the state, the last action and the rng. Subclasses with
   * more state add it beside `tabularState()`. A replaced `uniform` source is the caller's to save.
   */
  getState(): JsonValue {
    return this.withRngState(this.tabularState());
  }

  /** Restores `getState()` output; checks every field before changing anything. */
  setState(state: JsonValue): void {
    const s = stateSchema({ ...this.tabularFields(), rng: f.rng() }).parse(state, String(this));
    this.applyTabularState(s);
    this.restoreRngState(s.rng);
  }

  /** The state every tabular env saves: `s` and `lastAction`. */
  protected tabularState(): { s: number; lastAction: number | null } {
    return { s: this.s, lastAction: this.lastAction };
  }

  /** The schema fields of `tabularState()`, sized for this env. */
  protected tabularFields(): { s: StateField<number>; lastAction: StateField<number | null> } {
    return { s: f.int(0, this.nS - 1), lastAction: f.nullable(f.int(0, this.nA - 1)) };
  }

  /** Swaps in a transition table and start distribution of the same size (FrozenLake restoring another map). */
  protected replaceTable(P: TransitionTable, initialStateDistrib: Float64Array): void {
    // P is readonly to users; only a restore replaces it, and whole, never in part.
    (this as { P: TransitionTable }).P = P;
    this.initialStateDistrib.set(initialStateDistrib);
  }

  /** Sets what `tabularState()` saved. */
  protected applyTabularState(state: { s: number; lastAction: number | null }): void {
    this.s = state.s;
    this.lastAction = state.lastAction;
  }

  /** The info of a reset or step that lands in `state` with probability `prob`. */
  protected makeInfo(prob: number, _state: number): Info {
    return { prob };
  }

  /** Called after the state is set by reset (sampled or given), before the info is built. */
  protected onReset(_options: Record<string, unknown> | undefined): void {}

  /** Hook to adjust the sampled next state (Taxi's fickle passenger); default: unchanged. */
  protected afterTransition(_prev: number, next: number): number {
    return next;
  }

  /** Checks `options.state` and returns it, or undefined when absent. */
  protected stateOption(options: Record<string, unknown> | undefined): number | undefined {
    const state = options?.['state'];
    if (state === undefined) return undefined;
    if (typeof state !== 'number' || !Number.isInteger(state) || state < 0 || state >= this.nS) {
      throw new InvalidConfig(
        `Expected reset option state to be an integer in [0, ${this.nS - 1}] for ${this.constructor.name}, got ${describeValue(state)}.`,
      );
    }
    return state;
  }

  /** Starts an episode: state from `options.state` or sampled from `initialStateDistrib`; info `{ prob: 1 }`. */
  reset(args?: ResetArgs): ResetResult<number> {
    this.seedRng(args?.seed);
    const given = this.stateOption(args?.options);
    this.s = given ?? categoricalSample(this.initialStateDistrib, this.uniform());
    this.lastAction = null;
    this.onReset(args?.options);
    return { obs: this.s, info: this.makeInfo(1, this.s) };
  }

  /** One transition drawn from `P[s][action]` with one uniform draw. */
  step(action: number): StepResult<number> {
    if (!Number.isInteger(action) || action < 0 || action >= this.nA) {
      throw new InvalidAction(`Expected an action in [0, ${this.nA - 1}] for ${this.constructor.name}, got ${describeValue(action)}.`);
    }
    const outcomes = this.P[this.s]![action]!;
    // Like Gymnasium, every step draws one uniform, even when P[s][a] has a single outcome.
    const [prob, next, reward, terminated] = outcomes[sampleOutcome(outcomes, this.uniform())]!;
    const prev = this.s;
    this.s = this.afterTransition(prev, next);
    this.lastAction = action;
    // truncated is always false: time limits belong to the TimeLimit wrapper that make() adds.
    return { obs: this.s, reward, terminated, truncated: false, info: this.makeInfo(prob, this.s) };
  }
}

/** A grid cell's centre in scene world units (one unit per cell, y up, row 0 at the top). */
export function cellCenter(row: number, col: number, nrow: number): { x: number; y: number } {
  return { x: col + 0.5, y: nrow - row - 0.5 };
}
