import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { isotropicGaussianEntropy } from '../../core/math.js';
import { Rng } from '../../core/rng.js';
import { gridCentres, ringCentres, ringOfGaussians } from '../../models/data.js';
import {
  correlation, epistemicRatio, singleGaussianNll, intervalCoverage, meanAndSpread, mixtureEntropy, modeCoverage, normalQuantile, ringEntropy,
} from '../../models/metrics.js';

describe('modeCoverage', () => {
  it('counts by hand: 3 modes, a far sample is low quality, a thin mode is not covered', () => {
    const centres = [0, 0, 10, 0, 0, 10];
    // 4 samples at mode 0, 1 at mode 1 (0.05 off, inside 3 x 0.02... no: 0.05 < 0.06), 1 far away
    const s = [0, 0, 0.01, 0, 0, 0.01, -0.01, -0.01, 10.05, 0, 5, 5];
    const c = modeCoverage(s, 6, centres, 0.02, { minFraction: 0 });
    expect(Array.from(c.counts)).toEqual([4, 1, 0]);
    expect(c.modes).toBe(2);
    expect(c.highQuality).toBeCloseTo(5 / 6, 12);
    // PacGAN's rule: at least 1/5 of n / modes = 0.4 -> 1 sample; with minFraction 1, 2 samples -> only mode 0
    expect(modeCoverage(s, 6, centres, 0.02).modes).toBe(2);
    expect(modeCoverage(s, 6, centres, 0.02, { minFraction: 1 }).modes).toBe(1);
    // 0.07 is outside 3 std
    expect(modeCoverage([0.07, 0], 1, centres, 0.02).highQuality).toBe(0);
  });
  it('true ring samples cover all 8 modes with ~99% high quality (3-sigma radius in 2-D: 1 - exp(-4.5))', () => {
    const d = ringOfGaussians(2500, new Rng(0));
    const c = modeCoverage(d.data, d.n, d.centres, d.std);
    expect(c.modes).toBe(8);
    expect(c.minCount).toBe(63);
    expect(c.highQuality).toBeGreaterThan(1 - Math.exp(-4.5) - 0.01);
    expect(c.highQuality).toBeLessThan(1 - Math.exp(-4.5) + 0.01);
  });
  it('rejects bad shapes', () => {
    expect(() => modeCoverage([0, 0, 1], 2, [0, 0], 1)).toThrow(/n x 2/);
    expect(() => modeCoverage([NaN, 0], 1, [0, 0], 1)).toThrow(InvalidConfig);
  });
});

describe('singleGaussianNll', () => {
  it('equals the closed form of a hand-computed 2-D fit', () => {
    // train: 4 points (±1, 0), (0, ±2): mean 0, population covariance diag(1/2, 2), det 1
    const train = [1, 0, -1, 0, 0, 2, 0, -2];
    const nll = singleGaussianNll(train, 4, [1, 1], 1);
    // 0.5 (2 log 2pi + log 1 + 1^2/0.5 + 1^2/2)
    expect(nll).toBeCloseTo(0.5 * (2 * Math.log(2 * Math.PI) + 2 + 0.5), 10);
  });
  it('a correlated fit: at the mean, NLL = log(2 pi) + log det / 2', () => {
    const train = [1, 1, -1, -1, 1, -1, -1, -1, 0, 0];
    // mean (0, -0.4); covariance from the 5 points by hand
    const xs = [1, -1, 1, -1, 0], ys = [1, -1, -1, -1, 0];
    const my = ys.reduce((a, b) => a + b) / 5;
    const sxx = xs.reduce((a, x) => a + x * x, 0) / 5;
    const syy = ys.reduce((a, y) => a + (y - my) ** 2, 0) / 5;
    const sxy = xs.reduce((a, x, i) => a + x * (ys[i]! - my), 0) / 5;
    const det = sxx * syy - sxy * sxy;
    expect(singleGaussianNll(train, 5, [0, my], 1)).toBeCloseTo(Math.log(2 * Math.PI) + 0.5 * Math.log(det), 10);
  });
  it('singular data throws', () => {
    expect(() => singleGaussianNll([1, 1, 2, 2, 3, 3], 3, [0, 0], 1)).toThrow(/positive definite/);
  });
});

describe('entropy of a mixture', () => {
  it('one Gaussian: log(2 pi e std^2)', () => {
    expect(mixtureEntropy([0, 0], 0.7)).toBeCloseTo(isotropicGaussianEntropy(2, 0.7), 9);
  });
  it('far-apart modes: log K + one Gaussian; coincident modes: one Gaussian', () => {
    expect(ringEntropy()).toBeCloseTo(Math.log(8) + isotropicGaussianEntropy(2, 0.02), 9);
    expect(mixtureEntropy(gridCentres(), 0.05, { step: 0.1 })).toBeCloseTo(Math.log(25) + isotropicGaussianEntropy(2, 0.05), 9);
    expect(mixtureEntropy([1, 1, 1, 1], 0.3)).toBeCloseTo(isotropicGaussianEntropy(2, 0.3), 9);
  });
  it('overlapping modes lie strictly between, and match a Monte Carlo estimate', () => {
    const centres = ringCentres(8, 0.5);
    const h = mixtureEntropy(centres, 0.3);
    expect(h).toBeGreaterThan(isotropicGaussianEntropy(2, 0.3) + 0.1);
    expect(h).toBeLessThan(Math.log(8) + isotropicGaussianEntropy(2, 0.3) - 0.1);
    const rng = new Rng(3);
    const d = ringOfGaussians(40000, rng, { radius: 0.5, std: 0.3 });
    let s = 0;
    for (let i = 0; i < d.n; i++) {
      let lse = -Infinity;
      const t: number[] = [];
      for (let k = 0; k < 8; k++) t.push(-((d.data[2 * i]! - centres[2 * k]!) ** 2 + (d.data[2 * i + 1]! - centres[2 * k + 1]!) ** 2) / (2 * 0.09));
      lse = Math.max(...t);
      lse += Math.log(t.reduce((a, v) => a + Math.exp(v - lse), 0));
      s -= lse - Math.log(2 * Math.PI * 0.09) - Math.log(8);
    }
    expect(Math.abs(s / d.n - h)).toBeLessThan(0.02);
  });
});

describe('calibration', () => {
  it('normalQuantile at known points', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 7);
  });
  it('interval coverage by hand: z_0.95 = 1.645', () => {
    const mean = [0, 0, 0, 0], variance = [1, 1, 4, 1];
    const y = [1.6, 1.7, 3.2, -1.64];
    expect(intervalCoverage(mean, variance, y)).toBe(0.75);
    expect(intervalCoverage(mean, variance, y, 0.5)).toBe(0); // z = 0.674
  });
  it('true Gaussian draws cover about 90%', () => {
    const rng = new Rng(1);
    const n = 20000;
    const y = Array.from({ length: n }, () => rng.normal(0, 2));
    const c = intervalCoverage(new Float32Array(n), new Float32Array(n).fill(4), y);
    expect(Math.abs(c - 0.9)).toBeLessThan(0.01);
  });
  it('epistemic ratio by hand', () => {
    const x = [0, 1, -2, 5.5, -5, 4];
    const v = [1, 4, 1, 16, 36, 100]; // inside stds 1, 2, 1 (mean 4/3); outside 4, 6 (mean 5); x = 4 ignored
    expect(epistemicRatio(x, v)).toBeCloseTo(5 / (4 / 3), 12);
    expect(() => epistemicRatio([0], [1])).toThrow(/\|x\| in \[5, 6\]/);
  });
  it('correlation: +1, -1, and a hand value', () => {
    expect(correlation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(correlation([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = (1, 2, 3), y = (1, 3, 2): cov 0.5 / (1 * 1) over sample sums -> 1 / 2
    expect(correlation([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 12);
    expect(correlation([1, 1], [1, 2])).toBeNaN();
  });
  it('meanAndSpread: sample std', () => {
    expect(meanAndSpread([1, 2, 3])).toEqual({ mean: 2, std: 1, n: 3 });
    expect(meanAndSpread([4])).toEqual({ mean: 4, std: 0, n: 1 });
  });
});
