import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFitted } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { Gan } from '../../models/gan.js';
import { Vae, bernoulliLogLik, gaussianKl, gaussianLogLik, loadVae } from '../../models/vae.js';
import { IncompatibleState } from '../../nn/errors.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function randn(n: number, rng: Rng, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** Central differences of f at each entry of `a` (perturbing the float32 entry, dividing by the real step). */
function numericGrad(a: Float32Array, f: () => number, h = 3e-3): Float64Array {
  const g = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) {
    const v = a[k]!;
    a[k] = v + h;
    const up = a[k]!;
    const fu = f();
    a[k] = v - h;
    const dn = a[k]!;
    const fd = f();
    a[k] = v;
    g[k] = (fu - fd) / (up - dn);
  }
  return g;
}

function expectClose(analytic: ArrayLike<number>, numeric: ArrayLike<number>, rel: number, abs: number): void {
  let worst = 0;
  for (let k = 0; k < numeric.length; k++) {
    const err = Math.abs(analytic[k]! - numeric[k]!) - rel * Math.abs(numeric[k]!);
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThan(abs);
}

/** Four 16-pixel prototypes with 5% of pixels flipped: correlated bits that independent pixels model badly. */
function patterns(n: number, rng: Rng): Float32Array {
  const protos = [0x00ff, 0xff00, 0x0f0f, 0xf0f0];
  const x = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) {
    const p = protos[rng.int(4)]!;
    for (let j = 0; j < 16; j++) x[i * 16 + j] = ((p >> j) & 1) ^ (rng.float() < 0.05 ? 1 : 0);
  }
  return x;
}

/** Mean log-likelihood (nats per row) of the best independent-Bernoulli model fitted on `train`, on `test`. */
function independentBaseline(train: Float32Array, test: Float32Array, d: number): number {
  const nTrain = train.length / d;
  const nTest = test.length / d;
  let ll = 0;
  for (let j = 0; j < d; j++) {
    let p = 0;
    for (let i = 0; i < nTrain; i++) p += train[i * d + j]!;
    p = Math.min(Math.max(p / nTrain, 1e-3), 1 - 1e-3);
    for (let i = 0; i < nTest; i++) ll += test[i * d + j]! ? Math.log(p) : Math.log(1 - p);
  }
  return ll / nTest;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

describe('ELBO terms: closed forms and their gradients', () => {
  const rng = new Rng(1);
  const n = 3;
  const d = 4;

  it('KL(N(mu, var) || N(0, 1)) matches the closed form and its finite differences', () => {
    const mu = randn(n * d, rng);
    const lv = randn(n * d, rng, 0.5);
    const dMu = new Float32Array(n * d);
    const dLv = new Float32Array(n * d);
    gaussianKl(mu, lv, n, d, dMu, dLv);
    expectClose(dMu, numericGrad(mu, () => gaussianKl(mu, lv, n, d)), 1e-3, 1e-4);
    expectClose(dLv, numericGrad(lv, () => gaussianKl(mu, lv, n, d)), 1e-3, 1e-4);
    // mu 0 and var 1: no divergence; mu 1, var e: 0.5 (1 + e - 1 - 1).
    expect(gaussianKl(new Float32Array(2), new Float32Array(2), 1, 2)).toBe(0);
    expect(gaussianKl(new Float32Array([1]), new Float32Array([1]), 1, 1)).toBeCloseTo(0.5 * (Math.E - 1), 6);
  });

  it('Bernoulli and Gaussian log-likelihoods match finite differences', () => {
    const logits = randn(n * d, rng, 2);
    const x = Float32Array.from({ length: n * d }, () => (rng.float() < 0.5 ? 1 : 0));
    const dl = new Float32Array(n * d);
    bernoulliLogLik(logits, x, n, d, undefined, dl);
    expectClose(dl, numericGrad(logits, () => bernoulliLogLik(logits, x, n, d)), 1e-3, 1e-4);
    // log sigmoid(0) per pixel.
    expect(bernoulliLogLik(new Float32Array(4), x, 1, 4)).toBeCloseTo(4 * Math.log(0.5), 6);

    const params = randn(n * 2 * d, rng);
    const y = randn(n * d, rng);
    const dp = new Float32Array(n * 2 * d);
    gaussianLogLik(params, y, n, d, undefined, dp);
    expectClose(dp, numericGrad(params, () => gaussianLogLik(params, y, n, d)), 1e-3, 1e-4);
  });

  for (const likelihood of ['bernoulli', 'gaussian'] as const) {
    it(`the ${likelihood} VAE's parameter gradients of -beta-ELBO match finite differences through encoder, reparameterisation and decoder`, async () => {
      const vae = new Vae({ dim: 6, latent: 2, hidden: [5], likelihood, beta: 0.7, seed: 3 });
      const r = new Rng(4);
      const m = 4;
      const x = likelihood === 'bernoulli' ? Float32Array.from({ length: m * 6 }, () => (r.float() < 0.4 ? 1 : 0)) : randn(m * 6, r);
      const noise = randn(m * 2, r);
      for (const net of [vae.encoder, vae.decoder]) {
        vae.encoder.zeroGrad();
        vae.decoder.zeroGrad();
        vae.objectiveGradient(x, m, noise);
        const analytic = net.grads.slice();
        const numeric = numericGrad(net.params, () => {
          net.paramsChanged();
          return vae.objective(x, m, noise);
        });
        net.paramsChanged();
        // float32 networks: differences of 3e-3 stay clear of most relu kinks and carry ~1e-5 of rounding here.
        expectClose(analytic, numeric, 1e-3, 5e-4);
        expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-2);
      }
    });
  }
});

describe('Vae learns', () => {
  it('held-out binary patterns: the importance-weighted bound beats independent pixels and the untrained model, and sits above the ELBO', async () => {
    const rng = new Rng(7);
    const train = patterns(2000, rng);
    const test = patterns(300, rng);
    const vae = new Vae({ dim: 16, latent: 4, hidden: [64], seed: 0, importanceSamples: 50 });
    const losses: number[] = [];
    const report = await vae.fit(train, 2000, { epochs: 1, batchSize: 32 });
    const early = vae.evaluate(test, 300);
    await vae.fit(train, 2000, { epochs: 14, batchSize: 32, onEpoch: (e) => losses.push(e.loss) });
    const { elbo, iw } = vae.evaluate(test, 300);
    const baseline = independentBaseline(train, test, 16);
    // 4 equally likely prototypes with 5% flips: the true log p(x) is about -(log 4 + 16 H(0.05)) = -4.6 nats;
    // independent pixels (p = 0.5 each) get 16 log 0.5 = -11.1.
    expect(baseline).toBeLessThan(-10.5);
    expect(mean(iw)).toBeGreaterThan(-6);
    expect(mean(iw)).toBeGreaterThan(mean(early.iw) + 1);
    expect(mean(iw)).toBeGreaterThanOrEqual(mean(elbo));
    expect(losses.at(-1)!).toBeLessThan(report.losses[0]!);
    expect(vae.logProb(test, 5)).toHaveLength(5);
    // Samples land on the prototypes: most are within 2 flipped pixels of one.
    const s = vae.sample(200);
    let near = 0;
    for (let i = 0; i < 200; i++) {
      const dist = [0x00ff, 0xff00, 0x0f0f, 0xf0f0].map((p) => {
        let h = 0;
        for (let j = 0; j < 16; j++) h += s[i * 16 + j] !== ((p >> j) & 1) ? 1 : 0;
        return h;
      });
      if (Math.min(...dist) <= 2) near++;
    }
    // Data: 96% within 2 flips of a prototype; uniform random bits: under 1%.
    expect(near / 200).toBeGreaterThan(0.5);
  });

  it('Gaussian likelihood: correlated rows on a line get a better bound than independent Gaussians, and beta trades reconstruction for KL', async () => {
    const rng = new Rng(8);
    const make = (n: number) => {
      const x = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) {
        const t = rng.normal();
        [1, -1, 0.5, 2].forEach((a, j) => (x[i * 4 + j] = a * t + 0.05 * rng.normal()));
      }
      return x;
    };
    const train = make(1500);
    const test = make(200);
    const vae = new Vae({ dim: 4, latent: 2, hidden: [32], likelihood: 'gaussian', seed: 1, importanceSamples: 50 });
    await vae.fit(train, 1500, { epochs: 30, batchSize: 32 });
    const { iw } = vae.evaluate(test, 200);
    // Independent Gaussians: sum_j log N with the marginal variances a_j^2 + 0.05^2.
    const indep = [1, -1, 0.5, 2].reduce((s, a) => s - 0.5 * Math.log(2 * Math.PI * (a * a + 0.0025)) - 0.5, 0);
    expect(mean(iw)).toBeGreaterThan(indep + 2);

    const klOf = (v: Vae) => {
      const enc = v.encoder.predict(test, 200);
      const mu = new Float32Array(400);
      const lv = new Float32Array(400);
      for (let i = 0; i < 200; i++) for (let j = 0; j < 2; j++) [mu[i * 2 + j], lv[i * 2 + j]] = [enc[i * 4 + j]!, enc[i * 4 + 2 + j]!];
      return gaussianKl(mu, lv, 200, 2) / 200;
    };
    const heavy = new Vae({ dim: 4, latent: 2, hidden: [32], likelihood: 'gaussian', seed: 1, beta: 8 });
    await heavy.fit(train, 1500, { epochs: 30, batchSize: 32 });
    expect(klOf(heavy)).toBeLessThan(klOf(vae) - 0.5);
  });
});

describe('Vae: seeds, saving, errors', () => {
  it('is deterministic for a seed, and a saved model samples on exactly as the original', async () => {
    const rng = new Rng(9);
    const x = patterns(200, rng);
    const a = new Vae({ dim: 16, latent: 2, hidden: [16], seed: 5 });
    const b = new Vae({ dim: 16, latent: 2, hidden: [16], seed: 5 });
    await a.fit(x, 200, { epochs: 2 });
    await b.fit(x, 200, { epochs: 2 });
    expect(b.decoder.params).toEqual(a.decoder.params);
    const dir = await mkdtemp(join(tmpdir(), 'vae-'));
    dirs.push(dir);
    await a.save(join(dir, 'vae'));
    const c = await loadVae(join(dir, 'vae'));
    expect(c.sample(10, undefined, true)).toEqual(a.sample(10, undefined, true));
    await c.fit(x, 200, { epochs: 1 });
    await a.fit(x, 200, { epochs: 1 });
    expect(c.encoder.params).toEqual(a.encoder.params);

    const gan = new Gan({ dim: 2, generatorHidden: [4], discriminatorHidden: [4] });
    await gan.fit(new Float32Array(64), 32, { epochs: 1 });
    await gan.save(join(dir, 'gan'));
    await expect(loadVae(join(dir, 'gan'))).rejects.toThrow(IncompatibleState);
    await expect(loadVae(join(dir, 'gan'))).rejects.toThrow(/model.vae/);
  });

  it('names the expected shape for bad data, and refuses to sample or evaluate before fit', async () => {
    const vae = new Vae({ dim: 4, latent: 2, hidden: [4] });
    expect(() => vae.sample(3)).toThrow(NotFitted);
    expect(() => vae.sample(3)).toThrow(/Expected a fitted VAE before sample\(\), got an untrained one: call fit\(\) or loadVae\(\) first/);
    expect(() => vae.logProb(new Float32Array(4), 1)).toThrow(NotFitted);
    await expect(vae.fit(new Float32Array(7), 2)).rejects.toThrow(/n x dim = 2 x 4 = 8 values/);
    await expect(vae.fit(Float32Array.from([0, 1, NaN, 0]), 1)).rejects.toThrow(/NaN at row 0, column 2/);
    await expect(vae.fit(Float32Array.from([0, 1, 2, 0]), 1)).rejects.toThrow(/to hold values in \[0, 1\], got 2 at row 0, column 2/);
    // A Gaussian VAE takes any finite values, not only [0, 1].
    const gaussian = new Vae({ dim: 4, latent: 2, hidden: [4], likelihood: 'gaussian' });
    await expect(gaussian.fit(Float32Array.from([0, 1, 2, -3]), 1, { epochs: 1 })).resolves.toMatchObject({ epochs: 1 });
    await expect(vae.fit(new Float32Array(4), 0)).rejects.toThrow(/Expected n \(the rows of data\) to be a positive integer, got 0/);
    expect(() => new Vae({ dim: 0 })).toThrow(/vae.dim/);
    expect(() => new Vae({ dim: 4, likelihood: 'poisson' as 'gaussian' })).toThrow(/likelihood/);
  });
});
