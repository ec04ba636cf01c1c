/**
 * How one observation and one action become rows of the buffers' typed arrays, and the checks that keep a
 * bad transition out of them. Used by the replay buffers.
 */
import { describeValue } from '../core/errors.js';
import { explainNotContained, flatten, type Space } from '../core/spaces.js';
import { InvalidTransition } from './errors.js';
import type { ActionKind } from './types.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Validates and writes observation and action rows of one buffer layout. */
export class RowCodec<O> {
  /** The space non-Box observations are flattened through (one-hot for discrete parts); null for arrays. */
  private readonly flattenSpace: Space<O> | null;

  constructor(
    readonly obsDim: number,
    readonly actionKind: ActionKind,
    readonly actionDim: number,
    obsSpace: Space<O> | undefined,
  ) {
    this.flattenSpace = obsSpace !== undefined && obsSpace.kind !== 'box' ? obsSpace : null;
  }

  /** Throws `InvalidTransition` unless `obs` is obsDim numbers (or a member of the flattened space). */
  checkObs(obs: O, what: string): void {
    if (this.flattenSpace !== null) {
      const why = explainNotContained(this.flattenSpace, obs);
      if (why !== null) throw new InvalidTransition(`Invalid ${what}: ${why}`);
      return;
    }
    const a = obs as unknown as ArrayLike<number>;
    if (a === null || typeof a !== 'object' || a.length !== this.obsDim) {
      throw new InvalidTransition(`Expected ${what} to be ${this.obsDim} numbers (obsDim), got ${describeValue(obs)}.`);
    }
    for (let i = 0; i < this.obsDim; i++) {
      const x = a[i];
      if (typeof x !== 'number' || x !== x) {
        throw new InvalidTransition(`Expected ${what} to hold numbers, got ${describeValue(x)} at element ${i}: ${describeValue(obs)}.`);
      }
    }
  }

  /** Throws `InvalidTransition` unless `action` is an int32 (discrete) or actionDim numbers (continuous). */
  checkAction(action: unknown): void {
    if (this.actionKind === 'discrete') {
      if (typeof action !== 'number' || !Number.isInteger(action) || action < INT32_MIN || action > INT32_MAX) {
        throw new InvalidTransition(`Expected a discrete action to be an int32 integer, got ${describeValue(action)}.`);
      }
      return;
    }
    const a = action as ArrayLike<number> | null;
    if (a === null || typeof a !== 'object' || a.length !== this.actionDim) {
      throw new InvalidTransition(`Expected a continuous action of ${this.actionDim} numbers (actionDim), got ${describeValue(action)}.`);
    }
    for (let i = 0; i < this.actionDim; i++) {
      const x = a[i];
      if (typeof x !== 'number' || x !== x) {
        throw new InvalidTransition(`Expected a continuous action of numbers, got ${describeValue(x)} at element ${i}: ${describeValue(action)}.`);
      }
    }
  }

  /** Writes `obs` as obsDim float32s into `out` from `offset` (no allocation). */
  writeObs(obs: O, out: Float32Array, offset: number): void {
    if (this.flattenSpace !== null) {
      flatten(this.flattenSpace, obs, out, offset);
      return;
    }
    const a = obs as unknown as ArrayLike<number>;
    for (let i = 0; i < this.obsDim; i++) out[offset + i] = a[i]!;
  }
}
