import { Wrapper, type ActOf, type AnyEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { box, type BoxSpace } from '../../core/spaces.js';
import { RunningMeanStd, type RunningMeanStdState } from './running-mean-std.js';
import { boxSpace } from './validate.js';

/** Options of `NormalizeObservation`. */
export interface NormalizeObservationOptions {
  /** Added to the variance before the square root. Default 1e-8. */
  epsilon?: number;
  /** Whether observations update the running statistics (turn off for evaluation). Default true. */
  update?: boolean;
}

/**
 * Normalises Box observations to roughly zero mean and unit variance: `(obs - mean) / sqrt(var + epsilon)`,
 * with per-element running statistics updated from every observation (reset and step) while `update` is
 * true. Observations become float32 with an unbounded space. Save `getState()` in checkpoints.
 */
export class NormalizeObservation<E extends AnyEnv, A = ActOf<E>> extends Wrapper<Float32Array, A, E> {
  readonly epsilon: number;
  /** Whether new observations update the statistics. */
  update: boolean;
  readonly stats: RunningMeanStd;

  constructor(env: E, options: NormalizeObservationOptions = {}) {
    super(env);
    const space: BoxSpace = boxSpace('NormalizeObservation', 'observation space', env.observationSpace);
    const epsilon = options.epsilon ?? 1e-8;
    if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) {
      throw new InvalidConfig(`NormalizeObservation: Expected epsilon to be a positive number, got ${describeValue(epsilon)}.`);
    }
    this.epsilon = epsilon;
    this.update = options.update ?? true;
    this.stats = new RunningMeanStd(space.low.length);
    this.observationSpace = box({ low: -Infinity, high: Infinity, shape: space.shape, dtype: 'float32' });
  }

  override reset(args?: ResetArgs): ResetResult<Float32Array> {
    const r = this.env.reset(args);
    return { obs: this.normalize(r.obs as ArrayLike<number>), info: r.info };
  }

  override step(action: A): StepResult<Float32Array> {
    const r = this.env.step(action);
    return { obs: this.normalize(r.obs as ArrayLike<number>), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info };
  }

  /** The running statistics, for checkpoints and `snapshotEnv`. */
  getState(): RunningMeanStdState {
    return this.stats.getState();
  }

  /** Restores statistics saved with `getState()`. */
  setState(state: JsonValue): void {
    // RunningMeanStd.setState checks the shape at run time and names this wrapper.
    this.stats.setState(state as RunningMeanStdState, 'NormalizeObservation');
  }

  private normalize(obs: ArrayLike<number>): Float32Array {
    if (this.update) this.stats.update(obs);
    const { mean, var: v } = this.stats;
    const out = new Float32Array(mean.length);
    for (let i = 0; i < out.length; i++) out[i] = (obs[i]! - mean[i]!) / Math.sqrt(v[i]! + this.epsilon);
    return out;
  }
}
