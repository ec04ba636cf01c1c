import { Wrapper, type ActOf, type AnyEnv, type ObsOf, type StepResult } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';

/** Clips every reward into [min, max] (either bound may be +-Infinity for a one-sided clip). */
export class ClipReward<E extends AnyEnv, O = ObsOf<E>, A = ActOf<E>> extends Wrapper<O, A, E> {
  /** Keeps no state of its own: snapshots record it as null (see `snapshotEnv`). */
  readonly stateless = true;
  readonly min: number;
  readonly max: number;

  constructor(env: E, min: number, max: number) {
    super(env);
    for (const [what, v] of [['min', min], ['max', max]] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) {
        throw new InvalidConfig(`ClipReward: Expected ${what} to be a number (or +-Infinity), got ${describeValue(v)}. Use new ClipReward(env, -1, 1).`);
      }
    }
    if (!(min < max)) throw new InvalidConfig(`ClipReward: Expected min < max, got min ${min} and max ${max}.`);
    this.min = min;
    this.max = max;
  }

  override step(action: A): StepResult<O> {
    const result = super.step(action);
    result.reward = Math.min(this.max, Math.max(this.min, result.reward));
    return result;
  }
}
