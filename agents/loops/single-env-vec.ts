/**
 * The vectors the on-policy loop steps: a single `Env` as a vector of one (one path for one env and N envs), a
 * learner's env with N - 1 copies, and the tap on env 0 through which the loop's consumers see its transitions.
 */
import { InvalidConfig } from '../../core/errors.js';
import { Wrapper, type AnyEnv, type Env, type Info, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { flatdim, flatten, unflatten, type AnySpace, type Space } from '../../core/spaces.js';
import { make } from '../../envs/registry.js';
import { SyncVectorEnv, isVectorizable, type StepIntoResult, type VecStepResult, type VectorizableEnv } from '../../envs/vector.js';
import type { VecEnvLike } from './vec-env.js';

/** What a `TransitionTap` tells the loop, synchronously, from inside the vector's step. */
export interface TapListener<O, A> {
  /** Env 0 stepped from `obs` with `action` (the env's own, reused by some vectors: copy to keep it), before any autoreset. */
  onStep(obs: O, action: A, result: StepResult<O>): void;
}

/**
 * Env 0 of an on-policy vector, seen by the loop: a pass-through wrapper that reports each step as it happens,
 * while the env still shows the step's state (a vector resets a finished env within the same `step()` call,
 * so a consumer that draws the env's scene must see the transition before that). Put it around env 0 for a
 * run with `consumers` or `onReset` (`runOnPolicy` does so itself when given a single `Env`).
 */
export class TransitionTap<O, A> extends Wrapper<O, A> {
  /** The observation the next action is taken from (the latest reset's or step's). */
  obs!: O;
  /** Resets since the loop last looked (the loop reports each to `onReset` after the vector step). */
  resets = 0;
  listener: TapListener<O, A> | null = null;

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    this.obs = r.obs;
    this.resets++;
    return r;
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    this.listener?.onStep(this.obs, action, r);
    this.obs = r.obs;
    return r;
  }
}

/**
 * The vector a learner steps for `env`: `env` itself as a vector of one, or a `SyncVectorEnv` whose env 0 IS
 * `env` (with its wrappers, so a scene read from `env` is env 0's) and whose other envs are copies made from its
 * spec as `SyncVectorEnv.make` makes its envs (no checker or order enforcing: the vector checks actions and
 * orders calls). Every env keeps its own time limit (`env`'s; the spec's for a copy: `LimitedCopy`, which keeps
 * the allocation-free `stepInto` of an env that has it, else `TimeLimit`), so the vector adds none. With `tap`,
 * env 0 is a `TransitionTap` around `env`. `wrap` puts on each copy the wrappers the learner put on `env`
 * (e.g. DQN's frame skip and reward clipping).
 */
export function learnerVec<O, A>(env: Env<O, A>, numEnvs: number, tap: boolean, wrap: (copy: AnyEnv) => AnyEnv = (e) => e): SingleEnvVec<O, A> | SyncVectorEnv {
  const first: Env<O, A> = tap ? new TransitionTap(env) : env;
  if (numEnvs === 1) return new SingleEnvVec(first);
  const spec = env.spec;
  if (!spec) throw new InvalidConfig(`Expected an env made by make() (with a spec to copy) for ${numEnvs} envs, got one without a spec. Use 1 env.`);
  const bare = { disableEnvChecker: true, disableOrderEnforcing: true } as const;
  const copy = (): AnyEnv => {
    const e = make(spec.id, spec.kwargs, { ...bare, maxEpisodeSteps: null });
    return wrap(isVectorizable(e) ? new LimitedCopy(e, spec.maxEpisodeSteps ?? Infinity) : make(spec.id, spec.kwargs, { ...bare, maxEpisodeSteps: spec.maxEpisodeSteps ?? null }));
  };
  return new SyncVectorEnv([() => first as AnyEnv, ...Array.from({ length: numEnvs - 1 }, () => copy)]);
}

/** A vectorizable env with its own time limit (as `TimeLimit`: truncated once `max` steps were taken), keeping `stepInto`. */
export class LimitedCopy extends Wrapper<unknown, unknown, AnyEnv & VectorizableEnv> implements VectorizableEnv {
  /** Steps of the current episode. */
  elapsed = 0;
  /** Present when the env has it (the vector then resets through it). */
  readonly resetInto?: (obsOut: Float32Array, offset: number, args?: ResetArgs) => Info | undefined;

  constructor(env: AnyEnv & VectorizableEnv, readonly max: number) {
    super(env);
    const inner = env.resetInto;
    if (typeof inner === 'function') {
      this.resetInto = (obsOut, offset, args) => {
        this.elapsed = 0;
        return inner.call(env, obsOut, offset, args);
      };
    }
  }

  override reset(args?: ResetArgs): ResetResult<unknown> {
    this.elapsed = 0;
    return this.env.reset(args);
  }

  override step(action: unknown): StepResult<unknown> {
    const r = this.env.step(action);
    if (++this.elapsed >= this.max) r.truncated = true;
    return r;
  }

  stepInto(action: unknown, obsOut: Float32Array, offset: number, out: StepIntoResult): void {
    this.env.stepInto(action, obsOut, offset, out);
    if (++this.elapsed >= this.max) out.truncated = true;
  }
}

/** A single `Env` seen as a vector of one, with the same same-step autoreset (`finalObs`) as `SyncVectorEnv`. */
export class SingleEnvVec<O, A> implements VecEnvLike {
  readonly numEnvs = 1;
  readonly obsDim: number;
  readonly actDim: number;
  readonly singleActionSpace: AnySpace;
  readonly actionBuffer: Int32Array | Float32Array;
  /** The env, as `SyncVectorEnv.envs` lists its envs. */
  readonly envs: readonly Env<O, A>[];
  private readonly obsSpace: Space<O>;
  private readonly result: { obs: Float32Array; rewards: Float64Array; terminated: Uint8Array; truncated: Uint8Array; done: Uint8Array; finalObs: Float32Array; infos: never[]; finalInfo: null[] };

  constructor(private readonly env: Env<O, A>) {
    this.envs = [env];
    this.obsSpace = env.observationSpace;
    this.singleActionSpace = env.actionSpace as AnySpace;
    this.obsDim = flatdim(this.obsSpace);
    const s = this.singleActionSpace;
    this.actDim = s.kind === 'box' ? flatdim(s) : s.kind === 'multi-discrete' ? s.nvec.length : 1;
    this.actionBuffer = s.kind === 'box' ? new Float32Array(this.actDim) : new Int32Array(this.actDim);
    this.result = {
      obs: new Float32Array(this.obsDim), rewards: new Float64Array(1), terminated: new Uint8Array(1), truncated: new Uint8Array(1),
      done: new Uint8Array(1), finalObs: new Float32Array(this.obsDim), infos: [], finalInfo: [null],
    };
  }

  reset(args?: { seed?: number }): { readonly obs: Float32Array } {
    flatten(this.obsSpace, this.env.reset(args).obs, this.result.obs);
    return this.result;
  }

  step(actions: Int32Array | Float32Array): VecStepResult {
    const s = this.singleActionSpace;
    // A Discrete action is its number; a float32 Box takes the buffer itself (the env must not keep it).
    // MultiDiscrete and float32 Box envs take the typed array as it is; other Box dtypes get their own array.
    const direct = (s.kind === 'box' && s.dtype === 'float32') || s.kind === 'multi-discrete';
    const action = (s.kind === 'discrete' ? actions[0] : direct ? actions : unflatten(s as Space<unknown>, actions)) as A;
    const r = this.env.step(action);
    const res = this.result;
    res.rewards[0] = r.reward;
    res.terminated[0] = r.terminated ? 1 : 0;
    res.truncated[0] = r.truncated ? 1 : 0;
    const done = r.terminated || r.truncated;
    res.done[0] = done ? 1 : 0;
    if (done) {
      flatten(this.obsSpace, r.obs, res.finalObs);
      flatten(this.obsSpace, this.env.reset().obs, res.obs);
    } else {
      flatten(this.obsSpace, r.obs, res.obs);
    }
    return res;
  }

  close(): void {
    this.env.close();
  }
}
