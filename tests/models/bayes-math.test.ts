// The Bayesian models' own arithmetic: Gal's model precision tau for MC dropout, and the deep ensemble's
// prediction as the mixture of its members (mean of their means, population variance of their means, mean of their
// variances), priors included. `npm run mutate` runs this file against those functions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { DeepEnsemble, bootstrapMasks } from '../../models/bayes/ensemble.js';
import { McDropout, dropoutPrecision } from '../../models/bayes/mc-dropout.js';

describe('MC dropout: tau = l^2 p / (2 N lambda)', () => {
  it('dropoutPrecision has the written-out value', () => {
    expect(dropoutPrecision(2, 0.9, 100, 1e-3)).toBeCloseTo((4 * 0.9) / (2 * 100 * 1e-3), 12);
    expect(dropoutPrecision(0.5, 0.8, 10, 0.01)).toBeCloseTo((0.25 * 0.8) / 0.2, 12);
  });

  it("precision() uses the keep probability, the length scale, the weight decay and the largest fit's rows", async () => {
    const model = new McDropout({ inDim: 1, outDim: 1, hidden: [8], dropout: 0.2, lengthScale: 3, weightDecay: 0.01, epochs: 1, seed: 0 });
    expect(() => model.precision()).toThrow('Expected a fitted McDropout before precision(), got an untrained one: call fit() or McDropout.load() first.');
    const x = Float32Array.from({ length: 40 }, (_, i) => i / 10);
    await model.fit(x, x, 40);
    expect(model.precision()).toBeCloseTo((9 * 0.8) / (2 * 40 * 0.01), 10);
    await model.fit(x.subarray(0, 20), x.subarray(0, 20), 20);
    expect(model.precision()).toBeCloseTo((9 * 0.8) / (2 * 40 * 0.01), 10);
  });
});

describe('DeepEnsemble.predict: the members\' mixture', () => {
  const rng = new Rng(3);
  const n = 50;
  const x = Float32Array.from({ length: n * 2 }, () => rng.normal());
  const y = Float32Array.from({ length: n * 2 }, (_, k) => x[k]! * 3 + rng.normal(0, 0.5) + 7);
  const probe = Float32Array.from([0.2, -1, 1.5, 2, -3, 0]);

  for (const priorScale of [0, 2]) {
    it(`mean, epistemic and aleatoric variance from the members' own predictions (priorScale ${priorScale})`, async () => {
      // Log-std bounds of its own: predict must use the configured ones, as each member's prediction does.
      const model = new DeepEnsemble({ inDim: 2, outDim: 2, members: 3, hidden: [8], epochs: 3, priorScale, minLogStd: -1, maxLogStd: 0.2, seed: 1 });
      await model.fit(x, y, n);
      const all = model.predict(probe, 3);
      const members = [0, 1, 2].map((k) => model.predictMember(k, probe, 3));
      for (let k = 0; k < 6; k++) {
        const means = members.map((m) => m.mean[k]!);
        const mean = means.reduce((s, v) => s + v, 0) / 3;
        expect(all.mean[k]).toBeCloseTo(mean, 4);
        expect(all.epistemic[k]).toBeCloseTo(means.reduce((s, v) => s + (v - mean) ** 2, 0) / 3, 3);
        expect(all.aleatoric[k]).toBeCloseTo(members.reduce((s, m) => s + m.aleatoric[k]!, 0) / 3, 3);
      }
      // The members disagree, and their mixture is in the targets' units (around 7).
      expect(Math.max(...all.epistemic)).toBeGreaterThan(1e-4);
      expect(Math.abs(all.mean[5]! - 7)).toBeLessThan(5);
    });
  }

  it("a member's prediction: its raw mean plus priorScale times its prior's, its own log-std inside the configured bounds, in target units", async () => {
    const model = new DeepEnsemble({ inDim: 2, outDim: 2, members: 2, hidden: [8], epochs: 2, priorScale: 1.5, minLogStd: -1, maxLogStd: 0.2, seed: 2 });
    await model.fit(x, y, n);
    const s = model.standardisation!;
    const xn = Float32Array.from(probe, (v, k) => (v - s.xMean[k % 2]!) / s.xStd[k % 2]!);
    const softplus = (z: number) => Math.log1p(Math.exp(z));
    const bounded = (r: number) => -1 + softplus(0.2 - softplus(0.2 - r) + 1);
    for (const k of [0, 1]) {
      const raw = model.members[k]!.predictRaw(xn, 3, null);
      const prior = model.priors![k]!.predictRaw(xn, 3, null);
      const got = model.predictMember(k, probe, 3);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          expect(got.mean[i * 2 + j]).toBeCloseTo((raw[i * 4 + j]! + 1.5 * prior[i * 4 + j]!) * s.yStd[j]! + s.yMean[j]!, 4);
          expect(got.aleatoric[i * 2 + j]).toBeCloseTo((Math.exp(bounded(raw[i * 4 + 2 + j]!)) * s.yStd[j]!) ** 2, 4);
        }
      }
    }
    // The prior's outputs as members train with them: means times priorScale, log-std columns 0 (a prior shifts only the mean).
    const priorRaw = (model as unknown as { priorRaw(k: number, xn: Float32Array, n: number): Float32Array }).priorRaw.bind(model);
    for (const k of [0, 1]) {
      const prior = model.priors![k]!.predictRaw(xn, 3, null).slice();
      const got = priorRaw(k, xn, 3);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          expect(got[i * 4 + j]).toBeCloseTo(1.5 * prior[i * 4 + j]!, 6);
          expect(got[i * 4 + 2 + j]).toBe(0);
        }
      }
      expect(prior.some((v, i) => i % 4 >= 2 && v !== 0)).toBe(true);
    }
    expect(() => model.predictMember(2, probe, 3)).toThrow('Expected a member index in [0, 2), got 2.');
    // Before fit, each names what was asked.
    const untrained = new DeepEnsemble({ inDim: 2, outDim: 2, members: 2, hidden: [8], seed: 2 });
    expect(() => untrained.predict(probe, 3)).toThrow('Expected a fitted DeepEnsemble before predict(), got an untrained one: call fit() or DeepEnsemble.load() first.');
    expect(() => untrained.predictMember(0, probe, 3)).toThrow('Expected a fitted DeepEnsemble before predictMember(), got an untrained one: call fit() or DeepEnsemble.load() first.');
    expect(() => model.predictMember(-1, probe, 3)).toThrow(InvalidConfig);
    expect(() => model.predictMember(0.5, probe, 3)).toThrow(InvalidConfig);
  });

  it('bootstrapMasks: n x members draws of 1 with probability p, from the rng in order', () => {
    expect(() => bootstrapMasks(0, 2, 0.5, new Rng(1))).toThrow('Expected n to be a positive integer, got 0.');
    expect(() => bootstrapMasks(2, 0, 0.5, new Rng(1))).toThrow('Expected members to be a positive integer, got 0.');
    expect(() => bootstrapMasks(2, 2, 1.5, new Rng(1))).toThrow('Expected p in (0, 1], got 1.5.');
    const rng = new Rng(9);
    const masks = bootstrapMasks(4, 3, 0.5, rng);
    const twin = new Rng(9);
    expect(Array.from(masks)).toEqual(Array.from({ length: 12 }, () => (twin.float() < 0.5 ? 1 : 0)));
    // Exactly one draw per entry: the rng goes on where a twin that drew 12 floats does.
    expect(rng.float()).toBe(twin.float());
    // A draw equal to p is a 0 (1 with probability p means float < p).
    const draws = [0.5, 0.4999, 0.75];
    expect(Array.from(bootstrapMasks(1, 3, 0.5, { float: () => draws.shift()! } as unknown as Rng))).toEqual([0, 1, 0]);
    expect(Array.from(bootstrapMasks(2, 2, 1, new Rng(1)))).toEqual([1, 1, 1, 1]);
    expect(() => bootstrapMasks(2, 2, 0, new Rng(1))).toThrow(InvalidConfig);
  });
});

/** log N(y; mean, variance), nats. */
const logNormal = (y: number, mean: number, variance: number): number => -0.5 * (y - mean) ** 2 / variance - 0.5 * Math.log(2 * Math.PI * variance);

/** log (1/K) sum_k prod_j N(y_ij; mean_kij, var_kij) for row i of d targets, from K predictions of n x d. */
function mixtureRow(parts: { mean: Float32Array; aleatoric: Float32Array }[], y: Float32Array, i: number, d: number): number {
  let p = 0;
  for (const part of parts) {
    let lp = 0;
    for (let j = 0; j < d; j++) lp += logNormal(y[i * d + j]!, part.mean[i * d + j]!, part.aleatoric[i * d + j]!);
    p += Math.exp(lp) / parts.length;
  }
  return Math.log(p);
}

describe('the predictive distribution: logProb and sample', () => {
  const rng = new Rng(4);
  const n = 60;
  const x = Float32Array.from({ length: n * 2 }, () => rng.normal());
  const y = Float32Array.from({ length: n * 2 }, (_, k) => x[k]! * 2 - x[k - (k % 2)]! + rng.normal(0, 0.3) + 5);
  const probe = Float32Array.from([0.2, -1, 1.5, 2, -3, 0]);
  const target = Float32Array.from([5, 4, 9, 7, 1, 8]);

  it("DeepEnsemble.logProb: the log of the members' average density, priors and both targets included", async () => {
    const model = new DeepEnsemble({ inDim: 2, outDim: 2, members: 3, hidden: [8], epochs: 3, priorScale: 2, minLogStd: -1, maxLogStd: 0.2, seed: 1 });
    await model.fit(x, y, n);
    const members = [0, 1, 2].map((k) => model.predictMember(k, probe, 3));
    const got = model.logProb(probe, target, 3);
    expect(got).toBeInstanceOf(Float64Array);
    expect(got.length).toBe(3);
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(mixtureRow(members, target, i, 2), 4);
  });

  it("McDropout.logProb: the log of the average density over predict's T masks, each with the mask-free sigma", async () => {
    // Log-std bounds of its own: the mixture's sigma must use the configured ones, as predictWithMask does.
    const model = new McDropout({ inDim: 2, outDim: 2, hidden: [16], dropout: 0.3, passes: 7, epochs: 3, noiseRefitSteps: 5, minLogStd: -1, maxLogStd: 0.2, seed: 6 });
    await model.fit(x, y, n);
    const masks = new Rng(6 + 0x5eed);
    const passes = Array.from({ length: 7 }, () => model.predictWithMask(probe, 3, model.sampleMask(masks)));
    // The same masks as predict: their means' average is predict's mean.
    const p = model.predict(probe, 3);
    for (let k = 0; k < 6; k++) expect(p.mean[k]).toBeCloseTo(passes.reduce((s, q) => s + q.mean[k]!, 0) / 7, 4);
    const got = model.logProb(probe, target, 3);
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(mixtureRow(passes, target, i, 2), 4);
  });

  for (const kind of ['ensemble', 'dropout'] as const) {
    const make = () => kind === 'ensemble'
      ? new DeepEnsemble({ inDim: 2, outDim: 2, members: 3, hidden: [8], epochs: 3, seed: 2 })
      : new McDropout({ inDim: 2, outDim: 2, hidden: [16], dropout: 0.3, passes: 9, epochs: 3, noiseRefitSteps: 5, seed: 2 });

    it(`${kind}: sample's draws have predict's mean and total variance, row by row`, async () => {
      const model = make();
      await model.fit(x, y, n);
      const reps = 20000;
      // Two query points, each repeated reps times.
      const q = new Float32Array(reps * 4);
      for (let r = 0; r < reps; r++) q.set(probe.subarray(0, 4), r * 4);
      const draws = model.sample(q, 2 * reps);
      expect(draws.length).toBe(2 * reps * 2);
      const p = model.predict(probe, 2);
      for (let k = 0; k < 4; k++) {
        const i = k >> 1, j = k & 1;
        let m = 0;
        for (let r = 0; r < reps; r++) m += draws[(r * 2 + i) * 2 + j]! / reps;
        let v = 0;
        for (let r = 0; r < reps; r++) v += (draws[(r * 2 + i) * 2 + j]! - m) ** 2 / reps;
        const total = p.epistemic[k]! + p.aleatoric[k]!;
        expect(Math.abs(m - p.mean[k]!)).toBeLessThan(4 * Math.sqrt(total / reps) + 1e-6);
        expect(v / total).toBeGreaterThan(0.95);
        expect(v / total).toBeLessThan(1.05);
      }
    });

    it(`${kind}: sample draws from the model's own generator (later calls differ), or from the rng given (reproducible); save and load keep its state`, async () => {
      const model = make();
      await model.fit(x, y, n);
      expect(Array.from(model.sample(probe, 3, new Rng(1)))).toEqual(Array.from(model.sample(probe, 3, new Rng(1))));
      const first = model.sample(probe, 3);
      expect(Array.from(model.sample(probe, 3))).not.toEqual(Array.from(first));
      const dir = mkdtempSync(join(tmpdir(), 'rxgym-predictive-'));
      try {
        await model.save(dir);
        const again = kind === 'ensemble' ? await DeepEnsemble.load(dir) : await McDropout.load(dir);
        expect(Array.from(again.sample(probe, 3))).toEqual(Array.from(model.sample(probe, 3)));
        expect(Array.from(again.logProb(probe, target, 3))).toEqual(Array.from(model.logProb(probe, target, 3)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${kind}: logProb and sample say what they need before fit, and name y's expected shape`, async () => {
      const model = make();
      const name = kind === 'ensemble' ? 'DeepEnsemble' : 'McDropout';
      expect(() => model.logProb(probe, target, 3)).toThrow(`Expected a fitted ${name} before logProb(), got an untrained one: call fit() or ${name}.load() first.`);
      expect(() => model.sample(probe, 3)).toThrow(`Expected a fitted ${name} before sample(), got an untrained one: call fit() or ${name}.load() first.`);
      await model.fit(x, y, n);
      expect(() => model.logProb(probe, target.subarray(0, 5), 3)).toThrow(InvalidConfig);
      expect(() => model.logProb(probe, target.subarray(0, 5), 3)).toThrow('Expected y to be a Float32Array of n x dim = 3 x 2 = 6 values');
      expect(() => model.logProb(probe, Float32Array.from([5, NaN, 9, 7, 1, 8]), 3)).toThrow(InvalidConfig);
      expect(() => model.sample(probe.subarray(0, 5), 3)).toThrow(InvalidConfig);
    });
  }
});
