import { describe, expect, it } from 'vitest';
import { InvalidAction, InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import {
  categoricalEntropy, categoricalLogProb, duelingBackward, duelingCombine, gaussianEntropy, gaussianLogProb, logSoftmax,
  multiCategoricalEntropy, multiCategoricalLogProb, sampleCategorical, sampleGaussian, sampleMultiCategorical, tanhSquash,
  tanhSquashBackward,
} from '../../nn/heads.js';
import { numericGrad, randomArray } from './fixtures.js';

const f32 = (...v: number[]) => new Float32Array(v);
const expectArray = (a: ArrayLike<number>, b: readonly number[], digits = 6) => {
  expect(a.length).toBeGreaterThanOrEqual(b.length);
  b.forEach((v, i) => expect(a[i], `[${i}]`).toBeCloseTo(v, digits));
};
/** Checks analytic gradient entries against central differences of the scalar f w.r.t. x. */
const expectGrad = (analytic: Float32Array, f: () => number, x: Float32Array, label: string, count = x.length) => {
  for (let i = 0; i < count; i++) expect(analytic[i], `${label}[${i}]`).toBeCloseTo(numericGrad(f, x, i), 3);
};
const sum = (a: Float32Array, w?: Float32Array) => a.reduce((s, v, i) => s + v * (w ? w[i]! : 1), 0);

describe('categorical', () => {
  it('logSoftmax of [0, ln 3] is [ln 1/4, ln 3/4], stable at large logits, and works in place', () => {
    const logits = f32(0, Math.log(3), 1000, 1000);
    const out = new Float32Array(4);
    logSoftmax(logits, 2, 2, out);
    expectArray(out, [Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)]);
    logSoftmax(logits, 2, 2, logits);
    expectArray(logits, [Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)]);
  });

  it('log-probability of the taken action and its gradient, hand-computed', () => {
    // p = [1/8, 2/8, 5/8]; action 2; upstream gradient 2: 2 ([0, 0, 1] - p).
    const logits = f32(0, Math.log(2), Math.log(5), 3, 0, 0);
    const lp = new Float32Array(2);
    const dLogits = new Float32Array(6);
    categoricalLogProb(logits, new Int32Array([2, 0]), 2, 3, lp, dLogits, f32(2, 0));
    const e3 = Math.exp(3);
    expectArray(lp, [Math.log(5 / 8), Math.log(e3 / (e3 + 2))]);
    expectArray(dLogits, [-0.25, -0.5, 0.75, 0, 0, 0]);
    // Without dLogProb the upstream gradient is 1.
    categoricalLogProb(logits, new Int32Array([2, 1]), 2, 3, lp, dLogits);
    expectArray(dLogits, [-1 / 8, -2 / 8, 3 / 8, -e3 / (e3 + 2), 1 - 1 / (e3 + 2), -1 / (e3 + 2)]);
  });

  it('log-probability gradient matches finite differences', () => {
    const logits = randomArray(12, -2, 2, 1);
    const actions = new Int32Array([3, 0, 2]);
    const w = f32(0.5, -1, 2);
    const lp = new Float32Array(3);
    const d = new Float32Array(12);
    categoricalLogProb(logits, actions, 3, 4, lp, d, w);
    expectGrad(d, () => (categoricalLogProb(logits, actions, 3, 4, lp), sum(lp, w)), logits, 'dLogits');
  });

  it('entropy: hand values, masked logits, and gradient by finite differences', () => {
    const out = new Float32Array(3);
    categoricalEntropy(f32(0, Math.log(3), 0.7, 0.7, -Infinity, 5), 3, 2, out);
    expectArray(out, [-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), Math.LN2, 0]);
    const masked = new Float32Array(3);
    const dMasked = new Float32Array(3);
    categoricalEntropy(f32(-Infinity, 1, 1), 1, 3, masked, dMasked);
    expectArray(masked, [Math.LN2]);
    expectArray(dMasked, [0, 0, 0]);
    const logits = randomArray(12, -2, 2, 2);
    const w = f32(1, -0.5, 3);
    const h = new Float32Array(3);
    const d = new Float32Array(12);
    categoricalEntropy(logits, 3, 4, h, d, w);
    expectGrad(d, () => (categoricalEntropy(logits, 3, 4, h), sum(h, w)), logits, 'dLogits');
    categoricalEntropy(logits, 3, 4, h, d);
    expectGrad(d, () => (categoricalEntropy(logits, 3, 4, h), sum(h)), logits, 'dLogits (unit upstream)');
  });

  it('samples by the inverse CDF of one uniform draw per row', () => {
    // p = [0.25, 0.75]: u < 0.25 picks 0, else 1; a masked action is never drawn.
    const rng = new Rng(3);
    const twin = Rng.fromState(rng.getState());
    const out = new Int32Array(200);
    const logits = new Float32Array(400);
    for (let i = 0; i < 200; i++) logits.set([0, Math.log(3)], 2 * i);
    sampleCategorical(logits, 200, 2, rng, out);
    for (let i = 0; i < 200; i++) expect(out[i], `row ${i}`).toBe(twin.float() < 0.25 ? 0 : 1);
    const masked = new Int32Array(500);
    sampleCategorical(new Float32Array(1500).map((_, i) => (i % 3 === 1 ? -Infinity : 0)), 500, 3, new Rng(4), masked);
    expect(masked.includes(1)).toBe(false);
    expect(masked.includes(0) && masked.includes(2)).toBe(true);
  });

  it('sample frequencies follow the softmax', () => {
    const n = 20000;
    const logits = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) logits.set([0, Math.log(2), Math.log(5)], 3 * i);
    const out = sampleCategorical(logits, n, 3, new Rng(5), new Int32Array(n));
    const freq = [0, 1, 2].map((a) => out.filter((x) => x === a).length / n);
    // Binomial std at n = 20000 is below 0.0035: 0.015 is over four of them.
    freq.forEach((f, a) => expect(Math.abs(f - [1 / 8, 2 / 8, 5 / 8][a]!)).toBeLessThan(0.015));
  });

  it('MultiDiscrete is the sum of independent blocks', () => {
    const nvec = [2, 3];
    const logits = randomArray(10, -2, 2, 6);
    const actions = new Int32Array([1, 2, 0, 0]);
    const lp = new Float32Array(2);
    const d = new Float32Array(10);
    const w = f32(1.5, -0.5);
    multiCategoricalLogProb(logits, actions, 2, nvec, lp, d, w);
    for (let i = 0; i < 2; i++) {
      const a = logits.subarray(5 * i, 5 * i + 2);
      const b = logits.subarray(5 * i + 2, 5 * i + 5);
      const la = Math.log(Math.exp(a[actions[2 * i]!]!) / sum(a.map(Math.exp)));
      const lb = Math.log(Math.exp(b[actions[2 * i + 1]!]!) / sum(b.map(Math.exp)));
      expect(lp[i]).toBeCloseTo(la + lb, 5);
    }
    expectGrad(d, () => (multiCategoricalLogProb(logits, actions, 2, nvec, lp), sum(lp, w)), logits, 'dLogits');
    const h = new Float32Array(2);
    const dh = new Float32Array(10);
    multiCategoricalEntropy(logits, 2, nvec, h, dh, w);
    const hBlock = new Float32Array(1);
    for (let i = 0; i < 2; i++) {
      categoricalEntropy(logits.slice(5 * i, 5 * i + 2), 1, 2, hBlock);
      const ha = hBlock[0]!;
      categoricalEntropy(logits.slice(5 * i + 2, 5 * i + 5), 1, 3, hBlock);
      expect(h[i]).toBeCloseTo(ha + hBlock[0]!, 5);
    }
    expectGrad(dh, () => (multiCategoricalEntropy(logits, 2, nvec, h), sum(h, w)), logits, 'dLogits');
  });

  it('MultiDiscrete sampling draws each block from its own logits', () => {
    // Block 0 always picks 1, block 1 always picks 2 (the others are masked).
    const out = new Int32Array(6);
    sampleMultiCategorical(f32(-Infinity, 0, -Infinity, -Infinity, 0, -Infinity, 0, -Infinity, -Infinity, 0), 2, [2, 3], new Rng(7), out);
    expect([...out.subarray(0, 4)]).toEqual([1, 2, 1, 2]);
    expect([...out.subarray(4)]).toEqual([0, 0]);
  });

  it('rejects actions outside [0, k) and bad shapes', () => {
    const lp = new Float32Array(1);
    expect(() => categoricalLogProb(f32(0, 0), new Int32Array([2]), 1, 2, lp)).toThrow(InvalidAction);
    expect(() => categoricalLogProb(f32(0, 0), new Int32Array([-1]), 1, 2, lp)).toThrow('Expected actions[0] to be an integer in [0, 2), got -1.');
    expect(() => multiCategoricalLogProb(f32(0, 0, 0, 0, 0), new Int32Array([0, 3]), 1, [2, 3], lp)).toThrow('Expected actions[1] to be an integer in [0, 3), got 3.');
    expect(() => multiCategoricalLogProb(f32(0, 0, 0, 0), new Int32Array([0, 0]), 1, [2, 3], lp)).toThrow('Expected logits to be a Float32Array of at least 5 values, got 4.');
    expect(() => multiCategoricalEntropy(f32(0), 1, [], lp)).toThrow('Expected nvec to be a non-empty array of integers >= 1, got [].');
    expect(() => sampleMultiCategorical(f32(0, 0), 1, [2, 0], new Rng(0), new Int32Array(2))).toThrow('Expected nvec[1] to be an integer >= 1, got 0.');
    expect(() => logSoftmax(f32(0, 0), 1, 0, f32(0, 0))).toThrow('Expected k to be an integer >= 1, got 0.');
    expect(() => categoricalEntropy(f32(0, 0), 1, 2, lp, new Float32Array(1))).toThrow('Expected dLogits to be a Float32Array of at least 2 values, got 1.');
    expect(() => sampleCategorical(f32(0, 0), 1, 2, new Rng(0), new Int32Array(0))).toThrow('Expected out to be a Int32Array of at least 1 values, got 0.');
    expect(() => categoricalLogProb(f32(0, 0), f32(0) as never, 1, 2, lp)).toThrow(InvalidConfig);
  });
});

describe('diagonal Gaussian', () => {
  const density = (x: number, mu: number, s: number) => Math.exp(-((x - mu) ** 2) / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI));

  it('log-density at known points, per-row and shared log-std', () => {
    const out = new Float32Array(2);
    // Row 0: x = mu (peak) in both dims; row 1: one and two standard deviations out.
    gaussianLogProb(f32(0, 1, 0, 0), f32(0, Math.LN2, 0, Math.LN2), f32(0, 1, 1, 4), 2, 2, out);
    expectArray(out, [Math.log(density(0, 0, 1) * density(1, 1, 2)), Math.log(density(1, 0, 1) * density(4, 0, 2))]);
    gaussianLogProb(f32(0, 1, 0, 0), f32(0, Math.LN2), f32(0, 1, 1, 4), 2, 2, out, { sharedLogStd: true });
    expectArray(out, [Math.log(density(0, 0, 1) * density(1, 1, 2)), Math.log(density(1, 0, 1) * density(4, 0, 2))]);
  });

  for (const shared of [false, true]) {
    it(`log-density gradients match finite differences (${shared ? 'shared' : 'per-row'} log-std)`, () => {
      const n = 3;
      const d = 2;
      const mean = randomArray(n * d, -1, 1, 10);
      const x = randomArray(n * d, -2, 2, 11);
      const logStd = randomArray(shared ? d : n * d, -0.5, 0.5, 12);
      const w = f32(1, -2, 0.5);
      const dMean = new Float32Array(n * d);
      const dX = new Float32Array(n * d);
      const dLogStd = new Float32Array(logStd.length).fill(7);
      const out = new Float32Array(n);
      gaussianLogProb(mean, logStd, x, n, d, out, { sharedLogStd: shared, dLogProb: w, dMean, dLogStd, dX });
      const f = () => (gaussianLogProb(mean, logStd, x, n, d, out, { sharedLogStd: shared }), sum(out, w));
      expectGrad(dMean, f, mean, 'dMean');
      expectGrad(dX, f, x, 'dX');
      expectGrad(dLogStd, f, logStd, 'dLogStd');
      gaussianLogProb(mean, logStd, x, n, d, out, { sharedLogStd: shared, dMean });
      expectGrad(dMean, () => (gaussianLogProb(mean, logStd, x, n, d, out, { sharedLogStd: shared }), sum(out)), mean, 'dMean (unit upstream)');
    });
  }

  it('entropy: 0.5 (1 + log 2 pi) + log sigma per dimension, gradient dEntropy (summed when shared)', () => {
    const out = new Float32Array(2);
    const dLogStd = new Float32Array(4);
    gaussianEntropy(f32(0, 0, Math.LN2, -1), 2, 2, out, { dEntropy: f32(2, 3), dLogStd });
    const h0 = 0.5 * (1 + Math.log(2 * Math.PI));
    expectArray(out, [2 * h0, 2 * h0 + Math.LN2 - 1]);
    expectArray(dLogStd, [2, 2, 3, 3]);
    const dShared = f32(9, 9);
    gaussianEntropy(f32(0, Math.LN2), 2, 2, out, { sharedLogStd: true, dEntropy: f32(2, 3), dLogStd: dShared });
    expectArray(out, [2 * h0 + Math.LN2, 2 * h0 + Math.LN2]);
    expectArray(dShared, [5, 5]);
    gaussianEntropy(f32(0, Math.LN2), 1, 2, out, { dLogStd: dShared });
    expectArray(dShared, [1, 1]);
  });

  it('samples mean + sigma eps, reports eps, and has the right moments', () => {
    const rng = new Rng(8);
    const twin = Rng.fromState(rng.getState());
    const out = new Float32Array(4);
    const noise = new Float32Array(4);
    sampleGaussian(f32(1, -1, 0, 0), f32(0, Math.LN2), 2, 2, rng, out, { sharedLogStd: true, noiseOut: noise });
    const eps = [twin.normal(), twin.normal(), twin.normal(), twin.normal()];
    expectArray(noise, eps);
    expectArray(out, [1 + eps[0]!, -1 + 2 * eps[1]!, eps[2]!, 2 * eps[3]!], 5);
    const n = 20000;
    const big = sampleGaussian(new Float32Array(n).fill(3), new Float32Array(n).fill(Math.log(0.5)), n, 1, new Rng(9), new Float32Array(n));
    const m = sum(big) / n;
    const sd = Math.sqrt(big.reduce((s, v) => s + (v - m) ** 2, 0) / n);
    expect(Math.abs(m - 3)).toBeLessThan(0.02);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.02);
  });

  it('rejects a short log-std for its layout', () => {
    const out = new Float32Array(2);
    expect(() => gaussianLogProb(f32(0, 0), f32(0), f32(0, 0), 1, 2, out)).toThrow('Expected logStd to be a Float32Array of at least 2 values, got 1.');
    expect(() => gaussianLogProb(f32(0, 0, 0, 0), f32(0, 0), f32(0, 0, 0, 0), 2, 2, out)).toThrow('Expected logStd to be a Float32Array of at least 4 values, got 2.');
    expect(() => gaussianEntropy(f32(0, 0), 2, 2, out)).toThrow(InvalidConfig);
    expect(() => sampleGaussian(f32(0), f32(0), 1, 1, new Rng(0), f32(0), { noiseOut: new Float32Array(0) })).toThrow('Expected noiseOut');
  });
});

describe('tanh squashing', () => {
  it('maps to tanh(u), or to [low, high] with bounds', () => {
    const out = new Float32Array(3);
    tanhSquash(f32(0, 0.5, -30), 1, 3, out);
    expectArray(out, [0, Math.tanh(0.5), -1]);
    tanhSquash(f32(0, 0.5, -30), 1, 3, out, { low: f32(-2, 0, 10), high: f32(2, 1, 20) });
    expectArray(out, [0, (Math.tanh(0.5) + 1) / 2, 10], 5);
  });

  it('the log-det equals the log of the numerical Jacobian, and stays finite for large |u|', () => {
    const u = f32(0.3, -1.2, 2, 0.05);
    const low = f32(-1, 0);
    const high = f32(3, 0.5);
    for (const bounds of [{}, { low, high }]) {
      const logDet = new Float32Array(2);
      tanhSquash(u, 2, 2, new Float32Array(4), { ...bounds, logDetOut: logDet });
      for (let i = 0; i < 2; i++) {
        let expected = 0;
        for (let j = 0; j < 2; j++) {
          // The map is elementwise, so the Jacobian is diagonal: each entry by a central difference in float64.
          const h = 1e-5;
          const f = (x: number) => (bounds.low ? low[j]! + (Math.tanh(x) + 1) * 0.5 * (high[j]! - low[j]!) : Math.tanh(x));
          expected += Math.log((f(u[2 * i + j]! + h) - f(u[2 * i + j]! - h)) / (2 * h));
        }
        expect(logDet[i], `row ${i}`).toBeCloseTo(expected, 5);
      }
    }
    const far = new Float32Array(2);
    tanhSquash(f32(20, -40), 1, 2, new Float32Array(2), { logDetOut: far });
    // log(1 - tanh(u)^2) ~ 2 log 2 - 2 |u| where 1 - tanh^2 underflows to 0 in float64.
    expect(far[0]).toBeCloseTo(2 * Math.LN2 - 40 + 2 * Math.LN2 - 80, 5);
  });

  it('backward matches finite differences of the action and log-det together', () => {
    const n = 2;
    const d = 3;
    const u = randomArray(n * d, -2, 2, 13);
    const low = f32(-1, 0, -5);
    const high = f32(1, 2, 5);
    const c = randomArray(n * d, -1, 1, 14);
    const gDet = f32(0.7, -1.3);
    for (const bounds of [{}, { low, high }]) {
      const out = new Float32Array(n * d);
      const logDet = new Float32Array(n);
      const f = () => (tanhSquash(u, n, d, out, { ...bounds, logDetOut: logDet }), sum(out, c) + sum(logDet, gDet));
      const dU = new Float32Array(n * d);
      tanhSquashBackward(u, n, d, c, dU, { ...bounds, dLogDet: gDet });
      expectGrad(dU, f, u, 'dU');
      tanhSquashBackward(u, n, d, null, dU, { ...bounds, dLogDet: gDet });
      expectGrad(dU, () => (tanhSquash(u, n, d, out, { ...bounds, logDetOut: logDet }), sum(logDet, gDet)), u, 'dU (log-det only)');
      tanhSquashBackward(u, n, d, c, dU, bounds);
      expectGrad(dU, () => (tanhSquash(u, n, d, out, bounds), sum(out, c)), u, 'dU (action only)');
    }
    // With no options at all: unbounded, no log-det gradient (dU = c (1 - tanh^2)).
    const dU = new Float32Array(n * d);
    tanhSquashBackward(u, n, d, c, dU);
    for (let k = 0; k < n * d; k++) expect(dU[k]).toBeCloseTo(c[k]! * (1 - Math.tanh(u[k]!) ** 2), 6);
  });

  it('rejects half-given or inverted bounds', () => {
    const out = new Float32Array(2);
    expect(() => tanhSquash(f32(0, 0), 1, 2, out, { low: f32(0, 0) })).toThrow('Expected both low and high or neither, got low alone.');
    expect(() => tanhSquashBackward(f32(0, 0), 1, 2, null, out, { high: f32(0, 0) })).toThrow('Expected both low and high or neither, got high alone.');
    expect(() => tanhSquash(f32(0, 0), 1, 2, out, { low: f32(0, 1), high: f32(1, 1) })).toThrow('Expected finite bounds with low < high, got low[1] = 1 and high[1] = 1.');
    expect(() => tanhSquash(f32(0, 0), 1, 2, out, { low: f32(0, -Infinity), high: f32(1, 1) })).toThrow(InvalidConfig);
    expect(() => tanhSquash(f32(0, 0), 1, 2, out, { low: f32(0), high: f32(1, 1) })).toThrow('Expected low to be a Float32Array of at least 2 values, got 1.');
  });
});

describe('dueling', () => {
  it('Q = V + A - mean(A), hand-computed', () => {
    const q = new Float32Array(6);
    duelingCombine(f32(1, 1, 2, 3, -2, 0, 0, 6), 2, 3, q);
    expectArray(q, [0, 1, 2, -4, -4, 2]);
  });

  it('backward: dV = sum dQ, dA = dQ - mean dQ, and it matches finite differences', () => {
    const dRaw = new Float32Array(4);
    duelingBackward(f32(1, 0, 0), 1, 3, dRaw);
    expectArray(dRaw, [1, 2 / 3, -1 / 3, -1 / 3]);
    const raw = randomArray(10, -2, 2, 15);
    const c = randomArray(8, -1, 1, 16);
    const q = new Float32Array(8);
    const d = new Float32Array(10);
    duelingBackward(c, 2, 4, d);
    expectGrad(d, () => sum(duelingCombine(raw, 2, 4, q), c), raw, 'dRaw');
  });

  it('rejects short arrays', () => {
    expect(() => duelingCombine(f32(0, 0, 0), 1, 3, new Float32Array(3))).toThrow('Expected raw to be a Float32Array of at least 4 values, got 3.');
    expect(() => duelingBackward(f32(0, 0), 1, 3, new Float32Array(4))).toThrow('Expected dQ to be a Float32Array of at least 3 values, got 2.');
    expect(() => duelingBackward(f32(0, 0, 0), 1, 3, new Float32Array(3))).toThrow('Expected dRaw to be a Float32Array of at least 4 values, got 3.');
    expect(() => duelingCombine(f32(0, 0, 0, 0), 1, 0, new Float32Array(3))).toThrow('Expected numActions to be an integer >= 1, got 0.');
  });
});

describe('argument shapes and batch rows', () => {
  type Arrays = Record<string, Float32Array | Int32Array>;
  const N = 3; // rows allocated
  const n = 2; // rows used
  const k = 3;
  const d = 3;
  const nvec = [2, 3];
  const SENTINEL = 12345;
  const fl = (len: number, seed: number, lo = -1, hi = 1) => randomArray(len, lo, hi, seed);
  const out = (len: number) => new Float32Array(len).fill(SENTINEL);
  const intOut = (len: number) => new Int32Array(len).fill(SENTINEL);
  const acts = (len: number, max: number) => new Int32Array(len).map((_, i) => i % max);
  const rng = () => new Rng(1);

  /** Each head: arrays sized for N rows, the call over n rows, the size each array needs, and output row widths. */
  const heads: { name: string; arrays: () => Arrays; call: (a: Arrays) => void; need: Record<string, number>; outs: Record<string, number> }[] = [
    { name: 'logSoftmax', arrays: () => ({ logits: fl(N * k, 1), out: out(N * k) }),
      call: (a) => logSoftmax(a.logits as Float32Array, n, k, a.out as Float32Array), need: { logits: n * k, out: n * k }, outs: { out: k } },
    { name: 'categoricalLogProb', arrays: () => ({ logits: fl(N * k, 2), actions: acts(N, k), logProbOut: out(N), dLogits: out(N * k), dLogProb: fl(N, 3) }),
      call: (a) => categoricalLogProb(a.logits as Float32Array, a.actions as Int32Array, n, k, a.logProbOut as Float32Array, a.dLogits as Float32Array, a.dLogProb as Float32Array),
      need: { logits: n * k, actions: n, logProbOut: n, dLogits: n * k, dLogProb: n }, outs: { logProbOut: 1, dLogits: k } },
    { name: 'categoricalEntropy', arrays: () => ({ logits: fl(N * k, 4), out: out(N), dLogits: out(N * k), dEntropy: fl(N, 5) }),
      call: (a) => categoricalEntropy(a.logits as Float32Array, n, k, a.out as Float32Array, a.dLogits as Float32Array, a.dEntropy as Float32Array),
      need: { logits: n * k, out: n, dLogits: n * k, dEntropy: n }, outs: { out: 1, dLogits: k } },
    { name: 'sampleCategorical', arrays: () => ({ logits: fl(N * k, 6), out: intOut(N) }),
      call: (a) => sampleCategorical(a.logits as Float32Array, n, k, rng(), a.out as Int32Array), need: { logits: n * k, out: n }, outs: { out: 1 } },
    { name: 'multiCategoricalLogProb', arrays: () => ({ logits: fl(N * 5, 7), actions: acts(N * 2, 2), logProbOut: out(N), dLogits: out(N * 5), dLogProb: fl(N, 8) }),
      call: (a) => multiCategoricalLogProb(a.logits as Float32Array, a.actions as Int32Array, n, nvec, a.logProbOut as Float32Array, a.dLogits as Float32Array, a.dLogProb as Float32Array),
      need: { logits: n * 5, actions: n * 2, logProbOut: n, dLogits: n * 5, dLogProb: n }, outs: { logProbOut: 1, dLogits: 5 } },
    { name: 'multiCategoricalEntropy', arrays: () => ({ logits: fl(N * 5, 9), out: out(N), dLogits: out(N * 5), dEntropy: fl(N, 10) }),
      call: (a) => multiCategoricalEntropy(a.logits as Float32Array, n, nvec, a.out as Float32Array, a.dLogits as Float32Array, a.dEntropy as Float32Array),
      need: { logits: n * 5, out: n, dLogits: n * 5, dEntropy: n }, outs: { out: 1, dLogits: 5 } },
    { name: 'sampleMultiCategorical', arrays: () => ({ logits: fl(N * 5, 11), out: intOut(N * 2) }),
      call: (a) => sampleMultiCategorical(a.logits as Float32Array, n, nvec, rng(), a.out as Int32Array), need: { logits: n * 5, out: n * 2 }, outs: { out: 2 } },
    { name: 'gaussianLogProb', arrays: () => ({ mean: fl(N * d, 12), logStd: fl(N * d, 13), x: fl(N * d, 14), out: out(N), dLogProb: fl(N, 15), dMean: out(N * d), dLogStd: out(N * d), dX: out(N * d) }),
      call: (a) => gaussianLogProb(a.mean as Float32Array, a.logStd as Float32Array, a.x as Float32Array, n, d, a.out as Float32Array, a as never),
      need: { mean: n * d, logStd: n * d, x: n * d, out: n, dLogProb: n, dMean: n * d, dLogStd: n * d, dX: n * d }, outs: { out: 1, dMean: d, dLogStd: d, dX: d } },
    { name: 'gaussianLogProb (shared log-std)', arrays: () => ({ mean: fl(N * d, 16), logStd: fl(d, 17), x: fl(N * d, 18), out: out(N), dLogStd: out(d) }),
      call: (a) => gaussianLogProb(a.mean as Float32Array, a.logStd as Float32Array, a.x as Float32Array, n, d, a.out as Float32Array, { sharedLogStd: true, dLogStd: a.dLogStd as Float32Array }),
      need: { mean: n * d, logStd: d, x: n * d, out: n, dLogStd: d }, outs: { out: 1 } },
    { name: 'gaussianEntropy', arrays: () => ({ logStd: fl(N * d, 19), out: out(N), dEntropy: fl(N, 20), dLogStd: out(N * d) }),
      call: (a) => gaussianEntropy(a.logStd as Float32Array, n, d, a.out as Float32Array, a as never),
      need: { logStd: n * d, out: n, dEntropy: n, dLogStd: n * d }, outs: { out: 1, dLogStd: d } },
    { name: 'sampleGaussian', arrays: () => ({ mean: fl(N * d, 21), logStd: fl(N * d, 22), out: out(N * d), noiseOut: out(N * d) }),
      call: (a) => sampleGaussian(a.mean as Float32Array, a.logStd as Float32Array, n, d, rng(), a.out as Float32Array, a as never),
      need: { mean: n * d, logStd: n * d, out: n * d, noiseOut: n * d }, outs: { out: d, noiseOut: d } },
    { name: 'tanhSquash', arrays: () => ({ u: fl(N * d, 23), out: out(N * d), low: f32(-1, 0, -5), high: f32(1, 2, 5), logDetOut: out(N) }),
      call: (a) => tanhSquash(a.u as Float32Array, n, d, a.out as Float32Array, a as never),
      need: { u: n * d, out: n * d, low: d, high: d, logDetOut: n }, outs: { out: d, logDetOut: 1 } },
    { name: 'tanhSquashBackward', arrays: () => ({ u: fl(N * d, 24), dOut: fl(N * d, 25), dU: out(N * d), low: f32(-1, 0, -5), high: f32(1, 2, 5), dLogDet: fl(N, 26) }),
      call: (a) => tanhSquashBackward(a.u as Float32Array, n, d, a.dOut as Float32Array, a.dU as Float32Array, a as never),
      need: { u: n * d, dOut: n * d, dU: n * d, low: d, high: d, dLogDet: n }, outs: { dU: d } },
    { name: 'duelingCombine', arrays: () => ({ raw: fl(N * 4, 27), q: out(N * 3) }),
      call: (a) => duelingCombine(a.raw as Float32Array, n, 3, a.q as Float32Array), need: { raw: n * 4, q: n * 3 }, outs: { q: 3 } },
    { name: 'duelingBackward', arrays: () => ({ dQ: fl(N * 3, 28), dRaw: out(N * 4) }),
      call: (a) => duelingBackward(a.dQ as Float32Array, n, 3, a.dRaw as Float32Array), need: { dQ: n * 3, dRaw: n * 4 }, outs: { dRaw: 4 } },
  ];

  for (const head of heads) {
    it(`${head.name}: writes the first n rows of each output and nothing beyond`, () => {
      const a = head.arrays();
      head.call(a);
      for (const [name, width] of Object.entries(head.outs)) {
        const arr = a[name]!;
        for (let i = 0; i < n * width; i++) expect(arr[i], `${name}[${i}]`).not.toBe(SENTINEL);
        for (let i = n * width; i < arr.length; i++) expect(arr[i], `${name}[${i}]`).toBe(SENTINEL);
      }
    });

    it(`${head.name}: names each array that is one value short`, () => {
      for (const [name, need] of Object.entries(head.need)) {
        const a = head.arrays();
        const full = a[name]!;
        a[name] = full.slice(0, need - 1);
        expect(() => head.call(a), name).toThrow(`Expected ${name} to be a ${full.constructor.name} of at least ${need} values, got ${need - 1}.`);
      }
    });
  }
});

describe('edge cases', () => {
  it('takes the row maximum out before exponentiating, wherever it sits', () => {
    const out = new Float32Array(4);
    logSoftmax(f32(1000, 0, 0, 1000), 2, 2, out);
    expectArray(out, [0, -1000, -1000, 0]);
    const lp = new Float32Array(2);
    categoricalLogProb(f32(1000, 0, 0, 1000), new Int32Array([0, 0]), 2, 2, lp);
    expectArray(lp, [0, -1000]);
    const h = new Float32Array(2);
    categoricalEntropy(f32(1000, 0, 0, 1000), 2, 2, h);
    expectArray(h, [0, 0]);
    // Sampling: whichever column holds the huge logit is drawn, in every row.
    const logits = f32(1000, 0, 0, 0, 1000, 0, 0, 0, 1000, 1000, 0, 0);
    const picks = sampleCategorical(logits, 4, 3, new Rng(2), new Int32Array(4));
    expect([...picks]).toEqual([0, 1, 2, 0]);
  });

  it('draws row i at the first column whose cumulative probability exceeds its uniform', () => {
    const n = 50;
    const k = 4;
    const logits = randomArray(n * k, -2, 2, 30);
    const rng = new Rng(31);
    const twin = Rng.fromState(rng.getState());
    const picks = sampleCategorical(logits, n, k, rng, new Int32Array(n));
    for (let i = 0; i < n; i++) {
      const e = [...logits.subarray(i * k, i * k + k)].map(Math.exp);
      const u = twin.float() * e.reduce((s, v) => s + v, 0);
      let acc = 0;
      let want = k - 1;
      for (let j = 0; j < k; j++) {
        acc += e[j]!;
        if (u < acc) {
          want = j;
          break;
        }
      }
      expect(picks[i], `row ${i}`).toBe(want);
    }
  });

  it('samples the only action of a one-action categorical, and rejects rows with nothing to draw', () => {
    expect([...sampleCategorical(f32(3, -7), 2, 1, new Rng(0), new Int32Array(2))]).toEqual([0, 0]);
    expect(() => sampleCategorical(f32(0, 0, -Infinity, -Infinity), 2, 2, new Rng(0), new Int32Array(2)))
      .toThrow('Expected finite logits with at least one above -Infinity in row 1, got Float32Array(2) [-Infinity, -Infinity].');
    expect(() => sampleCategorical(f32(0, NaN), 1, 2, new Rng(0), new Int32Array(1))).toThrow(InvalidConfig);
  });

  it('names the flat index of a bad MultiDiscrete action', () => {
    expect(() => multiCategoricalLogProb(new Float32Array(10), new Int32Array([0, 0, 1, 5]), 2, [2, 3], new Float32Array(2)))
      .toThrow('Expected actions[3] to be an integer in [0, 3), got 5.');
  });

  it('Gaussian entropy and log-density need no options', () => {
    const out = new Float32Array(1);
    gaussianEntropy(f32(0), 1, 1, out);
    expect(out[0]).toBeCloseTo(0.5 * (1 + Math.log(2 * Math.PI)), 6);
    gaussianLogProb(f32(0), f32(0), f32(0), 1, 1, out);
    expect(out[0]).toBeCloseTo(-0.5 * Math.log(2 * Math.PI), 6);
    const x = new Float32Array(1);
    sampleGaussian(f32(2), f32(-100), 1, 1, new Rng(0), x);
    expect(x[0]).toBeCloseTo(2, 6);
  });

  it('names a bad count', () => {
    const a = new Float32Array(8);
    const cases: [() => unknown, string][] = [
      [() => logSoftmax(a, 0, 2, a), 'Expected n to be an integer >= 1, got 0.'],
      [() => categoricalLogProb(a, new Int32Array(2), 2, 0, a), 'Expected k to be an integer >= 1, got 0.'],
      [() => multiCategoricalLogProb(a, new Int32Array(2), 1.5, [2], a), 'Expected n to be an integer >= 1, got 1.5.'],
      [() => gaussianLogProb(a, a, a, 0, 1, a), 'Expected n to be an integer >= 1, got 0.'],
      [() => gaussianLogProb(a, a, a, 1, 0, a), 'Expected d to be an integer >= 1, got 0.'],
      [() => gaussianEntropy(a, 0, 1, a), 'Expected n to be an integer >= 1, got 0.'],
      [() => gaussianEntropy(a, 1, -1, a), 'Expected d to be an integer >= 1, got -1.'],
      [() => sampleGaussian(a, a, 1, 0, new Rng(0), a), 'Expected d to be an integer >= 1, got 0.'],
      [() => tanhSquash(a, 0, 1, a), 'Expected n to be an integer >= 1, got 0.'],
      [() => tanhSquashBackward(a, 1, 0, null, a), 'Expected d to be an integer >= 1, got 0.'],
      [() => duelingCombine(a, 0, 1, a), 'Expected n to be an integer >= 1, got 0.'],
      [() => duelingBackward(a, 1, 0, a), 'Expected numActions to be an integer >= 1, got 0.'],
    ];
    for (const [f, message] of cases) expect(f).toThrow(message);
  });

  it('rejects infinite bounds on either side', () => {
    const o = new Float32Array(1);
    expect(() => tanhSquash(f32(0), 1, 1, o, { low: f32(-Infinity), high: f32(1) })).toThrow('Expected finite bounds with low < high, got low[0] = -Infinity and high[0] = 1.');
    expect(() => tanhSquash(f32(0), 1, 1, o, { low: f32(0), high: f32(Infinity) })).toThrow('Expected finite bounds with low < high, got low[0] = 0 and high[0] = Infinity.');
    expect(() => tanhSquash(f32(0), 1, 1, o, { low: f32(2), high: f32(1) })).toThrow('Expected finite bounds with low < high, got low[0] = 2 and high[0] = 1.');
  });
});
