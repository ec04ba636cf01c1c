import { Wrapper, type AnyEnv, type ObsOf, type StepResult } from '../../core/env.js';
import { box, type BoxSpace } from '../../core/spaces.js';
import { boxSpace } from './validate.js';

/**
 * Clips each action element into the wrapped env's Box bounds before stepping, so an agent may emit any
 * real vector. The wrapper's action space is the same shape with infinite bounds (as Gymnasium's ClipAction).
 * A clipped copy is passed down; the caller's array is left untouched.
 */
export class ClipAction<E extends AnyEnv, O = ObsOf<E>> extends Wrapper<O, Float32Array | Float64Array, E> {
  /** Keeps no state of its own: snapshots record it as null (see `snapshotEnv`). */
  readonly stateless = true;
  private readonly inner: BoxSpace;

  constructor(env: E) {
    super(env);
    const space = boxSpace('ClipAction', 'action space', env.actionSpace, true);
    this.inner = space;
    this.actionSpace = box({ low: -Infinity, high: Infinity, shape: space.shape, dtype: space.dtype as 'float32' });
  }

  override step(action: Float32Array | Float64Array): StepResult<O> {
    const { low, high } = this.inner;
    // A fresh array per step: the env may keep the action it was given, so a shared buffer could change under it.
    const clipped = this.inner.dtype === 'float64' ? new Float64Array(low.length) : new Float32Array(low.length);
    for (let i = 0; i < clipped.length; i++) {
      const x = action[i]!;
      clipped[i] = x < low[i]! ? low[i]! : x > high[i]! ? high[i]! : x;
    }
    return this.env.step(clipped) as StepResult<O>;
  }
}
