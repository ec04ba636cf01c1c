/**
 * How the zoo's models are judged: mode coverage of samples from a Gaussian mixture (PacGAN/VEEGAN), a
 * single-Gaussian NLL baseline, the exact entropy of an equal-weight isotropic mixture, and calibration of
 * predictive intervals and uncertainties. All log densities are in nats.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { logSumExp } from '../core/math.js';
import { ringCentres } from './data.js';

function checkRows(a: ArrayLike<number>, n: number, dim: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || a === null || typeof a !== 'object' || a.length !== n * dim) {
    const got = a !== null && typeof a === 'object' && typeof a.length === 'number' ? `${a.length} values` : describeValue(a);
    throw new InvalidConfig(`Expected ${what} of n x ${dim} = ${describeValue(n)} x ${dim} values, got ${got}.`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new InvalidConfig(`Expected finite ${what}, got ${describeValue(a[i])} at ${i}.`);
  }
}

/** What `modeCoverage` found. */
export interface ModeCoverage {
  /** Modes holding at least `minCount` high-quality samples. */
  modes: number;
  /** Fraction of all samples within `threshold` stds (per coordinate) of their nearest centre. */
  highQuality: number;
  /** High-quality samples per mode (modes values). */
  counts: Int32Array;
  /** The number a mode needed to count as covered. */
  minCount: number;
}

/**
 * Mode coverage of n x 2 `samples` against a mixture's modes x 2 `centres` of per-coordinate `std`, as PacGAN
 * (Lin et al. 2018) counts it after VEEGAN: a sample is high quality when its Euclidean distance to the nearest
 * centre is within `threshold` (3) standard deviations; it is registered to that mode; a mode is covered when
 * it holds at least `minFraction` (1/5) of the n / modes samples a perfect generator would put there (PacGAN:
 * at least 20 of 2,500 samples over 25 modes; with 8 modes and 2,500 samples, 62.5 -> 63). `minFraction: 0`
 * gives VEEGAN's looser count (at least one high-quality sample).
 */
export function modeCoverage(
  samples: ArrayLike<number>, n: number, centres: ArrayLike<number>, std: number,
  options: { threshold?: number; minFraction?: number } = {},
): ModeCoverage {
  checkRows(samples, n, 2, 'samples');
  const modes = centres.length / 2;
  checkRows(centres, modes, 2, 'centres');
  if (!(std > 0 && Number.isFinite(std))) throw new InvalidConfig(`Expected std > 0, got ${describeValue(std)}.`);
  const threshold = options.threshold ?? 3;
  const minFraction = options.minFraction ?? 0.2;
  const limit2 = (threshold * std) ** 2;
  const counts = new Int32Array(modes);
  let good = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let arg = 0;
    for (let k = 0; k < modes; k++) {
      const d2 = (samples[2 * i]! - centres[2 * k]!) ** 2 + (samples[2 * i + 1]! - centres[2 * k + 1]!) ** 2;
      if (d2 < best) {
        best = d2;
        arg = k;
      }
    }
    if (best <= limit2) {
      good++;
      counts[arg]!++;
    }
  }
  const minCount = Math.max(1, Math.ceil((minFraction * n) / modes));
  let covered = 0;
  for (let k = 0; k < modes; k++) if (counts[k]! >= minCount) covered++;
  return { modes: covered, highQuality: good / n, counts, minCount };
}

/**
 * The single-Gaussian baseline: fits one full-covariance Gaussian to nTrain x dim `train` rows by maximum
 * likelihood (the population covariance) and returns the mean NLL of nTest x dim `test` rows in nats per row.
 */
export function singleGaussianNll(train: ArrayLike<number>, nTrain: number, test: ArrayLike<number>, nTest: number, dim = 2): number {
  checkRows(train, nTrain, dim, 'train');
  checkRows(test, nTest, dim, 'test');
  const mu = new Float64Array(dim);
  for (let i = 0; i < nTrain; i++) for (let a = 0; a < dim; a++) mu[a]! += train[i * dim + a]! / nTrain;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < nTrain; i++) {
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) cov[a * dim + b]! += ((train[i * dim + a]! - mu[a]!) * (train[i * dim + b]! - mu[b]!)) / nTrain;
    }
  }
  // Cholesky cov = L L^T: log det = 2 sum log L_aa, and the Mahalanobis term is |L^-1 (x - mu)|^2.
  const L = new Float64Array(dim * dim);
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b <= a; b++) {
      let s = cov[a * dim + b]!;
      for (let c = 0; c < b; c++) s -= L[a * dim + c]! * L[b * dim + c]!;
      if (a === b) {
        if (!(s > 0)) throw new InvalidConfig(`Expected train rows whose covariance is positive definite, got a singular one (dimension ${a}).`);
        L[a * dim + a] = Math.sqrt(s);
      } else {
        L[a * dim + b] = s / L[b * dim + b]!;
      }
    }
  }
  let logDet = 0;
  for (let a = 0; a < dim; a++) logDet += 2 * Math.log(L[a * dim + a]!);
  const z = new Float64Array(dim);
  let total = 0;
  for (let i = 0; i < nTest; i++) {
    let m = 0;
    for (let a = 0; a < dim; a++) {
      let s = test[i * dim + a]! - mu[a]!;
      for (let c = 0; c < a; c++) s -= L[a * dim + c]! * z[c]!;
      z[a] = s / L[a * dim + a]!;
      m += z[a]! * z[a]!;
    }
    total += 0.5 * (dim * Math.log(2 * Math.PI) + logDet + m);
  }
  return total / nTest;
}

/** log p(x) in nats of an equal-weight mixture of isotropic 2-D Gaussians (centres modes x 2, per-coordinate std). */
export function mixtureLogDensity(x: number, y: number, centres: ArrayLike<number>, std: number, scratch?: Float64Array): number {
  const modes = centres.length / 2;
  const t = scratch ?? new Float64Array(modes);
  const inv = 1 / (2 * std * std);
  for (let k = 0; k < modes; k++) t[k] = -((x - centres[2 * k]!) ** 2 + (y - centres[2 * k + 1]!) ** 2) * inv;
  return logSumExp(t, 0, modes) - Math.log(2 * Math.PI * std * std) - Math.log(modes);
}

/**
 * The exact differential entropy in nats of an equal-weight mixture of isotropic 2-D Gaussians (centres
 * modes x 2, per-coordinate `std`): H = -(1/K) sum_k E_{x ~ N_k}[log p(x)], each expectation by the trapezoid rule
 * on a `step` (0.05 std) grid over +-`span` (8) std around the centre. For a Gaussian weight the trapezoid rule
 * converges exponentially in 1/step, so this is exact to ~1e-9 nats whatever the overlap (log K + log(2 pi e std^2)
 * when the modes are far apart, log(2 pi e std^2) when they coincide).
 */
export function mixtureEntropy(centres: ArrayLike<number>, std: number, options: { step?: number; span?: number } = {}): number {
  const modes = centres.length / 2;
  checkRows(centres, modes, 2, 'centres');
  if (!(std > 0 && Number.isFinite(std))) throw new InvalidConfig(`Expected std > 0, got ${describeValue(std)}.`);
  const step = options.step ?? 0.05;
  const span = options.span ?? 8;
  const m = Math.round(span / step);
  const w = new Float64Array(2 * m + 1);
  let wsum = 0;
  for (let i = -m; i <= m; i++) {
    w[i + m] = Math.exp(-0.5 * (i * step) ** 2);
    wsum += w[i + m]!;
  }
  for (let i = 0; i < w.length; i++) w[i]! /= wsum; // discrete weights summing to 1 per axis
  const scratch = new Float64Array(modes);
  let h = 0;
  for (let k = 0; k < modes; k++) {
    const cx = centres[2 * k]!;
    const cy = centres[2 * k + 1]!;
    let e = 0;
    for (let i = 0; i < w.length; i++) {
      const x = cx + (i - m) * step * std;
      for (let j = 0; j < w.length; j++) e += w[i]! * w[j]! * mixtureLogDensity(x, cy + (j - m) * step * std, centres, std, scratch);
    }
    h -= e / modes;
  }
  return h;
}

/** The exact entropy in nats of `ringOfGaussians`' density (8 modes, radius 2, std 0.02 by default). */
export function ringEntropy(options: { modes?: number; radius?: number; std?: number } = {}): number {
  return mixtureEntropy(ringCentres(options.modes ?? 8, options.radius ?? 2), options.std ?? 0.02);
}

/** Φ^-1(p): the standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new InvalidConfig(`Expected a probability in (0, 1), got ${describeValue(p)}.`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p > 1 - 0.02425) {
    return -normalQuantile(1 - p);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  return x;
}

/**
 * The fraction of the n targets `y` inside the central `level` (0.9) Gaussian predictive interval
 * mean ± Φ^-1((1 + level)/2) sqrt(variance) (mean, variance, y: n values each; variance the total predictive one).
 */
export function intervalCoverage(mean: ArrayLike<number>, variance: ArrayLike<number>, y: ArrayLike<number>, level = 0.9): number {
  const n = mean.length;
  checkRows(mean, n, 1, 'mean');
  checkRows(variance, n, 1, 'variance');
  checkRows(y, n, 1, 'y');
  const z = normalQuantile((1 + level) / 2);
  let inside = 0;
  for (let i = 0; i < n; i++) if (Math.abs(y[i]! - mean[i]!) <= z * Math.sqrt(Math.max(0, variance[i]!))) inside++;
  return inside / n;
}

/**
 * How much more unsure a model is away from its data: the mean epistemic std (sqrt of `epistemic` variances)
 * over inputs with |x| in `outside` ([5, 6]) divided by the mean over |x| < `inside` (3). x and epistemic: n values.
 */
export function epistemicRatio(
  x: ArrayLike<number>, epistemic: ArrayLike<number>, options: { outside?: [number, number]; inside?: number } = {},
): number {
  const n = x.length;
  checkRows(x, n, 1, 'x');
  checkRows(epistemic, n, 1, 'epistemic');
  const [lo, hi] = options.outside ?? [5, 6];
  const inside = options.inside ?? 3;
  let sOut = 0, nOut = 0, sIn = 0, nIn = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]!);
    const s = Math.sqrt(Math.max(0, epistemic[i]!));
    if (a >= lo && a <= hi) {
      sOut += s;
      nOut++;
    } else if (a < inside) {
      sIn += s;
      nIn++;
    }
  }
  if (nOut === 0 || nIn === 0) {
    throw new InvalidConfig(`Expected inputs both with |x| in [${lo}, ${hi}] and with |x| < ${inside}, got ${nOut} and ${nIn}.`);
  }
  return sOut / nOut / (sIn / nIn);
}

/** Pearson's correlation of two equally long series (NaN when either is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  checkRows(a, n, 1, 'a');
  checkRows(b, n, 1, 'b');
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Mean and sample standard deviation of per-seed figures (std 0 for one seed), for "mean ± spread" lines. */
export function meanAndSpread(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const m = values.reduce((s, v) => s + v, 0) / n;
  const v = n > 1 ? values.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1) : 0;
  return { mean: m, std: Math.sqrt(v), n };
}
