/**
 * Proportional prioritized experience replay (Schaul et al. 2016, "Prioritized Experience Replay"):
 * P(i) = p_i^alpha / sum_k p_k^alpha with p_i = |delta_i| + epsilon, sampled by stratified prefix sums on a
 * sum tree; importance weights w_i = (N P(i))^-beta / max_j w_j = (min_k p_k^alpha / p_i^alpha)^beta.
 * New transitions get the largest priority seen so far, so each is replayed at least once soon.
 */
import { CorruptFile, InvalidConfig, describeValue } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { AnySpace, DiscreteSpace, Space } from '../core/spaces.js';
import { ReplayBuffer, configFromState, replayDimsFor } from './replay-buffer.js';
import type { ContinuousActionSpace, LoadExpectation, ReplayBufferConfig, ReplayOptions } from './replay-buffer.js';
import { checkKind, stateNumber } from './snapshot.js';
import type { FieldArray, ReplayState, SnapshotSource } from './snapshot.js';
import { MinTree, SumTree } from './sum-tree.js';
import type { ActionKind, ReplayBatch } from './types.js';

/** Prioritization settings. */
export interface PriorityOptions {
  /** How much prioritization is used: 0 = uniform, 1 = fully proportional. Default 0.6. */
  alpha?: number;
  /** Importance-sampling exponent in [0, 1] (1 = full correction); settable later as `buffer.beta`. Default 0.4. */
  beta?: number;
  /** Added to |TD error| so no transition gets probability 0. Default 1e-6. */
  epsilon?: number;
}

/** Config of a prioritized buffer: the uniform sizes plus the priority options. */
export type PrioritizedReplayBufferConfig<K extends ActionKind = ActionKind, O = ArrayLike<number>> = ReplayBufferConfig<K, O> & PriorityOptions;

/** A batch with importance weights. */
export type PrioritizedBatch<K extends ActionKind = ActionKind> = ReplayBatch<K> & { readonly weights: Float32Array };

function checkUnit(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidConfig(`Expected prioritized replay ${what} to be a number in [0, 1], got ${describeValue(value)}.`);
  }
  return value;
}

/** Prioritized replay; `add`, `sampleInto` and `updatePriorities` are O(log capacity) and allocate nothing. */
export class PrioritizedReplayBuffer<K extends ActionKind = ActionKind, O = ArrayLike<number>> extends ReplayBuffer<K, O> {
  readonly alpha: number;
  readonly epsilon: number;
  private betaValue: number;
  /** Largest |TD error| + epsilon seen (before the alpha power); new transitions get it. */
  private maxPriority = 1;
  /** maxPriority^alpha, cached because every add needs it. */
  private maxPriorityAlpha = 1;
  /** p_i^alpha per row. */
  private readonly sums: SumTree;
  private readonly mins: MinTree;

  constructor(config: PrioritizedReplayBufferConfig<K, O>) {
    super(config);
    this.alpha = config.alpha === undefined ? 0.6 : checkUnitOrMore(config.alpha, 'alpha');
    this.betaValue = config.beta === undefined ? 0.4 : checkUnit(config.beta, 'beta');
    const eps = config.epsilon === undefined ? 1e-6 : config.epsilon;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
      throw new InvalidConfig(`Expected prioritized replay epsilon to be a positive number, got ${describeValue(eps)}.`);
    }
    this.epsilon = eps;
    this.sums = new SumTree(this.capacity);
    this.mins = new MinTree(this.capacity);
  }

  /** Importance-sampling exponent used by `sample`/`sampleInto` when none is passed; anneal it towards 1. */
  get beta(): number {
    return this.betaValue;
  }
  set beta(value: number) {
    this.betaValue = checkUnit(value, 'beta');
  }

  /** The largest priority seen, before the alpha power. */
  get maxSeenPriority(): number {
    return this.maxPriority;
  }

  /** p_i^alpha of stored row `index` (what sampling is proportional to). */
  priorityOf(index: number): number {
    return this.sums.get(index);
  }

  /** Sum of p_i^alpha over the stored rows. */
  get totalPriority(): number {
    return this.sums.total();
  }

  override get byteLength(): number {
    return super.byteLength + this.sums.nodes.byteLength + this.mins.nodes.byteLength;
  }

  override createBatch(batchSize: number): PrioritizedBatch<K> {
    const batch = super.createBatch(batchSize);
    return { ...batch, weights: new Float32Array(batch.batchSize) };
  }

  override sample(batchSize: number, rng: Rng, beta: number = this.betaValue): PrioritizedBatch<K> {
    const batch = this.createBatch(batchSize);
    this.sampleInto(batch, rng, beta);
    return batch;
  }

  /**
   * Fills `batch` with transitions drawn in proportion to p^alpha: one draw per equal slice of the total
   * priority (stratified), and `weights` = importance weights normalised by the largest possible weight.
   */
  override sampleInto(batch: ReplayBatch<K>, rng: Rng, beta: number = this.betaValue): void {
    this.checkBatch(batch);
    const weights = batch.weights;
    if (weights === undefined || weights.length !== batch.batchSize) {
      throw new InvalidConfig('Expected a batch with weights (from PrioritizedReplayBuffer.createBatch), got one without.');
    }
    // Stryker disable next-line ConditionalExpression: the stored beta passed checkUnit when it was set, so checking it again changes nothing
    if (beta !== this.betaValue) checkUnit(beta, 'beta');
    const total = this.sums.total();
    const n = batch.batchSize;
    const segment = total / n;
    // Stryker disable next-line ArithmeticOperator: only the unreachable clamp below reads it
    const last = this.count - 1;
    // The smallest p^alpha gives the largest weight: w_i / w_max = (p_min / p_i)^beta.
    const minP = this.mins.min();
    for (let i = 0; i < n; i++) {
      const mass = (i + rng.float()) * segment;
      let row = this.sums.find(mass);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: find() never returns an empty row, so the clamp never changes row
      if (row > last) row = last; // defensive: find() skips zero-sum subtrees, so empty rows are unreachable
      batch.indices[i] = row;
      // Stryker disable next-line ConditionalExpression: Math.pow(x, 0) is 1 for every x, so the shortcut for beta 0 gives the same weights
      weights[i] = beta === 0 ? 1 : Math.pow(minP / this.sums.get(row), beta);
    }
    this.gatherRows(batch);
  }

  /**
   * Sets the priority of each sampled row to (|tdErrors[i]| + epsilon)^alpha. `indices` are the batch's
   * `indices`; a row written again since it was sampled simply gets the new priority.
   */
  updatePriorities(indices: ArrayLike<number>, tdErrors: ArrayLike<number>): void {
    if (indices.length !== tdErrors.length) {
      throw new InvalidConfig(`Expected as many TD errors as indices (${indices.length}), got ${tdErrors.length}.`);
    }
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]!;
      const td = tdErrors[i]!;
      if (!Number.isInteger(row) || row < 0 || row >= this.count) {
        throw new InvalidConfig(`Expected indices[${i}] to be a stored row in [0, ${this.count - 1}], got ${describeValue(row)}.`);
      }
      if (!Number.isFinite(td)) {
        throw new InvalidConfig(`Expected tdErrors[${i}] to be a finite number, got ${describeValue(td)}: check the learner for diverging values.`);
      }
    }
    for (let i = 0; i < indices.length; i++) {
      const p = Math.abs(tdErrors[i]!) + this.epsilon;
      const pAlpha = Math.pow(p, this.alpha);
      // Stryker disable next-line EqualityOperator: at p = maxPriority the branch stores the same p and p^alpha again
      if (p > this.maxPriority) {
        this.maxPriority = p;
        this.maxPriorityAlpha = pAlpha;
      }
      this.setPriority(indices[i]!, pAlpha);
    }
  }

  override clear(): void {
    super.clear();
    this.sums.clear();
    this.mins.clear();
    this.maxPriority = 1;
    this.maxPriorityAlpha = 1;
  }

  /** A prioritized buffer rebuilt from a snapshot (see `ReplayBuffer.fromSnapshot`), priorities included. */
  static override async fromSnapshot<K extends ActionKind = ActionKind, O = ArrayLike<number>>(
    source: SnapshotSource,
    expect: LoadExpectation<K> = {},
  ): Promise<PrioritizedReplayBuffer<K, O>> {
    checkKind(source, 'prioritized', 'PrioritizedReplayBuffer');
    const config: PrioritizedReplayBufferConfig<K, O> = {
      ...configFromState<K, O>(source, expect),
      alpha: stateNumber(source, 'alpha', 0, Number.MAX_VALUE),
      beta: stateNumber(source, 'beta', 0, 1),
      epsilon: stateNumber(source, 'epsilon', Number.MIN_VALUE, Number.MAX_VALUE),
    };
    const buffer = new PrioritizedReplayBuffer<K, O>(config);
    await buffer.restoreRows(source);
    return buffer;
  }

  protected override onStored(row: number): void {
    this.setPriority(row, this.maxPriorityAlpha);
  }

  protected override snapshotState(): ReplayState {
    return { ...super.snapshotState(), kind: 'prioritized', alpha: this.alpha, beta: this.betaValue, epsilon: this.epsilon, maxPriority: this.maxPriority };
  }

  protected override extraFields(): Record<string, FieldArray> {
    // The leaves of the sum tree are p_i^alpha for rows 0 .. size - 1; the min tree is rebuilt from them.
    return { priorities: this.sums.nodes.subarray(this.sums.base, this.sums.base + this.count) };
  }

  protected override async restoreRows(source: SnapshotSource): Promise<void> {
    await super.restoreRows(source);
    const rows = this.count;
    const leaves = this.sums.nodes.subarray(this.sums.base);
    await source.readField('priorities', leaves.subarray(0, rows));
    for (let i = 0; i < rows; i++) {
      const p = leaves[i]!;
      if (!(p > 0) || p === Infinity) {
        const where = source.whereField('priorities');
        throw new CorruptFile(where, `Expected every priority in ${where} to be a positive finite number, got ${describeValue(p)} at row ${i}.`);
      }
      this.mins.nodes[this.mins.base + i] = p;
    }
    this.sums.rebuild();
    this.mins.rebuild();
    this.maxPriority = stateNumber(source, 'maxPriority', Number.MIN_VALUE, Number.MAX_VALUE);
    this.maxPriorityAlpha = Math.pow(this.maxPriority, this.alpha);
  }

  private setPriority(row: number, pAlpha: number): void {
    this.sums.set(row, pAlpha);
    this.mins.set(row, pAlpha);
  }
}

function checkUnitOrMore(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new InvalidConfig(`Expected prioritized replay ${what} to be a number >= 0, got ${describeValue(value)}.`);
  }
  return value;
}

/** A prioritized buffer sized for an env's spaces (see `replayBufferFor`). */
export function prioritizedReplayBufferFor<O>(obsSpace: Space<O>, actionSpace: DiscreteSpace, capacity: number, options?: ReplayOptions & PriorityOptions): PrioritizedReplayBuffer<'discrete', O>;
export function prioritizedReplayBufferFor<O>(obsSpace: Space<O>, actionSpace: ContinuousActionSpace, capacity: number, options?: ReplayOptions & PriorityOptions): PrioritizedReplayBuffer<'continuous', O>;
export function prioritizedReplayBufferFor<O>(obsSpace: Space<O>, actionSpace: AnySpace, capacity: number, options?: ReplayOptions & PriorityOptions): PrioritizedReplayBuffer<ActionKind, O>;
export function prioritizedReplayBufferFor<O>(
  obsSpace: Space<O>,
  actionSpace: AnySpace,
  capacity: number,
  options: ReplayOptions & PriorityOptions = {},
): PrioritizedReplayBuffer<ActionKind, O> {
  return new PrioritizedReplayBuffer<ActionKind, O>({ ...options, ...replayDimsFor(obsSpace, actionSpace), capacity, obsSpace });
}
