/**
 * Vector environments: N copies of an environment stepped as one, with batched typed arrays.
 *
 * Layout (N envs, obsDim = flatdim(observation space), actDim = 1 for Discrete else the action's length):
 * - `obs`: ONE Float32Array of N x obsDim, row i = env i's observation flattened with core `flatten`
 *   (Box as is, Discrete one-hot). `rewards`: Float64Array(N). `terminated`, `truncated`, `done`: Uint8Array(N).
 * - actions: Int32Array(N) for Discrete, Float32Array(N x actDim) for Box (MultiDiscrete: Int32Array N x len,
 *   MultiBinary: Int32Array or Float32Array N x n of 0/1).
 *
 * AUTORESET IS SAME-STEP (as SB3's VecEnv, not Gymnasium 1.x's default next-step): on the step where env i's
 * episode ends, `done[i] = 1`, `terminated[i]`/`truncated[i]` say why, `rewards[i]` is the last reward,
 * `finalObs` row i holds the episode's FINAL observation and `finalInfo[i]` its last info, while `obs` row i
 * ALREADY holds the next episode's reset observation and `infos[i]` the reset's info. A learner storing
 * (obs, action, reward, nextObs) must take nextObs from `finalObs` where `done[i]` (bootstrapping from it
 * only when truncated), and from `obs` elsewhere. Rows of `finalObs` where `done[i] = 0` are stale.
 *
 * BUFFERS ARE REUSED: `reset()` and `step()` return the same result object every call, and its arrays are
 * overwritten by the next call. Copy (`.slice()`) what you keep. Nothing is allocated per step on the vector
 * path beyond what the sub-envs allocate; envs implementing `VectorizableEnv.stepInto` allocate nothing.
 *
 * Browser-safe: `AsyncVectorEnv` (worker threads) lives in `envs/node/async-vector.ts` (`rxgym/node`).
 */
import type { AnyEnv, Info } from '../core/env.js';
import { InvalidConfig, ResetNeeded, describeValue } from '../core/errors.js';
import { checkSeed } from '../core/rng.js';
import { describeSpace, flatdim, spaceFromJSON, spacesEqual, type AnySpace, type SpaceJSON } from '../core/spaces.js';
import './builtin.js'; // so SyncVectorEnv.make('CartPole-v1') works without importing the envs index
import { make, spec as registeredSpec } from './registry.js';
import { EMPTY_INFO, EnvBlock, VectorEnvError, actionLayout, validateActions, type BlockBuffers } from './vector-block.js';

export { EMPTY_INFO, VectorEnvError, isVectorizable, type StepIntoResult, type VectorizableEnv } from './vector-block.js';

/** What a vector env's `reset()` returns (the same object every call; arrays overwritten by the next call). */
export interface VecResetResult {
  /** N x obsDim observations. */
  readonly obs: Float32Array;
  /** Per-env reset info. */
  readonly infos: readonly Info[];
}

/** What a vector env's `step()` returns (the same object every call; arrays overwritten by the next call). */
export interface VecStepResult {
  /** N x obsDim observations; row i is the reset observation where `done[i]` (same-step autoreset). */
  readonly obs: Float32Array;
  /** N rewards of this step. */
  readonly rewards: Float64Array;
  /** 1 where env i reached a terminal state on this step. */
  readonly terminated: Uint8Array;
  /** 1 where env i was cut short (its own truncation or `maxEpisodeSteps`) on this step. */
  readonly truncated: Uint8Array;
  /** 1 where env i's episode ended on this step (terminated or truncated) and it was reset. */
  readonly done: Uint8Array;
  /** N x obsDim; row i is the final observation of the episode that ended where `done[i]`, stale elsewhere. */
  readonly finalObs: Float32Array;
  /** Per-env info: the step's, or the reset's where `done[i]`. */
  readonly infos: readonly Info[];
  /** Per-env info of the step that ended the episode where `done[i]`, null elsewhere. */
  readonly finalInfo: readonly (Info | null)[];
}

/** Options shared by both vector envs. */
export interface VectorEnvOptions {
  /** Truncate each env's episodes after this many steps (the vector applies it, see `SyncVectorEnv.make`). */
  maxEpisodeSteps?: number;
}

/** Arguments of a vector env's `reset`: env i is seeded with `seed + i`. */
export interface VecResetArgs {
  seed?: number;
  options?: Record<string, unknown>;
}

/** Sizes of a vector's rows (shared with `AsyncVectorEnv`). */
export interface Layout {
  numEnvs: number;
  obsDim: number;
  actDim: number;
  actionKind: 'discrete' | 'box' | 'multi-discrete' | 'multi-binary';
}

/** Row sizes and action kind of a vector of `numEnvs` envs with these spaces. */
export function layoutOf(who: string, numEnvs: number, observationSpace: AnySpace, actionSpace: AnySpace): Layout {
  const { actDim, kind } = actionLayout(actionSpace, who);
  return { numEnvs, obsDim: flatdim(observationSpace), actDim, actionKind: kind };
}

/** A valid `maxEpisodeSteps` (or undefined); `InvalidConfig` otherwise. */
export function checkMaxSteps(who: string, max: unknown): number | undefined {
  if (max === undefined) return undefined;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new InvalidConfig(`${who}: Expected maxEpisodeSteps to be a positive integer, got ${describeValue(max)}.`);
  }
  return max;
}

/** A valid env count; `InvalidConfig` otherwise. */
export function checkNumEnvs(who: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidConfig(`${who}: Expected numEnvs to be an integer from 1 and up, got ${describeValue(n)}.`);
  }
  return n;
}

/** A vector's result and action arrays, on SharedArrayBuffers when `shared` (for worker threads). */
export function allocBuffers(layout: Layout, shared: boolean): BlockBuffers {
  const { numEnvs: n, obsDim, actDim, actionKind } = layout;
  const mk = (bytes: number): ArrayBuffer | SharedArrayBuffer => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    obs: new Float32Array(mk(4 * n * obsDim)),
    finalObs: new Float32Array(mk(4 * n * obsDim)),
    rewards: new Float64Array(mk(8 * n)),
    terminated: new Uint8Array(mk(n)),
    truncated: new Uint8Array(mk(n)),
    done: new Uint8Array(mk(n)),
    actions: actionKind === 'box' ? new Float32Array(mk(4 * n * actDim)) : new Int32Array(mk(4 * n * actDim)),
  };
}

/** The actions as an array of the expected length; `InvalidConfig` otherwise. */
export function checkActions(who: string, actions: unknown, layout: Layout): ArrayLike<number> {
  const want = layout.numEnvs * layout.actDim;
  const typeName = layout.actionKind === 'box' ? 'Float32Array' : 'Int32Array';
  if (!ArrayBuffer.isView(actions) || (actions as unknown as ArrayLike<number>).length !== want) {
    throw new InvalidConfig(
      `${who}: Expected actions as a ${typeName} of ${want} (${layout.numEnvs} envs x ${layout.actDim}), got ${describeValue(actions)}.`,
    );
  }
  return actions as unknown as ArrayLike<number>;
}

/** Builds a registered env for a vector: no passive checker, order enforcing or TimeLimit (the vector does those). */
function makeForVector(id: string, kwargs: Record<string, unknown>): AnyEnv {
  return make(id, kwargs, { disableEnvChecker: true, disableOrderEnforcing: true, maxEpisodeSteps: null });
}

/** Options of `SyncVectorEnv.make` and `AsyncVectorEnv.create` for a registered id. */
export interface MakeVectorOptions {
  /** Keyword arguments for every copy. */
  kwargs?: Record<string, unknown>;
  /** Overrides the registered limit; `null` removes it. */
  maxEpisodeSteps?: number | null;
}

/**
 * N environments stepped in turn in this thread. Build from a factory and a count, from a list of
 * factories, or from a registered id with `SyncVectorEnv.make('CartPole-v1', 16)`.
 */
export class SyncVectorEnv {
  readonly numEnvs: number;
  readonly envs: readonly AnyEnv[];
  /** The observation space of each copy. */
  readonly singleObservationSpace: AnySpace;
  /** The action space of each copy. */
  readonly singleActionSpace: AnySpace;
  /** Floats per observation row (flatdim of the single observation space). */
  readonly obsDim: number;
  /** Numbers per action row (1 for Discrete). */
  readonly actDim: number;
  readonly maxEpisodeSteps: number | undefined;
  private readonly block: EnvBlock;
  private readonly layout: Layout;
  private readonly bufs: BlockBuffers;
  private readonly resetResult: VecResetResult;
  private readonly stepResult: VecStepResult;
  private state: 'fresh' | 'running' | 'closed' = 'fresh';

  /** `new SyncVectorEnv(() => new MyEnv(), 8)` or `new SyncVectorEnv([f0, f1, ...])`. */
  constructor(factory: (() => AnyEnv) | readonly (() => AnyEnv)[], numEnvs?: number, options: VectorEnvOptions = {}) {
    const who = 'SyncVectorEnv';
    let factories: readonly (() => AnyEnv)[];
    if (typeof factory === 'function') {
      factories = Array.from({ length: checkNumEnvs(who, numEnvs) }, () => factory);
    } else if (Array.isArray(factory) && factory.length > 0 && factory.every((f) => typeof f === 'function')) {
      factories = factory;
    } else {
      throw new InvalidConfig(`${who}: Expected a factory () => Env and a count, or a non-empty array of factories, got ${describeValue(factory)}.`);
    }
    this.maxEpisodeSteps = checkMaxSteps(who, options.maxEpisodeSteps);
    const envs = factories.map((f) => f());
    const first = envs[0]!;
    envs.forEach((env, i) => {
      if (!spacesEqual(env.observationSpace, first.observationSpace) || !spacesEqual(env.actionSpace, first.actionSpace)) {
        throw new InvalidConfig(
          `${who}: Expected every env to have the spaces of env 0 (${describeSpace(first.observationSpace)}, ${describeSpace(first.actionSpace)}), got ${describeSpace(env.observationSpace)}, ${describeSpace(env.actionSpace)} at env ${i}.`,
        );
      }
    });
    this.envs = envs;
    this.numEnvs = envs.length;
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    this.layout = layoutOf(who, this.numEnvs, first.observationSpace, first.actionSpace);
    this.obsDim = this.layout.obsDim;
    this.actDim = this.layout.actDim;
    this.bufs = allocBuffers(this.layout, false);
    this.block = new EnvBlock(envs, first.observationSpace, first.actionSpace, this.bufs, { label: who, firstIndex: 0, maxEpisodeSteps: this.maxEpisodeSteps });
    const b = this.bufs;
    this.resetResult = { obs: b.obs, infos: this.block.infos };
    this.stepResult = {
      obs: b.obs, rewards: b.rewards, terminated: b.terminated, truncated: b.truncated, done: b.done,
      finalObs: b.finalObs, infos: this.block.infos, finalInfo: this.block.finalInfo,
    };
  }

  /**
   * N copies of a registered env, built without the passive checker, order enforcing and TimeLimit
   * wrappers (the vector checks actions, orders calls and applies the registered `maxEpisodeSteps` itself),
   * so envs implementing `VectorizableEnv` take the allocation-free fast path.
   */
  static make(id: string, numEnvs: number, options: MakeVectorOptions = {}): SyncVectorEnv {
    const s = registeredSpec(id);
    const max = options.maxEpisodeSteps === null ? undefined : (options.maxEpisodeSteps ?? s.maxEpisodeSteps);
    const kwargs = options.kwargs ?? {};
    return new SyncVectorEnv(() => makeForVector(id, kwargs), numEnvs, max === undefined ? {} : { maxEpisodeSteps: max });
  }

  /** True when every copy steps through `VectorizableEnv.stepInto` (no allocation per step). */
  get fastPath(): boolean {
    return this.block.allFast;
  }

  /** Resets every env (env i with `seed + i` when a seed is given). Returns reused buffers. */
  reset(args: VecResetArgs = {}): VecResetResult {
    if (this.state === 'closed') throw closedError('SyncVectorEnv', 'reset');
    if (args.seed !== undefined) checkSeed(args.seed, 'SyncVectorEnv reset seed');
    this.block.reset(args.seed, args.options);
    this.state = 'running';
    return this.resetResult;
  }

  /** Steps every env with its row of `actions`, autoresetting finished ones (see the module doc). Returns reused buffers. */
  step(actions: Int32Array | Float32Array): VecStepResult {
    if (this.state !== 'running') {
      throw this.state === 'closed'
        ? closedError('SyncVectorEnv', 'step')
        : new ResetNeeded('SyncVectorEnv: Expected reset() before the first step(), got step() on a vector env that was never reset. Call reset() first.');
    }
    const a = this.bufs.actions;
    if (actions !== a) {
      const src = checkActions('SyncVectorEnv', actions, this.layout);
      for (let i = 0; i < a.length; i++) a[i] = src[i]!;
    }
    this.block.step();
    return this.stepResult;
  }

  /**
   * The vector's own action buffer (Int32Array or Float32Array, N x actDim): write actions into it and pass
   * it to `step()` to skip the copy.
   */
  get actionBuffer(): Int32Array | Float32Array {
    return this.bufs.actions;
  }

  /** Closes every env. Calling it twice is harmless. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.block.close();
  }
}

/** The error of a call on a closed vector env. */
export function closedError(who: string, method: string): ResetNeeded {
  return new ResetNeeded(`${who}: Expected an open vector env, got ${method}() after close(). Build a new one.`);
}
