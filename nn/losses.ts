/**
 * Losses as pure functions on typed arrays: each returns the mean loss over the batch and writes the gradient of
 * that mean with respect to the predictions, ready for `Net.backward`. Nothing is allocated.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';

/** Options of the elementwise regression losses. */
export interface RegressionLossOptions {
  /** Per-sample weights (prioritized replay's importance weights): loss = mean(w_i l_i). */
  weights?: Float32Array;
  /** Receives |pred_i - target_i| per sample (new priorities for prioritized replay). */
  errorsOut?: Float32Array;
}

/** Options of `huberLoss`. */
export interface HuberOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear; default 1 (SB3's smooth_l1_loss). */
  delta?: number;
}

/** Options of `gaussianNll`. */
export interface GaussianNllOptions {
  /** logStd holds d values shared by every row instead of n x d; default false (heteroscedastic: one per row). */
  sharedLogStd?: boolean;
  /** Adds the constant 0.5 d log(2 pi) per row, making the value the exact negative log-likelihood; default false. */
  full?: boolean;
  /** Receives dLoss/dMean (n x d). */
  dMean?: Float32Array;
  /** Receives dLoss/dLogStd (n x d, or d summed over rows when shared). */
  dLogStd?: Float32Array;
}

/** 0.5 log(2 pi), written out: a computed module constant would be a mutant that only a module reload can test. */
export const HALF_LOG_2PI = 0.9189385332046727;

/**
 * Huber loss (torch.nn.HuberLoss; with delta 1 it is SB3's smooth_l1_loss): per sample 0.5 e^2 when |e| <= delta,
 * else delta (|e| - 0.5 delta), e = pred - target. pred, target, dPred, weights, errorsOut: n values each.
 * Returns the (weighted) mean and writes its gradient into dPred (null: the loss only).
 */
export function huberLoss(pred: Float32Array, target: Float32Array, n: number, dPred: Float32Array | null, opts?: HuberOptions): number {
  const delta = opts?.delta ?? 1;
  if (!(Number.isFinite(delta) && delta > 0)) {
    throw new InvalidConfig(`Expected delta to be a finite number > 0, got ${describeValue(delta)}.`);
  }
  checkRegression(pred, target, n, dPred, opts);
  const w = opts?.weights;
  const errors = opts?.errorsOut;
  const invN = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = pred[i]! - target[i]!;
    const ae = Math.abs(e);
    const wi = w ? w[i]! : 1;
    if (errors) errors[i] = ae;
    // Stryker disable next-line EqualityOperator: at |e| = delta both pieces give 0.5 delta^2 and slope +-delta
    const quadratic = ae <= delta;
    sum += wi * (quadratic ? 0.5 * e * e : delta * (ae - 0.5 * delta));
    // The slope is e inside the band and +-delta outside it (where e is never 0).
    // Stryker disable next-line EqualityOperator: e = 0 is inside the band, so e > 0 and e >= 0 agree here
    if (dPred) dPred[i] = (wi * (quadratic ? e : e > 0 ? delta : -delta)) * invN;
  }
  return sum * invN;
}

/**
 * Mean squared error: mean(w_i e_i^2), e = pred - target; gradient 2 w_i e_i / n into dPred (null: the loss only).
 * pred, target, dPred, weights, errorsOut: n values each.
 */
export function mseLoss(pred: Float32Array, target: Float32Array, n: number, dPred: Float32Array | null, opts?: RegressionLossOptions): number {
  checkRegression(pred, target, n, dPred, opts);
  const w = opts?.weights;
  const errors = opts?.errorsOut;
  const invN = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = pred[i]! - target[i]!;
    const wi = w ? w[i]! : 1;
    if (errors) errors[i] = Math.abs(e);
    sum += wi * e * e;
    if (dPred) dPred[i] = 2 * wi * e * invN;
  }
  return sum * invN;
}

/**
 * Heteroscedastic Gaussian negative log-likelihood, summed over the d dimensions of a row and averaged over the n
 * rows: mean_i sum_j [(y - mu)^2 / (2 sigma^2) + log sigma], sigma = exp(logStd). mean, target: n x d; logStd: n x d
 * (or d when shared). Gradients: dMean = (mu - y) / (sigma^2 n), dLogStd = (1 - (y - mu)^2 / sigma^2) / n.
 */
export function gaussianNll(mean: Float32Array, logStd: Float32Array, target: Float32Array, n: number, d: number, opts?: GaussianNllOptions): number {
  checkCount(n, 'n');
  checkCount(d, 'd');
  const shared = opts?.sharedLogStd ?? false;
  const dMean = opts?.dMean;
  const dLogStd = opts?.dLogStd;
  const nd = n * d;
  checkLength(mean, nd, 'mean');
  checkLength(target, nd, 'target');
  checkLength(logStd, shared ? d : nd, 'logStd');
  if (dMean) checkLength(dMean, nd, 'dMean');
  if (dLogStd) {
    checkLength(dLogStd, shared ? d : nd, 'dLogStd');
    // Accumulated below: a shared log-std collects its gradient over the rows.
    dLogStd.fill(0, 0, shared ? d : nd);
  }
  const invN = 1 / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const s = shared ? j : k;
      const ls = logStd[s]!;
      const invVar = Math.exp(-2 * ls);
      const e = target[k]! - mean[k]!;
      const z2 = e * e * invVar;
      sum += 0.5 * z2 + ls;
      if (dMean) dMean[k] = -e * invVar * invN;
      if (dLogStd) dLogStd[s] = dLogStd[s]! + (1 - z2) * invN;
    }
  }
  return sum * invN + (opts?.full ? d * HALF_LOG_2PI : 0);
}

/** Throws InvalidConfig unless `n` is an integer >= 1 (`what` names it in the message). */
export function checkCount(n: unknown, what: string): void {
  if (!(Number.isInteger(n) && (n as number) >= 1)) {
    throw new InvalidConfig(`Expected ${what} to be an integer >= 1, got ${describeValue(n)}.`);
  }
}

/** Throws InvalidConfig unless `a` is a Float32Array (or Int32Array when `int`) holding at least `need` values. */
export function checkLength(a: unknown, need: number, what: string, int = false): void {
  const type = int ? Int32Array : Float32Array;
  if (!(a instanceof type) || a.length < need) {
    const got = a instanceof type ? `${a.length}` : describeValue(a);
    throw new InvalidConfig(`Expected ${what} to be a ${type.name} of at least ${need} values, got ${got}.`);
  }
}

function checkRegression(pred: Float32Array, target: Float32Array, n: number, dPred: Float32Array | null, opts?: RegressionLossOptions): void {
  checkCount(n, 'n');
  checkLength(pred, n, 'pred');
  checkLength(target, n, 'target');
  if (dPred !== null) checkLength(dPred, n, 'dPred');
  if (opts?.weights) checkLength(opts.weights, n, 'weights');
  if (opts?.errorsOut) checkLength(opts.errorsOut, n, 'errorsOut');
}
