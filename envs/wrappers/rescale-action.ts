import { Wrapper, type AnyEnv, type ObsOf, type StepResult } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { box, describeSpace, type BoxSpace } from '../../core/spaces.js';
import { bounds, boxSpace } from './validate.js';

/**
 * Exposes a Box action space [min, max] and maps each action element linearly onto the wrapped env's finite
 * Box bounds: `low + (a - min) * (high - low) / (max - min)`. Actions outside [min, max] are clipped first.
 */
export class RescaleAction<E extends AnyEnv, O = ObsOf<E>> extends Wrapper<O, Float32Array | Float64Array, E> {
  /** Keeps no state of its own: snapshots record it as null (see `snapshotEnv`). */
  readonly stateless = true;
  private readonly inner: BoxSpace;
  private readonly scale: Float64Array;
  private readonly outer: { low: number[]; high: number[] };

  constructor(env: E, min: number | ArrayLike<number>, max: number | ArrayLike<number>) {
    super(env);
    const space = boxSpace('RescaleAction', 'action space', env.actionSpace, true);
    const size = space.low.length;
    if (!space.low.every(Number.isFinite) || !space.high.every(Number.isFinite)) {
      throw new InvalidConfig(`RescaleAction: Expected the environment's action space to have finite bounds, got ${describeSpace(space)}.`);
    }
    this.outer = bounds('RescaleAction', min, max, size);
    this.inner = space;
    this.actionSpace = box({ low: this.outer.low, high: this.outer.high, shape: space.shape, dtype: space.dtype as 'float32' });
    this.scale = new Float64Array(size);
    for (let i = 0; i < size; i++) this.scale[i] = (space.high[i]! - space.low[i]!) / (this.outer.high[i]! - this.outer.low[i]!);
  }

  override step(action: Float32Array | Float64Array): StepResult<O> {
    const n = this.scale.length;
    if (action == null || action.length !== n) {
      throw new InvalidConfig(`RescaleAction: Expected an action of ${n} numbers, got ${describeValue(action)}.`);
    }
    const out = this.inner.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    const { low: olo, high: ohi } = this.outer;
    for (let i = 0; i < n; i++) {
      const a = Math.min(ohi[i]!, Math.max(olo[i]!, action[i]!));
      const x = this.inner.low[i]! + (a - olo[i]!) * this.scale[i]!;
      out[i] = Math.min(this.inner.high[i]!, Math.max(this.inner.low[i]!, x));
    }
    return this.env.step(out) as StepResult<O>;
  }
}
