/**
 * The Bernoulli RBM's log partition function log Z = log sum_{v, h} exp(-E(v, h)), which its log-likelihood
 * log p(v) = -F(v) - log Z needs: exact by enumerating the smaller layer's 2^units states when that layer has at most
 * `EXACT_MAX_UNITS` units, else estimated by annealed importance sampling (Salakhutdinov and Murray 2008) from the
 * base-rate model, whose visible biases are the data's log-odds and whose weights are zero.
 */
import { Rng } from '../core/rng.js';
import { gemm, sigmoid, softplus, type RbmParams } from './rbm-energy.js';

/** A log-partition value and how it was obtained. */
export interface LogPartition {
  logZ: number;
  method: 'exact' | 'ais';
}

/** Enumerate exactly when the smaller layer has at most this many units. */
export const EXACT_MAX_UNITS = 20;

/** Whether `exactLogZ` can enumerate an RBM of these layer sizes: its smaller layer has at most EXACT_MAX_UNITS units. */
export function enumerable(visible: number, hidden: number): boolean {
  return Math.min(visible, hidden) <= EXACT_MAX_UNITS;
}

/**
 * Exact log Z in nats: log sum over the smaller layer's 2^units states of exp(its bias term + sum over the other
 * layer's units of softplus(their input)), visited in Gray-code order so one column of W changes per state.
 */
export function exactLogZ(p: RbmParams): number {
  const { visible: nv, hidden: nh } = p;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: enumerating either layer gives the same log Z; this only picks the cheaper one.
  const overHidden = nh <= nv;
  const [units, other] = overHidden ? [nh, nv] : [nv, nh];
  // Enumerated layer's biases, the other layer's biases, and W's entry (enumerated unit u, other unit o).
  const eb = overHidden ? p.c : p.b;
  const ob = overHidden ? p.b : p.c;
  const w = (u: number, o: number) => (overHidden ? p.W[o * nh + u]! : p.W[u * nh + o]!);
  const a = Float64Array.from(ob);
  const state = new Uint8Array(units);
  let linear = 0;
  let max = -Infinity;
  let sum = 0;
  const total = 2 ** units;
  for (let s = 0; s < total; s++) {
    if (s > 0) {
      const u = 31 - Math.clz32(s & -s); // the bit that flips between Gray codes s-1 and s
      const sign = state[u] ? -1 : 1;
      state[u] = state[u] ? 0 : 1;
      linear += sign * eb[u]!;
      // Stryker disable next-line EqualityOperator: an extra o = other writes past `a`, which typed arrays ignore.
      for (let o = 0; o < other; o++) a[o] = a[o]! + sign * w(u, o);
    }
    let t = linear;
    for (let o = 0; o < other; o++) t += softplus(a[o]!);
    // Streaming log-sum-exp: `sum` is kept relative to the largest term so far.
    // Stryker disable next-line EqualityOperator: for t equal to max both branches add exp(0) = 1.
    if (t > max) {
      sum = sum * Math.exp(max - t) + 1;
      max = t;
    } else sum += Math.exp(t - max);
  }
  return max + Math.log(sum);
}

/**
 * AIS estimate of log Z in nats: `runs` chains start from the base-rate model A and pass through the `steps`
 * distributions p*_beta(v) = exp((1 - beta) bA.v + beta b.v) prod_j (1 + exp(beta x_j)), x = c + v W, of
 * `aisSchedule`, each moved by one Gibbs sweep at its temperature; log Z = log Z_A + log mean_r exp(log w_r).
 */
export function aisLogZ(p: RbmParams, runs: number, steps: number, seed: number): number {
  const { visible: nv, hidden: nh } = p;
  const rng = new Rng(seed);
  const betas = aisSchedule(steps);
  const v = new Float32Array(runs * nv), x = new Float32Array(runs * nh), h = new Float32Array(runs * nh), pv = new Float32Array(runs * nv);
  // Stryker disable next-line EqualityOperator: <= past the end writes past v (ignored); < vs <= of a draw differs with probability about 2^-32.
  for (let i = 0; i < runs * nv; i++) v[i] = rng.float() < sigmoid(p.baseBias[i % nv]!) ? 1 : 0;
  const logw = new Float64Array(runs);
  // Stryker disable next-line EqualityOperator: the loop always leaves by the break below, at k = betas.length - 1.
  for (let k = 1; k < betas.length; k++) {
    const b0 = betas[k - 1]!, b1 = betas[k]!;
    gemm(v, nv, 1, p.W, p.c, x, runs, nv, nh);
    // Stryker disable next-line EqualityOperator: an extra r = runs only writes past logw, which typed arrays ignore.
    for (let r = 0; r < runs; r++) {
      // log p*_k(v) - log p*_{k-1}(v).
      let d = 0;
      for (let i = 0; i < nv; i++) if (v[r * nv + i]! !== 0) d += (b1 - b0) * (p.b[i]! - p.baseBias[i]!);
      for (let j = 0; j < nh; j++) d += softplus(b1 * x[r * nh + j]!) - softplus(b0 * x[r * nh + j]!);
      logw[r] = logw[r]! + d;
    }
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: without the break one more sweep runs after the last weights and changes nothing returned.
    if (k + 1 === betas.length) break;
    // One Gibbs sweep v -> h -> v that leaves p*_{beta_k} invariant.
    // Stryker disable next-line EqualityOperator: <= past the end writes past h (ignored); < vs <= of a draw differs with probability about 2^-32.
    for (let i = 0; i < runs * nh; i++) h[i] = rng.float() < sigmoid(b1 * x[i]!) ? 1 : 0;
    gemm(h, nh, 1, p.WT, null, pv, runs, nh, nv);
    // Stryker disable next-line EqualityOperator: an extra i = runs nv only writes past v, which typed arrays ignore.
    for (let i = 0; i < runs * nv; i++) {
      const bi = i % nv;
      // Stryker disable next-line EqualityOperator: < and <= differ only when a uniform draw equals the probability exactly (about 2^-32).
      v[i] = rng.float() < sigmoid((1 - b1) * p.baseBias[bi]! + b1 * (p.b[bi]! + pv[i]!)) ? 1 : 0;
    }
  }
  // The base model: hidden units independent of v (W = 0, c = 0), so Z_A = 2^hidden prod_i (1 + exp(bA_i)).
  let logZA = nh * Math.LN2;
  for (let i = 0; i < nv; i++) logZA += softplus(p.baseBias[i]!);
  const m = Math.max(...logw);
  let s = 0;
  for (let r = 0; r < runs; r++) s += Math.exp(logw[r]! - m);
  return logZA + m + Math.log(s / runs);
}

/** AIS inverse temperatures 0 = beta_0 < ... < beta_K = 1: a tenth of the steps to 0.5, three tenths to 0.9, the rest to 1 (Salakhutdinov and Murray's proportions). */
export function aisSchedule(steps: number): Float64Array {
  const k1 = Math.max(1, Math.round(steps * 0.1)), k2 = Math.max(1, Math.round(steps * 0.3)), k3 = Math.max(1, steps - k1 - k2);
  const betas = new Float64Array(k1 + k2 + k3 + 1);
  let i = 0;
  for (let s = 0; s < k1; s++) betas[i++] = (0.5 * s) / k1;
  for (let s = 0; s < k2; s++) betas[i++] = 0.5 + (0.4 * s) / k2;
  for (let s = 0; s <= k3; s++) betas[i++] = 0.9 + (0.1 * s) / k3;
  return betas;
}
