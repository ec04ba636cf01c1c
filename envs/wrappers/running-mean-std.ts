import { InvalidConfig, describeValue } from '../../core/errors.js';

/** A checkpointable snapshot of a `RunningMeanStd` (a type, not an interface, so it is a `JsonValue`). */
export type RunningMeanStdState = {
  mean: number[];
  var: number[];
  count: number;
};

/**
 * Per-element running mean and variance, updated one sample at a time with the parallel (Chan/Welford)
 * formula Gymnasium's RunningMeanStd uses; starts at mean 0, var 1, count `initialCount` (1e-4) as it does.
 */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(size: number, initialCount = 1e-4) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = initialCount;
  }

  /** Adds one sample (length = size). */
  update(x: ArrayLike<number>): void {
    const n = this.count;
    const tot = n + 1;
    for (let i = 0; i < this.mean.length; i++) {
      const delta = x[i]! - this.mean[i]!;
      this.mean[i] = this.mean[i]! + delta / tot;
      this.var[i] = (this.var[i]! * n + (delta * delta * n) / tot) / tot;
    }
    this.count = tot;
  }

  /** Adds one scalar sample (size 1). */
  updateScalar(x: number): void {
    const n = this.count;
    const tot = n + 1;
    const delta = x - this.mean[0]!;
    this.mean[0] = this.mean[0]! + delta / tot;
    this.var[0] = (this.var[0]! * n + (delta * delta * n) / tot) / tot;
    this.count = tot;
  }

  /** A copy of the statistics, for checkpoints. */
  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  /** Restores `getState()` output; `who` names the owner in the error message. */
  setState(state: RunningMeanStdState, who: string): void {
    const ok =
      state !== null && typeof state === 'object' && Array.isArray(state.mean) && Array.isArray(state.var) &&
      state.mean.length === this.mean.length && state.var.length === this.var.length &&
      typeof state.count === 'number' && state.count > 0 &&
      state.mean.every(Number.isFinite) && state.var.every((v) => Number.isFinite(v) && v >= 0);
    if (!ok) {
      throw new InvalidConfig(
        `${who}: Expected a state { mean: ${this.mean.length} numbers, var: ${this.var.length} non-negative numbers, count > 0 }, got ${describeValue(state)}.`,
      );
    }
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }
}
