/**
 * The VAE's math, apart from its networks: the terms of the ELBO in closed form with their gradients (the KL of a
 * diagonal Gaussian from N(0, I), and the Bernoulli and Gaussian decoder log-likelihoods), and the per-row bounds on
 * log p(x) that `Vae.evaluate` reports: the ELBO and the importance-weighted bound of Burda et al.,
 * log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x), which tightens towards log p(x) as K grows.
 */
import type { Rng } from '../core/rng.js';

/** log(2 pi) / 2. */
const HALF_LOG_2PI = 0.9189385332046727;
/** The Gaussian decoder's log-std is softplus-bounded below by this (std >= 0.007): an unbounded one can collapse onto a row. */
export const MIN_LOG_STD = -5;
/** The encoder's log-variance is clamped here (zero gradient outside) so that exp() never overflows. */
export const LOGVAR_LIMIT = 12;

/** Per-row evaluation of held-out data: the ELBO and the importance-weighted bound, both in nats (<= log p(x)). */
export interface VaeEvaluation {
  /** n ELBOs (closed-form KL, reconstruction averaged over the K draws). */
  elbo: Float64Array;
  /** n importance-weighted bounds with K samples. */
  iw: Float64Array;
}

/** log(1 + e^u), without overflow. */
export function softplus(u: number): number {
  return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
}

/** 1 / (1 + e^-u); far below 0, e^-u overflows to Infinity and the result is 0, as it should be. */
export function sigmoid(u: number): number {
  return 1 / (1 + Math.exp(-u));
}

/** The encoder's log-variance clamped into [-LOGVAR_LIMIT, LOGVAR_LIMIT]. */
export function clampLogVar(v: number): number {
  return Math.max(-LOGVAR_LIMIT, Math.min(LOGVAR_LIMIT, v));
}

/** The Gaussian decoder's log-std from its raw output: MIN_LOG_STD + softplus(raw - MIN_LOG_STD), so never below MIN_LOG_STD. */
export function decoderLogStd(raw: number): number {
  return MIN_LOG_STD + softplus(raw - MIN_LOG_STD);
}

/**
 * Sum over n rows of KL(N(mu, diag exp(logVar)) || N(0, I)) = 0.5 sum_j (mu^2 + exp(logVar) - 1 - logVar); mu and
 * logVar are n x d. With dMu/dLogVar (n x d), writes scale times the gradient of that sum: scale mu, scale (exp(logVar) - 1) / 2.
 */
export function gaussianKl(mu: Float32Array, logVar: Float32Array, n: number, d: number, dMu?: Float32Array, dLogVar?: Float32Array, scale = 1): number {
  let sum = 0;
  for (let k = 0; k < n * d; k++) {
    const m = mu[k]!;
    const lv = logVar[k]!;
    const v = Math.exp(lv);
    sum += 0.5 * (m * m + v - 1 - lv);
    if (dMu) dMu[k] = scale * m;
    if (dLogVar) dLogVar[k] = scale * 0.5 * (v - 1);
  }
  return sum;
}

/**
 * Sum over n rows of log Bernoulli(x | sigmoid(logits)) = x l - softplus(l), logits and x n x d (x in [0, 1]);
 * `rowOut` gets each row's value. With dLogits, writes scale times the gradient: scale (x - sigmoid(l)).
 */
export function bernoulliLogLik(logits: Float32Array, x: Float32Array, n: number, d: number, rowOut?: Float64Array, dLogits?: Float32Array, scale = 1): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const l = logits[k]!;
      const e = Math.exp(-Math.abs(l));
      row += x[k]! * l - (Math.max(l, 0) + Math.log1p(e));
      if (dLogits) dLogits[k] = scale * (x[k]! - sigmoid(l));
    }
    if (rowOut) rowOut[i] = row;
    sum += row;
  }
  return sum;
}

/**
 * Sum over n rows of log N(x | mean, std^2), params n x 2d ([mean (d), raw log-std (d)] per row), log-std =
 * `decoderLogStd(raw)`; `rowOut` gets each row's value. With dParams (n x 2d), writes scale times the gradient with
 * respect to mean and raw.
 */
export function gaussianLogLik(params: Float32Array, x: Float32Array, n: number, d: number, rowOut?: Float64Array, dParams?: Float32Array, scale = 1): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) {
      const pm = i * 2 * d + j;
      const u = params[pm + d]! - MIN_LOG_STD;
      const ls = MIN_LOG_STD + softplus(u);
      const invVar = Math.exp(-2 * ls);
      const e = x[i * d + j]! - params[pm]!;
      const z2 = e * e * invVar;
      row += -0.5 * z2 - ls - HALF_LOG_2PI;
      if (dParams) {
        dParams[pm] = scale * e * invVar;
        // d/d ls = z2 - 1; d ls / d raw = sigmoid(u).
        dParams[pm + d] = scale * (z2 - 1) * sigmoid(u);
      }
    }
    if (rowOut) rowOut[i] = row;
    sum += row;
  }
  return sum;
}

/** The shapes `vaeBounds` works on. */
export interface BoundShape {
  /** Floats per data row. */
  dim: number;
  /** Latent dimensions L. */
  latent: number;
  likelihood: 'bernoulli' | 'gaussian';
  /** Draws K of z per row. */
  samples: number;
}

/**
 * Per-row ELBO and importance-weighted bound (nats) of n rows x (n x dim), from the encoder's outputs `enc`
 * (n x 2L: mu, raw log-variance) and `decode` (K x L latents to the decoder's K output rows). Draws K x L standard
 * normals per row from `rng`, in row, draw, latent order.
 */
export function vaeBounds(
  enc: Float32Array, x: Float32Array, n: number, shape: BoundShape, decode: (z: Float32Array, rows: number) => Float32Array, rng: Rng,
): VaeEvaluation {
  const { dim, latent: L, likelihood, samples: K } = shape;
  const elbo = new Float64Array(n);
  const iw = new Float64Array(n);
  const z = new Float32Array(K * L);
  const xs = new Float32Array(K * dim);
  const rowLl = new Float64Array(K);
  const logRatio = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let kl = 0;
    for (let j = 0; j < L; j++) {
      const m = enc[i * 2 * L + j]!;
      const lv = clampLogVar(enc[i * 2 * L + L + j]!);
      kl += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
    }
    // log q(z|x) - log p(z) per draw, from the same noise that makes z (the 2 pi terms cancel).
    for (let s = 0; s < K; s++) {
      let r = 0;
      for (let j = 0; j < L; j++) {
        const m = enc[i * 2 * L + j]!;
        const lv = clampLogVar(enc[i * 2 * L + L + j]!);
        const e = rng.normal();
        const zz = m + Math.exp(0.5 * lv) * e;
        z[s * L + j] = zz;
        r += -0.5 * e * e - 0.5 * lv + 0.5 * zz * zz;
      }
      logRatio[s] = r;
      xs.set(x.subarray(i * dim, (i + 1) * dim), s * dim);
    }
    const out = decode(z, K);
    if (likelihood === 'bernoulli') bernoulliLogLik(out, xs, K, dim, rowLl);
    else gaussianLogLik(out, xs, K, dim, rowLl);
    // The reconstruction term averaged over the draws; log w_k = log p(x|z_k) - (log q(z_k|x) - log p(z_k)).
    let mean = 0;
    let max = -Infinity;
    for (let s = 0; s < K; s++) {
      mean += rowLl[s]! / K;
      rowLl[s] = rowLl[s]! - logRatio[s]!;
      max = Math.max(max, rowLl[s]!);
    }
    let acc = 0;
    for (let s = 0; s < K; s++) acc += Math.exp(rowLl[s]! - max);
    elbo[i] = mean - kl;
    iw[i] = max + Math.log(acc / K);
  }
  return { elbo, iw };
}
