// REINFORCE's pure functions on several rows and dimensions: the score weights by hand, the policy losses against a
// closed form written here in float64 and their gradients against central finite differences of that closed form.
// Fast on purpose: `npm run mutate` runs this file against agents/reinforce.ts's loss functions. Output and scratch
// arrays reach one row past n, prefilled with sentinels (as a reused scratch holds stale values), so a loop that
// runs one row too far shows, in the outputs or in the scratch it leaves behind.
import { describe, expect, it } from 'vitest';
import {
  categoricalPolicyLoss, gaussianPolicyLoss, gaussianToAction, policyLossScratch, scoreWeights, valueLoss, type PolicyLossScratch,
} from '../../agents/reinforce.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const SENTINEL = 5;

/** Scratch for `rows` rows (more than the n used), every value stale. */
function staleScratch(rows: number, width: number): PolicyLossScratch {
  const s = policyLossScratch(rows, width);
  for (const a of Object.values(s)) a.fill(SENTINEL);
  return s;
}

/** Every scratch array past the n rows (n x width for the wide ones) still holds the sentinel. */
function expectTailsUntouched(s: PolicyLossScratch, n: number, width: number): void {
  for (const [name, a] of Object.entries(s)) {
    const from = a.length > n + 1 ? n * width : n;
    expect(Array.from(a.subarray(from)), `scratch ${name}`).toEqual(new Array(a.length - from).fill(SENTINEL));
  }
}

/** Central differences of f at x (float64), one coordinate at a time. */
function finiteDifferences(f: (x: number[]) => number, x: number[], h = 1e-5): number[] {
  return x.map((_, i) => {
    const up = x.slice(), down = x.slice();
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tol * (1 + Math.abs(expected[i]!)));
  }
}

describe('scoreWeights', () => {
  const G = f32(1, 2, 3, 6, 99);

  it('A = G - b for a scalar or a per-step baseline; nothing past n', () => {
    expect(Array.from(scoreWeights(G, 1, 4, false, f32(0, 0, 0, 0, -7)))).toEqual([0, 1, 2, 5, -7]);
    expect(Array.from(scoreWeights(G, f32(1, 1, 4, 4, 4), 4, false, f32(0, 0, 0, 0, -7)))).toEqual([0, 1, -1, 2, -7]);
  });

  it('standardised: (A - mean) / (std + 1e-8), mean and population std of the n rows only', () => {
    // A = G - [0, 1, 0, 1] = [1, 1, 3, 5]: mean 2.5, variance (2.25 + 2.25 + 0.25 + 6.25) / 4 = 2.75.
    const out = f32(0, 0, 0, 0, -7);
    expect(scoreWeights(G, f32(0, 1, 0, 1, 0), 4, true, out)).toBe(out);
    const s = Math.sqrt(2.75) + 1e-8;
    expectClose(out.subarray(0, 4), [-1.5 / s, -1.5 / s, 0.5 / s, 2.5 / s], 1e-6, 'weights');
    expect(out[4]).toBe(-7);
  });

  it('the 1e-8 keeps differences far below it small instead of scaling them to unit variance', () => {
    // A = [0, 2e-8] (float32): std 1e-8, so A - mean = -+1e-8 become -+1e-8 / (1e-8 + 1e-8) = -+0.5, not -+1.
    const g = f32(0, 2e-8);
    const half = (g[1]! - g[0]!) / 2;
    const w = scoreWeights(g, 0, 2, true, new Float32Array(2));
    expectClose(w, [-half / (half + 1e-8), half / (half + 1e-8)], 1e-6, 'weights');
  });
});

describe('categoricalPolicyLoss: closed form and finite differences', () => {
  /** L = -(1/n) sum_i w_i sum_b log p_b(a_ib) - beta (1/n) sum_i sum_b H_b, in float64. */
  function reference(logits: number[], actions: number[], w: number[], n: number, nvec: number[], beta: number): { loss: number; entropy: number } {
    const width = nvec.reduce((a, b) => a + b, 0);
    let score = 0, entropy = 0;
    for (let i = 0; i < n; i++) {
      for (let b = 0, col = 0; b < nvec.length; col += nvec[b]!, b++) {
        const row = logits.slice(i * width + col, i * width + col + nvec[b]!);
        const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
        score -= w[i]! * (row[actions[i * nvec.length + b]!]! - lse);
        for (const x of row) entropy -= Math.exp(x - lse) * (x - lse);
      }
    }
    return { loss: (score - beta * entropy) / n, entropy: entropy / n };
  }

  for (const [name, nvec, actions] of [
    ['Discrete(3)', [3], [2, 0]],
    ['MultiDiscrete([2, 3])', [2, 3], [1, 0, 0, 2]],
  ] as const) {
    for (const beta of [0, 0.3]) {
      it(`${name}, entropy coefficient ${beta}: loss, mean entropy and dL/dlogits`, () => {
        const n = 2, width = nvec.reduce((a: number, b: number) => a + b, 0);
        const logits = Array.from({ length: n * width }, (_, i) => Math.sin(1.3 * i + 0.4) * 2);
        const w = [1.5, -0.75];
        const dLogits = new Float32Array((n + 1) * width).fill(SENTINEL);
        const scratch = staleScratch(n + 1, width);
        const r = categoricalPolicyLoss(Float32Array.from(logits), Int32Array.from(actions), f32(...w), n, nvec, beta, dLogits, scratch);
        expectTailsUntouched(scratch, n, width);
        const ref = reference(logits, [...actions], w, n, [...nvec], beta);
        expect(r.loss).toBeCloseTo(ref.loss, 5);
        expect(r.entropy).toBeCloseTo(ref.entropy, 5);
        const fd = finiteDifferences((x) => reference(x, [...actions], w, n, [...nvec], beta).loss, logits);
        expectClose(dLogits.subarray(0, n * width), fd, 1e-4, 'dLogits');
        expect(Array.from(dLogits.subarray(n * width))).toEqual(new Array(width).fill(SENTINEL));
      });
    }
  }
});

describe('gaussianPolicyLoss: closed form and finite differences', () => {
  const n = 2, d = 2;
  const mean0 = [0.3, -0.4, 0.1, 0.6];
  const logStd0 = [-0.2, 0.35];
  const u0 = [1.1, -0.9, -0.5, 0.2];
  const w = [1.25, -0.5];
  const bounds = { low: f32(-1, 0), high: f32(1, 3) };

  /**
   * L(mean, logStd) = -(1/n) sum_i w_i [log N(u_i; mean_i, sigma) - logDet(u_i)] - beta (1/n) sum_i [H(N) + logDet(mean_i + sigma eps_i)],
   * with the samples u fixed in the score and eps_i = (u_i - mean0_i) / sigma0 fixed in the entropy estimate (logDet terms when squashed).
   */
  function reference(mean: number[], logStd: number[], beta: number, squash: boolean): { loss: number; entropy: number } {
    const logDet = (x: number, j: number) => (squash ? Math.log(1 - Math.tanh(x) ** 2) + Math.log((bounds.high[j]! - bounds.low[j]!) / 2) : 0);
    let score = 0, entropy = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const k = i * d + j;
        const z = (u0[k]! - mean[k]!) / Math.exp(logStd[j]!);
        score -= w[i]! * (-0.5 * z * z - logStd[j]! - HALF_LOG_2PI - logDet(u0[k]!, j));
        const eps = (u0[k]! - mean0[k]!) / Math.exp(logStd0[j]!);
        entropy += logStd[j]! + 0.5 + HALF_LOG_2PI + logDet(mean[k]! + Math.exp(logStd[j]!) * eps, j);
      }
    }
    return { loss: (score - beta * entropy) / n, entropy: entropy / n };
  }

  for (const squash of [false, true]) {
    for (const beta of [0, 0.4]) {
      it(`${squash ? 'tanh' : 'clip'} form, entropy coefficient ${beta}: loss, mean entropy, dL/dmean and dL/dlogStd (shared)`, () => {
        const dMean = new Float32Array((n + 1) * d).fill(SENTINEL);
        const dLogStd = new Float32Array(d + 1).fill(SENTINEL);
        const scratch = staleScratch(n + 1, d);
        const r = gaussianPolicyLoss(
          Float32Array.from(mean0), Float32Array.from(logStd0), Float32Array.from(u0), f32(...w), n, d, beta,
          squash ? bounds : null, dMean, dLogStd, scratch,
        );
        expectTailsUntouched(scratch, n, d);
        const ref = reference(mean0, logStd0, beta, squash);
        expect(r.loss).toBeCloseTo(ref.loss, 5);
        expect(r.entropy).toBeCloseTo(ref.entropy, 5);
        expectClose(dMean.subarray(0, n * d), finiteDifferences((m) => reference(m, logStd0, beta, squash).loss, mean0), 1e-4, 'dMean');
        expectClose(dLogStd.subarray(0, d), finiteDifferences((s) => reference(mean0, s, beta, squash).loss, logStd0), 1e-4, 'dLogStd');
        expect(Array.from(dMean.subarray(n * d))).toEqual([SENTINEL, SENTINEL]);
        expect(dLogStd[d]).toBe(SENTINEL);
      });
    }
  }
});

describe('valueLoss and gaussianToAction', () => {
  it('valueLoss: mean (V - G)^2 over n rows, gradient 2 (V - G) / n', () => {
    const d = f32(SENTINEL, SENTINEL, SENTINEL);
    expect(valueLoss(f32(1, 4, 100), f32(2, 2, 0), 2, d)).toBeCloseTo((1 + 4) / 2, 6);
    expect(Array.from(d)).toEqual([-1, 2, SENTINEL]);
  });

  it('clip form: each dimension clipped to its own bounds; nothing past n rows', () => {
    const b = { low: f32(-1, 0), high: f32(1, 4) };
    // Rows (3, -2), (-3, 5), (0.5, 2.5): above, below and inside each bound.
    const out = gaussianToAction(f32(3, -2, -3, 5, 0.5, 2.5, 9, 9), 3, 2, b, false, new Float32Array(8).fill(SENTINEL));
    expect(Array.from(out)).toEqual([1, 0, -1, 4, 0.5, 2.5, SENTINEL, SENTINEL]);
  });

  it('tanh form: low + (tanh(u) + 1) (high - low) / 2 per dimension', () => {
    const b = { low: f32(-1, 0), high: f32(1, 4) };
    const out = gaussianToAction(f32(0.3, -0.5), 1, 2, b, true, new Float32Array(2));
    expectClose(out, [Math.tanh(0.3), 2 + 2 * Math.tanh(-0.5)], 1e-6, 'actions');
  });
});
