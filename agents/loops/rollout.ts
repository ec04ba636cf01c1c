/**
 * On-policy rollouts: a preallocated buffer of what N envs did, and the return math (reward-to-go and GAE)
 * as pure functions over one env's segment.
 *
 * Bootstrapping, the one rule both functions follow: at a step that ended an episode by TERMINATION the
 * tail is 0; at a TRUNCATION, and at the last step of a segment that cut an episode (the end of a fixed
 * rollout), the tail is the value of the observation after that step (for a vector env, its `finalObs` row),
 * never anything from the next episode.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { ActionArray, ActionKind } from '../../replay/types.js';

/**
 * Reward-to-go of one segment of n steps into `out` (n): G_t = r_t + gamma * tail_t, where tail_t is 0 if
 * step t terminated, `bootstrapValues[t]` if it was truncated or is the segment's last step, else G_{t+1}.
 * Returns `out`.
 */
export function discountedReturns(
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number | boolean>,
  truncated: ArrayLike<number | boolean>,
  bootstrapValues: ArrayLike<number>,
  gamma: number,
  out: Float32Array | Float64Array,
): Float32Array | Float64Array {
  const n = rewards.length;
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    // Where the episode goes on, the tail is the next step's return; else the step's own bootstrap.
    const tail = terminated[t] ? 0 : truncated[t] || t === n - 1 ? bootstrapValues[t]! : next;
    next = rewards[t]! + gamma * tail;
    out[t] = next;
  }
  return out;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016) over one segment of n steps. `nextValues[t]` is
 * V of the observation after step t (ignored where step t terminated). delta_t = r_t + gamma * (1 -
 * terminated_t) * nextValues[t] - values[t]; A_t = delta_t + gamma * lambda * A_{t+1} while the episode goes
 * on (not at a termination, truncation or the segment's end). Writes A into `advantagesOut` and A + V
 * (the value targets) into `returnsOut`, both n.
 */
export function gae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  nextValues: ArrayLike<number>,
  terminated: ArrayLike<number | boolean>,
  truncated: ArrayLike<number | boolean>,
  gamma: number,
  lambda: number,
  advantagesOut: Float32Array | Float64Array,
  returnsOut: Float32Array | Float64Array,
): void {
  const n = rewards.length;
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const term = terminated[t] ? 1 : 0;
    // TD error: the one-step target minus the baseline.
    const delta = rewards[t]! + gamma * (1 - term) * nextValues[t]! - values[t]!;
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: next is 0 before the last step, so carrying gamma lambda next there adds 0
    const goesOn = !term && !truncated[t] && t !== n - 1;
    next = delta + (goesOn ? gamma * lambda * next : 0);
    advantagesOut[t] = next;
    returnsOut[t] = next + values[t]!;
  }
}

/** Options of `new RolloutBuffer`. */
export interface RolloutBufferOptions<K extends ActionKind = ActionKind> {
  /** Environments stepped side by side (1 for a single env). */
  numEnvs: number;
  /** Steps per env the buffer holds; an episodes-mode loop grows it as needed. */
  capacity: number;
  /** Floats per observation (flatdim of the observation space). */
  obsDim: number;
  /** 'discrete' (one int32 per action) or 'continuous' (actionDim float32s). */
  actionKind: K;
  /** Numbers per action; default 1. */
  actionDim?: number;
}

/**
 * What N envs did in one rollout, in typed arrays laid out env-major: env i's step t is row
 * `i * capacity + t` of every field, so each env's steps form one contiguous segment of `lengths[i]` rows
 * (see `segment`). Rows past `lengths[i]` are stale. `capacity` may grow between rollouts (the arrays are
 * then new): read the fields after collection, not before.
 */
export class RolloutBuffer<K extends ActionKind = ActionKind> {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actionDim: number;
  readonly actionKind: K;
  capacity: number;
  /** (numEnvs x capacity) x obsDim observations the actions were chosen from. */
  obs!: Float32Array;
  /** (numEnvs x capacity) x actionDim actions (Int32Array when discrete, Float32Array when continuous). */
  actions!: ActionArray<K>;
  rewards!: Float32Array;
  /** 1 where the step reached a terminal state. */
  terminated!: Uint8Array;
  /** 1 where the step was cut short (time limit). */
  truncated!: Uint8Array;
  /** V(obs) from the policy (0 when it gives none). */
  values!: Float32Array;
  /** log pi(action | obs) from the policy (0 when it gives none). */
  logProbs!: Float32Array;
  /** V of the observation after the step: the final observation's at a truncation or a cut, 0 at a termination. */
  nextValues!: Float32Array;
  /** Filled by `computeGae`. */
  advantages!: Float32Array;
  /** Filled by `computeReturns` (reward-to-go) or `computeGae` (advantage + value). */
  returns!: Float32Array;
  /** Steps stored per env. */
  readonly lengths: Int32Array;

  /** Allocates every field for `numEnvs` x `capacity` steps. */
  constructor(options: RolloutBufferOptions<K>) {
    const who = 'RolloutBuffer';
    for (const key of ['numEnvs', 'capacity', 'obsDim'] as const) {
      const v = options[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
        throw new InvalidConfig(`Expected ${who} option ${key} to be a positive integer, got ${describeValue(v)}.`);
      }
    }
    const actionDim = options.actionDim ?? 1;
    if (!Number.isSafeInteger(actionDim) || actionDim < 1) {
      throw new InvalidConfig(`Expected ${who} option actionDim to be a positive integer, got ${describeValue(actionDim)}.`);
    }
    if (options.actionKind !== 'discrete' && options.actionKind !== 'continuous') {
      throw new InvalidConfig(`Expected ${who} option actionKind to be 'discrete' or 'continuous', got ${describeValue(options.actionKind)}.`);
    }
    this.numEnvs = options.numEnvs;
    this.obsDim = options.obsDim;
    this.actionDim = actionDim;
    this.actionKind = options.actionKind;
    this.capacity = options.capacity;
    this.lengths = new Int32Array(this.numEnvs);
    this.allocate(this.capacity);
  }

  /** Total steps stored (sum of `lengths`). */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.numEnvs; i++) n += this.lengths[i]!;
    return n;
  }

  /** Row of env `env`'s step `t` in every field (multiply by obsDim / actionDim for obs and actions). */
  row(env: number, t: number): number {
    return env * this.capacity + t;
  }

  /** Env `env`'s stored steps as views (no copies) of the per-step fields. */
  segment(env: number): { rewards: Float32Array; terminated: Uint8Array; truncated: Uint8Array; values: Float32Array; logProbs: Float32Array; nextValues: Float32Array; advantages: Float32Array; returns: Float32Array } {
    const a = env * this.capacity;
    const b = a + this.lengths[env]!;
    return {
      rewards: this.rewards.subarray(a, b),
      terminated: this.terminated.subarray(a, b),
      truncated: this.truncated.subarray(a, b),
      values: this.values.subarray(a, b),
      logProbs: this.logProbs.subarray(a, b),
      nextValues: this.nextValues.subarray(a, b),
      advantages: this.advantages.subarray(a, b),
      returns: this.returns.subarray(a, b),
    };
  }

  /** Reward-to-go of every env's segment into `returns` (bootstrapping from `nextValues`, see the module doc). */
  computeReturns(gamma: number): Float32Array {
    for (let i = 0; i < this.numEnvs; i++) {
      const s = this.segment(i);
      discountedReturns(s.rewards, s.terminated, s.truncated, s.nextValues, gamma, s.returns);
    }
    return this.returns;
  }

  /** GAE of every env's segment into `advantages` and `returns` (advantage + value). */
  computeGae(gamma: number, lambda: number): void {
    for (let i = 0; i < this.numEnvs; i++) {
      const s = this.segment(i);
      gae(s.rewards, s.values, s.nextValues, s.terminated, s.truncated, gamma, lambda, s.advantages, s.returns);
    }
  }

  /** Forgets every stored step. */
  clear(): void {
    this.lengths.fill(0);
  }

  /** Grows to at least `capacity` steps per env, keeping every stored step (allocates; never per step in steady state). */
  ensureCapacity(capacity: number): void {
    if (capacity <= this.capacity) return;
    const old = { ...this.fields(), cap: this.capacity };
    this.allocate(Math.max(capacity, 2 * this.capacity));
    for (let i = 0; i < this.numEnvs; i++) this.moveRows(old, i, 0, this.lengths[i]!, 0);
  }

  /** Moves env `env`'s rows [from, from + count) to the start of its segment and sets its length to `count`. */
  keepTail(env: number, from: number, count: number): void {
    this.moveRows({ ...this.fields(), cap: this.capacity }, env, from, count, 0);
    this.lengths[env] = count;
  }

  private fields() {
    return {
      obs: this.obs, actions: this.actions, rewards: this.rewards, terminated: this.terminated, truncated: this.truncated,
      values: this.values, logProbs: this.logProbs, nextValues: this.nextValues,
    };
  }

  /** Copies env `env`'s rows [from, from + count) of `src` (capacity `src.cap`) to rows [to, ...) of this buffer. */
  private moveRows(src: ReturnType<RolloutBuffer['fields']> & { cap: number }, env: number, from: number, count: number, to: number): void {
    const s = env * src.cap + from;
    const d = env * this.capacity + to;
    const o = this.obsDim;
    const a = this.actionDim;
    this.obs.set(src.obs.subarray(s * o, (s + count) * o), d * o);
    (this.actions as Int32Array | Float32Array).set(src.actions.subarray(s * a, (s + count) * a) as never, d * a);
    this.rewards.set(src.rewards.subarray(s, s + count), d);
    this.terminated.set(src.terminated.subarray(s, s + count), d);
    this.truncated.set(src.truncated.subarray(s, s + count), d);
    this.values.set(src.values.subarray(s, s + count), d);
    this.logProbs.set(src.logProbs.subarray(s, s + count), d);
    this.nextValues.set(src.nextValues.subarray(s, s + count), d);
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    const rows = this.numEnvs * capacity;
    this.obs = new Float32Array(rows * this.obsDim);
    this.actions = (this.actionKind === 'discrete' ? new Int32Array(rows * this.actionDim) : new Float32Array(rows * this.actionDim)) as ActionArray<K>;
    this.rewards = new Float32Array(rows);
    this.terminated = new Uint8Array(rows);
    this.truncated = new Uint8Array(rows);
    this.values = new Float32Array(rows);
    this.logProbs = new Float32Array(rows);
    this.nextValues = new Float32Array(rows);
    this.advantages = new Float32Array(rows);
    this.returns = new Float32Array(rows);
  }
}
