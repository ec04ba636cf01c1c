// The Bayesian regressors' predictive distribution as an equal-weight Gaussian mixture: its components from raw
// network outputs, its log-density against hand-computed values, and its draws. `npm run mutate` runs this file
// against models/bayes/predictive.ts.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { boundedLogStd } from '../../models/bayes/heteroscedastic.js';
import { gaussianComponents, mixtureLogProb, mixtureSample, setComponentMeans, setComponentStds } from '../../models/bayes/predictive.js';
import type { Scaling } from '../../models/bayes/fit-data.js';

const logNormal = (y: number, m: number, s: number): number => -0.5 * ((y - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);

/** Components from explicit K x n x d means and stds. */
function mixture(count: number, n: number, d: number, mean: number[], std: number[]) {
  const c = gaussianComponents(count, n, d);
  c.mean.set(mean);
  c.std.set(std);
  return c;
}

describe('setComponentMeans and setComponentStds: raw outputs to the targets\' units', () => {
  // Two rows of d = 2 targets; raw rows are [mean0, mean1, rawLogStd0, rawLogStd1].
  const raw = Float32Array.from([0.5, -1, 0.3, -2, 2, 0.25, 1.5, -8]);
  const scaling: Scaling = { xMean: [0], xStd: [1], yMean: [10, -3], yStd: [2, 0.5] };
  const bounds = { min: -6, max: 1 };

  it('means: z yStd + yMean per target, in component k\'s block only', () => {
    const c = gaussianComponents(2, 2, 2);
    setComponentMeans(c, 1, raw, scaling);
    expect(Array.from(c.mean.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(c.mean.subarray(4))).toEqual([0.5 * 2 + 10, -1 * 0.5 - 3, 2 * 2 + 10, 0.25 * 0.5 - 3]);
  });

  it('each setter writes its own component only, whichever order they come in', () => {
    const c = gaussianComponents(2, 2, 2);
    c.mean.fill(7);
    c.std.fill(7);
    setComponentMeans(c, 0, raw, scaling);
    setComponentStds(c, 0, raw, scaling, bounds);
    expect(Array.from(c.mean.subarray(4))).toEqual([7, 7, 7, 7]);
    expect(Array.from(c.std.subarray(4))).toEqual([7, 7, 7, 7]);
  });

  it('means: the prior\'s mean columns are added before un-standardising, its log-std columns ignored', () => {
    const c = gaussianComponents(1, 2, 2);
    const prior = Float32Array.from([1, 2, 100, 100, -1, 4, 100, 100]);
    setComponentMeans(c, 0, raw, scaling, prior);
    expect(Array.from(c.mean)).toEqual([1.5 * 2 + 10, 1 * 0.5 - 3, 1 * 2 + 10, 4.25 * 0.5 - 3]);
  });

  it('stds: exp of the soft-clamped log-std times yStd, in component k\'s block only', () => {
    const c = gaussianComponents(2, 2, 2);
    setComponentStds(c, 0, raw, scaling, bounds);
    const want = [raw[2]!, raw[3]!, raw[6]!, raw[7]!].map((r, k) => Math.exp(boundedLogStd(r, -6, 1)) * (k % 2 === 0 ? 2 : 0.5));
    Array.from(c.std.subarray(0, 4)).forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 12));
    expect(Array.from(c.std.subarray(4))).toEqual([0, 0, 0, 0]);
    // The clamp binds: a raw log-std of -8 stays above exp(-6) yStd, and 1.5 below exp(1) yStd.
    expect(c.std[3]).toBeGreaterThan(Math.exp(-6) * 0.5);
    expect(c.std[2]).toBeLessThan(Math.exp(1) * 2);
  });
});

describe('mixtureLogProb: log (1/K) sum_k prod_j N(y_j; mean_kj, std_kj^2)', () => {
  it('one component of one target is the Gaussian log-density, constant included', () => {
    const c = mixture(1, 3, 1, [0, 1, -2], [1, 0.5, 3]);
    const got = mixtureLogProb(c, Float32Array.of(0.3, 2, -2));
    expect(got[0]).toBeCloseTo(logNormal(Math.fround(0.3), 0, 1), 12);
    expect(got[1]).toBeCloseTo(logNormal(2, 1, 0.5), 12);
    expect(got[2]).toBeCloseTo(logNormal(-2, -2, 3), 12);
  });

  it('two components of two targets over two rows: the average of the products of densities', () => {
    // K x n x d = 2 x 2 x 2.
    const mean = [0, 1, -1, 2, /* k = 1 */ 0.5, 0, 3, -1];
    const std = [1, 2, 0.5, 1, /* k = 1 */ 0.7, 1.5, 2, 0.25];
    const y = [0.2, 0.4, 0, 1];
    const c = mixture(2, 2, 2, mean, std);
    const got = mixtureLogProb(c, Float32Array.from(y));
    for (let i = 0; i < 2; i++) {
      let p = 0;
      for (let k = 0; k < 2; k++) {
        let prod = 1;
        for (let j = 0; j < 2; j++) prod *= Math.exp(logNormal(Math.fround(y[i * 2 + j]!), mean[k * 4 + i * 2 + j]!, std[k * 4 + i * 2 + j]!));
        p += prod / 2;
      }
      expect(got[i]).toBeCloseTo(Math.log(p), 6);
    }
  });

  it('three components weigh equally (a point on one of them gets log of a third of its density)', () => {
    const c = mixture(3, 1, 1, [0, 100, -100], [1, 1, 1]);
    expect(mixtureLogProb(c, Float32Array.of(0))[0]).toBeCloseTo(logNormal(0, 0, 1) - Math.log(3), 10);
  });

  it('stays finite and exact far from every component (log-sum-exp)', () => {
    const c = mixture(2, 1, 1, [0, 1], [0.01, 0.01]);
    // 50 std out: each density underflows, the log does not; the nearer component dominates.
    const got = mixtureLogProb(c, Float32Array.of(1.5))[0]!;
    expect(Number.isFinite(got)).toBe(true);
    expect(got).toBeCloseTo(logNormal(1.5, 1, 0.01) + Math.log(1 + Math.exp(logNormal(1.5, 0, 0.01) - logNormal(1.5, 1, 0.01))) - Math.log(2), 6);
  });

  it('names y\'s expected shape when y is short or not finite', () => {
    const c = mixture(1, 2, 2, [0, 0, 0, 0], [1, 1, 1, 1]);
    expect(() => mixtureLogProb(c, Float32Array.of(0, 1, 2))).toThrow('Expected y to be a Float32Array of n x dim = 2 x 2 = 4 values, got');
    expect(() => mixtureLogProb(c, Float32Array.of(0, 1, NaN, 2))).toThrow('Expected y (n x dim = 2 x 2) to hold');
  });

  it('writes n values into out when given, and nothing past them', () => {
    const c = mixture(1, 2, 1, [0, 0], [1, 1]);
    const out = Float64Array.of(5, 5, 5);
    expect(mixtureLogProb(c, Float32Array.of(0, 1), out)).toBe(out);
    expect(out[1]).toBeCloseTo(logNormal(1, 0, 1), 12);
    expect(out[2]).toBe(5);
  });
});

describe('mixtureSample: a component per row, then its Gaussian', () => {
  it('draws match each row\'s mixture mean and variance, and pick components equally', () => {
    const n = 40000;
    // Row i: components at -1 (std 0.5) and 3 (std 1), for every row; d = 1.
    const c = gaussianComponents(2, n, 1);
    for (let i = 0; i < n; i++) {
      c.mean[i] = -1;
      c.std[i] = 0.5;
      c.mean[n + i] = 3;
      c.std[n + i] = 1;
    }
    const draws = mixtureSample(c, new Rng(5));
    let m = 0;
    let high = 0;
    for (const v of draws) {
      m += v / n;
      if (v > 1) high++;
    }
    let v2 = 0;
    for (const v of draws) v2 += (v - m) ** 2 / n;
    expect(m).toBeCloseTo(1, 1);
    // Mixture variance: the means' spread (4) plus the mean variance ((0.25 + 1) / 2).
    expect(v2).toBeCloseTo(4 + 0.625, 1);
    expect(high / n).toBeGreaterThan(0.48);
    expect(high / n).toBeLessThan(0.52);
  });

  it('each target of a row comes from the same component, and each row its own', () => {
    // d = 2; the components differ in sign on both targets, with tiny stds: a row's two draws share a sign.
    const n = 200;
    const c = gaussianComponents(2, n, 2);
    for (let i = 0; i < n; i++) {
      c.mean.set([1, 10], i * 2);
      c.mean.set([-1, -10], n * 2 + i * 2);
      c.std.fill(1e-6);
    }
    const draws = mixtureSample(c, new Rng(1));
    let positive = 0;
    for (let i = 0; i < n; i++) {
      expect(Math.sign(draws[i * 2]!)).toBe(Math.sign(draws[i * 2 + 1]!));
      expect(Math.abs(draws[i * 2 + 1]!)).toBeCloseTo(10, 4);
      if (draws[i * 2]! > 0) positive++;
    }
    expect(positive).toBeGreaterThan(70);
    expect(positive).toBeLessThan(130);
  });

  it('reads row i\'s own mean and std, and writes into out when given', () => {
    const c = mixture(1, 3, 1, [1, 2, 3], [1e-6, 1e-6, 1e-6]);
    const out = new Float32Array(3);
    expect(mixtureSample(c, new Rng(0), out)).toBe(out);
    Array.from(out).forEach((v, i) => expect(v).toBeCloseTo(i + 1, 4));
  });

  it('draws exactly: per row one int(K) for the component, then one normal per target, and nothing more', () => {
    const mean = [0, 1, 2, 3, 4, 5, /* k = 1 */ 10, 11, 12, 13, 14, 15];
    const std = [1, 2, 3, 1, 2, 3, /* k = 1 */ 0.5, 0.25, 4, 0.5, 0.25, 4];
    const c = mixture(2, 3, 2, mean, std);
    const rng = new Rng(11);
    const out = Float32Array.of(9, 9, 9, 9, 9, 9, 9);
    mixtureSample(c, rng, out);
    const twin = new Rng(11);
    for (let i = 0; i < 3; i++) {
      const k = twin.int(2);
      for (let j = 0; j < 2; j++) expect(out[i * 2 + j]).toBe(Math.fround(twin.normal(mean[k * 6 + i * 2 + j]!, std[k * 6 + i * 2 + j]!)));
    }
    expect(out[6]).toBe(9);
    expect(rng.float()).toBe(twin.float());
  });

  it('is seeded: one generator state, one set of draws', () => {
    const c = mixture(2, 4, 1, [0, 1, 2, 3, 5, 6, 7, 8], [1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(mixtureSample(c, new Rng(9)))).toEqual(Array.from(mixtureSample(c, new Rng(9))));
    expect(Array.from(mixtureSample(c, new Rng(9)))).not.toEqual(Array.from(mixtureSample(c, new Rng(10))));
  });
});
