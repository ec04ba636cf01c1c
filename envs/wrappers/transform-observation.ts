import { Wrapper, type ActOf, type AnyEnv, type ObsOf, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import type { Space } from '../../core/spaces.js';
import { fn, optionalSpace } from './validate.js';

/**
 * Applies `f` to every observation from reset and step. Pass `space` when `f` changes the observations'
 * shape, type or range; without it the wrapped env's observation space is kept.
 */
export class TransformObservation<O, E extends AnyEnv, A = ActOf<E>> extends Wrapper<O, A, E> {
  /** Keeps no state of its own (`f` is taken to be pure): snapshots record it as null (see `snapshotEnv`). */
  readonly stateless = true;
  private readonly f: (obs: ObsOf<E>) => O;

  constructor(env: E, f: (obs: ObsOf<E>) => O, space?: Space<O>) {
    super(env);
    fn('TransformObservation', 'f (obs) => newObs', f);
    optionalSpace('TransformObservation', 'space (the new observation space)', space);
    this.f = f;
    if (space !== undefined) this.observationSpace = space;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    return { obs: this.f(r.obs as never), info: r.info };
  }

  override step(action: A): StepResult<O> {
    const r = this.env.step(action);
    return { obs: this.f(r.obs as never), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info };
  }
}
