// The Bayesian models' shared arithmetic against hand-computed values: PETS's soft clamp of the log-std and its
// slope, the heteroscedastic Gaussian NLL on raw outputs and its gradient, the mixture's split into epistemic and
// aleatoric variance (what ensembles and MC dropout report), and the per-column standardisation.
// `npm run mutate` runs this file against models/bayes/heteroscedastic.ts and fit-data.ts.
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { columnStats, scalingOf, standardise } from '../../models/bayes/fit-data.js';
import {
  DEFAULT_MAX_LOG_STD, DEFAULT_MIN_LOG_STD, MixtureAccumulator, boundedLogStd, boundedLogStdGrad, heteroscedasticLoss, lossScratch,
} from '../../models/bayes/heteroscedastic.js';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);
const softplus = (z: number): number => Math.log(1 + Math.exp(z));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

describe('the soft clamp of the log-std: min + softplus(max - softplus(max - r) - min)', () => {
  it('has the written-out value with the default bounds [-7, 2] and with others', () => {
    expect([DEFAULT_MIN_LOG_STD, DEFAULT_MAX_LOG_STD]).toEqual([-7, 2]);
    for (const r of [-9, -2.5, 0, 1.5, 4]) {
      expect(boundedLogStd(r)).toBeCloseTo(-7 + softplus(2 - softplus(2 - r) + 7), 12);
      expect(boundedLogStd(r, -3, 1)).toBeCloseTo(-3 + softplus(1 - softplus(1 - r) + 3), 12);
    }
    // Far below: softplus(max - r) = max - r exactly, and the result sits on the lower bound.
    expect(boundedLogStd(-60, -3, 1)).toBeCloseTo(-3 + softplus(-57), 14);
    expect(boundedLogStd(-60)).toBe(-7 + Math.log1p(Math.exp(-53)));
  });

  it('has the slope sigmoid(max - r) sigmoid(upper - min), upper = max - softplus(max - r)', () => {
    for (const r of [-9, -2.5, 0, 1.5, 4]) {
      const upper = (min: number, max: number) => max - softplus(max - r);
      expect(boundedLogStdGrad(r)).toBeCloseTo(sigmoid(2 - r) * sigmoid(upper(-7, 2) + 7), 12);
      expect(boundedLogStdGrad(r, -3, 1)).toBeCloseTo(sigmoid(1 - r) * sigmoid(upper(-3, 1) + 3), 12);
    }
  });
});

describe('heteroscedasticLoss: mean_i sum_j (y - mu)^2 / (2 sigma^2) + log sigma on rows of [mean (d), raw log-std (d)]', () => {
  // Two rows of d = 2.
  const out = f32([0.5, -1, 0.3, -2, 2, 0.25, -0.4, 1.5]);
  const y = f32([1, -1.5, 1.2, 0]);
  const bounds = { min: -3, max: 1 };
  const parts = (b: { min: number; max: number }) => {
    let loss = 0;
    const grad: number[] = [];
    for (let i = 0; i < 2; i++) {
      const gm: number[] = [];
      const gr: number[] = [];
      for (let j = 0; j < 2; j++) {
        const mu = out[i * 4 + j]!;
        const raw = out[i * 4 + 2 + j]!;
        const ls = boundedLogStd(raw, b.min, b.max);
        const v = Math.exp(2 * ls);
        const e = y[i * 2 + j]! - mu;
        loss += (e * e) / (2 * v) + ls;
        gm.push(-e / v / 2);
        gr.push(((1 - (e * e) / v) / 2) * boundedLogStdGrad(raw, b.min, b.max));
      }
      grad.push(...gm, ...gr);
    }
    return { loss: loss / 2, grad };
  };

  it('has the written-out value and gradient, with the bounds given or the defaults', () => {
    for (const b of [bounds, { min: DEFAULT_MIN_LOG_STD, max: DEFAULT_MAX_LOG_STD }]) {
      const want = parts(b);
      const dOut = new Float32Array(9).fill(4);
      const loss = b === bounds ? heteroscedasticLoss(out, y, 2, 2, dOut, lossScratch(), b) : heteroscedasticLoss(out, y, 2, 2, dOut);
      expect(loss).toBeCloseTo(want.loss, 5);
      want.grad.forEach((g, k) => expect(dOut[k], `dOut[${k}]`).toBeCloseTo(g, 5));
      expect(dOut[8]).toBe(4);
    }
    // Without dOut, the value alone.
    expect(heteroscedasticLoss(out, y, 2, 2, null, lossScratch(), bounds)).toBeCloseTo(parts(bounds).loss, 5);
    // One row: only the first row counts, averaged over 1.
    expect(heteroscedasticLoss(out, y, 1, 2, null, lossScratch(), bounds)).toBeCloseTo(
      [0, 1].reduce((s, j) => {
        const ls = boundedLogStd(out[2 + j]!, -3, 1);
        return s + (y[j]! - out[j]!) ** 2 / (2 * Math.exp(2 * ls)) + ls;
      }, 0), 5);
  });

  it('grows its scratch for a larger batch and stays right for a smaller one after', () => {
    const scratch = lossScratch();
    const one = heteroscedasticLoss(out, y, 1, 2, null, scratch, bounds);
    expect(scratch.mean.length).toBe(2);
    const two = heteroscedasticLoss(out, y, 2, 2, new Float32Array(8), scratch, bounds);
    expect(scratch.mean.length).toBe(4);
    expect(two).toBeCloseTo(parts(bounds).loss, 5);
    expect(heteroscedasticLoss(out, y, 1, 2, null, scratch, bounds)).toBe(one);
  });

  it('names the expected length of the outputs', () => {
    expect(() => heteroscedasticLoss(out.subarray(0, 7), y, 2, 2, null)).toThrow(InvalidConfig);
    expect(() => heteroscedasticLoss(out.subarray(0, 7), y, 2, 2, null)).toThrow(/n x 2d = 8 values/);
    expect(() => heteroscedasticLoss([...out] as unknown as Float32Array, y, 2, 2, null)).toThrow(/Float32Array/);
  });
});

describe('MixtureAccumulator: the spread of the members\' means and the mean of their variances, in target units', () => {
  const scaling = { xMean: [0], xStd: [1], yMean: [10, -1], yStd: [2, 0.5] };
  const bounds = { min: -3, max: 1 };
  // Members' raw outputs for 2 rows of d = 2: [mean (2), raw log-std (2)] per row.
  const members = [
    f32([1, 0, -1, 0.5, 0.2, -2, 4, -0.5]),
    f32([-1, 2, -2, 0.5, 0.6, 1, 0, 0.3]),
    f32([0.5, -1, 0, -1, -0.4, 0.5, -1, 2]),
  ];
  const prior = f32([0.1, -0.3, 9, 9, 1, 2, 9, 9]);

  function expected(priorScale: number, count: number) {
    const mean: number[] = [], epistemic: number[] = [], aleatoric: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const mus = members.slice(0, count).map((m) => (m[i * 4 + j]! + priorScale * prior[i * 4 + j]!) * scaling.yStd[j]! + scaling.yMean[j]!);
        const vars = members.slice(0, count).map((m) => (Math.exp(boundedLogStd(m[i * 4 + 2 + j]!, -3, 1)) * scaling.yStd[j]!) ** 2);
        const m = mus.reduce((s, x) => s + x, 0) / count;
        mean.push(m);
        epistemic.push(mus.reduce((s, x) => s + (x - m) ** 2, 0) / count);
        aleatoric.push(vars.reduce((s, x) => s + x, 0) / count);
      }
    }
    return { mean, epistemic, aleatoric };
  }

  function check(got: { mean: Float32Array; epistemic: Float32Array; aleatoric: Float32Array }, want: ReturnType<typeof expected>): void {
    for (const key of ['mean', 'epistemic', 'aleatoric'] as const) {
      want[key].forEach((v, k) => expect(got[key][k], `${key}[${k}]`).toBeCloseTo(v, 4));
    }
  }

  it('without priors: population variance of the means, mean of sigma^2, per row and column', () => {
    const acc = new MixtureAccumulator(2, 2, scaling, bounds);
    acc.add(members[0]!);
    check(acc.result(), expected(0, 1));
    acc.add(members[1]!);
    acc.add(members[2]!);
    check(acc.result(), expected(0, 3));
  });

  it('adds priorScale times the prior to the means only (randomised prior functions)', () => {
    const acc = new MixtureAccumulator(2, 2, scaling, bounds);
    for (const m of members) acc.add(m, prior, 0.5);
    check(acc.result(), expected(0.5, 3));
    const none = new MixtureAccumulator(2, 2, scaling, bounds);
    for (const m of members) none.add(m, null, 0.5);
    check(none.result(), expected(0, 3));
  });

  it('is all zeros before any member', () => {
    const r = new MixtureAccumulator(1, 2, scaling, bounds).result();
    expect([...r.mean, ...r.epistemic, ...r.aleatoric]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('the standardisation of the Bayesian models', () => {
  // Three rows of two columns; the second column is constant.
  const a = f32([1, 5, 2, 5, 6, 5]);

  it('columnStats: mean and population std per column, std 1 for a constant column', () => {
    const { mean, std } = columnStats(a, 3, 2);
    expect(mean).toEqual([3, 5]);
    expect(std[0]).toBeCloseTo(Math.sqrt((4 + 1 + 9) / 3), 12);
    expect(std[1]).toBe(1);
    // Only the first n rows count.
    const two = columnStats(a, 2, 2);
    expect(two.mean).toEqual([1.5, 5]);
    expect(two.std[0]).toBeCloseTo(0.5, 12);
  });

  it('standardise: (a - mean) / std per column into a new array of n rows', () => {
    const out = standardise(a, 2, [1, 4], [2, 0.5]);
    expect(Array.from(out)).toEqual([0, 2, 0.5, 2]);
  });

  it('scalingOf: the stats of x and of y', () => {
    const s = scalingOf(f32([1, 3]), f32([2, 2, 4, 6]), 2, { inDim: 1, outDim: 2 });
    expect(s).toEqual({ xMean: [2], xStd: [1], yMean: [3, 4], yStd: [1, 2] });
  });
});
