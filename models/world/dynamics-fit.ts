/**
 * The fitting half of `EnsembleDynamics` (mbrl-lib's ModelTrainer with bootstrapped members): on standardised rows,
 * a random held-out split, one bootstrap resample per member, epochs until no member's held-out MSE improved by 1%
 * for `patience` epochs (each member keeping its best weights), and the members ranked on that MSE into elites.
 * The model itself (standardisation, prediction, saving) is in dynamics.ts.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { NamedArray } from '../../nn/types.js';
import type { DynamicsConfig } from './dynamics.js';
import { trainLearners, type GaussianMlp, type Learner } from '../bayes/heteroscedastic.js';

/** Real transitions as rows (the replay's storage works as is): actions n x actionWidth, Discrete ones as action values. */
export interface TransitionRows {
  n: number;
  states: Float32Array;
  actions: ArrayLike<number>;
  rewards: Float32Array;
  nextStates: Float32Array;
  terminated: Uint8Array;
}

/** What one `fit` did. */
export interface DynamicsFitReport {
  epochs: number;
  steps: number;
  seconds: number;
  /** Mean training NLL (nats per row, standardised units) of each epoch. */
  losses: number[];
  /** Each member's best held-out MSE (standardised units, mean over outputs). */
  holdoutMse: number[];
  /** Member indices of the elites, best first. */
  elites: number[];
}

/** The settings of one ensemble fit (`DynamicsConfig`'s fields of the same names). */
export type MemberFitSettings = Pick<DynamicsConfig, 'elites' | 'batchSize' | 'maxEpochs' | 'minSteps' | 'patience' | 'holdout' | 'maxHoldout'>;

/** A member counts as improved when its held-out MSE fell by more than this fraction (mbrl-lib's 1%). */
const IMPROVEMENT = 0.01;

/**
 * Trains `members` on n standardised rows xn (n x inDim) -> yn (n x outDim), continuing from their weights: the
 * held-out split drawn with `rng`, member k's bootstrap resample with `rngs[k]`. Leaves each member at its best
 * held-out epoch; returns the report without `seconds`.
 */
export async function fitMembers(
  members: readonly GaussianMlp[], rngs: readonly Rng[], rng: Rng, xn: Float32Array, yn: Float32Array, n: number, inDim: number, outDim: number,
  c: MemberFitSettings, options: { maxEpochs?: number; signal?: AbortSignal } = {},
): Promise<Omit<DynamicsFitReport, 'seconds'>> {
  // The held-out split: a random subset (none for tiny data, which then scores on the training rows).
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!; perm[i] = perm[j]!; perm[j] = t;
  }
  const nHold = holdoutCount(n, c.holdout, c.maxHoldout);
  const hold = nHold > 0 ? perm.subarray(0, nHold) : perm;
  const train = perm.subarray(nHold);
  const hx = gatherRows(xn, hold, inDim), hy = gatherRows(yn, hold, outDim);
  const learners: Learner[] = members.map((mlp, k) => {
    const r = rngs[k]!;
    return { mlp, rng: r, rows: bootstrapRows(train, r), prior: null };
  });
  // mbrl-lib's early stopping: each member keeps its best weights; stop once none improved for `patience` epochs.
  const best = members.map((m) => holdoutMse(m, hx, hy, hold.length, outDim));
  const bestParams: (NamedArray[] | null)[] = members.map(() => null);
  // Epochs enough for minSteps minibatches per member; no early stop before those are taken.
  const { minEpochs, maxEpochs } = epochBudget(train.length, c.batchSize, c.minSteps, options.maxEpochs ?? c.maxEpochs);
  const losses: number[] = [];
  let steps = 0, since = 0, epochs = 0;
  while (keepTraining(epochs, since, { minEpochs, maxEpochs, patience: c.patience }) && !options.signal?.aborted) {
    const r = await trainLearners(learners, xn, yn, inDim, outDim, { epochs: 1, batchSize: c.batchSize, signal: options.signal });
    steps += r.steps;
    epochs++;
    if (r.losses.length > 0) losses.push(r.losses[0]!);
    let improved = false;
    members.forEach((m, k) => {
      const score = holdoutMse(m, hx, hy, hold.length, outDim);
      if (improvedEnough(best[k]!, score)) {
        best[k] = score;
        bestParams[k] = m.getParams();
        improved = true;
      }
    });
    since = improved ? 0 : since + 1;
  }
  members.forEach((m, k) => bestParams[k] && m.setParams(bestParams[k]!));
  return { epochs, steps, losses, holdoutMse: best, elites: rankElites(best, c.elites) };
}

/** Held-out rows of a fit on n rows: floor(holdout n) capped at maxHoldout, or none below 20 rows. */
export function holdoutCount(n: number, holdout: number, maxHoldout: number): number {
  return n >= 20 ? Math.min(maxHoldout, Math.floor(n * holdout)) : 0;
}

/** A bootstrap resample of `train`: train.length rows drawn with replacement with `rng`. */
export function bootstrapRows(train: Int32Array, rng: Rng): Int32Array {
  const rows = new Int32Array(train.length);
  for (let i = 0; i < rows.length; i++) rows[i] = train[rng.int(train.length)]!;
  return rows;
}

/** Epoch bounds of a fit: enough epochs of ceil(trainRows / batchSize) minibatches for minSteps, and at least that many at most. */
export function epochBudget(trainRows: number, batchSize: number, minSteps: number, maxEpochs: number): { minEpochs: number; maxEpochs: number } {
  const batchesPerEpoch = Math.ceil(trainRows / batchSize), minEpochs = Math.ceil(minSteps / batchesPerEpoch);
  return { minEpochs, maxEpochs: Math.max(maxEpochs, minEpochs) };
}

/** Whether another epoch runs: under maxEpochs, and either under minEpochs or fewer than `patience` epochs since an improvement. */
export function keepTraining(epochs: number, since: number, b: { minEpochs: number; maxEpochs: number; patience: number }): boolean {
  return epochs < b.maxEpochs && (since < b.patience || epochs < b.minEpochs);
}

/** Whether a held-out MSE of `score` improves on `best` by more than IMPROVEMENT (relative). */
export function improvedEnough(best: number, score: number): boolean {
  return (best - score) / Math.abs(best) > IMPROVEMENT;
}

/** The `elites` member indices with the lowest held-out MSE, best first (ties by index). */
export function rankElites(holdoutMse: readonly number[], elites: number): number[] {
  return holdoutMse.map((v, k) => [v, k] as const).sort((a, b) => a[0] - b[0]).slice(0, elites).map(([, k]) => k);
}

/** Checks the rows of a fit (stateDim d, action width aw: lengths and finite values) and returns n. */
export function checkRowsOf(data: TransitionRows, d: number, aw: number): number {
  const n = data?.n;
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidConfig(`Expected data.n to be a positive integer, got ${describeValue(n)}.`);
  const fields: [string, ArrayLike<number> | undefined, number][] = [
    ['states', data.states, n * d], ['actions', data.actions, n * aw], ['rewards', data.rewards, n], ['nextStates', data.nextStates, n * d], ['terminated', data.terminated, n],
  ];
  for (const [what, a, need] of fields) {
    if (!a || typeof a.length !== 'number' || a.length < need) throw new InvalidConfig(`Expected data.${what} to hold at least ${need} values (n = ${n}), got ${describeValue(a)}.`);
    for (let i = 0; i < need; i++) {
      if (!Number.isFinite(a[i]!)) throw new InvalidConfig(`Expected data.${what} to hold finite values, got ${describeValue(a[i])} at index ${i}.`);
    }
  }
  return n;
}

/** Rows `idx` of a (rows x w) as a new array. */
export function gatherRows(a: Float32Array, idx: Int32Array, w: number): Float32Array {
  const out = new Float32Array(idx.length * w);
  // Stryker disable next-line EqualityOperator: one more row sets an empty subarray (idx[r] undefined) at the end, which changes nothing.
  for (let r = 0; r < idx.length; r++) out.set(a.subarray(idx[r]! * w, (idx[r]! + 1) * w), r * w);
  return out;
}

/** A member's mean squared error of its predicted means on n held-out rows (standardised units, mean over outputs). */
export function holdoutMse(m: Pick<GaussianMlp, 'predictRaw'>, x: Float32Array, y: Float32Array, n: number, od: number): number {
  const raw = m.predictRaw(x, n, null);
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < od; j++) s += (raw[i * 2 * od + j]! - y[i * od + j]!) ** 2;
  return s / (n * od);
}
