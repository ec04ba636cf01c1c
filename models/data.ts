/**
 * The zoo's training data, made by the code (nothing is downloaded): 2-D densities (two moons, a ring and a grid
 * of Gaussians) and a heteroscedastic 1-D regression. Every generator is seeded through an `Rng` and returns
 * row-major Float32Arrays (n rows of `dim`).
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/** An affine standardisation x' = (x - mean) / std per dimension; NLL(x) = NLL(x') + logDet (nats per row). */
export interface Standardisation {
  /** Per-dimension means subtracted (length dim). */
  mean: number[];
  /** Per-dimension standard deviations divided by (length dim). */
  std: number[];
  /**
   * sum_d log std_d: add it to a per-row NLL measured on standardised data to get the NLL of the raw data
   * (change of variables: p(x) = p'(x') / prod std).
   */
  logDet: number;
}

/** 2-D points with a standardisation (identity when not standardised). */
export interface MoonsData {
  /** n x 2 points. */
  data: Float32Array;
  n: number;
  dim: 2;
  /** Which moon (0 upper, 1 lower) each row came from. */
  labels: Int32Array;
  standardisation: Standardisation;
}

/** Samples from a mixture of isotropic Gaussians with the mixture's centres. */
export interface MixtureData {
  /** n x 2 points. */
  data: Float32Array;
  n: number;
  dim: 2;
  /** modes x 2 centres. */
  centres: Float32Array;
  modes: number;
  /** The per-coordinate standard deviation of every mode. */
  std: number;
  /** The mode each row was drawn from. */
  labels: Int32Array;
}

/** Heteroscedastic 1-D regression rows. */
export interface RegressionData {
  /** n x 1 inputs. */
  x: Float32Array;
  /** n x 1 targets. */
  y: Float32Array;
  n: number;
  /** n true noise standard deviations s(x_i), for the aleatoric correlation metric. */
  noiseStd: Float32Array;
}

function checkCount(n: number, what = 'n'): void {
  if (!Number.isInteger(n) || n < 1) throw new InvalidConfig(`Expected ${what} to be a positive integer, got ${describeValue(n)}.`);
}

function checkPositive(v: number, what: string): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw new InvalidConfig(`Expected ${what} to be a positive finite number, got ${describeValue(v)}.`);
  }
}

/** The default noise std of `twoMoons` (raw units; see there). */
export const MOONS_NOISE = 0.05;

/**
 * Two interleaving half circles, sklearn's make_moons shape: the upper moon (cos t, sin t) and the lower
 * (1 - cos t, 0.5 - sin t), t uniform in [0, pi] (drawn at random, not on make_moons' even grid, so that rows
 * are i.i.d. for held-out NLL), plus N(0, noise^2) per coordinate. Half the rows (rounded down) are upper.
 * `noise` defaults to 0.05 (MOONS_NOISE), the make_moons(noise=0.05) data the issue gives for the published RealNVP
 * figure the zoo's bench compares with (1.34 nats, 8 couplings, standardised moons). The data's own entropy
 * (standardised) is 1.14 nats at noise 0.05, 1.32 at 0.06 (the noise that figure's page states in its text) and
 * 1.83 at 0.1: a figure is only comparable at the noise it was measured on.
 * `standardise`: true (default) scales to zero mean and unit variance per dimension from this sample's own
 * statistics, a `Standardisation` applies that one (e.g. the train set's to a test set), false keeps raw units.
 */
export function twoMoons(n: number, rng: Rng, options: { noise?: number; standardise?: boolean | Standardisation } = {}): MoonsData {
  checkCount(n);
  const noise = options.noise ?? MOONS_NOISE;
  if (!(Number.isFinite(noise) && noise >= 0)) throw new InvalidConfig(`Expected noise to be a finite number >= 0, got ${describeValue(noise)}.`);
  const data = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  const nUpper = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const t = rng.uniform(0, Math.PI);
    const lower = i >= nUpper;
    labels[i] = lower ? 1 : 0;
    const x = lower ? 1 - Math.cos(t) : Math.cos(t);
    const y = lower ? 0.5 - Math.sin(t) : Math.sin(t);
    data[2 * i] = x + rng.normal(0, noise);
    data[2 * i + 1] = y + rng.normal(0, noise);
  }
  const opt = options.standardise ?? true;
  let standardisation: Standardisation = { mean: [0, 0], std: [1, 1], logDet: 0 };
  if (opt === true) standardisation = fitStandardisation(data, n, 2);
  else if (opt !== false) standardisation = opt;
  if (opt !== false) applyStandardisation(data, n, 2, standardisation);
  return { data, n, dim: 2, labels, standardisation };
}

/** The per-dimension mean and population std of n x dim rows (a constant column gets std 1). */
export function fitStandardisation(data: Float32Array, n: number, dim: number): Standardisation {
  const mean: number[] = [];
  const std: number[] = [];
  for (let d = 0; d < dim; d++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * dim + d]!;
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * dim + d]! - m) ** 2;
    const sd = Math.sqrt(v / n);
    mean.push(m);
    std.push(sd > 0 ? sd : 1);
  }
  return { mean, std, logDet: std.reduce((a, s) => a + Math.log(s), 0) };
}

/** Applies (x - mean) / std in place to n x dim rows. */
export function applyStandardisation(data: Float32Array, n: number, dim: number, s: Standardisation): void {
  if (s.mean.length !== dim || s.std.length !== dim) {
    throw new InvalidConfig(`Expected a standardisation of ${dim} means and stds, got ${s.mean.length} and ${s.std.length}.`);
  }
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) data[i * dim + d] = (data[i * dim + d]! - s.mean[d]!) / s.std[d]!;
}

function mixture(n: number, rng: Rng, centres: Float32Array, std: number): MixtureData {
  const modes = centres.length / 2;
  const data = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(modes);
    labels[i] = k;
    data[2 * i] = centres[2 * k]! + rng.normal(0, std);
    data[2 * i + 1] = centres[2 * k + 1]! + rng.normal(0, std);
  }
  return { data, n, dim: 2, centres, modes, std, labels };
}

/** The centres (modes x 2) of `modes` points evenly spaced on a circle of `radius`, the first at angle 0. */
export function ringCentres(modes = 8, radius = 2): Float32Array {
  const c = new Float32Array(modes * 2);
  for (let k = 0; k < modes; k++) {
    c[2 * k] = radius * Math.cos((2 * Math.PI * k) / modes);
    c[2 * k + 1] = radius * Math.sin((2 * Math.PI * k) / modes);
  }
  return c;
}

/**
 * The PacGAN/VEEGAN ring: an equal mixture of `modes` (8) isotropic Gaussians of per-coordinate `std` (0.02)
 * centred on a circle of `radius` (2). Returns n x 2 samples, the centres and each row's mode.
 */
export function ringOfGaussians(n: number, rng: Rng, options: { modes?: number; radius?: number; std?: number } = {}): MixtureData {
  checkCount(n);
  const modes = options.modes ?? 8;
  checkCount(modes, 'modes');
  const radius = options.radius ?? 2;
  const std = options.std ?? 0.02;
  checkPositive(radius, 'radius');
  checkPositive(std, 'std');
  return mixture(n, rng, ringCentres(modes, radius), std);
}

/** The centres (side^2 x 2, row by row) of a side x side grid with `spacing`, centred on 0 (-4..4 step 2 for 5, 2). */
export function gridCentres(side = 5, spacing = 2): Float32Array {
  const c = new Float32Array(side * side * 2);
  const offset = ((side - 1) * spacing) / 2;
  for (let r = 0; r < side; r++) {
    for (let q = 0; q < side; q++) {
      const k = r * side + q;
      c[2 * k] = q * spacing - offset;
      c[2 * k + 1] = r * spacing - offset;
    }
  }
  return c;
}

/**
 * The PacGAN grid: an equal mixture of side x side (5 x 5 = 25) isotropic Gaussians of per-coordinate `std`
 * (0.05), centres at -4, -2, 0, 2, 4 in each coordinate (`spacing` 2). Returns n x 2 samples and the centres.
 */
export function gridOfGaussians(n: number, rng: Rng, options: { side?: number; spacing?: number; std?: number } = {}): MixtureData {
  checkCount(n);
  const side = options.side ?? 5;
  checkCount(side, 'side');
  const spacing = options.spacing ?? 2;
  const std = options.std ?? 0.05;
  checkPositive(spacing, 'spacing');
  checkPositive(std, 'std');
  return mixture(n, rng, gridCentres(side, spacing), std);
}

/**
 * The default noise scale of `heteroscedastic`: s(x) = 0.3 + 0.75 |x| = 3 (0.1 + |x| / 4), so 0.3 at x = 0
 * and 3.3 at |x| = 4 (the cubic spans -64..64 there), growing linearly with |x|.
 */
export function heteroscedasticNoiseStd(x: number): number {
  return 3 * (0.1 + Math.abs(x) / 4);
}

/**
 * Heteroscedastic 1-D regression: x uniform in `range` ([-4, 4]), y = x^3 + eps, eps ~ N(0, s(x)^2) with
 * s = `noise` (default `heteroscedasticNoiseStd`). Returns x and y as n x 1 rows and the true s(x_i).
 */
export function heteroscedastic(n: number, rng: Rng, options: { range?: [number, number]; noise?: (x: number) => number } = {}): RegressionData {
  checkCount(n);
  const [lo, hi] = options.range ?? [-4, 4];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new InvalidConfig(`Expected range to be [low, high] with finite low <= high, got ${describeValue(options.range)}.`);
  }
  const noise = options.noise ?? heteroscedasticNoiseStd;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const noiseStd = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const xi = rng.uniform(lo, hi);
    const s = noise(xi);
    if (!(Number.isFinite(s) && s >= 0)) throw new InvalidConfig(`Expected noise(x) to be a finite std >= 0, got ${describeValue(s)} at x = ${xi}.`);
    x[i] = xi;
    y[i] = xi ** 3 + rng.normal(0, s);
    noiseStd[i] = s;
  }
  return { x, y, n, noiseStd };
}

/** A random permutation of 0..n-1 split into test (round(n * testFraction)) and train (the rest) row indices. */
export function splitIndices(n: number, testFraction: number, rng: Rng): { train: Int32Array; test: Int32Array } {
  checkCount(n);
  if (!(Number.isFinite(testFraction) && testFraction >= 0 && testFraction < 1)) {
    throw new InvalidConfig(`Expected testFraction in [0, 1), got ${describeValue(testFraction)}.`);
  }
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const nTest = Math.round(n * testFraction);
  return { test: perm.slice(0, nTest), train: perm.slice(nTest) };
}

/** The rows `indices` of n x dim `data`, copied into a new (indices.length x dim) array. */
export function takeRows(data: Float32Array, dim: number, indices: ArrayLike<number>): Float32Array {
  const n = data.length / dim;
  const out = new Float32Array(indices.length * dim);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new InvalidConfig(`Expected a row index in [0, ${n}), got ${describeValue(i)}.`);
    out.set(data.subarray(i * dim, (i + 1) * dim), r * dim);
  }
  return out;
}

/**
 * Shuffles n rows of `dim` (data is n x dim) and splits them into train and test sets, test getting
 * round(n * testFraction) rows. Use `splitIndices` + `takeRows` to split paired arrays (x and y) alike.
 */
export function split(
  data: Float32Array,
  n: number,
  dim: number,
  testFraction: number,
  rng: Rng,
): { train: Float32Array; test: Float32Array; nTrain: number; nTest: number } {
  checkCount(dim, 'dim');
  if (data.length !== n * dim) {
    throw new InvalidConfig(`Expected data of n x dim = ${n} x ${dim} = ${n * dim} floats, got ${data.length}.`);
  }
  const { train, test } = splitIndices(n, testFraction, rng);
  return { train: takeRows(data, dim, train), test: takeRows(data, dim, test), nTrain: train.length, nTest: test.length };
}
