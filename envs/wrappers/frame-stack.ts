import { Wrapper, type ActOf, type AnyEnv, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { box, type BoxArray, type BoxDtype, type BoxSpace } from '../../core/spaces.js';
import { encodeFloats, stateFields as f, stateSchema } from '../snapshot.js';
import { boxSpace, positiveInt } from './validate.js';

const ctors = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int32: Int32Array } as const;

/**
 * Stacks the last `k` Box observations, oldest first, into one typed array of the same dtype with shape
 * [k, ...shape]; after reset the stack is padded by repeating the reset observation (Gymnasium's
 * FrameStackObservation with padding "reset"). Each call returns a fresh array, safe to keep.
 */
export class FrameStack<E extends AnyEnv, A = ActOf<E>> extends Wrapper<BoxArray, A, E> {
  readonly k: number;
  private readonly frameSize: number;
  private readonly stack: BoxArray;

  constructor(env: E, k: number) {
    super(env);
    this.k = positiveInt('FrameStack', 'k (the number of stacked observations)', k);
    const space: BoxSpace = boxSpace('FrameStack', 'observation space', env.observationSpace);
    this.frameSize = space.low.length;
    const low: number[] = [];
    const high: number[] = [];
    for (let i = 0; i < k; i++) {
      low.push(...space.low);
      high.push(...space.high);
    }
    this.observationSpace = box<BoxDtype>({ low, high, shape: [k, ...space.shape], dtype: space.dtype }) as BoxSpace;
    this.stack = new ctors[space.dtype](k * this.frameSize);
  }

  override reset(args?: ResetArgs): ResetResult<BoxArray> {
    const r = this.env.reset(args);
    const obs = r.obs as ArrayLike<number>;
    for (let i = 0; i < this.k; i++) this.stack.set(obs, i * this.frameSize);
    return { obs: this.stack.slice(), info: r.info };
  }

  /** The stacked observations, oldest first (see `snapshotEnv`). */
  getState(): JsonValue {
    return { stack: encodeFloats(this.stack) };
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    this.stack.set(stateSchema({ stack: f.floats(this.stack.length) }).parse(state, 'FrameStack').stack);
  }

  override step(action: A): StepResult<BoxArray> {
    const r = this.env.step(action);
    this.stack.copyWithin(0, this.frameSize);
    this.stack.set(r.obs as ArrayLike<number>, (this.k - 1) * this.frameSize);
    return { obs: this.stack.slice(), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info };
  }
}
