/**
 * The fitting half of `EnsembleDynamics` (mbrl-lib's ModelTrainer with bootstrapped members): on standardised rows,
 * a random held-out split, one bootstrap resample per member, epochs until no member's held-out MSE improved by 1%
 * for `patience` epochs (each member keeping its best weights), and the members ranked on that MSE into elites.
 * The model itself (standardisation, prediction, saving) is in dynamics.ts.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { NamedArray } from '../../nn/types.js';
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
export interface MemberFitSettings {
  elites: number;
  batchSize: number;
  maxEpochs: number;
  minSteps: number;
  patience: number;
  holdout: number;
  maxHoldout: number;
}

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
  const nHold = n >= 20 ? Math.min(c.maxHoldout, Math.floor(n * c.holdout)) : 0;
  const hold = nHold > 0 ? perm.subarray(0, nHold) : perm;
  const train = perm.subarray(nHold);
  const hx = gatherRows(xn, hold, inDim), hy = gatherRows(yn, hold, outDim);
  const learners: Learner[] = members.map((mlp, k) => {
    const r = rngs[k]!;
    const rows = new Int32Array(train.length);
    for (let i = 0; i < rows.length; i++) rows[i] = train[r.int(train.length)]!; // a bootstrap resample
    return { mlp, rng: r, rows, prior: null };
  });
  // mbrl-lib's early stopping: each member keeps its best weights; stop once none improved for `patience` epochs.
  const best = members.map((m) => holdoutMse(m, hx, hy, hold.length, outDim));
  const bestParams: (NamedArray[] | null)[] = members.map(() => null);
  // Epochs enough for minSteps minibatches per member; no early stop before those are taken.
  const batchesPerEpoch = Math.ceil(train.length / c.batchSize), minEpochs = Math.ceil(c.minSteps / batchesPerEpoch);
  const maxEpochs = Math.max(options.maxEpochs ?? c.maxEpochs, minEpochs);
  const losses: number[] = [];
  let steps = 0, since = 0, epochs = 0;
  while (epochs < maxEpochs && (since < c.patience || epochs < minEpochs) && !options.signal?.aborted) {
    const r = await trainLearners(learners, xn, yn, inDim, outDim, { epochs: 1, batchSize: c.batchSize, signal: options.signal });
    steps += r.steps;
    epochs++;
    if (r.losses.length > 0) losses.push(r.losses[0]!);
    let improved = false;
    members.forEach((m, k) => {
      const score = holdoutMse(m, hx, hy, hold.length, outDim);
      if ((best[k]! - score) / Math.abs(best[k]!) > IMPROVEMENT) {
        best[k] = score;
        bestParams[k] = m.getParams();
        improved = true;
      }
    });
    since = improved ? 0 : since + 1;
  }
  members.forEach((m, k) => bestParams[k] && m.setParams(bestParams[k]!));
  const elites = best.map((v, k) => [v, k] as const).sort((a, b) => a[0] - b[0]).slice(0, c.elites).map(([, k]) => k);
  return { epochs, steps, losses, holdoutMse: best, elites };
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
function gatherRows(a: Float32Array, idx: Int32Array, w: number): Float32Array {
  const out = new Float32Array(idx.length * w);
  for (let r = 0; r < idx.length; r++) out.set(a.subarray(idx[r]! * w, (idx[r]! + 1) * w), r * w);
  return out;
}

/** A member's mean squared error of its predicted means on n held-out rows (standardised units, mean over outputs). */
function holdoutMse(m: GaussianMlp, x: Float32Array, y: Float32Array, n: number, od: number): number {
  const raw = m.predictRaw(x, n, null);
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < od; j++) s += (raw[i * 2 * od + j]! - y[i * od + j]!) ** 2;
  return s / (n * od);
}
