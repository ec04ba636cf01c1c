import { Wrapper, type ActOf, type AnyEnv, type JsonValue, type ObsOf, type StepResult } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { RunningMeanStd } from './running-mean-std.js';

/** Options of `NormalizeReward`. */
export interface NormalizeRewardOptions {
  /** Discount of the running return whose variance scales rewards. Default 0.99. */
  gamma?: number;
  /** Added to the variance before the square root. Default 1e-8. */
  epsilon?: number;
  /** Whether rewards update the statistics (turn off for evaluation). Default true. */
  update?: boolean;
}

/** A checkpointable snapshot of `NormalizeReward` (a type, not an interface, so it is a `JsonValue`). */
export type NormalizeRewardState = {
  discountedReturn: number;
  mean: number;
  var: number;
  count: number;
};

/**
 * Scales rewards so the discounted return has roughly unit variance, as Gymnasium 1.x's NormalizeReward:
 * `G = G * gamma * (1 - terminated) + r`, the running variance of `G` is updated, and the reward becomes
 * `r / sqrt(var + epsilon)` (not centred). Like Gymnasium, `G` restarts only on termination, not on
 * truncation or reset.
 */
export class NormalizeReward<E extends AnyEnv, O = ObsOf<E>, A = ActOf<E>> extends Wrapper<O, A, E> {
  readonly gamma: number;
  readonly epsilon: number;
  /** Whether new rewards update the statistics. */
  update: boolean;
  /** The running discounted return `G`. */
  discountedReturn = 0;
  readonly stats = new RunningMeanStd(1);

  constructor(env: E, options: NormalizeRewardOptions = {}) {
    super(env);
    const gamma = options.gamma ?? 0.99;
    if (typeof gamma !== 'number' || !(gamma >= 0 && gamma <= 1)) {
      throw new InvalidConfig(`NormalizeReward: Expected gamma to be a number in [0, 1], got ${describeValue(gamma)}.`);
    }
    const epsilon = options.epsilon ?? 1e-8;
    if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) {
      throw new InvalidConfig(`NormalizeReward: Expected epsilon to be a positive number, got ${describeValue(epsilon)}.`);
    }
    this.gamma = gamma;
    this.epsilon = epsilon;
    this.update = options.update ?? true;
  }

  override step(action: A): StepResult<O> {
    const result = super.step(action);
    this.discountedReturn = this.discountedReturn * this.gamma * (result.terminated ? 0 : 1) + result.reward;
    if (this.update) this.stats.updateScalar(this.discountedReturn);
    result.reward = result.reward / Math.sqrt(this.stats.var[0]! + this.epsilon);
    return result;
  }

  /** The running statistics and return, for checkpoints and `snapshotEnv`. */
  getState(): NormalizeRewardState {
    return { discountedReturn: this.discountedReturn, mean: this.stats.mean[0]!, var: this.stats.var[0]!, count: this.stats.count };
  }

  /** Restores a state saved with `getState()`. */
  setState(snapshot: JsonValue): void {
    const state = snapshot as NormalizeRewardState;
    if (state === null || typeof state !== 'object' || !Number.isFinite(state.discountedReturn)) {
      throw new InvalidConfig(`NormalizeReward: Expected a state { discountedReturn, mean, var, count }, got ${describeValue(state)}.`);
    }
    this.stats.setState({ mean: [state.mean], var: [state.var], count: state.count }, 'NormalizeReward');
    this.discountedReturn = state.discountedReturn;
  }
}
