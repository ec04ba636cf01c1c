// The VAE's arithmetic against hand-computed values: the ELBO's terms and their gradients (vae-bounds.ts), the
// per-row ELBO and importance-weighted bound from a known decoder and known noise, and how Vae wires them
// (reparameterisation, beta, the log-variance clamp). `npm run mutate` runs this file against that code.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { Vae } from '../../models/vae.js';
import {
  LOGVAR_LIMIT, MIN_LOG_STD, bernoulliLogLik, clampLogVar, decoderLogStd, gaussianKl, gaussianLogLik, sigmoid, softplus, vaeBounds,
} from '../../models/vae-bounds.js';

const LOG_2PI = Math.log(2 * Math.PI);
const f32 = (a: number[]): Float32Array => Float32Array.from(a);
/** log N(x; mean, std^2) in nats, written out. */
const logNormal = (x: number, mean: number, std: number): number => -0.5 * ((x - mean) / std) ** 2 - Math.log(std) - 0.5 * LOG_2PI;
/** log Bernoulli(x; sigmoid(l)) = x log sigmoid(l) + (1 - x) log(1 - sigmoid(l)), for moderate l. */
const logBernoulli = (x: number, l: number): number => x * Math.log(1 / (1 + Math.exp(-l))) + (1 - x) * Math.log(1 - 1 / (1 + Math.exp(-l)));

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i]!, digits);
}

describe('the scalar pieces', () => {
  it('softplus is log(1 + e^u), also far out on both sides', () => {
    for (const u of [-3.5, -0.7, 0, 0.4, 2.9]) expect(softplus(u)).toBeCloseTo(Math.log1p(Math.exp(u)), 12);
    expect(softplus(800)).toBe(800);
    expect(softplus(-800)).toBe(0);
    expect(softplus(-40)).toBeCloseTo(Math.exp(-40), 25);
  });

  it('sigmoid is 1 / (1 + e^-u) on both branches, with no NaN far out', () => {
    for (const u of [-4, -1.5, 0, 0.3, 3]) expect(sigmoid(u)).toBeCloseTo(1 / (1 + Math.exp(-u)), 12);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
  });

  it('clamps the log-variance into [-12, 12] and leaves the inside alone', () => {
    expect(LOGVAR_LIMIT).toBe(12);
    expect([clampLogVar(-30), clampLogVar(-12), clampLogVar(-3.5), clampLogVar(0), clampLogVar(11.5), clampLogVar(12), clampLogVar(40)]).toEqual([-12, -12, -3.5, 0, 11.5, 12, 12]);
  });

  it("bounds the Gaussian decoder's log-std softly below by MIN_LOG_STD", () => {
    expect(MIN_LOG_STD).toBe(-5);
    expect(decoderLogStd(MIN_LOG_STD)).toBeCloseTo(MIN_LOG_STD + Math.LN2, 12);
    expect(decoderLogStd(1.5)).toBeCloseTo(MIN_LOG_STD + Math.log1p(Math.exp(6.5)), 12);
    expect(decoderLogStd(-60)).toBeCloseTo(MIN_LOG_STD, 12);
    expect(decoderLogStd(60)).toBeCloseTo(60, 12);
  });
});

describe('gaussianKl: KL(N(mu, e^logVar) || N(0, 1)) summed, and scale times its gradient', () => {
  const mu = f32([1, 0, -2, 0.5]);
  const logVar = f32([0, Math.log(2), 0.3, -1]);
  const kl = (m: number, lv: number) => 0.5 * (m * m + Math.exp(lv) - 1 - lv);

  it('sums the closed form over n rows of d', () => {
    const expected = [0, 1, 2, 3].reduce((s, k) => s + kl(mu[k]!, logVar[k]!), 0);
    expect(gaussianKl(mu, logVar, 2, 2)).toBeCloseTo(expected, 6);
    // Only the first n x d entries count.
    expect(gaussianKl(mu, logVar, 1, 2)).toBeCloseTo(kl(1, 0) + kl(0, Math.log(2)), 6);
    expect(gaussianKl(f32([0, 0]), f32([0, 0]), 1, 2)).toBe(0);
  });

  it('writes scale mu and scale (e^logVar - 1) / 2, each array on its own, and nothing past n x d', () => {
    const dMu = new Float32Array(5).fill(7);
    const dLv = new Float32Array(5).fill(7);
    gaussianKl(mu, logVar, 2, 2, dMu, dLv, -0.5);
    expectAllClose(dMu, [-0.5, 0, 1, -0.25, 7], 6);
    expectAllClose(dLv, [0, 1, 2, 3].map((k) => -0.5 * 0.5 * (Math.exp(logVar[k]!) - 1)).concat([7]), 6);
    const onlyMu = new Float32Array(4);
    gaussianKl(mu, logVar, 2, 2, onlyMu);
    expectAllClose(onlyMu, [1, 0, -2, 0.5], 6);
    const onlyLv = new Float32Array(4);
    gaussianKl(mu, logVar, 2, 2, undefined, onlyLv);
    expectAllClose(onlyLv, [0, 1, 2, 3].map((k) => 0.5 * (Math.exp(logVar[k]!) - 1)), 6);
  });
});

describe('bernoulliLogLik: x l - softplus(l), per row and summed, with scale (x - sigmoid(l))', () => {
  const logits = f32([2, -3, 0, 0.5, -0.25, 4]);
  const x = f32([1, 0, 0.25, 0, 1, 1]);

  it('matches x log p + (1 - x) log (1 - p) row by row', () => {
    const rows = new Float64Array(3).fill(9);
    const sum = bernoulliLogLik(logits, x, 2, 3, rows);
    const r0 = logBernoulli(1, 2) + logBernoulli(0, -3) + logBernoulli(0.25, 0);
    const r1 = logBernoulli(0, 0.5) + logBernoulli(1, -0.25) + logBernoulli(1, 4);
    expectAllClose(rows, [r0, r1, 9], 5);
    expect(sum).toBeCloseTo(r0 + r1, 5);
    expect(bernoulliLogLik(logits, x, 1, 3)).toBeCloseTo(r0, 5);
  });

  it('writes scale (x - sigmoid(l)) on both sides of 0, and stays finite at huge logits', () => {
    const d = new Float32Array(7).fill(5);
    bernoulliLogLik(logits, x, 2, 3, undefined, d, 2);
    expectAllClose(d, [0, 1, 2, 3, 4, 5].map((k) => 2 * (x[k]! - 1 / (1 + Math.exp(-logits[k]!)))).concat([5]), 5);
    const rows = new Float64Array(1);
    expect(bernoulliLogLik(f32([800, -800]), f32([1, 0]), 1, 2, rows)).toBe(0);
    const dHuge = new Float32Array(2);
    bernoulliLogLik(f32([800, -800]), f32([0, 1]), 1, 2, undefined, dHuge);
    expect(Array.from(dHuge)).toEqual([-1, 1]);
  });
});

describe('gaussianLogLik: rows of [mean (d), raw log-std (d)], log-std through decoderLogStd', () => {
  // Two rows of d = 2: means then raw log-stds.
  const params = f32([0.5, -1, 0.3, -6, 2, 1, -0.4, 1.5]);
  const x = f32([1, -1.5, 1.2, 0]);

  it('matches log N(x; mean, std^2) per row', () => {
    const rows = new Float64Array(2);
    const sum = gaussianLogLik(params, x, 2, 2, rows);
    const std = (raw: number) => Math.exp(decoderLogStd(raw));
    const r0 = logNormal(1, 0.5, std(0.3)) + logNormal(-1.5, -1, std(-6));
    const r1 = logNormal(1.2, 2, std(-0.4)) + logNormal(0, 1, std(1.5));
    expectAllClose(rows, [r0, r1], 4);
    expect(sum).toBeCloseTo(r0 + r1, 4);
  });

  it('writes scale (x - mean) / std^2 for the mean and scale (z^2 - 1) sigmoid(raw - MIN_LOG_STD) for the raw log-std', () => {
    const d = new Float32Array(8);
    gaussianLogLik(params, x, 2, 2, undefined, d, 0.5);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      const g: number[] = [];
      const h: number[] = [];
      for (let j = 0; j < 2; j++) {
        const mean = params[i * 4 + j]!;
        const raw = params[i * 4 + 2 + j]!;
        const v = Math.exp(2 * decoderLogStd(raw));
        const e = x[i * 2 + j]! - mean;
        g.push((0.5 * e) / v);
        h.push(0.5 * ((e * e) / v - 1) / (1 + Math.exp(-(raw - MIN_LOG_STD))));
      }
      expected.push(...g, ...h);
    }
    for (let k = 0; k < 8; k++) expect(d[k]! / expected[k]!, `index ${k}`).toBeCloseTo(1, 4);
  });
});

describe('vaeBounds: the per-row ELBO and importance-weighted bound', () => {
  const L = 2;
  // Two rows of encoder output [mu (2), raw logVar (2)]; the second row's first log-variance is clamped (-13 -> -12).
  const enc = f32([0.3, -0.6, -0.2, 0.4, 1.1, 0.2, -13, -0.5]);
  /** The same bounds, written out from densities: log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x). */
  function expectedBounds(K: number, rowLogLik: (z: number[], row: number) => number, seed: number) {
    const rng = new Rng(seed);
    const elbo: number[] = [];
    const iw: number[] = [];
    for (let i = 0; i < 2; i++) {
      const mu = [enc[i * 4]!, enc[i * 4 + 1]!];
      const lv = [Math.max(-12, Math.min(12, enc[i * 4 + 2]!)), Math.max(-12, Math.min(12, enc[i * 4 + 3]!))];
      const logW: number[] = [];
      let recon = 0;
      for (let k = 0; k < K; k++) {
        const z = [0, 1].map((j) => mu[j]! + Math.exp(lv[j]! / 2) * rng.normal());
        const ll = rowLogLik(z, i);
        recon += ll / K;
        const logQ = logNormal(z[0]!, mu[0]!, Math.exp(lv[0]! / 2)) + logNormal(z[1]!, mu[1]!, Math.exp(lv[1]! / 2));
        logW.push(ll + logNormal(z[0]!, 0, 1) + logNormal(z[1]!, 0, 1) - logQ);
      }
      const kl = 0.5 * [0, 1].reduce((s, j) => s + mu[j]! ** 2 + Math.exp(lv[j]!) - 1 - lv[j]!, 0);
      elbo.push(recon - kl);
      const top = Math.max(...logW);
      iw.push(top + Math.log(logW.reduce((s, w) => s + Math.exp(w - top), 0) / K));
    }
    return { elbo, iw };
  }

  it('Bernoulli: from the encoder output, K draws in row, draw, latent order, and a decoder called with K rows', () => {
    const dim = 3;
    const K = 4;
    const x = f32([1, 0, 1, 0, 0.5, 1]);
    const logitsOf = (z: number[]) => [z[0]! - z[1]!, 0.5 * z[0]! + 0.25, -z[1]! * 0.8];
    const calls: number[] = [];
    const decode = (z: Float32Array, rows: number) => {
      calls.push(rows);
      const out = new Float32Array(rows * dim);
      for (let k = 0; k < rows; k++) out.set(logitsOf([z[k * L]!, z[k * L + 1]!]), k * dim);
      return out;
    };
    const rng = new Rng(11);
    const got = vaeBounds(enc, x, 2, { dim, latent: L, likelihood: 'bernoulli', samples: K }, decode, rng);
    const want = expectedBounds(K, (z, i) => logitsOf(z).reduce((s, l, j) => s + logBernoulli(x[i * dim + j]!, l), 0), 11);
    expect(calls).toEqual([K, K]);
    expectAllClose(got.elbo, want.elbo, 4);
    expectAllClose(got.iw, want.iw, 4);
    // Exactly n K L normal draws were taken.
    const twin = new Rng(11);
    for (let k = 0; k < 2 * K * L; k++) twin.normal();
    expect(rng.normal()).toBe(twin.normal());
  });

  it('Gaussian: the decoder rows hold [mean, raw log-std]; one draw gives the IW bound log w', () => {
    const dim = 2;
    const x = f32([0.5, -1, 2, 0.25]);
    const paramsOf = (z: number[]) => [z[0]!, z[1]! + 1, 0.3 * z[0]! - 1, -0.5];
    const decode = (z: Float32Array, rows: number) => {
      const out = new Float32Array(rows * 2 * dim);
      for (let k = 0; k < rows; k++) out.set(paramsOf([z[k * L]!, z[k * L + 1]!]), k * 2 * dim);
      return out;
    };
    for (const K of [1, 3]) {
      const got = vaeBounds(enc, x, 2, { dim, latent: L, likelihood: 'gaussian', samples: K }, decode, new Rng(5));
      const want = expectedBounds(K, (z, i) => {
        const p = paramsOf(z);
        return [0, 1].reduce((s, j) => s + logNormal(x[i * dim + j]!, p[j]!, Math.exp(decoderLogStd(p[dim + j]!))), 0);
      }, 5);
      expectAllClose(got.elbo, want.elbo, 4);
      expectAllClose(got.iw, want.iw, 4);
    }
  });

  it('the IW bound is a log-mean-exp that survives weights far below exp(-745)', () => {
    const dim = 1;
    const x = f32([1, 1]);
    // Logits of -2000: log p(x|z) = -2000 per draw, whose exp underflows to 0 without the max taken out.
    const decode = (_z: Float32Array, rows: number) => new Float32Array(rows * dim).fill(-2000);
    const got = vaeBounds(enc, x, 2, { dim, latent: L, likelihood: 'bernoulli', samples: 3 }, decode, new Rng(2));
    const want = expectedBounds(3, () => 0, 2);
    expectAllClose(got.iw.map((v) => v + 2000), want.iw, 3);
  });
});

describe('Vae.objective and objectiveGradient: the mean -(E log p(x|z) - beta KL) at given noise', () => {
  const dim = 3;
  const n = 3;
  const x = f32([1, 0, 1, 0, 0, 1, 1, 1, 0]);
  const noise = f32([0.5, -1, 1.5, 0.2, -0.3, 0.8]);

  const xGauss = f32([0.5, -1, 2, 0, 1.5, -0.5, -2, 0.25, 1]);

  /** The objective written out from the networks' outputs (Bernoulli, or Gaussian on xGauss). */
  function byHand(vae: Vae, beta: number): number {
    const gaussian = vae.config.likelihood === 'gaussian';
    const data = gaussian ? xGauss : x;
    const enc = vae.encoder.predict(data, n).slice();
    const z = new Float32Array(n * 2);
    let kl = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 2; j++) {
        const m = enc[i * 4 + j]!;
        const lv = Math.max(-12, Math.min(12, enc[i * 4 + 2 + j]!));
        z[i * 2 + j] = m + Math.exp(lv / 2) * noise[i * 2 + j]!;
        kl += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
      }
    }
    const logits = vae.decoder.predict(z, n);
    let ll = 0;
    if (gaussian) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < dim; j++) ll += logNormal(data[i * dim + j]!, logits[i * 2 * dim + j]!, Math.exp(decoderLogStd(logits[i * 2 * dim + dim + j]!)));
      }
      return (-ll + beta * kl) / n;
    }
    // x l - log(1 + e^l), with e^l taken out where it would overflow (the clamped case draws z of e^6 times the noise).
    for (let k = 0; k < n * dim; k++) ll += x[k]! * logits[k]! - (logits[k]! > 30 ? logits[k]! : Math.log1p(Math.exp(logits[k]!)));
    return (-ll + beta * kl) / n;
  }

  it('objective and objectiveGradient return the hand-computed value, for beta 1 and 0.3, Bernoulli and Gaussian', () => {
    for (const likelihood of ['bernoulli', 'gaussian'] as const) {
      const data = likelihood === 'gaussian' ? xGauss : x;
      for (const beta of [1, 0.3]) {
        const vae = new Vae({ dim, latent: 2, hidden: [4], beta, likelihood, seed: 2 });
        const want = byHand(vae, beta);
        expect(vae.objective(data, n, noise)).toBeCloseTo(want, 5);
        expect(vae.objectiveGradient(data, n, noise)).toBeCloseTo(want, 5);
      }
    }
  });

  /** Central differences of the objective in each parameter of `net`. */
  function numeric(vae: Vae, net: Vae['encoder'], h = 2e-3, data = x): Float64Array {
    const g = new Float64Array(net.params.length);
    for (let k = 0; k < g.length; k++) {
      const v = net.params[k]!;
      net.params[k] = v + h;
      net.paramsChanged();
      const up = vae.objective(data, n, noise);
      net.params[k] = v - h;
      net.paramsChanged();
      const down = vae.objective(data, n, noise);
      net.params[k] = v;
      net.paramsChanged();
      g[k] = (up - down) / (2 * h);
    }
    return g;
  }

  for (const likelihood of ['bernoulli', 'gaussian'] as const) {
    it(`its gradient is the central difference of the objective through decoder, reparameterisation and encoder (${likelihood})`, () => {
      const data = likelihood === 'gaussian' ? xGauss : x;
      const vae = new Vae({ dim, latent: 2, hidden: [4], beta: 0.6, likelihood, seed: 7 });
      vae.encoder.zeroGrad();
      vae.decoder.zeroGrad();
      vae.objectiveGradient(data, n, noise);
      for (const net of [vae.encoder, vae.decoder]) {
        const analytic = net.grads.slice();
        const want = numeric(vae, net, 2e-3, data);
        for (let k = 0; k < want.length; k++) expect(analytic[k]! - want[k]!, `param ${k}`).toBeCloseTo(0, 3);
        expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-2);
      }
    });
  }

  it('passes no gradient to a log-variance clamped at either limit', () => {
    const vae = new Vae({ dim, latent: 2, hidden: [4], seed: 3 });
    // The last encoder layer: kernel [4, 4], then bias [4] ([mu (2), logVar (2)]). Zero the logVar columns and set
    // their biases beyond the limits: the raw log-variances are exactly 20 and -20 for every row.
    const shapes = vae.encoder.paramShapes();
    const kernel = shapes.at(-2)!;
    const bias = shapes.at(-1)!;
    for (let r = 0; r < 4; r++) for (const c of [2, 3]) vae.encoder.params[kernel.offset + r * 4 + c] = 0;
    vae.encoder.params[bias.offset + 2] = 20;
    vae.encoder.params[bias.offset + 3] = -20;
    vae.encoder.paramsChanged();
    vae.encoder.zeroGrad();
    vae.decoder.zeroGrad();
    const value = vae.objectiveGradient(x, n, noise);
    expect(value).toBeCloseTo(byHand(vae, 1), 4);
    expect(vae.encoder.grads[bias.offset + 2]).toBe(0);
    expect(vae.encoder.grads[bias.offset + 3]).toBe(0);
    // The means still learn.
    expect(Math.abs(vae.encoder.grads[bias.offset]!)).toBeGreaterThan(1e-3);
    // Just inside the limits the gradient flows again: e^lv / 2 of the KL alone is about 1e5 at lv = 11.9.
    vae.encoder.params[bias.offset + 2] = 11.9;
    vae.encoder.params[bias.offset + 3] = -11.9;
    vae.encoder.paramsChanged();
    vae.encoder.zeroGrad();
    vae.objectiveGradient(x, n, noise);
    const g = numeric(vae, vae.encoder, 1e-3);
    expect(vae.encoder.grads[bias.offset + 2]! / g[bias.offset + 2]!).toBeCloseTo(1, 2);
    expect(vae.encoder.grads[bias.offset + 3]! - g[bias.offset + 3]!).toBeCloseTo(0, 3);
    // At the limits themselves the clamp is already flat: a step outwards changes nothing, so no gradient.
    vae.encoder.params[bias.offset + 2] = 12;
    vae.encoder.params[bias.offset + 3] = -12;
    vae.encoder.paramsChanged();
    vae.encoder.zeroGrad();
    vae.objectiveGradient(x, n, noise);
    expect(vae.encoder.grads[bias.offset + 2]).toBe(0);
    expect(vae.encoder.grads[bias.offset + 3]).toBe(0);
  });
});
