import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import {
  columnMeans, columnVariances, isotropicGaussianEntropy, jsDivergence, klCategorical, klCategoricalFromLogits, klDiagGaussian,
  klStandardNormal, logMeanExp, logSumExp, mean, softmax, softmaxJacobian, variance,
} from '../../core/math.js';

describe('moments', () => {
  it('mean and variance of 1..4: 2.5, population 1.25, sample 5/3', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(variance([1, 2, 3, 4])).toBeCloseTo(1.25, 12);
    expect(variance([1, 2, 3, 4], { sample: true })).toBeCloseTo(5 / 3, 12);
  });
  it('column moments of a 3 x 2 matrix', () => {
    const m = [1, 10, 2, 20, 6, 60];
    expect(Array.from(columnMeans(m, 2))).toEqual([3, 30]);
    // column 0: deviations -2, -1, 3 -> squares 14; population 14/3, sample 7
    const v = columnVariances(m, 2);
    expect(v[0]).toBeCloseTo(14 / 3, 12);
    expect(v[1]).toBeCloseTo(1400 / 3, 9);
    expect(columnVariances(m, 2, { sample: true })[0]).toBeCloseTo(7, 12);
  });
  it('bad shapes throw InvalidConfig naming the shape', () => {
    expect(() => mean([])).toThrow(InvalidConfig);
    expect(() => variance([1], { sample: true })).toThrow(/at least 2/);
    expect(() => columnMeans([1, 2, 3], 2)).toThrow(/n x 2/);
  });
});

describe('softmax', () => {
  it('matches exp(x)/sum exp(x) by hand and is shift invariant', () => {
    const p = softmax([0, Math.log(2), Math.log(5)], 3);
    expect(p[0]).toBeCloseTo(1 / 8, 12);
    expect(p[1]).toBeCloseTo(2 / 8, 12);
    expect(p[2]).toBeCloseTo(5 / 8, 12);
    const q = softmax([1000, 1000 + Math.log(2), 1000 + Math.log(5)], 3);
    expect(q[2]).toBeCloseTo(5 / 8, 12);
  });
  it('works row by row', () => {
    const p = softmax([0, 0, 1, 0, 0, Math.log(3)], 3);
    expect(p[0]).toBeCloseTo(1 / (2 + Math.E), 12);
    expect(p[3]).toBeCloseTo(1 / 5, 12);
    expect(p[5]).toBeCloseTo(3 / 5, 12);
  });
  it('the Jacobian equals finite differences of softmax', () => {
    const x = [0.3, -1.2, 2.0, 0.7];
    const k = 4;
    const J = softmaxJacobian(softmax(x, k), k);
    const h = 1e-6;
    for (let j = 0; j < k; j++) {
      const xp = x.slice(); xp[j]! += h;
      const xm = x.slice(); xm[j]! -= h;
      const pp = softmax(xp, k), pm = softmax(xm, k);
      for (let i = 0; i < k; i++) expect(J[i * k + j]).toBeCloseTo((pp[i]! - pm[i]!) / (2 * h), 8);
    }
  });
  it('the Jacobian of (1/2, 1/2) is [[1/4, -1/4], [-1/4, 1/4]]', () => {
    expect(Array.from(softmaxJacobian([0.5, 0.5], 2))).toEqual([0.25, -0.25, -0.25, 0.25]);
  });
  it('logSumExp and logMeanExp', () => {
    expect(logSumExp([Math.log(1), Math.log(3)])).toBeCloseTo(Math.log(4), 12);
    expect(logSumExp([-1e4, -1e4])).toBeCloseTo(-1e4 + Math.LN2, 8);
    expect(logMeanExp([Math.log(1), Math.log(3)])).toBeCloseTo(Math.log(2), 12);
  });
});

describe('categorical divergences', () => {
  it('KL of (1/2, 1/2) from (1/4, 3/4) by hand', () => {
    const want = 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3);
    expect(klCategorical([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(want, 12);
    expect(klCategorical([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(klCategorical([0, 1], [0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
    expect(klCategorical([0.5, 0.5], [0, 1])).toBe(Infinity);
  });
  it('from logits equals from probabilities', () => {
    const a = [0.2, -0.5, 1.3], b = [1.0, 0.1, -0.7];
    expect(klCategoricalFromLogits(a, b)).toBeCloseTo(klCategorical(softmax(a, 3), softmax(b, 3)), 12);
  });
  it('JS: 0 for equal, log 2 for disjoint, by hand otherwise, symmetric', () => {
    expect(jsDivergence([0.3, 0.7], [0.3, 0.7])).toBe(0);
    expect(jsDivergence([1, 0], [0, 1])).toBeCloseTo(Math.LN2, 12);
    // p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4); JS = (log(4/3) + (1/2 log(2/3) + 1/2 log 2)) / 2
    const want = 0.5 * (Math.log(4 / 3) + 0.5 * Math.log(2 / 3) + 0.5 * Math.log(2));
    expect(jsDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(want, 12);
    expect(jsDivergence([0.5, 0.5], [1, 0])).toBeCloseTo(want, 12);
  });
  it('rejects non-distributions', () => {
    expect(() => klCategorical([0.5, 0.6], [0.5, 0.5])).toThrow(/sum to 1/);
    expect(() => jsDivergence([1], [0.5, 0.5])).toThrow(InvalidConfig);
  });
});

describe('Gaussian KL', () => {
  it('1-D closed form by hand: KL(N(1, 1) || N(0, 4)) = log 2 + 2/8 - 1/2', () => {
    const kl = klDiagGaussian([1], [0], [0], [Math.log(2)], 1);
    expect(kl[0]).toBeCloseTo(Math.log(2) + 2 / 8 - 0.5, 12);
  });
  it('sums over dimensions, per row', () => {
    const kl = klDiagGaussian([1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], 2);
    expect(Array.from(kl)).toEqual([0.5, 0]);
  });
  it('standard-normal case matches the general one, and 0 at N(0, 1)', () => {
    const mu = [0.3, -1.1, 0.5, 2.0], ls = [-0.4, 0.2, 0.0, -1.5];
    const a = klStandardNormal(mu, ls, 2);
    const b = klDiagGaussian(mu, ls, [0, 0, 0, 0], [0, 0, 0, 0], 2);
    expect(a[0]).toBeCloseTo(b[0]!, 12);
    expect(a[1]).toBeCloseTo(b[1]!, 12);
    expect(klStandardNormal([0, 0], [0, 0], 2)[0]).toBe(0);
  });
  it('gradients equal finite differences', () => {
    const d = 3;
    const args = [[0.3, -1.1, 0.5], [-0.4, 0.2, 0.1], [1.0, 0.2, -0.3], [0.5, -0.3, 0.0]];
    const g = { dMu1: new Float64Array(d), dLogStd1: new Float64Array(d), dMu2: new Float64Array(d), dLogStd2: new Float64Array(d) };
    klDiagGaussian(args[0]!, args[1]!, args[2]!, args[3]!, d, undefined, g);
    const names = ['dMu1', 'dLogStd1', 'dMu2', 'dLogStd2'] as const;
    const f = (a: number[][]) => klDiagGaussian(a[0]!, a[1]!, a[2]!, a[3]!, d)[0]!;
    const h = 1e-6;
    names.forEach((name, w) => {
      for (let j = 0; j < d; j++) {
        const ap = args.map((r) => r.slice()); ap[w]![j]! += h;
        const am = args.map((r) => r.slice()); am[w]![j]! -= h;
        expect(g[name][j]).toBeCloseTo((f(ap) - f(am)) / (2 * h), 7);
      }
    });
    const dMu = new Float64Array(d), dLs = new Float64Array(d);
    klStandardNormal(args[0]!, args[1]!, d, undefined, dMu, dLs);
    for (let j = 0; j < d; j++) {
      const up = args[1]!.slice(); up[j]! += h;
      const dn = args[1]!.slice(); dn[j]! -= h;
      const fd = (klStandardNormal(args[0]!, up, d)[0]! - klStandardNormal(args[0]!, dn, d)[0]!) / (2 * h);
      expect(dLs[j]).toBeCloseTo(fd, 7);
      expect(dMu[j]).toBeCloseTo(args[0]![j]!, 12);
    }
  });
  it('rejects mismatched shapes naming them', () => {
    expect(() => klDiagGaussian([0, 0], [0], [0, 0], [0, 0], 2)).toThrow(/n x d = 1 x 2/);
  });
  it('Gaussian entropy: 1-D unit is 1/2 log(2 pi e)', () => {
    expect(isotropicGaussianEntropy(1, 1)).toBeCloseTo(0.5 * Math.log(2 * Math.PI * Math.E), 12);
    expect(isotropicGaussianEntropy(2, 0.02)).toBeCloseTo(Math.log(2 * Math.PI * Math.E * 0.0004), 12);
  });
});
