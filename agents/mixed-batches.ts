/**
 * The batch side of model-based training: an agent's update batch drawn from two replays at a set ratio (MBPO's
 * real_ratio: the first round(ratio B) rows real, the rest imagined), and the ensemble-disagreement bonus added to
 * the batch's rewards. Rows are gathered straight from the replays' public storage; nothing allocates per batch.
 */
import type { Rng } from '../core/rng.js';
import type { ReplayBuffer } from '../replay/replay-buffer.js';
import type { ActionKind, ReplayBatch } from '../replay/types.js';
import type { BatchSource } from './loops/off-policy.js';
import type { WorldModel } from '../models/world/contract.js';

/** Copies `count` uniformly drawn rows of `src` into rows [from, from + count) of `batch`. */
export function gatherUniform<K extends ActionKind>(src: ReplayBuffer<K, unknown>, batch: ReplayBatch<K>, from: number, count: number, rng: Rng): void {
  const d = src.obsDim, aw = src.actionDim, size = src.size;
  for (let r = from; r < from + count; r++) {
    const i = rng.int(size);
    batch.indices[r] = i;
    for (let j = 0; j < d; j++) {
      batch.obs[r * d + j] = src.obs[i * d + j]!;
      batch.nextObs[r * d + j] = src.nextObs[i * d + j]!;
    }
    for (let j = 0; j < aw; j++) batch.actions[r * aw + j] = src.actions[i * aw + j]!;
    batch.rewards[r] = src.rewards[i]!;
    batch.terminated[r] = src.terminated[i]!;
    batch.truncated[r] = src.truncated[i]!;
  }
}

/** Real rows of a batch of B: round(realRatio B), or all B while the model replay is empty. */
export function realRowCount(realRatio: number, B: number, imaginedSize: number): number {
  return imaginedSize > 0 ? Math.round(realRatio * B) : B;
}

/** rewards[i] += scale * bonus[i] for i < B (the disagreement bonus); returns the mean added reward. */
export function addBonus(rewards: Float32Array, bonus: ArrayLike<number>, scale: number, B: number): number {
  let sum = 0;
  for (let i = 0; i < B; i++) {
    const b = scale * bonus[i]!;
    rewards[i] = rewards[i]! + b;
    sum += b;
  }
  return sum / B;
}

/** Counters of what the mixed batches held, for the run's metrics. */
export interface MixCounts {
  /** Real rows sampled into update batches so far. */
  realRows: number;
  /** Imagined (model) rows sampled into update batches so far. */
  imaginedRows: number;
  /** Mean intrinsic reward added to the last batch (0 without the bonus). */
  lastBonus: number;
}

/**
 * A `BatchSource` over a real and a model replay: round(realRatio B) real rows then imagined ones (all real while the
 * model replay is empty); one-step discounts gamma when the batch has a discounts field; and, with `bonusScale` > 0 and
 * a fitted model, rewards += bonusScale * the model's disagreement on (obs, action) (continuous actions only).
 */
export class MixedBatches<K extends ActionKind> implements BatchSource<K> {
  readonly counts: MixCounts = { realRows: 0, imaginedRows: 0, lastBonus: 0 };
  private bonus = new Float32Array(0);

  constructor(
    private readonly real: ReplayBuffer<K, unknown>,
    private readonly imagined: ReplayBuffer<K, unknown>,
    private readonly options: { realRatio: number; gamma: number; bonusScale: number; model: WorldModel | null },
  ) {}

  sampleInto(batch: ReplayBatch<K>, rng: Rng): void {
    const B = batch.batchSize, o = this.options;
    const nReal = realRowCount(o.realRatio, B, this.imagined.size);
    gatherUniform(this.real, batch, 0, nReal, rng);
    gatherUniform(this.imagined, batch, nReal, B - nReal, rng);
    this.counts.realRows += nReal;
    this.counts.imaginedRows += B - nReal;
    if (batch.discounts) batch.discounts.fill(o.gamma);
    const model = o.model;
    if (o.bonusScale > 0 && model?.ready && model.disagreement && batch.actions instanceof Float32Array) {
      if (this.bonus.length < B) this.bonus = new Float32Array(B);
      // ALGORITHM: r' = r + scale * tr Var_members[mu_k(s, a)], the elites' disagreement on where (s, a) leads.
      const u = model.disagreement(batch.obs, batch.actions, B, this.bonus);
      this.counts.lastBonus = addBonus(batch.rewards, u, o.bonusScale, B);
    }
  }
}
