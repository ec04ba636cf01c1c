import { Wrapper, type ActOf, type AnyEnv, type ObsOf, type StepResult } from '../../core/env.js';
import { positiveInt } from './validate.js';

type NumericArray = Float32Array | Float64Array | Uint8Array | Int32Array;
const isNumericArray = (x: unknown): x is NumericArray =>
  x instanceof Float32Array || x instanceof Float64Array || x instanceof Uint8Array || x instanceof Int32Array;

/**
 * Max-and-skip, as SB3's MaxAndSkipEnv: repeats the action `skip` times (default 4), sums the rewards, stops
 * early when the episode ends, and returns the element-wise max of the last two observations for typed-array
 * observations (removes Atari sprite flicker; other observations are returned as the last one). Unlike SB3,
 * an episode that ends before the second-to-last repeat pools only frames of this call, never stale ones.
 */
export class FrameSkip<E extends AnyEnv, O = ObsOf<E>, A = ActOf<E>> extends Wrapper<O, A, E> {
  /** Keeps no state between calls (`prev` is scratch within one step): snapshots record it as null. */
  readonly stateless = true;
  readonly skip: number;
  private prev: NumericArray | undefined;

  constructor(env: E, skip = 4) {
    super(env);
    this.skip = positiveInt('FrameSkip', 'skip (the number of repeats of each action)', skip);
  }

  override step(action: A): StepResult<O> {
    let total = 0;
    let havePrev = false;
    let last = this.env.step(action) as StepResult<O>;
    total += last.reward;
    for (let i = 1; i < this.skip && !last.terminated && !last.truncated; i++) {
      // Copy before stepping again: an env may reuse its observation buffer.
      const obs = last.obs as unknown;
      if (isNumericArray(obs)) {
        if (this.prev === undefined || this.prev.length !== obs.length || this.prev.constructor !== obs.constructor) this.prev = obs.slice();
        else this.prev.set(obs);
        havePrev = true;
      }
      last = this.env.step(action) as StepResult<O>;
      total += last.reward;
    }
    const obs = last.obs as unknown;
    if (havePrev && isNumericArray(obs) && this.prev !== undefined && this.prev.length === obs.length) {
      const pooled = obs.slice();
      const prev = this.prev;
      for (let j = 0; j < pooled.length; j++) if (prev[j]! > pooled[j]!) pooled[j] = prev[j]!;
      return { obs: pooled as O, reward: total, terminated: last.terminated, truncated: last.truncated, info: last.info };
    }
    return { obs: last.obs, reward: total, terminated: last.terminated, truncated: last.truncated, info: last.info };
  }
}
