/**
 * Small numerical helpers the model zoo shares: moments, softmax and its Jacobian, log-sum-exp, and the closed
 * forms of KL divergences (categorical, diagonal Gaussian) and the Jensen-Shannon divergence, all in nats.
 * Inputs are plain arrays or typed arrays; matrices are row-major. Sums run in float64.
 */
import { InvalidConfig, describeValue } from './errors.js';

/** A writable float array (outputs). */
export type FloatArray = Float32Array | Float64Array;

function checkCount(n: unknown, what: string): number {
  if (!(Number.isInteger(n) && (n as number) >= 1)) throw new InvalidConfig(`Expected ${what} to be an integer >= 1, got ${describeValue(n)}.`);
  return n as number;
}

function checkLen(a: ArrayLike<number>, need: number, what: string, shape: string): void {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number' || a.length !== need) {
    const got = a !== null && typeof a === 'object' && typeof a.length === 'number' ? `${a.length} values` : describeValue(a);
    throw new InvalidConfig(`Expected ${what} of ${shape} = ${need} values, got ${got}.`);
  }
}

function rowsOf(a: ArrayLike<number>, d: number, what: string): number {
  checkCount(d, 'd');
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number' || a.length === 0 || a.length % d !== 0) {
    throw new InvalidConfig(`Expected ${what} of n x ${d} values (n >= 1), got ${describeValue(a)}.`);
  }
  return a.length / d;
}

/** Options of the variances: `sample` divides by n - 1 (unbiased) instead of n (population, the default). */
export interface VarianceOptions {
  sample?: boolean;
}

/** The mean of all values of `x` (at least one). */
export function mean(x: ArrayLike<number>): number {
  checkCount(x?.length, 'the number of values');
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** The variance of all values of `x`: population (divide by n) or, with `sample`, unbiased (n - 1, needs n >= 2). */
export function variance(x: ArrayLike<number>, options: VarianceOptions = {}): number {
  const m = mean(x);
  const denom = options.sample ? x.length - 1 : x.length;
  if (denom < 1) throw new InvalidConfig(`Expected at least 2 values for a sample variance, got ${x.length}.`);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return s / denom;
}

/** Per-column means of n x d rows into `out` (d values, float64 by default). */
export function columnMeans(data: ArrayLike<number>, d: number, out: FloatArray = new Float64Array(d)): FloatArray {
  const n = rowsOf(data, d, 'data');
  checkLen(out, d, 'out', 'd');
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * d + j]!;
    out[j] = s / n;
  }
  return out;
}

/** Per-column variances of n x d rows into `out` (d values): population, or unbiased with `sample`. */
export function columnVariances(data: ArrayLike<number>, d: number, options: VarianceOptions = {}, out: FloatArray = new Float64Array(d)): FloatArray {
  const n = rowsOf(data, d, 'data');
  checkLen(out, d, 'out', 'd');
  const denom = options.sample ? n - 1 : n;
  if (denom < 1) throw new InvalidConfig(`Expected at least 2 rows for a sample variance, got ${n}.`);
  const m = columnMeans(data, d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (data[i * d + j]! - m[j]!) ** 2;
    out[j] = s / denom;
  }
  return out;
}

/** log sum_i exp(x_i) of `count` values from `offset`, the maximum taken out so nothing overflows (-Infinity if all are). */
export function logSumExp(x: ArrayLike<number>, offset = 0, count = x.length - offset): number {
  let m = -Infinity;
  for (let i = 0; i < count; i++) if (x[offset + i]! > m) m = x[offset + i]!;
  if (m === -Infinity || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < count; i++) s += Math.exp(x[offset + i]! - m);
  return m + Math.log(s);
}

/** log((1/k) sum_i exp(x_i)) over all of x: the importance-weighted bound's average of k weights in log space. */
export function logMeanExp(x: ArrayLike<number>): number {
  checkCount(x?.length, 'the number of values');
  return logSumExp(x) - Math.log(x.length);
}

/** Row-wise softmax of n x k logits into `out` (n x k; may be `logits` itself when both are the same array). */
export function softmax(logits: ArrayLike<number>, k: number, out: FloatArray = new Float64Array(logits.length)): FloatArray {
  const n = rowsOf(logits, k, 'logits');
  checkLen(out, n * k, 'out', `n x k = ${n} x ${k}`);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    const lse = logSumExp(logits, o, k);
    for (let j = 0; j < k; j++) out[o + j] = Math.exp(logits[o + j]! - lse);
  }
  return out;
}

/** The k x k Jacobian d softmax_i / d logit_j = diag(p) - p p^T of one row of probabilities p (k values). */
export function softmaxJacobian(p: ArrayLike<number>, k: number, out: FloatArray = new Float64Array(k * k)): FloatArray {
  checkCount(k, 'k');
  checkLen(p, k, 'p', 'k');
  checkLen(out, k * k, 'out', `k x k = ${k} x ${k}`);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i * k + j] = (i === j ? p[i]! : 0) - p[i]! * p[j]!;
  return out;
}

function checkDistribution(p: ArrayLike<number>, what: string): void {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i]! >= 0 && p[i]! <= 1)) throw new InvalidConfig(`Expected ${what} to hold probabilities in [0, 1], got ${describeValue(p[i])} at ${i}.`);
    s += p[i]!;
  }
  if (Math.abs(s - 1) > 1e-4) throw new InvalidConfig(`Expected ${what} to sum to 1 (within 1e-4), got ${s}.`);
}

/**
 * KL(p || q) = sum_i p_i log(p_i / q_i) in nats between two categoricals given as probabilities (k values each,
 * each summing to 1). Terms with p_i = 0 count 0; p_i > 0 with q_i = 0 gives Infinity.
 */
export function klCategorical(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkCount(p?.length, 'the number of categories');
  checkLen(q, p.length, 'q', 'the length of p');
  checkDistribution(p, 'p');
  checkDistribution(q, 'q');
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi === 0) continue;
    if (q[i]! === 0) return Infinity;
    kl += pi * Math.log(pi / q[i]!);
  }
  // Rounding can leave a hair below 0 for p ~ q; KL is never negative.
  return Math.max(0, kl);
}

/** KL(softmax(a) || softmax(b)) in nats from two rows of k logits, computed in log space (no underflow). */
export function klCategoricalFromLogits(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkCount(a?.length, 'the number of logits');
  checkLen(b, a.length, 'b', 'the length of a');
  const la = logSumExp(a);
  const lb = logSumExp(b);
  let kl = 0;
  for (let i = 0; i < a.length; i++) {
    const lpa = a[i]! - la;
    kl += Math.exp(lpa) * (lpa - (b[i]! - lb));
  }
  return Math.max(0, kl);
}

/**
 * The Jensen-Shannon divergence (KL(p || m) + KL(q || m)) / 2 with m = (p + q) / 2, in nats (0 to log 2),
 * between two categoricals given as probabilities.
 */
export function jsDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkCount(p?.length, 'the number of categories');
  checkLen(q, p.length, 'q', 'the length of p');
  checkDistribution(p, 'p');
  checkDistribution(q, 'q');
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) js += 0.5 * p[i]! * Math.log(p[i]! / m);
    if (q[i]! > 0) js += 0.5 * q[i]! * Math.log(q[i]! / m);
  }
  return Math.min(Math.LN2, Math.max(0, js));
}

/** Gradients of a diagonal-Gaussian KL, each n x d like the inputs; any may be omitted. Written, not accumulated. */
export interface KlGaussianGrads {
  dMu1?: FloatArray;
  dLogStd1?: FloatArray;
  dMu2?: FloatArray;
  dLogStd2?: FloatArray;
}

/**
 * KL(N(mu1, diag s1^2) || N(mu2, diag s2^2)) per row in nats, s = exp(logStd), over n rows of d (all inputs n x d):
 * sum_j log(s2/s1) + (s1^2 + (mu1 - mu2)^2) / (2 s2^2) - 1/2, into `out` (n). With `grads`, writes the
 * derivatives of each row's KL: dMu1 = (mu1 - mu2)/s2^2 = -dMu2, dLogStd1 = s1^2/s2^2 - 1,
 * dLogStd2 = 1 - (s1^2 + (mu1 - mu2)^2)/s2^2.
 */
export function klDiagGaussian(
  mu1: ArrayLike<number>, logStd1: ArrayLike<number>, mu2: ArrayLike<number>, logStd2: ArrayLike<number>, d: number,
  out: FloatArray = new Float64Array(mu1.length / d), grads: KlGaussianGrads = {},
): FloatArray {
  const n = rowsOf(mu1, d, 'mu1');
  const shape = `n x d = ${n} x ${d}`;
  checkLen(logStd1, n * d, 'logStd1', shape);
  checkLen(mu2, n * d, 'mu2', shape);
  checkLen(logStd2, n * d, 'logStd2', shape);
  checkLen(out, n, 'out', 'n');
  for (const [name, g] of Object.entries(grads)) if (g !== undefined) checkLen(g as FloatArray, n * d, name, shape);
  for (let i = 0; i < n; i++) {
    let kl = 0;
    for (let j = 0; j < d; j++) {
      const t = i * d + j;
      const diff = mu1[t]! - mu2[t]!;
      const inv2 = Math.exp(-2 * logStd2[t]!);
      const ratio = Math.exp(2 * (logStd1[t]! - logStd2[t]!));
      kl += logStd2[t]! - logStd1[t]! + 0.5 * (ratio + diff * diff * inv2) - 0.5;
      if (grads.dMu1) grads.dMu1[t] = diff * inv2;
      if (grads.dMu2) grads.dMu2[t] = -diff * inv2;
      if (grads.dLogStd1) grads.dLogStd1[t] = ratio - 1;
      if (grads.dLogStd2) grads.dLogStd2[t] = 1 - ratio - diff * diff * inv2;
    }
    out[i] = kl;
  }
  return out;
}

/**
 * The VAE's KL(N(mu, diag s^2) || N(0, I)) per row in nats = sum_j (mu^2 + s^2 - 1 - 2 log s) / 2 over n rows of d
 * (mu, logStd n x d) into `out` (n). With dMu / dLogStd (n x d), writes its gradients mu and s^2 - 1.
 */
export function klStandardNormal(
  mu: ArrayLike<number>, logStd: ArrayLike<number>, d: number,
  out: FloatArray = new Float64Array(mu.length / d), dMu?: FloatArray, dLogStd?: FloatArray,
): FloatArray {
  const n = rowsOf(mu, d, 'mu');
  const shape = `n x d = ${n} x ${d}`;
  checkLen(logStd, n * d, 'logStd', shape);
  checkLen(out, n, 'out', 'n');
  if (dMu) checkLen(dMu, n * d, 'dMu', shape);
  if (dLogStd) checkLen(dLogStd, n * d, 'dLogStd', shape);
  for (let i = 0; i < n; i++) {
    let kl = 0;
    for (let j = 0; j < d; j++) {
      const t = i * d + j;
      const m = mu[t]!;
      const s2 = Math.exp(2 * logStd[t]!);
      kl += 0.5 * (m * m + s2 - 1) - logStd[t]!;
      if (dMu) dMu[t] = m;
      if (dLogStd) dLogStd[t] = s2 - 1;
    }
    out[i] = kl;
  }
  return out;
}

/** The differential entropy in nats of a d-dimensional isotropic Gaussian of per-coordinate std `std`: d/2 log(2 pi e std^2). */
export function isotropicGaussianEntropy(d: number, std: number): number {
  checkCount(d, 'd');
  if (!(std > 0 && Number.isFinite(std))) throw new InvalidConfig(`Expected std to be a positive finite number, got ${describeValue(std)}.`);
  return 0.5 * d * Math.log(2 * Math.PI * Math.E * std * std);
}
