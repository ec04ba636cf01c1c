import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import {
  DEFAULT_MAX_LOG_STD, DEFAULT_MIN_LOG_STD, GaussianMlp, MixtureAccumulator, boundedLogStd, boundedLogStdGrad, heteroscedasticLoss,
} from '../../models/bayes/heteroscedastic.js';

/** The loss written out in float64: mean_i sum_j (y - mu)^2 / (2 sigma^2) + log sigma. */
function reference(out: Float32Array, y: Float32Array, n: number, d: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const mu = out[i * 2 * d + j]!;
      const logSigma = boundedLogStd(out[i * 2 * d + d + j]!);
      s += (y[i * d + j]! - mu) ** 2 / (2 * Math.exp(2 * logSigma)) + logSigma;
    }
  }
  return s / n;
}

describe('heteroscedastic loss', () => {
  const n = 5;
  const d = 2;
  const rng = new Rng(3);
  const out = Float32Array.from({ length: n * 2 * d }, (_, k) => (k % (2 * d) < d ? rng.normal(0, 1) : rng.uniform(-3, 1.5)));
  const y = Float32Array.from({ length: n * d }, () => rng.normal(0, 1.5));

  it('is ||y - mu||^2 / (2 sigma^2) + log sigma, averaged over rows', () => {
    expect(heteroscedasticLoss(out, y, n, d, null)).toBeCloseTo(reference(out, y, n, d), 5);
  });

  it('has the gradient of central finite differences for every mean and raw log-std', () => {
    const grad = new Float32Array(n * 2 * d);
    heteroscedasticLoss(out, y, n, d, grad);
    for (let k = 0; k < out.length; k++) {
      const plus = out.slice();
      const minus = out.slice();
      plus[k] = out[k]! + 1e-3;
      minus[k] = out[k]! - 1e-3;
      // The float32 step actually taken, not the nominal one.
      const fd = (reference(plus, y, n, d) - reference(minus, y, n, d)) / (plus[k]! - minus[k]!);
      expect(grad[k]!, `d loss / d out[${k}]`).toBeCloseTo(fd, 3);
    }
  });

  it('soft-clamps the log-std into its bounds with the right slope', () => {
    for (const r of [-50, -8, -3, 0, 1.9, 3, 50]) {
      const ls = boundedLogStd(r);
      expect(ls).toBeGreaterThanOrEqual(DEFAULT_MIN_LOG_STD);
      // Soft bounds: the upper one is exceeded by at most softplus(max - min) - (max - min) = 1.2e-4.
      expect(ls).toBeLessThanOrEqual(DEFAULT_MAX_LOG_STD + 2e-4);
      const fd = (boundedLogStd(r + 1e-5) - boundedLogStd(r - 1e-5)) / 2e-5;
      expect(boundedLogStdGrad(r)).toBeCloseTo(fd, 6);
    }
    // Inside the bounds it is close to the identity.
    expect(boundedLogStd(-2)).toBeCloseTo(-2, 1);
  });
});

describe('GaussianMlp', () => {
  it('learns a noise scale that grows with |x| (not only the mean)', () => {
    const rng = new Rng(1);
    const n = 512;
    const x = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    const sd = (v: number) => 0.05 + 0.5 * Math.abs(v);
    const y = x.map((v) => 2 * v + rng.normal(0, sd(v)));
    const mlp = new GaussianMlp({ inDim: 1, outDim: 1, hidden: [32, 32], dropout: 0, seed: 0, learningRate: 1e-2, weightDecay: 0, minLogStd: -7, maxLogStd: 2 });
    const train = new Rng(2);
    const loss = () => heteroscedasticLoss(mlp.predictRaw(x, n, null), y, n, 1, null);
    const before = loss();
    for (let step = 0; step < 1500; step++) {
      const idx = Array.from({ length: 64 }, () => train.int(n));
      mlp.trainStep(Float32Array.from(idx, (i) => x[i]!), Float32Array.from(idx, (i) => y[i]!), 64, train);
    }
    expect(loss()).toBeLessThan(before - 1);
    const probe = new Float32Array([0, 0.9]);
    const raw = mlp.predictRaw(probe, 2, null);
    const sigma = [Math.exp(boundedLogStd(raw[1]!)), Math.exp(boundedLogStd(raw[3]!))];
    expect(sigma[0]).toBeLessThan(0.15);
    expect(sigma[1]).toBeGreaterThan(0.3);
    expect(sigma[1]).toBeLessThan(0.7);
    expect(raw[2]).toBeCloseTo(1.8, 0);
  });

  it('drops units with dropout: masks change the output, and a shared mask is one function for every row', () => {
    const mlp = new GaussianMlp({ inDim: 1, outDim: 1, hidden: [16], dropout: 0.5, seed: 4, learningRate: 1e-3, weightDecay: 0, minLogStd: -7, maxLogStd: 2 });
    const rng = new Rng(0);
    const [m1, m2] = [mlp.sampleMasks(rng), mlp.sampleMasks(rng)];
    expect(new Set(m1[0]!)).toEqual(new Set([0, 2]));
    const x = new Float32Array([0.3, 0.3]);
    const a = mlp.predictRaw(x, 2, m1);
    expect(a[0]).toBe(a[2]);
    expect(mlp.predictRaw(x, 2, m2)[0]).not.toBe(a[0]);
  });
});

describe('MixtureAccumulator', () => {
  it('splits the mixture into the spread of the means and the mean of the variances, in target units', () => {
    const scaling = { xMean: [0], xStd: [1], yMean: [10], yStd: [2] };
    const acc = new MixtureAccumulator(1, 1, scaling, { min: -7, max: 2 });
    const raw = (mu: number, logStd: number) => new Float32Array([mu, logStd]);
    // Log-stds well inside the bounds, where the soft clamp is nearly the identity; the exact values go through it.
    acc.add(raw(1, -1));
    acc.add(raw(-1, -1));
    acc.add(raw(0, -1));
    const r = acc.result();
    expect(r.mean[0]).toBeCloseTo(10, 5);
    expect(r.epistemic[0]).toBeCloseTo((4 * 2) / 3, 4);
    expect(r.aleatoric[0]).toBeCloseTo(4 * Math.exp(2 * boundedLogStd(-1)), 4);
  });
});
