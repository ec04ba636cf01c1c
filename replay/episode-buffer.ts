/**
 * Whole-episode storage for on-policy algorithms (REINFORCE, A2C-style returns): steps are appended to
 * growable typed arrays (capacity doubles when full) and each finished episode is handed out as its own
 * trimmed copy.
 */
import type { Transition } from '../core/env.js';
import { InvalidConfig, describeValue } from '../core/errors.js';
import { flatdim } from '../core/spaces.js';
import type { Space } from '../core/spaces.js';
import { InvalidTransition } from './errors.js';
import { RowCodec } from './rows.js';
import type { ActionArray, ActionKind, ActionValue, TransitionSink } from './types.js';

/** One finished episode; arrays are owned by the caller (T = length). */
export interface Episode<K extends ActionKind = ActionKind> {
  /** Steps in the episode. */
  readonly length: number;
  readonly obsDim: number;
  readonly actionDim: number;
  /** T x obsDim observations the actions were chosen from. */
  readonly obs: Float32Array;
  /** T (discrete) or T x actionDim (continuous) actions. */
  readonly actions: ActionArray<K>;
  /** T rewards. */
  readonly rewards: Float32Array;
  /** obsDim: the observation after the last step (to bootstrap from when truncated). */
  readonly finalObs: Float32Array;
  /** The MDP ended (no bootstrap). */
  readonly terminated: boolean;
  /** Cut short (time limit, stream stopped). */
  readonly truncated: boolean;
  /** Undiscounted sum of rewards. */
  readonly return: number;
}

/** Sizes of an episode buffer. */
export interface EpisodeBufferConfig<K extends ActionKind = ActionKind, O = ArrayLike<number>> {
  obsDim: number;
  actionKind: K;
  /** Float32s per continuous action; 1 (or omitted) for discrete. */
  actionDim?: number;
  /** The observation space; needed for non-Box observations, which are flattened with core's `flatten`. */
  obsSpace?: Space<O>;
  /** Steps preallocated for the episode in progress (grows by doubling). Default 256. */
  initialCapacity?: number;
}

function positiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidConfig(`Expected ${what} to be a positive integer, got ${describeValue(value)}.`);
  }
  return value;
}

/** Collects episodes step by step; `drain()` hands out the finished ones. */
export class EpisodeBuffer<K extends ActionKind = ActionKind, O = ArrayLike<number>> implements TransitionSink<Transition<O, ActionValue<K>>> {
  readonly obsDim: number;
  readonly actionDim: number;
  readonly actionKind: K;
  readonly obsSpace: Space<O> | undefined;
  private readonly rows: RowCodec<O>;
  private obs: Float32Array;
  private actions: Int32Array | Float32Array;
  private rewards: Float32Array;
  private steps = 0;
  private readonly done: Episode<K>[] = [];

  constructor(config: EpisodeBufferConfig<K, O>) {
    this.obsDim = positiveInt(config.obsDim, 'episode buffer obsDim');
    const kind = config.actionKind;
    if (kind !== 'discrete' && kind !== 'continuous') {
      throw new InvalidConfig(`Expected episode buffer actionKind to be 'discrete' or 'continuous', got ${describeValue(kind)}.`);
    }
    this.actionKind = kind;
    if (kind === 'discrete' && config.actionDim !== undefined && config.actionDim !== 1) {
      throw new InvalidConfig(`Expected actionDim 1 (or none) for discrete actions, got ${describeValue(config.actionDim)}.`);
    }
    this.actionDim = kind === 'discrete' ? 1 : positiveInt(config.actionDim, "episode buffer actionDim (required for actionKind 'continuous')");
    this.obsSpace = config.obsSpace;
    if (config.obsSpace !== undefined && flatdim(config.obsSpace) !== this.obsDim) {
      throw new InvalidConfig(`Expected obsDim to equal the flattened size of obsSpace (${flatdim(config.obsSpace)}), got ${this.obsDim}.`);
    }
    this.rows = new RowCodec<O>(this.obsDim, this.actionKind, this.actionDim, this.obsSpace);
    const cap = config.initialCapacity === undefined ? 256 : positiveInt(config.initialCapacity, 'episode buffer initialCapacity');
    this.obs = new Float32Array(cap * this.obsDim);
    this.actions = kind === 'discrete' ? new Int32Array(cap) : new Float32Array(cap * this.actionDim);
    this.rewards = new Float32Array(cap);
  }

  /** Steps stored in the episode in progress. */
  get currentLength(): number {
    return this.steps;
  }

  /** Finished episodes waiting to be drained. */
  get completed(): number {
    return this.done.length;
  }

  /** Appends one step (obs, action, reward) to the episode in progress; values are copied. */
  add(obs: O, action: ActionValue<K>, reward: number): void {
    this.rows.checkObs(obs, 'obs');
    this.rows.checkAction(action);
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw new InvalidTransition(`Expected reward to be a finite number, got ${describeValue(reward)}.`);
    }
    if (this.steps === this.rewards.length) this.grow();
    const t = this.steps;
    this.rows.writeObs(obs, this.obs, t * this.obsDim);
    if (this.actionKind === 'discrete') this.actions[t] = action as number;
    else {
      const a = action as ArrayLike<number>;
      for (let i = 0; i < this.actionDim; i++) this.actions[t * this.actionDim + i] = a[i]!;
    }
    this.rewards[t] = reward;
    this.steps++;
  }

  /**
   * Finishes the episode in progress with its final observation and flags, queues it for `drain()` and
   * returns it. An empty episode (no steps) is allowed and has length 0.
   */
  endEpisode(finalObs: O, flags: { terminated: boolean; truncated: boolean }): Episode<K> {
    this.rows.checkObs(finalObs, 'finalObs');
    const T = this.steps;
    const final = new Float32Array(this.obsDim);
    this.rows.writeObs(finalObs, final, 0);
    let ret = 0;
    for (let t = 0; t < T; t++) ret += this.rewards[t]!;
    const episode: Episode<K> = {
      length: T,
      obsDim: this.obsDim,
      actionDim: this.actionDim,
      obs: this.obs.slice(0, T * this.obsDim),
      actions: this.actions.slice(0, T * this.actionDim) as ActionArray<K>,
      rewards: this.rewards.slice(0, T),
      finalObs: final,
      terminated: flags.terminated,
      truncated: flags.truncated,
      return: ret,
    };
    this.done.push(episode);
    this.steps = 0;
    return episode;
  }

  /** Appends a step from the steps$ stream and finishes the episode when it terminated or was truncated. */
  addTransition(t: Transition<O, ActionValue<K>>): void {
    this.add(t.obs, t.action, t.reward);
    if (t.terminated || t.truncated) this.endEpisode(t.nextObs, { terminated: t.terminated, truncated: t.truncated });
  }

  /** The finished episodes, oldest first; the buffer forgets them. */
  drain(): Episode<K>[] {
    return this.done.splice(0, this.done.length);
  }

  /** Drops the finished episodes and the one in progress. */
  clear(): void {
    this.done.length = 0;
    this.steps = 0;
  }

  private grow(): void {
    const cap = this.rewards.length * 2;
    const obs = new Float32Array(cap * this.obsDim);
    obs.set(this.obs);
    this.obs = obs;
    const actions = this.actionKind === 'discrete' ? new Int32Array(cap) : new Float32Array(cap * this.actionDim);
    actions.set(this.actions);
    this.actions = actions;
    const rewards = new Float32Array(cap);
    rewards.set(this.rewards);
    this.rewards = rewards;
  }



}

/**
 * Discounted returns-to-go G_t = r_t + gamma G_{t+1} (G_T = `bootstrap`, e.g. V(finalObs) for a truncated
 * episode), written into `out` (a new Float32Array by default; the sum runs in float64).
 */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number, bootstrap = 0, out: Float32Array = new Float32Array(rewards.length)): Float32Array {
  if (typeof gamma !== 'number' || !(gamma >= 0 && gamma <= 1)) {
    throw new InvalidConfig(`Expected gamma to be a number in [0, 1], got ${describeValue(gamma)}.`);
  }
  if (out.length < rewards.length) {
    throw new InvalidConfig(`Expected an output array of at least ${rewards.length} elements, got ${out.length}.`);
  }
  let g = bootstrap;
  for (let t = rewards.length - 1; t >= 0; t--) {
    g = rewards[t]! + gamma * g;
    out[t] = g;
  }
  return out;
}
