/**
 * Policy and value heads as pure functions on batch-first, row-major typed arrays: categorical (and MultiDiscrete
 * as blocks of categoricals), diagonal Gaussian, tanh squashing to action bounds, and the dueling combination.
 * Each backward writes (never accumulates) its gradients. Nothing is allocated per call (tests/nn/heads-alloc.test.ts;
 * the boxed doubles of Rng.normal() are the sampler's only allocation).
 */
import { InvalidAction, InvalidConfig, describeValue } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { HALF_LOG_2PI, checkCount, checkLength } from './losses.js';

/** log sum_j exp(x[off + j]) over k values, with the maximum taken out so that nothing overflows. */
function logSumExp(x: Float32Array, off: number, k: number): number {
  let m = -Infinity;
  // Stryker disable next-line EqualityOperator: on a tie either equal value is the maximum
  for (let j = 0; j < k; j++) if (x[off + j]! > m) m = x[off + j]!;
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(x[off + j]! - m);
  return m + Math.log(s);
}

/** Row-wise log-softmax: logits n x k to out n x k (out may be logits itself). */
export function logSoftmax(logits: Float32Array, n: number, k: number, out: Float32Array): Float32Array {
  checkCount(n, 'n');
  checkCount(k, 'k');
  checkLength(logits, n * k, 'logits');
  checkLength(out, n * k, 'out');
  for (let i = 0; i < n; i++) {
    const o = i * k;
    const lse = logSumExp(logits, o, k);
    for (let j = 0; j < k; j++) out[o + j] = logits[o + j]! - lse;
  }
  return out;
}

/**
 * log pi(a_i) of a categorical over k logits per row (n x k) into logProbOut (n). With dLogits (n x k), writes the
 * gradient of sum_i dLogProb_i log pi(a_i): dLogProb_i ([j = a_i] - softmax_ij); dLogProb absent means all ones.
 */
export function categoricalLogProb(
  logits: Float32Array, actions: Int32Array, n: number, k: number, logProbOut: Float32Array,
  dLogits?: Float32Array, dLogProb?: Float32Array,
): void {
  checkCategorical(logits, n, k, dLogits);
  checkLength(actions, n, 'actions', true);
  checkLength(logProbOut, n, 'logProbOut');
  if (dLogProb) checkLength(dLogProb, n, 'dLogProb');
  logProbBlock(logits, k, 0, k, actions, 1, 0, n, logProbOut, dLogits, dLogProb);
}

/**
 * Entropy -sum_j p_j log p_j of each row's categorical (logits n x k) into out (n). With dLogits, writes the gradient
 * of sum_i dEntropy_i H_i: -dEntropy_i p_ij (log p_ij + H_i); dEntropy absent means all ones.
 */
export function categoricalEntropy(
  logits: Float32Array, n: number, k: number, out: Float32Array, dLogits?: Float32Array, dEntropy?: Float32Array,
): void {
  checkCategorical(logits, n, k, dLogits);
  checkLength(out, n, 'out');
  if (dEntropy) checkLength(dEntropy, n, 'dEntropy');
  entropyBlock(logits, k, 0, k, n, out, false, dLogits, dEntropy);
}

/** Draws one action per row from softmax(logits) (n x k) into out (n), one uniform draw of `rng` per row. */
export function sampleCategorical(logits: Float32Array, n: number, k: number, rng: Rng, out: Int32Array): Int32Array {
  checkCategorical(logits, n, k);
  checkLength(out, n, 'out', true);
  sampleBlock(logits, k, 0, k, n, 1, 0, rng, out);
  return out;
}

/**
 * MultiDiscrete log-probabilities: each row of logits (n x sum(nvec)) holds one block of nvec[b] logits per
 * sub-action, actions is n x nvec.length; log pi(a_i) = sum_b log pi_b(a_ib). Gradients as in `categoricalLogProb`.
 */
export function multiCategoricalLogProb(
  logits: Float32Array, actions: Int32Array, n: number, nvec: readonly number[], logProbOut: Float32Array,
  dLogits?: Float32Array, dLogProb?: Float32Array,
): void {
  const width = checkNvec(nvec);
  checkCategorical(logits, n, width, dLogits);
  checkLength(actions, n * nvec.length, 'actions', true);
  checkLength(logProbOut, n, 'logProbOut');
  if (dLogProb) checkLength(dLogProb, n, 'dLogProb');
  for (let b = 0, col = 0; b < nvec.length; col += nvec[b]!, b++) {
    logProbBlock(logits, width, col, nvec[b]!, actions, nvec.length, b, n, logProbOut, dLogits, dLogProb);
  }
}

/** MultiDiscrete entropy: the sum of the blocks' entropies (the sub-actions are independent). Gradients as above. */
export function multiCategoricalEntropy(
  logits: Float32Array, n: number, nvec: readonly number[], out: Float32Array, dLogits?: Float32Array, dEntropy?: Float32Array,
): void {
  const width = checkNvec(nvec);
  checkCategorical(logits, n, width, dLogits);
  checkLength(out, n, 'out');
  if (dEntropy) checkLength(dEntropy, n, 'dEntropy');
  // Stryker disable next-line EqualityOperator: a block past the end has k undefined, loops zero times and adds 0
  for (let b = 0, col = 0; b < nvec.length; col += nvec[b]!, b++) entropyBlock(logits, width, col, nvec[b]!, n, out, b > 0, dLogits, dEntropy);
}

/** Draws one MultiDiscrete action per row (n x nvec.length into out), one uniform draw per sub-action. */
export function sampleMultiCategorical(logits: Float32Array, n: number, nvec: readonly number[], rng: Rng, out: Int32Array): Int32Array {
  const width = checkNvec(nvec);
  checkCategorical(logits, n, width);
  checkLength(out, n * nvec.length, 'out', true);
  for (let b = 0, col = 0; b < nvec.length; col += nvec[b]!, b++) sampleBlock(logits, width, col, nvec[b]!, n, nvec.length, b, rng, out);
  return out;
}

/** One categorical block (columns col..col+k of rows `width` wide); block b > 0 adds to logProbOut. */
function logProbBlock(
  logits: Float32Array, width: number, col: number, k: number, actions: Int32Array, m: number, b: number, n: number,
  logProbOut: Float32Array, dLogits: Float32Array | undefined, dLogProb: Float32Array | undefined,
): void {
  for (let i = 0; i < n; i++) {
    const o = i * width + col;
    const a = actions[i * m + b]!;
    if (!(a >= 0 && a < k)) {
      throw new InvalidAction(`Expected actions[${i * m + b}] to be an integer in [0, ${k}), got ${describeValue(a)}.`);
    }
    const lse = logSumExp(logits, o, k);
    const lp = logits[o + a]! - lse;
    logProbOut[i] = b > 0 ? logProbOut[i]! + lp : lp;
    if (dLogits) {
      const g = dLogProb ? dLogProb[i]! : 1;
      for (let j = 0; j < k; j++) dLogits[o + j] = g * ((j === a ? 1 : 0) - Math.exp(logits[o + j]! - lse));
    }
  }
}

/** Entropy of one categorical block; `add` sums into out (MultiDiscrete). */
function entropyBlock(
  logits: Float32Array, width: number, col: number, k: number, n: number, out: Float32Array, add: boolean,
  dLogits: Float32Array | undefined, dEntropy: Float32Array | undefined,
): void {
  for (let i = 0; i < n; i++) {
    const o = i * width + col;
    const lse = logSumExp(logits, o, k);
    let h = 0;
    for (let j = 0; j < k; j++) {
      const lp = logits[o + j]! - lse;
      // A masked logit (-Infinity) has p = 0 and adds 0 (not 0 * -Infinity = NaN).
      if (lp > -Infinity) h -= Math.exp(lp) * lp;
    }
    out[i] = add ? out[i]! + h : h;
    if (dLogits) {
      const g = dEntropy ? dEntropy[i]! : 1;
      for (let j = 0; j < k; j++) {
        const lp = logits[o + j]! - lse;
        dLogits[o + j] = lp > -Infinity ? -g * Math.exp(lp) * (lp + h) : 0;
      }
    }
  }
}

/** Inverse-CDF draw from one categorical block per row into out[i * m + b]. */
function sampleBlock(
  logits: Float32Array, width: number, col: number, k: number, n: number, m: number, b: number, rng: Rng, out: Int32Array,
): void {
  for (let i = 0; i < n; i++) {
    const o = i * width + col;
    let mx = -Infinity;
    // Stryker disable next-line EqualityOperator: on a tie either equal value is the maximum
    for (let j = 0; j < k; j++) if (logits[o + j]! > mx) mx = logits[o + j]!;
    let total = 0;
    for (let j = 0; j < k; j++) total += Math.exp(logits[o + j]! - mx);
    // The row's maximum adds exp(0) = 1; NaN (all -Infinity, a NaN or +Infinity logit) fails the test.
    if (!(total >= 1)) {
      throw new InvalidConfig(`Expected finite logits with at least one above -Infinity in row ${i}, got ${describeValue(logits.subarray(o, o + k))}.`);
    }
    const u = rng.float() * total;
    let acc = 0;
    // Stryker disable next-line UnaryOperator: the loop always sets pick (some p > 0), so its start value is unused
    let pick = -1;
    // Stryker disable next-line EqualityOperator: the loop breaks by j = k - 1, as acc then equals total > u
    for (let j = 0; j < k; j++) {
      const p = Math.exp(logits[o + j]! - mx);
      acc += p;
      // u = float() total may round up to total itself: then the last action with p > 0 is the pick. Both
      // mutants below differ only on that measure-zero event or on u landing exactly on a boundary.
      // Stryker disable next-line ConditionalExpression,EqualityOperator: see above
      if (p > 0) pick = j;
      // Stryker disable next-line EqualityOperator: see above
      if (u < acc) break;
    }
    out[i * m + b] = pick;
  }
}

/** Options shared by the Gaussian heads. */
export interface GaussianOptions {
  /** logStd holds d values shared by every row (a state-independent log-std) instead of n x d; default false. */
  sharedLogStd?: boolean;
}

/** Gradients `gaussianLogProb` can write: of sum_i dLogProb_i log N(x_i; mean_i, exp(logStd_i)). */
export interface GaussianLogProbOptions extends GaussianOptions {
  /** Upstream gradient per row (n); absent means all ones. */
  dLogProb?: Float32Array;
  /** Receives (x - mu) / sigma^2 times dLogProb (n x d). */
  dMean?: Float32Array;
  /** Receives ((x - mu)^2 / sigma^2 - 1) times dLogProb (n x d, or d summed over rows when shared). */
  dLogStd?: Float32Array;
  /** Receives -(x - mu) / sigma^2 times dLogProb (n x d), for reparameterised samples x = mu + sigma eps. */
  dX?: Float32Array;
}

/**
 * Log-density of x under the diagonal Gaussian N(mean, exp(logStd)^2), summed over the d dimensions of each row:
 * sum_j [-(x - mu)^2 / (2 sigma^2) - log sigma - 0.5 log(2 pi)]. mean, x: n x d; logStd: n x d or d; out: n.
 */
export function gaussianLogProb(
  mean: Float32Array, logStd: Float32Array, x: Float32Array, n: number, d: number, out: Float32Array, opts?: GaussianLogProbOptions,
): void {
  const shared = checkGaussian(mean, logStd, n, d, opts);
  checkLength(x, n * d, 'x');
  checkLength(out, n, 'out');
  // Read one by one: destructuring `opts ?? {}` makes an object on every call without options.
  const dLogProb = opts?.dLogProb, dMean = opts?.dMean, dLogStd = opts?.dLogStd, dX = opts?.dX;
  if (dLogProb) checkLength(dLogProb, n, 'dLogProb');
  if (dMean) checkLength(dMean, n * d, 'dMean');
  if (dX) checkLength(dX, n * d, 'dX');
  if (dLogStd) {
    checkLength(dLogStd, shared ? d : n * d, 'dLogStd');
    // Accumulated below: a shared log-std collects its gradient over the rows.
    dLogStd.fill(0, 0, shared ? d : n * d);
  }
  for (let i = 0; i < n; i++) {
    const g = dLogProb ? dLogProb[i]! : 1;
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const s = shared ? j : k;
      const ls = logStd[s]!;
      const invVar = Math.exp(-2 * ls);
      const e = x[k]! - mean[k]!;
      const z2 = e * e * invVar;
      lp -= 0.5 * z2 + ls + HALF_LOG_2PI;
      if (dMean) dMean[k] = g * e * invVar;
      if (dX) dX[k] = -g * e * invVar;
      if (dLogStd) dLogStd[s] = dLogStd[s]! + g * (z2 - 1);
    }
    out[i] = lp;
  }
}

/**
 * Entropy of the diagonal Gaussian per row, sum_j [log sigma_j + 0.5 (1 + log 2 pi)], into out (n); with dLogStd,
 * the gradient of sum_i dEntropy_i H_i (dEntropy absent: all ones) is dEntropy_i per entry (summed when shared).
 */
export function gaussianEntropy(
  logStd: Float32Array, n: number, d: number, out: Float32Array,
  opts?: GaussianOptions & { dEntropy?: Float32Array; dLogStd?: Float32Array },
): void {
  checkCount(n, 'n');
  checkCount(d, 'd');
  const shared = opts?.sharedLogStd ?? false;
  checkLength(logStd, shared ? d : n * d, 'logStd');
  checkLength(out, n, 'out');
  const dEntropy = opts?.dEntropy;
  const dLogStd = opts?.dLogStd;
  if (dEntropy) checkLength(dEntropy, n, 'dEntropy');
  if (dLogStd) {
    checkLength(dLogStd, shared ? d : n * d, 'dLogStd');
    dLogStd.fill(0, 0, shared ? d : n * d);
  }
  for (let i = 0; i < n; i++) {
    const g = dEntropy ? dEntropy[i]! : 1;
    let h = 0;
    for (let j = 0; j < d; j++) {
      const s = shared ? j : i * d + j;
      h += logStd[s]! + 0.5 + HALF_LOG_2PI;
      if (dLogStd) dLogStd[s] = dLogStd[s]! + g;
    }
    out[i] = h;
  }
}

/** Draws x = mean + exp(logStd) eps with eps ~ N(0, 1) (n x d into out); noiseOut receives eps (reparameterisation). */
export function sampleGaussian(
  mean: Float32Array, logStd: Float32Array, n: number, d: number, rng: Rng, out: Float32Array,
  opts?: GaussianOptions & { noiseOut?: Float32Array },
): Float32Array {
  const shared = checkGaussian(mean, logStd, n, d, opts);
  checkLength(out, n * d, 'out');
  const noise = opts?.noiseOut;
  if (noise) checkLength(noise, n * d, 'noiseOut');
  for (let k = 0; k < n * d; k++) {
    const eps = rng.normal();
    if (noise) noise[k] = eps;
    out[k] = mean[k]! + Math.exp(logStd[shared ? k % d : k]!) * eps;
  }
  return out;
}

/** Action bounds for `tanhSquash`: per-dimension low and high (d values each, low < high). */
export interface ActionBounds {
  low?: Float32Array;
  high?: Float32Array;
}

/**
 * Squashes u (n x d) to a = tanh(u), or to low + (a + 1) (high - low) / 2 with bounds, into out. logDetOut (n) gets
 * each row's log |det da/du| = sum_j [log(1 - tanh(u)^2) + log((high - low) / 2)], computed as
 * 2 (log 2 - u - softplus(-2u)) so it stays finite for large |u|: log pi(a) = log N(u) - logDet (SAC).
 */
export function tanhSquash(u: Float32Array, n: number, d: number, out: Float32Array, opts?: ActionBounds & { logDetOut?: Float32Array }): void {
  const bounded = checkSquash(u, n, d, opts);
  checkLength(out, n * d, 'out');
  const low = opts?.low, high = opts?.high, logDetOut = opts?.logDetOut;
  if (logDetOut) checkLength(logDetOut, n, 'logDetOut');
  for (let i = 0; i < n; i++) {
    let logDet = 0;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const x = u[k]!;
      const a = Math.tanh(x);
      const half = bounded ? 0.5 * (high![j]! - low![j]!) : 1;
      out[k] = bounded ? low![j]! + (a + 1) * half : a;
      const t = -2 * x;
      // softplus(t) = max(t, 0) + log1p(exp(-|t|)), exact and overflow-free.
      logDet += 2 * (Math.LN2 - x - (Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t))))) + Math.log(half);
    }
    if (logDetOut) logDetOut[i] = logDet;
  }
}

/**
 * Backward of `tanhSquash` (same u and bounds): dU (n x d) = dOut (high - low) / 2 (1 - tanh(u)^2)
 * + dLogDet_i (-2 tanh(u)). dOut (n x d) or null, dLogDet (n) optional: the two upstream gradients.
 */
export function tanhSquashBackward(
  u: Float32Array, n: number, d: number, dOut: Float32Array | null, dU: Float32Array, opts?: ActionBounds & { dLogDet?: Float32Array },
): void {
  const bounded = checkSquash(u, n, d, opts);
  checkLength(dU, n * d, 'dU');
  if (dOut !== null) checkLength(dOut, n * d, 'dOut');
  const low = opts?.low, high = opts?.high, dLogDet = opts?.dLogDet;
  if (dLogDet) checkLength(dLogDet, n, 'dLogDet');
  for (let i = 0; i < n; i++) {
    const gDet = dLogDet ? dLogDet[i]! : 0;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const a = Math.tanh(u[k]!);
      const half = bounded ? 0.5 * (high![j]! - low![j]!) : 1;
      dU[k] = (dOut !== null ? dOut[k]! * half * (1 - a * a) : 0) - 2 * a * gDet;
    }
  }
}

/** Dueling Q = V + A - mean(A): raw is n x (numActions + 1) with V in column 0, q is n x numActions. */
export function duelingCombine(raw: Float32Array, n: number, numActions: number, q: Float32Array): Float32Array {
  checkDueling(n, numActions, raw, 'raw', q, 'q');
  const w = numActions + 1;
  for (let i = 0; i < n; i++) {
    let meanA = 0;
    for (let a = 0; a < numActions; a++) meanA += raw[i * w + 1 + a]!;
    meanA /= numActions;
    const v = raw[i * w]!;
    for (let a = 0; a < numActions; a++) q[i * numActions + a] = v + raw[i * w + 1 + a]! - meanA;
  }
  return q;
}

/** Backward of `duelingCombine`: dQ (n x numActions) to dRaw (n x (numActions + 1)): dV = sum dQ, dA = dQ - sum dQ / numActions. */
export function duelingBackward(dQ: Float32Array, n: number, numActions: number, dRaw: Float32Array): Float32Array {
  checkDueling(n, numActions, dRaw, 'dRaw', dQ, 'dQ');
  const w = numActions + 1;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let a = 0; a < numActions; a++) sum += dQ[i * numActions + a]!;
    dRaw[i * w] = sum;
    const share = sum / numActions;
    for (let a = 0; a < numActions; a++) dRaw[i * w + 1 + a] = dQ[i * numActions + a]! - share;
  }
  return dRaw;
}

function checkCategorical(logits: Float32Array, n: number, k: number, dLogits?: Float32Array): void {
  checkCount(n, 'n');
  checkCount(k, 'k');
  checkLength(logits, n * k, 'logits');
  if (dLogits) checkLength(dLogits, n * k, 'dLogits');
}

/** Validates nvec (each >= 1) and returns the row width, sum(nvec). */
function checkNvec(nvec: readonly number[]): number {
  if (!Array.isArray(nvec) || nvec.length === 0) throw new InvalidConfig(`Expected nvec to be a non-empty array of integers >= 1, got ${describeValue(nvec)}.`);
  let width = 0;
  // A plain loop, and the name built only for the error: a closure or a template string per call allocates.
  for (let b = 0; b < nvec.length; b++) {
    const k = nvec[b]!;
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,BooleanLiteral: checkCount validates k itself; the guard only spares the name's string on the valid path
    if (!(Number.isInteger(k) && k >= 1)) checkCount(k, `nvec[${b}]`);
    width += k;
  }
  return width;
}

function checkGaussian(mean: Float32Array, logStd: Float32Array, n: number, d: number, opts?: GaussianOptions): boolean {
  checkCount(n, 'n');
  checkCount(d, 'd');
  const shared = opts?.sharedLogStd ?? false;
  checkLength(mean, n * d, 'mean');
  checkLength(logStd, shared ? d : n * d, 'logStd');
  return shared;
}

/** Validates u and the bounds; returns whether there are bounds. */
function checkSquash(u: Float32Array, n: number, d: number, bounds?: ActionBounds): boolean {
  checkCount(n, 'n');
  checkCount(d, 'd');
  checkLength(u, n * d, 'u');
  const low = bounds?.low, high = bounds?.high;
  if (!low !== !high) throw new InvalidConfig(`Expected both low and high or neither, got ${low ? 'low' : 'high'} alone.`);
  // Stryker disable next-line LogicalOperator: both or neither are given (checked above), so || and && agree
  if (!low || !high) return false;
  checkLength(low, d, 'low');
  checkLength(high, d, 'high');
  for (let j = 0; j < d; j++) {
    if (!(Number.isFinite(low[j]) && Number.isFinite(high[j]) && high[j]! > low[j]!)) {
      throw new InvalidConfig(`Expected finite bounds with low < high, got low[${j}] = ${low[j]} and high[${j}] = ${high[j]}.`);
    }
  }
  return true;
}

function checkDueling(n: number, numActions: number, raw: Float32Array, rawName: string, q: Float32Array, qName: string): void {
  checkCount(n, 'n');
  checkCount(numActions, 'numActions');
  checkLength(raw, n * (numActions + 1), rawName);
  checkLength(q, n * numActions, qName);
}
