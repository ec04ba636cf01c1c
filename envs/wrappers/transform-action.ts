import { Wrapper, type ActOf, type AnyEnv, type ObsOf, type StepResult } from '../../core/env.js';
import type { Space } from '../../core/spaces.js';
import { fn, optionalSpace } from './validate.js';

/**
 * Passes `f(action)` to the wrapped env. Pass `space`, the space of the actions this wrapper accepts, when it
 * differs from the wrapped env's (e.g. a Discrete(3) mapped onto a Box); without it the env's space is kept.
 */
export class TransformAction<A, E extends AnyEnv, O = ObsOf<E>> extends Wrapper<O, A, E> {
  /** Keeps no state of its own (`f` is taken to be pure): snapshots record it as null (see `snapshotEnv`). */
  readonly stateless = true;
  private readonly f: (action: A) => ActOf<E>;

  constructor(env: E, f: (action: A) => ActOf<E>, space?: Space<A>) {
    super(env);
    fn('TransformAction', 'f (action) => innerAction', f);
    optionalSpace('TransformAction', 'space (the accepted action space)', space);
    this.f = f;
    if (space !== undefined) this.actionSpace = space;
  }

  override step(action: A): StepResult<O> {
    return this.env.step(this.f(action)) as StepResult<O>;
  }
}
