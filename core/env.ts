/**
 * The environment contract, shaped like Gymnasium's: `reset({seed, options}) -> {obs, info}` and
 * `step(action) -> {obs, reward, terminated, truncated, info}`, with typed spaces and a plain-data scene.
 *
 * - `terminated`: the MDP reached a terminal state (do not bootstrap from `obs`).
 * - `truncated`: the episode was cut short from outside the MDP (a time limit; bootstrap from `obs`).
 * After either is true, call `reset()` before stepping again.
 */
import { InvalidConfig, describeValue } from './errors.js';
import { Rng, isRngState, type RngState } from './rng.js';
import type { Scene } from './scene.js';
import type { Space } from './spaces.js';

/** Any JSON value: what `getState()` returns and `setState()` accepts. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Extra, environment-specific data returned by reset and step. */
export type Info = Record<string, unknown>;

/** Arguments of `reset`. */
export interface ResetArgs {
  /** Reseeds the environment's random stream; the same seed gives the same episode. */
  seed?: number;
  /** Environment-specific options (built-ins accept `{ state }` to set the exact internal state). */
  options?: Record<string, unknown>;
}

/** What `reset` returns. */
export interface ResetResult<O> {
  obs: O;
  info: Info;
}

/** What `step` returns. */
export interface StepResult<O> {
  obs: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

/** Static facts about an environment. */
export interface EnvMetadata {
  /** Frames per second at which recorded episodes play back in real time. */
  renderFps: number;
}

/** How an environment was registered and made (set by `make()`). */
export interface EnvSpec {
  id: string;
  /** Where `make()` found the constructor: a registered name or a `module:export` string. */
  entryPoint: string;
  /** Steps after which `TimeLimit` truncates; undefined for no limit. */
  maxEpisodeSteps?: number;
  /** Average return at which the task counts as solved. */
  rewardThreshold?: number;
  /** Whether the same seed may give different episodes. */
  nondeterministic: boolean;
  /** Keyword arguments passed to the constructor. */
  kwargs: Record<string, unknown>;
}

/** An environment with observations of type `O` and actions of type `A`. */
export interface Env<O, A> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  readonly metadata: EnvMetadata;
  /** Set by `make()`; undefined for an environment constructed directly. */
  spec: EnvSpec | undefined;
  /** The innermost environment below all wrappers. */
  readonly unwrapped: Env<unknown, unknown>;
  reset(args?: ResetArgs): ResetResult<O>;
  step(action: A): StepResult<O>;
  /** The current frame as plain data, for renderers; absent when the environment cannot be drawn. */
  scene?(): Scene;
  /** Releases resources. Calling it twice is harmless. */
  close(): void;
  /**
   * Everything THIS layer (not the env it wraps) needs to continue exactly, as plain JSON: typed arrays as
   * number arrays, the rng as its `getState()`. Absent when the layer cannot be saved. See `snapshotEnv`.
   */
  getState?(): JsonValue;
  /** Restores `getState()` output; a malformed state throws `InvalidConfig` naming the env and the expected shape. */
  setState?(state: JsonValue): void;
  /** True on a layer that keeps no state of its own (a pure transform): snapshots record it without `getState`. */
  readonly stateless?: boolean;
}

/** An environment of any observation and action types. */
export type AnyEnv = Env<unknown, unknown>;
/** The observation type of an environment type. */
export type ObsOf<E> = E extends Env<infer O, unknown> ? O : never;
/** The action type of an environment type. */
export type ActOf<E> = E extends Env<unknown, infer A> ? A : never;

/**
 * A convenient base for environments: the seeded random stream `rng` (Gymnasium's `np_random`),
 * `unwrapped`, an empty `close`, and default metadata. Call `this.seedRng(args?.seed)` first in `reset`.
 */
export abstract class BaseEnv<O, A> implements Env<O, A> {
  abstract readonly observationSpace: Space<O>;
  abstract readonly actionSpace: Space<A>;
  metadata: EnvMetadata = { renderFps: 30 };
  spec: EnvSpec | undefined = undefined;
  /** The environment's own random stream; reseeded by `reset({ seed })`. */
  protected rng: Rng = new Rng();

  get unwrapped(): this {
    return this;
  }

  /** Reseeds `rng` when a seed is given; without one the stream continues (as in Gymnasium). */
  protected seedRng(seed: number | undefined): void {
    if (seed !== undefined) this.rng.reseed(seed);
  }

  /** `fields` plus this env's rng state as `rng`, so `getState()` is one line: `return this.withRngState({ ... })`. */
  protected withRngState<T extends { [key: string]: JsonValue }>(fields: T): T & { rng: RngState } {
    return { ...fields, rng: this.rng.getState() };
  }

  /** Restores the `rng` of a `withRngState` state (four unsigned 32-bit words), or throws naming this env. */
  protected restoreRngState(rng: JsonValue | undefined): void {
    if (!isRngState(rng)) {
      throw new InvalidConfig(`${this.constructor.name}: Expected state.rng to be 4 unsigned 32-bit integers, not all 0, and a cached normal draw if any (Rng.getState()), got ${describeValue(rng)}.`);
    }
    this.rng.setState(rng);
  }

  abstract reset(args?: ResetArgs): ResetResult<O>;
  abstract step(action: A): StepResult<O>;
  close(): void {}

  /** `CartPoleEnv<CartPole-v1>` when made by id, else the class name. */
  toString(): string {
    return this.spec ? `${this.constructor.name}<${this.spec.id}>` : this.constructor.name;
  }
}

/**
 * Base of all wrappers: forwards every call to `env` unchanged. A wrapper overrides what it changes and
 * sets `observationSpace`/`actionSpace` when it changes their types. Attributes are never forwarded: reach
 * the innermost environment with `unwrapped`, the next one with `env`.
 */
export class Wrapper<O, A, E extends AnyEnv = Env<O, A>> implements Env<O, A> {
  readonly env: E;
  observationSpace: Space<O>;
  actionSpace: Space<A>;
  metadata: EnvMetadata;
  spec: EnvSpec | undefined;
  /** The current frame of the wrapped environment, when it has one. */
  scene?: () => Scene;

  constructor(env: E) {
    this.env = env;
    this.observationSpace = env.observationSpace as Space<O>;
    this.actionSpace = env.actionSpace as Space<A>;
    this.metadata = env.metadata;
    this.spec = env.spec;
    if (typeof env.scene === 'function') this.scene = () => env.scene!();
  }

  get unwrapped(): E['unwrapped'] {
    return this.env.unwrapped;
  }

  reset(args?: ResetArgs): ResetResult<O> {
    return this.env.reset(args) as ResetResult<O>;
  }

  step(action: A): StepResult<O> {
    return this.env.step(action) as StepResult<O>;
  }

  close(): void {
    this.env.close();
  }

  /** The wrapper stack as text, outermost first: `TimeLimit<OrderEnforcing<CartPoleEnv>>`. */
  toString(): string {
    return `${this.constructor.name}<${String(this.env)}>`;
  }
}

/** One step of an environment run, as the `steps$` stream emits it. */
export interface Transition<O, A> {
  /** Observation the action was chosen from. */
  obs: O;
  action: A;
  reward: number;
  /** Observation after the step: for a finished episode the final one, never the next reset's. */
  nextObs: O;
  terminated: boolean;
  truncated: boolean;
  info: Info;
  /** Episode index in this run, from 0. */
  episode: number;
  /** Step index within the episode, from 0. */
  t: number;
  /** Step index within the run, from 0. */
  step: number;
}
