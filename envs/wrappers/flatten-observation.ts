import { Wrapper, type ActOf, type AnyEnv, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { flatten, flattenSpace, type AnySpace } from '../../core/spaces.js';

/**
 * Flattens every observation into a float32 vector with core `flatten` (Box elements as they are, Discrete
 * and MultiDiscrete one-hot, Tuple and Dict concatenated); the observation space becomes `flattenSpace(space)`.
 */
export class FlattenObservation<E extends AnyEnv, A = ActOf<E>> extends Wrapper<Float32Array, A, E> {
  /** Keeps no state of its own: snapshots record it as null (see `snapshotEnv`). */
  readonly stateless = true;
  private readonly inner: AnySpace;

  constructor(env: E) {
    super(env);
    this.inner = env.observationSpace;
    this.observationSpace = flattenSpace(env.observationSpace);
  }

  override reset(args?: ResetArgs): ResetResult<Float32Array> {
    const r = this.env.reset(args);
    return { obs: flatten(this.inner, r.obs), info: r.info };
  }

  override step(action: A): StepResult<Float32Array> {
    const r = this.env.step(action);
    return { obs: flatten(this.inner, r.obs), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info };
  }
}
