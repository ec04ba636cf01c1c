import { Wrapper, type ActOf, type AnyEnv, type ObsOf, type StepResult } from '../../core/env.js';
import { fn } from './validate.js';

/** Replaces every reward `r` by `f(r)` (e.g. `(r) => r * 0.01` or `Math.sign`). */
export class TransformReward<E extends AnyEnv, O = ObsOf<E>, A = ActOf<E>> extends Wrapper<O, A, E> {
  /** Keeps no state of its own (`f` is taken to be pure): snapshots record it as null (see `snapshotEnv`). */
  readonly stateless = true;
  private readonly f: (reward: number) => number;

  constructor(env: E, f: (reward: number) => number) {
    super(env);
    fn('TransformReward', 'f (reward) => number', f);
    this.f = f;
  }

  override step(action: A): StepResult<O> {
    const result = super.step(action);
    result.reward = this.f(result.reward);
    return result;
  }
}
