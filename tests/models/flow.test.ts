import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFitted } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { ringOfGaussians, twoMoons } from '../../models/data.js';
import { RealNVP } from '../../models/flow.js';
import { determinantSign, invertMatrix, randomRotation } from '../../models/flow-linear.js';
import { MADE } from '../../models/made.js';
import { ringEntropy, singleGaussianNll } from '../../models/metrics.js';

// The ring test's bounds: at this budget splines sit 1.16 nats above the entropy and affine couplings 3.89.
const SPLINE_GAP = 1.6;
const AFFINE_MARGIN = 1.5;
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/**
 * A flow with every parameter perturbed, so that no coupling is the identity (the last layers start at zero) and
 * no mixer a rotation (whose log-determinant would be 0).
 */
function randomFlow(seed: number, dim = 2): RealNVP {
  const flow = new RealNVP({ dim, seed, couplings: 4, hidden: [16] });
  const rng = new Rng(seed + 7);
  for (const net of [...flow.nets, ...flow.mixers]) {
    for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + rng.uniform(-0.5, 0.5);
    net.paramsChanged();
  }
  return flow;
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/** dz/dx (rows z, columns x) of f at x by central differences (step 3e-3: off the relu kinks, above float32 noise). */
function jacobian(f: (x: Float32Array) => Float32Array, x: Float32Array): number[][] {
  const D = x.length;
  const J = Array.from({ length: D }, () => new Array<number>(D).fill(0));
  const eps = 3e-3;
  for (let a = 0; a < D; a++) {
    const plus = x.slice();
    const minus = x.slice();
    plus[a] = plus[a]! + eps;
    minus[a] = minus[a]! - eps;
    const zp = f(plus);
    const zm = f(minus);
    for (let b = 0; b < D; b++) J[b]![a] = (zp[b]! - zm[b]!) / (2 * eps);
  }
  return J;
}

/** The determinant of a small square matrix by cofactor expansion. */
function determinant(m: number[][]): number {
  if (m.length === 1) return m[0]![0]!;
  return m[0]!.reduce((sum, v, j) => sum + (j % 2 === 0 ? 1 : -1) * v * determinant(m.slice(1).map((row) => row.filter((_, c) => c !== j))), 0);
}

describe('RealNVP', () => {
  it('log-determinant equals log |det dz/dx| from finite differences of the flow, in 2 and 3 dimensions', () => {
    for (const dim of [2, 3]) {
      const flow = randomFlow(1, dim);
      const rng = new Rng(dim);
      const x = new Float32Array(3 * dim).map(() => rng.normal());
      const { logDet } = flow.transform(x, 3);
      for (let i = 0; i < 3; i++) {
        const J = jacobian((v) => flow.transform(v, 1).z, x.slice(dim * i, dim * (i + 1)));
        expect(logDet[i]!, `dim ${dim}, row ${i}`).toBeCloseTo(Math.log(Math.abs(determinant(J))), 2);
      }
    }
  });

  it('gradient of the NLL (log-determinant terms included) matches finite differences of the parameters', () => {
    const flow = randomFlow(2);
    const rng = new Rng(3);
    const x = new Float32Array(16).map(() => rng.normal());
    expect(flow.mixers).toHaveLength(4);
    for (const [k, net] of [...flow.nets, ...flow.mixers].entries()) {
      // Recomputed here: the last finite difference left the gradients of a perturbed flow.
      flow.gradient(x, 8);
      const grads = net.grads.slice();
      // Mixers (k >= 4): every entry of W (the -W^-T of the log-determinant lands there) and of b.
      const entries = k < 4 ? [0, 5, net.params.length - 3, net.params.length - 1] : [0, 1, 2, 3, 4, 5];
      for (const i of entries) {
        const p0 = net.params[i]!;
        // Small enough to stay off the relu kinks, large enough for float32 losses.
        const h = 1e-3;
        net.params[i] = p0 + h;
        net.paramsChanged();
        const up = flow.gradient(x, 8);
        net.params[i] = p0 - h;
        net.paramsChanged();
        const down = flow.gradient(x, 8);
        net.params[i] = p0;
        net.paramsChanged();
        expect(grads[i]!, `${k < 4 ? `coupling ${k}` : `mixer ${k - 4}`}, param ${i}`).toBeCloseTo((up - down) / (2 * h), 2);
      }
    }
  });

  it('linearMixing: each coupling follows x W + b, W a random rotation at first; round trips in 3 dimensions; false builds none', () => {
    const x = new Float32Array([0.3, -0.7, 1.2, 0.4, -1.1, -0.2]);
    const mixed = new RealNVP({ dim: 2, seed: 3, couplings: 2, hidden: [8] });
    const plain = new RealNVP({ dim: 2, seed: 3, couplings: 2, hidden: [8], linearMixing: false });
    expect(mixed.mixers).toHaveLength(2);
    expect(plain.mixers).toHaveLength(0);
    // Untrained couplings are the identity, so the plain flow is too, while rotations keep each row's length.
    const zm = mixed.transform(x, 3);
    const zp = plain.transform(x, 3);
    expect(Array.from(zp.z)).toEqual(Array.from(x));
    for (let i = 0; i < 3; i++) {
      expect(Math.hypot(zm.z[2 * i]!, zm.z[2 * i + 1]!)).toBeCloseTo(Math.hypot(x[2 * i]!, x[2 * i + 1]!), 5);
      expect(Math.abs(zm.z[2 * i]! - x[2 * i]!)).toBeGreaterThan(1e-3);
      expect(zm.logDet[i]!).toBeCloseTo(0, 5);
    }
    const flow3 = randomFlow(9, 3);
    const rng = new Rng(5);
    const x3 = new Float32Array(3 * 50).map(() => rng.normal());
    const back = flow3.inverse(flow3.transform(x3, 50).z, 50);
    for (let i = 0; i < x3.length; i++) expect(Math.abs(back[i]! - x3[i]!)).toBeLessThan(1e-4);
    expect(() => new RealNVP({ dim: 2, seed: 0, linearMixing: 'yes' as unknown as boolean })).toThrow(/linearMixing to be true or false/);
  });

  it('averageDecay: after fit the flow holds the moving average of the parameters after each step, not the last step', async () => {
    const data = twoMoons(8, new Rng(6)).data;
    const config = { dim: 2, seed: 4, couplings: 2, hidden: [8], finalLrFraction: 1 };
    const decay = 0.6;
    const averaged = new RealNVP({ ...config, averageDecay: decay });
    await averaged.fit(data, 8, { epochs: 5, batchSize: 8 });
    // The same five full-batch steps one fit at a time (a constant step size, so each fit repeats the schedule).
    const stepped = new RealNVP({ ...config, averageDecay: 0 });
    const all = [...stepped.nets, ...stepped.mixers];
    const expected = all.map((net) => Array.from(net.params));
    for (let step = 0; step < 5; step++) {
      await stepped.fit(data, 8, { epochs: 1, batchSize: 8 });
      all.forEach((net, k) => expected[k]!.forEach((v, i) => (expected[k]![i] = decay * v + (1 - decay) * net.params[i]!)));
    }
    let worst = 0;
    let moved = 0;
    [...averaged.nets, ...averaged.mixers].forEach((net, k) => net.params.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - expected[k]![i]!));
      moved = Math.max(moved, Math.abs(v - all[k]!.params[i]!));
    }));
    expect(worst).toBeLessThan(1e-5);
    // The average lags the last step by far more than rounding.
    expect(moved).toBeGreaterThan(1e-3);
    expect(() => new RealNVP({ dim: 2, seed: 0, averageDecay: 1 })).toThrow(/averageDecay in \[0, 1\)/);
  });

  it('learns two moons: test NLL well below a full Gaussian, x -> z -> x round trips, samples land on the moons', async () => {
    const rng = new Rng(11);
    const train = twoMoons(2000, rng, { noise: 0.05 });
    const test = twoMoons(1000, rng, { noise: 0.05, standardise: train.standardisation });
    const flow = new RealNVP({ dim: 2, seed: 0 });
    const report = await flow.fit(train.data, train.n, { epochs: 40 });
    expect(report.losses.at(-1)!).toBeLessThan(report.losses[0]! - 0.5);
    const nll = -mean(flow.logProb(test.data, test.n));
    const gauss = singleGaussianNll(train.data, train.n, test.data, test.n);
    expect(nll).toBeLessThan(gauss - 0.8);
    const { z } = flow.transform(test.data, test.n);
    const back = flow.inverse(z, test.n);
    let worst = 0;
    for (let i = 0; i < back.length; i++) worst = Math.max(worst, Math.abs(back[i]! - test.data[i]!));
    expect(worst).toBeLessThan(1e-4);
    // Samples in raw units: within 0.25 of one of the two unit half circles.
    const s = flow.sample(500);
    const { mean: mu, std } = train.standardisation;
    let near = 0;
    for (let i = 0; i < 500; i++) {
      const px = s[2 * i]! * std[0]! + mu[0]!;
      const py = s[2 * i + 1]! * std[1]! + mu[1]!;
      const upper = py >= -0.1 ? Math.abs(Math.hypot(px, py) - 1) : Infinity;
      const lower = py <= 0.6 ? Math.abs(Math.hypot(px - 1, py - 0.5) - 1) : Infinity;
      if (Math.min(upper, lower) < 0.25) near++;
    }
    expect(near / 500).toBeGreaterThan(0.85);
  });

  it("coupling 'spline' fits the ring of 8 Gaussians far closer than affine couplings of the same size and budget", async () => {
    const rng = new Rng(21);
    const train = ringOfGaussians(4000, rng);
    const test = ringOfGaussians(2000, rng);
    const gap = async (coupling: 'affine' | 'spline'): Promise<number> => {
      const flow = new RealNVP({ dim: 2, seed: 3, couplings: 4, hidden: [32, 32], coupling });
      await flow.fit(train.data, train.n, { epochs: 10 });
      const { z } = flow.transform(test.data, test.n);
      const back = flow.inverse(z, test.n);
      for (let i = 0; i < back.length; i++) expect(Math.abs(back[i]! - test.data[i]!)).toBeLessThan(1e-4);
      return -mean(flow.logProb(test.data, test.n)) - ringEntropy();
    };
    const spline = await gap('spline');
    const affine = await gap('affine');
    expect(spline).toBeLessThan(SPLINE_GAP);
    expect(spline).toBeLessThan(affine - AFFINE_MARGIN);
  });

  it('bins sets each spline MLP to D (3 bins - 1) outputs; tailBound is where the splines stop moving a value', async () => {
    expect(new RealNVP({ dim: 3, seed: 0, couplings: 2, coupling: 'spline', bins: 6 }).nets[0]!.outputSize).toBe(3 * 17);
    expect(new RealNVP({ dim: 3, seed: 0, couplings: 2, coupling: 'spline' }).nets[1]!.outputSize).toBe(3 * 23);
    expect(new RealNVP({ dim: 3, seed: 0, couplings: 2 }).nets[0]!.outputSize).toBe(6);
    const rng = new Rng(8);
    const data = Float32Array.from({ length: 200 }, () => rng.normal());
    const moved = async (tailBound: number | undefined): Promise<number> => {
      const flow = new RealNVP({ dim: 2, seed: 1, couplings: 3, hidden: [8], coupling: 'spline', linearMixing: false, ...(tailBound ? { tailBound } : {}) });
      await flow.fit(data, 100, { epochs: 0 }); // the standardisation only
      for (const net of flow.nets) {
        for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + rng.normal(0, 0.3);
        net.paramsChanged();
      }
      // A row about 2 standard units out in both coordinates, and the same row standardised by hand.
      const mean = [0, 1].map((d) => data.filter((_, i) => i % 2 === d).reduce((a, b) => a + b, 0) / 100);
      const x = Float32Array.from([2.2, -2.4]);
      const { z } = flow.transform(x, 1);
      const std = [0, 1].map((d) => Math.sqrt(data.filter((_, i) => i % 2 === d).reduce((a, b) => a + (b - mean[d]!) ** 2, 0) / 100));
      return Math.max(...[0, 1].map((d) => Math.abs(z[d]! - (x[d]! - mean[d]!) / std[d]!)));
    };
    expect(await moved(1.5)).toBeLessThan(1e-5);
    expect(await moved(undefined)).toBeGreaterThan(1e-2);
  });

  it('is deterministic per seed, and save/load restores the same density and sampler', async () => {
    const rng = new Rng(4);
    const data = twoMoons(300, rng).data;
    const a = new RealNVP({ dim: 2, seed: 5, couplings: 2, hidden: [8] });
    const b = new RealNVP({ dim: 2, seed: 5, couplings: 2, hidden: [8] });
    const spline = new RealNVP({ dim: 2, seed: 5, couplings: 2, hidden: [8], coupling: 'spline', bins: 5, tailBound: 2.5 });
    await spline.fit(data, 300, { epochs: 2 });
    await a.fit(data, 300, { epochs: 2 });
    await b.fit(data, 300, { epochs: 2 });
    expect(a.logProb(data, 300)).toEqual(b.logProb(data, 300));
    const dir = await mkdtemp(join(tmpdir(), 'flow-'));
    dirs.push(dir);
    await a.save(join(dir, 'm'));
    const c = await RealNVP.load(join(dir, 'm'));
    expect(c.logProb(data, 300)).toEqual(a.logProb(data, 300));
    expect(c.sample(5)).toEqual(a.sample(5));
    await spline.save(join(dir, 'spline'));
    const d = await RealNVP.load(join(dir, 'spline'));
    expect(d.config).toMatchObject({ coupling: 'spline', bins: 5, tailBound: 2.5 });
    expect(d.logProb(data, 300)).toEqual(spline.logProb(data, 300));
    expect(d.logProb(data, 300)).not.toEqual(a.logProb(data, 300));
    const made = new MADE({ dim: 2, seed: 0, output: 'gaussianMixture', hidden: [8] });
    await made.fit(data, 300, { epochs: 1 });
    await made.save(join(dir, 'made'));
    await expect(RealNVP.load(join(dir, 'made'))).rejects.toThrow(/model.realnvp.*model.made/);
  });

  it('rejects bad data, NaN and use before fit with errors naming the expected shape', async () => {
    const flow = new RealNVP({ dim: 2, seed: 0 });
    expect(() => flow.sample(3)).toThrow(NotFitted);
    expect(() => flow.sample(3)).toThrow(/fitted realnvp/);
    await expect(flow.fit(new Float32Array(5), 3)).rejects.toThrow(/Expected data to be a Float32Array of n x dim = 3 x 2 = 6 values, got Float32Array\(5\)/);
    await expect(flow.fit(new Float32Array([0, 1, NaN, 2]), 2)).rejects.toThrow(/Expected data \(n x dim = 2 x 2\) to hold finite values, got NaN at row 1, column 0/);
    expect(() => new RealNVP({ dim: 1, seed: 0 })).toThrow(/dim to be an integer >= 2/);
    expect(() => new RealNVP({ dim: 2, seed: 0, coupling: 'cubic' as 'spline' })).toThrow(/coupling to be 'affine' or 'spline', got "cubic"/);
    expect(() => new RealNVP({ dim: 2, seed: 0, coupling: 'spline', bins: 1 })).toThrow(/bins to be an integer >= 2, got 1/);
    expect(() => new RealNVP({ dim: 2, seed: 0, coupling: 'spline', tailBound: 0 })).toThrow(/tailBound to be a finite number > 0, got 0/);
  });
});

describe('flow-linear', () => {
  it('invertMatrix: the inverse and log |det|, pivoting past a zero, and a singular matrix refused', () => {
    const inv = new Float64Array(4);
    expect(invertMatrix([2, 1, 1, 3], 2, inv)).toBeCloseTo(Math.log(5), 12);
    [0.6, -0.2, -0.2, 0.4].forEach((v, i) => expect(inv[i]!).toBeCloseTo(v, 12));
    // A zero first pivot needs a row swap; |det| of a swap is 1.
    expect(invertMatrix([0, 2, 1, 0], 2, inv)).toBeCloseTo(Math.log(2), 12);
    [0, 1, 0.5, 0].forEach((v, i) => expect(inv[i]!).toBeCloseTo(v, 12));
    expect(() => invertMatrix([1, 2, 2, 4], 2, inv)).toThrow(/invertible 2 x 2 mixing matrix, got a singular one/);
  });

  it('randomRotation: orthonormal with det +1 (a reflection is flipped), different per draw; determinantSign sees reflections', () => {
    const rng = new Rng(1);
    for (let draw = 0; draw < 6; draw++) {
      const q = randomRotation(3, rng);
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          let dot = 0;
          for (let j = 0; j < 3; j++) dot += q[r * 3 + j]! * q[c * 3 + j]!;
          expect(dot).toBeCloseTo(r === c ? 1 : 0, 10);
        }
      }
      expect(determinantSign(q, 3)).toBe(1);
    }
    expect(Array.from(randomRotation(2, new Rng(2)))).not.toEqual(Array.from(randomRotation(2, new Rng(3))));
    expect(determinantSign([0, 1, 1, 0], 2)).toBe(-1);
    expect(determinantSign([-1, 0, 0, -1], 2)).toBe(1);
  });
});
