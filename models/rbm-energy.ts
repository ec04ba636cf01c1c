/**
 * The Bernoulli-Bernoulli RBM's energy E(v, h) = -b.v - c.h - v W h, read from its parameters: the conditionals
 * p(h = 1 | v) = sigmoid(c + v W) and p(v = 1 | h) = sigmoid(b + W h), and the free energy
 * F(v) = -log sum_h exp(-E(v, h)) = -b.v - sum_j softplus(c_j + (v W)_j). Everything runs on one matrix product:
 * the plain engine's WebAssembly SIMD kernel where it loads, else JS loops.
 */
import type { Rng } from '../core/rng.js';
import { simdGemm } from '../nn/kernels/simd.js';

/** An RBM's parameters as its energy and log Z read them. */
export interface RbmParams {
  visible: number;
  hidden: number;
  /** Weights [visible, hidden], row-major. */
  W: Float32Array;
  /** W's transpose [hidden, visible], kept in step with W. */
  WT: Float32Array;
  /** Visible biases (visible). */
  b: Float32Array;
  /** Hidden biases (hidden). */
  c: Float32Array;
  /** The AIS base model's visible biases (visible): the training data's log-odds. */
  baseBias: Float32Array;
}

/** 1 / (1 + e^-z). */
export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** log(1 + e^z): z itself above 30 and e^z below -30, where the difference is below float64's resolution. */
// Stryker disable next-line EqualityOperator: at exactly +-30 both sides agree to float64 rounding (log1p(e^30) - 30 = 9e-14 of 30; e^-30 and log1p(e^-30) differ by 4e-27).
export const softplus = (z: number): number => (z > 30 ? z : z < -30 ? Math.exp(z) : Math.log1p(Math.exp(z)));

/** out (rows x cols) = A b (+ bias), A(i, k) = a[i saI + k saK], b [inner, cols] row-major: JS loops. */
export function gemmLoops(a: Float32Array, saI: number, saK: number, b: Float32Array, bias: Float32Array | null, out: Float32Array, rows: number, inner: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) out[i * cols + c] = bias ? bias[c]! : 0;
    for (let k = 0; k < inner; k++) {
      const av = a[i * saI + k * saK]!;
      // Binary units are mostly 0 on frames: skipping them is the loops' main saving.
      // Stryker disable next-line ConditionalExpression: not skipping a zero adds 0 times the row, the same result.
      if (av === 0) continue;
      for (let c = 0; c < cols; c++) out[i * cols + c] = out[i * cols + c]! + av * b[k * cols + c]!;
    }
  }
}

/** out (rows x cols) = A b (+ bias) as `gemmLoops` defines it: the SIMD kernel where it loads, else the loops. */
export function gemm(a: Float32Array, saI: number, saK: number, b: Float32Array, bias: Float32Array | null, out: Float32Array, rows: number, inner: number, cols: number): void {
  const simd = simdGemm();
  // Stryker disable next-line ConditionalExpression: the kernel loads wherever the tests run (gemmLoops is tested on its own).
  if (simd) simd(a, saI, saK, b, bias, out, rows, inner, cols, false, false);
  else gemmLoops(a, saI, saK, b, bias, out, rows, inner, cols);
}

/** p(h = 1 | v) for n rows of v (n x visible), into out (n x hidden). */
export function hiddenProbs(p: RbmParams, v: Float32Array, n: number, out: Float32Array): Float32Array {
  gemm(v, p.visible, 1, p.W, p.c, out, n, p.visible, p.hidden);
  for (let i = 0; i < n * p.hidden; i++) out[i] = sigmoid(out[i]!);
  return out;
}

/** p(v = 1 | h) for n rows of h (n x hidden), into out (n x visible). */
export function visibleProbs(p: RbmParams, h: Float32Array, n: number, out: Float32Array): Float32Array {
  gemm(h, p.hidden, 1, p.WT, p.b, out, n, p.hidden, p.visible);
  for (let i = 0; i < n * p.visible; i++) out[i] = sigmoid(out[i]!);
  return out;
}

/** F(v) = -b.v - sum_j softplus(c_j + (v W)_j) in nats for n rows of v (n x visible), into `out` (n values). */
export function freeEnergy(p: RbmParams, v: Float32Array, n: number, out: Float32Array): Float32Array {
  const { visible: nv, hidden: nh } = p;
  const pre = new Float32Array(n * nh);
  gemm(v, nv, 1, p.W, p.c, pre, n, nv, nh);
  for (let r = 0; r < n; r++) {
    let f = 0;
    for (let i = 0; i < nv; i++) f -= p.b[i]! * v[r * nv + i]!;
    for (let j = 0; j < nh; j++) f -= softplus(pre[r * nh + j]!);
    out[r] = f;
  }
  return out;
}

/** out[i] ~ Bernoulli(probs[i]) for the first `len` values, from `rng`. */
export function bernoulli(probs: Float32Array, out: Float32Array, len: number, rng: Rng): void {
  // Stryker disable next-line EqualityOperator: < and <= differ only when a uniform draw equals p exactly (probability about 2^-32).
  for (let i = 0; i < len; i++) out[i] = rng.float() < probs[i]! ? 1 : 0;
}
