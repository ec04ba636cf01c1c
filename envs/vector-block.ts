/**
 * The engine shared by `SyncVectorEnv` and `AsyncVectorEnv`'s workers: a block of environments stepped in
 * order, reading actions from one typed array and writing observations, rewards and flags into caller-owned
 * typed arrays (plain or shared memory), with same-step autoreset and an optional time limit.
 */
import type { AnyEnv, Info, ResetArgs } from '../core/env.js';
import { InvalidAction, InvalidConfig, InvalidObservation, RxgymError, describeValue } from '../core/errors.js';
import { describeSpace, explainNotContained, flatdim, flatten, shapeSize, type AnySpace } from '../core/spaces.js';

/** Where `VectorizableEnv.stepInto` writes the scalar results of one step (one object, reused every step). */
export interface StepIntoResult {
  reward: number;
  terminated: boolean;
  truncated: boolean;
  /** The step's info; leave undefined for an empty info (saves an allocation). */
  info: Info | undefined;
}

/**
 * An optional fast path a built-in env may implement so vector envs step it without allocating:
 * `stepInto(action, obsOut, offset, out)` does exactly what `step(action)` does, but writes the next
 * observation, flattened to float32 (`flatdim(observationSpace)` values, as core `flatten`), into
 * `obsOut[offset ...]` and the reward and flags into `out`, and returns nothing. `resetInto(obsOut, offset,
 * args)` likewise does `reset(args)` and returns the info (undefined for empty). Vector envs use them when
 * present and fall back to `step()`/`reset()` otherwise. They must honour the env's own episode logic
 * (termination) but not a time limit: the vector env applies `maxEpisodeSteps` itself.
 */
export interface VectorizableEnv<A = unknown> {
  stepInto(action: A, obsOut: Float32Array, offset: number, out: StepIntoResult): void;
  resetInto?(obsOut: Float32Array, offset: number, args?: ResetArgs): Info | undefined;
}

/** True when `env` implements `stepInto` (the vector fast path). */
export function isVectorizable(env: AnyEnv): env is AnyEnv & VectorizableEnv {
  return typeof (env as Partial<VectorizableEnv>).stepInto === 'function';
}

/**
 * An error thrown by one sub-environment of a vector env, naming its index; the original is `cause` (in the
 * same thread) or described by `originalName`/`originalCode` (from a worker). The envs before it in the
 * same call have already stepped: `reset()` the vector env before stepping it again.
 */
export class VectorEnvError extends RxgymError {
  /** Index of the failing environment in the vector (0 .. numEnvs - 1). */
  readonly envIndex: number;
  /** The call that failed: make, reset, step or close. */
  readonly method: string;
  /** Class name of the original error (e.g. `InvalidAction`, `TypeError`). */
  readonly originalName: string;
  /** `code` of the original error when it was an rxgym error. */
  readonly originalCode: string | undefined;
  constructor(vector: string, envIndex: number, method: string, originalName: string, originalMessage: string, originalCode?: string, cause?: unknown) {
    super(
      'VECTOR_ENV_ERROR',
      `${vector}: env ${envIndex} threw in ${method}(): ${originalName}: ${originalMessage}`,
      cause === undefined ? undefined : { cause },
    );
    this.envIndex = envIndex;
    this.method = method;
    this.originalName = originalName;
    this.originalCode = originalCode;
  }

  /** Wraps any thrown value from env `envIndex`. */
  static wrap(vector: string, envIndex: number, method: string, err: unknown): VectorEnvError {
    if (err instanceof VectorEnvError) return err;
    const e = err instanceof Error ? err : new Error(String(err));
    const code = err instanceof RxgymError ? err.code : undefined;
    return new VectorEnvError(vector, envIndex, method, e.name, e.message, code, err);
  }
}

/** The typed arrays a block reads and writes, each covering exactly the block's rows. */
export interface BlockBuffers {
  /** n x obsDim: the current observation of each env (the reset one after an episode ended). */
  obs: Float32Array;
  /** n x obsDim: the final observation of each env whose episode ended on the last step (rows where done). */
  finalObs: Float32Array;
  rewards: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** 1 where the episode ended on the last step (terminated or truncated) and the env was reset. */
  done: Uint8Array;
  /** n (Discrete) or n x actDim (Box, MultiDiscrete, MultiBinary) actions. */
  actions: Int32Array | Float32Array;
}

/** The empty info handed out when an env has none (frozen: never write into infos you did not create). */
export const EMPTY_INFO: Info = Object.freeze({}) as Info;

/** Spaces a vector env can batch: any observation space (flattened), these action spaces. */
export function actionLayout(space: AnySpace, who: string): { actDim: number; kind: 'discrete' | 'box' | 'multi-discrete' | 'multi-binary' } {
  switch (space.kind) {
    case 'discrete':
      return { actDim: 1, kind: 'discrete' };
    case 'box':
      return { actDim: shapeSize(space.shape), kind: 'box' };
    case 'multi-discrete':
      return { actDim: space.nvec.length, kind: 'multi-discrete' };
    case 'multi-binary':
      return { actDim: space.n, kind: 'multi-binary' };
    default:
      throw new InvalidConfig(`${who}: Expected a Discrete, Box, MultiDiscrete or MultiBinary action space, got ${describeSpace(space)}.`);
  }
}

const boxCtors = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int32: Int32Array } as const;

/** A block of environments stepped in order into `BlockBuffers`. `firstIndex` is its offset in the vector. */
export class EnvBlock {
  readonly n: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** Per-env info of the last reset/step (the reset's info where an episode ended). */
  readonly infos: Info[];
  /** Per-env info of the step that ended an episode (null where none ended). */
  readonly finalInfo: (Info | null)[];
  /** Steps taken in each env's current episode (for `maxEpisodeSteps`). */
  readonly elapsed: Int32Array;
  private readonly fast: boolean[];
  private readonly actionBufs: ArrayLike<number>[];
  private readonly kind: 'discrete' | 'box' | 'multi-discrete' | 'multi-binary';
  private readonly result: StepIntoResult = { reward: 0, terminated: false, truncated: false, info: undefined };
  private readonly writeObs: (obs: unknown, out: Float32Array, offset: number) => void;

  constructor(
    readonly envs: readonly AnyEnv[],
    readonly observationSpace: AnySpace,
    readonly actionSpace: AnySpace,
    readonly bufs: BlockBuffers,
    readonly options: { label: string; firstIndex: number; maxEpisodeSteps: number | undefined },
  ) {
    this.n = envs.length;
    this.obsDim = flatdim(observationSpace);
    const layout = actionLayout(actionSpace, options.label);
    this.kind = layout.kind;
    this.actDim = layout.actDim;
    this.infos = new Array<Info>(this.n).fill(EMPTY_INFO);
    this.finalInfo = new Array<Info | null>(this.n).fill(null);
    this.elapsed = new Int32Array(this.n);
    this.fast = envs.map(isVectorizable);
    // One reusable action array per env: the vector path must not allocate per step.
    this.actionBufs = envs.map(() => {
      if (actionSpace.kind === 'box') return new boxCtors[actionSpace.dtype](this.actDim);
      if (actionSpace.kind === 'multi-binary') return new Uint8Array(this.actDim);
      return new Int32Array(this.actDim);
    });
    const dim = this.obsDim;
    const space = observationSpace;
    const label = options.label;
    this.writeObs =
      space.kind === 'box'
        ? (obs, out, offset) => {
            const o = obs as ArrayLike<number>;
            if (o == null || o.length !== dim) {
              throw new InvalidObservation(`${label}: Expected an observation of ${dim} numbers for ${describeSpace(space)}, got ${describeValue(obs)}.`);
            }
            for (let j = 0; j < dim; j++) out[offset + j] = o[j]!;
          }
        : (obs, out, offset) => {
            const why = explainNotContained(space, obs);
            if (why !== null) throw new InvalidObservation(`${label}: ${why}`);
            flatten(space, obs, out, offset);
          };
  }

  /** True when every env of the block steps through `stepInto`. */
  get allFast(): boolean {
    return this.fast.every(Boolean);
  }

  /** Resets every env (env i with `seed + firstIndex + i` when a seed is given) and writes the observations. */
  reset(seed: number | undefined, options: Record<string, unknown> | undefined): void {
    const { obs, done } = this.bufs;
    for (let i = 0; i < this.n; i++) {
      const args: ResetArgs = {};
      if (seed !== undefined) args.seed = seed + this.options.firstIndex + i;
      if (options !== undefined) args.options = options;
      this.infos[i] = this.resetOne(i, obs, args);
      this.finalInfo[i] = null;
      this.elapsed[i] = 0;
      done[i] = 0;
    }
  }

  private resetOne(i: number, out: Float32Array, args: ResetArgs | undefined): Info {
    const env = this.envs[i]!;
    try {
      if (this.fast[i] && typeof (env as Partial<VectorizableEnv>).resetInto === 'function') {
        return (env as unknown as Required<VectorizableEnv>).resetInto(out, i * this.obsDim, args) ?? EMPTY_INFO;
      }
      const r = env.reset(args);
      this.writeObs(r.obs, out, i * this.obsDim);
      return r.info ?? EMPTY_INFO;
    } catch (err) {
      throw VectorEnvError.wrap(this.options.label, this.options.firstIndex + i, 'reset', err);
    }
  }

  /** Steps every env with its action from `bufs.actions`; autoresets finished ones in the same call. */
  step(): void {
    const { obs, finalObs, rewards, terminated, truncated, done, actions } = this.bufs;
    const dim = this.obsDim;
    const max = this.options.maxEpisodeSteps ?? 0x7fffffff;
    const r = this.result;
    const expected = this.n * this.actDim;
    if (actions.length < expected) {
      throw new InvalidAction(`${this.options.label}: Expected ${expected} actions (${this.n} envs x ${this.actDim}), got ${actions.length}.`);
    }
    validateActions(this.actionSpace, actions, this.n, this.actDim, this.options.label, this.options.firstIndex, this.actionBufs);
    const discrete = this.kind === 'discrete';
    for (let i = 0; i < this.n; i++) {
      const env = this.envs[i]!;
      const action = discrete ? actions[i]! : this.actionBufs[i]!;
      const offset = i * dim;
      let info: Info;
      try {
        if (this.fast[i]) {
          r.info = undefined;
          (env as unknown as VectorizableEnv).stepInto(action, obs, offset, r);
          info = r.info ?? EMPTY_INFO;
        } else {
          const s = env.step(action);
          this.writeObs(s.obs, obs, offset);
          r.reward = s.reward;
          r.terminated = s.terminated;
          r.truncated = s.truncated;
          info = s.info ?? EMPTY_INFO;
        }
      } catch (err) {
        throw VectorEnvError.wrap(this.options.label, this.options.firstIndex + i, 'step', err);
      }
      const elapsed = ++this.elapsed[i]!;
      const trunc = r.truncated || elapsed >= max;
      rewards[i] = r.reward;
      terminated[i] = r.terminated ? 1 : 0;
      truncated[i] = trunc ? 1 : 0;
      if (r.terminated || trunc) {
        // Same-step autoreset: keep the final observation, then put the reset observation in obs.
        for (let j = 0; j < dim; j++) finalObs[offset + j] = obs[offset + j]!;
        done[i] = 1;
        this.finalInfo[i] = info;
        this.elapsed[i] = 0;
        this.infos[i] = this.resetOne(i, obs, undefined);
      } else {
        done[i] = 0;
        this.finalInfo[i] = null;
        this.infos[i] = info;
      }
    }
  }

  /** Closes every env; errors are collected and the first is thrown after all were tried. */
  close(): void {
    let first: unknown;
    this.envs.forEach((env, i) => {
      try {
        env.close();
      } catch (err) {
        first ??= VectorEnvError.wrap(this.options.label, this.options.firstIndex + i, 'close', err);
      }
    });
    if (first !== undefined) throw first;
  }
}

/**
 * Validates the actions of `n` envs (throwing `InvalidAction` naming the first bad index, `firstIndex` based,
 * before any env steps) and, when `rows` is given, copies non-Discrete rows into those per-env arrays.
 */
export function validateActions(
  space: AnySpace, actions: ArrayLike<number>, n: number, actDim: number, label: string, firstIndex: number, rows: ArrayLike<number>[] | null,
): void {
  if (space.kind === 'discrete') {
    const lo = space.start, hi = space.start + space.n;
    for (let i = 0; i < n; i++) {
      const a = actions[i]!;
      if (!(a >= lo && a < hi) || a !== Math.floor(a)) {
        throw new InvalidAction(`${label}: Expected actions[${firstIndex + i}] to be an integer in [${lo}, ${hi - 1}] for ${describeSpace(space)}, got ${a}.`);
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const buf = rows === null ? null : (rows[i] as Float32Array);
    const from = i * actDim;
    for (let j = 0; j < actDim; j++) {
      const v = actions[from + j]!;
      let ok: boolean;
      if (space.kind === 'box') ok = v >= space.low[j]! && v <= space.high[j]!;
      else if (space.kind === 'multi-discrete') ok = v >= space.start[j]! && v < space.start[j]! + space.nvec[j]! && v === Math.floor(v);
      else ok = v === 0 || v === 1;
      if (!ok) throw new InvalidAction(`${label}: Expected actions[${firstIndex + i}][${j}] inside ${describeSpace(space)}, got ${v}.`);
      if (buf !== null) buf[j] = v;
    }
  }
}
