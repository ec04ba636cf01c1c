/** Shapes shared by the replay buffers: action kinds and the sampled batch. */

/** How actions are stored: one int32 per step ('discrete') or `actionDim` float32s ('continuous'). */
export type ActionKind = 'discrete' | 'continuous';
/** The typed array that holds actions of kind `K`. */
export type ActionArray<K extends ActionKind = ActionKind> = K extends 'discrete' ? Int32Array : Float32Array;
/** One action of kind `K` as an environment takes it. */
export type ActionValue<K extends ActionKind = ActionKind> = K extends 'discrete' ? number : ArrayLike<number>;

/**
 * A sampled batch: row i of every field belongs to the same transition, row-major (batchSize x dim).
 * Reused across `sampleInto` calls: copy what must outlive the next sample.
 */
export interface ReplayBatch<K extends ActionKind = ActionKind> {
  readonly batchSize: number;
  readonly obsDim: number;
  readonly actionDim: number;
  /** batchSize x obsDim. */
  readonly obs: Float32Array;
  /** batchSize (discrete) or batchSize x actionDim (continuous). */
  readonly actions: ActionArray<K>;
  /** batchSize rewards; with n-step returns the discounted sum over the steps used. */
  readonly rewards: Float32Array;
  /** batchSize x obsDim: the observation to bootstrap from (n steps later with n-step returns). */
  readonly nextObs: Float32Array;
  /** batchSize flags (0/1): the MDP ended, do not bootstrap. */
  readonly terminated: Uint8Array;
  /** batchSize flags (0/1): the episode was cut short (bootstrap from nextObs). */
  readonly truncated: Uint8Array;
  /** batchSize buffer rows the transitions came from (for `updatePriorities`). */
  readonly indices: Int32Array;
  /** batchSize importance weights in (0, 1], max-normalised; present for prioritized buffers. */
  readonly weights?: Float32Array;
  /** batchSize gamma^k with k the steps summed into the reward; present when the buffer has a gamma. */
  readonly discounts?: Float32Array;
}

/** Anything a transition stream can be written to (`writeTo(sink)`). */
export interface TransitionSink<T> {
  addTransition(t: T): void;
}
