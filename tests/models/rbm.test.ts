import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidConfig, NotFitted } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { Rbm, aisSchedule } from '../../models/rbm.js';

/** n binary 28x28 frames: a 3-pixel-wide bar (horizontal or vertical) of random length and place, 1% pixel flips. */
function bars(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * 784);
  for (let f = 0; f < n; f++) {
    const vertical = rng.float() < 0.5;
    const pos = 2 + rng.int(22), len = 8 + rng.int(12), start = rng.int(28 - len);
    for (let t = 0; t < len; t++) {
      for (let w = 0; w < 3; w++) out[f * 784 + (vertical ? (start + t) * 28 + pos + w : (pos + w) * 28 + start + t)] = 1;
    }
    for (let p = 0; p < 784; p++) if (rng.float() < 0.01) out[f * 784 + p] = 1 - out[f * 784 + p]!;
  }
  return out;
}

/** log Z by summing exp(-E(v, h)) over every joint state: the definition, for tiny models. */
function bruteLogZ(rbm: Rbm): number {
  const nv = rbm.config.visible, nh = rbm.config.hidden;
  const terms: number[] = [];
  for (let vs = 0; vs < 2 ** nv; vs++) {
    for (let hs = 0; hs < 2 ** nh; hs++) {
      let e = 0;
      for (let i = 0; i < nv; i++) if ((vs >> i) & 1) e += rbm.b[i]!;
      for (let j = 0; j < nh; j++) if ((hs >> j) & 1) e += rbm.c[j]!;
      for (let i = 0; i < nv; i++) for (let j = 0; j < nh; j++) if ((vs >> i) & 1 && (hs >> j) & 1) e += rbm.W[i * nh + j]!;
      terms.push(e);
    }
  }
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
}

/** Small 4x4 patterns (rows and columns lit) for models small enough for exact likelihoods. */
function stripes(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * 16);
  for (let f = 0; f < n; f++) {
    const k = rng.int(8);
    for (let p = 0; p < 16; p++) out[f * 16 + p] = (k < 4 ? Math.floor(p / 4) === k : p % 4 === k - 4) ? 1 : 0;
  }
  return out;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('Rbm', () => {
  it('computes log Z exactly, enumerating either layer', async () => {
    for (const [visible, hidden] of [[5, 3], [3, 6]] as const) {
      const rbm = new Rbm({ visible, hidden, seed: 1 });
      const rng = new Rng(2);
      await rbm.fit(Float32Array.from({ length: 8 * visible }, () => (rng.float() < 0.4 ? 1 : 0)), 8, { epochs: 1 });
      // Larger weights than training makes in one epoch, so that the interactions matter.
      for (let i = 0; i < rbm.W.length; i++) rbm.W[i] = rng.normal(0, 1);
      rbm.c.fill(0.3);
      expect(rbm.logPartition({ method: 'exact' }).logZ).toBeCloseTo(bruteLogZ(rbm), 6);
    }
  });

  it('estimates log Z by AIS close to the exact value', async () => {
    const rbm = new Rbm({ visible: 16, hidden: 12, seed: 3, learningRate: 0.1 });
    const data = stripes(400, new Rng(4));
    await rbm.fit(data, 400, { epochs: 30 });
    const exact = rbm.logPartition({ method: 'exact' }).logZ;
    const ais = rbm.logPartition({ method: 'ais', runs: 100, steps: 1000 }).logZ;
    expect(Math.abs(ais - exact)).toBeLessThan(0.2);
    expect(aisSchedule(10)[0]).toBe(0);
    expect(aisSchedule(10)[10]).toBe(1);
  });

  it.each([
    ['CD-1', { persistent: false, learningRate: 0.1 }, 60, -3, 30],
    ['PCD', { persistent: true, learningRate: 0.05, momentum: 0 }, 100, -4, 20],
  ] as const)('learns the patterns with %s: exact held-out log-likelihood near the best possible', async (_, opts, epochs, minLl, minGood) => {
    const rbm = new Rbm({ visible: 16, hidden: 12, seed: 0, ...opts });
    const train = stripes(400, new Rng(6));
    const test = stripes(100, new Rng(7));
    const ll = () => rbm.logProb(test, 100).reduce((s, v) => s + v, 0) / 100;
    await rbm.fit(train, 400, { epochs: 1 });
    const early = ll();
    const report = await rbm.fit(train, 400, { epochs });
    // 8 equally likely patterns: the best possible is log(1/8) = -2.08 nats; independent pixels get -9.0.
    expect(ll()).toBeGreaterThan(minLl);
    expect(ll()).toBeGreaterThan(early + 2);
    expect(report.losses[report.losses.length - 1]!).toBeLessThan(0.5 * report.losses[0]!);
    // Samples are the patterns: each one a whole row or a whole column.
    const samples = rbm.sample(50);
    let good = 0;
    for (let s = 0; s < 50; s++) {
      const px = samples.subarray(s * 16, (s + 1) * 16);
      const ok = [0, 1, 2, 3].some((k) => px.every((v, p) => v === (Math.floor(p / 4) === k ? 1 : 0)) || px.every((v, p) => v === (p % 4 === k ? 1 : 0)));
      if (ok) good++;
    }
    expect(good).toBeGreaterThan(minGood);
  });

  it('halves its reconstruction error on 28x28 binary frames and beats the base rate in AIS log-likelihood', async () => {
    const rng = new Rng(8);
    const train = bars(1000, rng);
    const test = bars(100, rng);
    const rbm = new Rbm({ visible: 784, hidden: 64, seed: 0, aisRuns: 50, aisSteps: 500 });
    const report = await rbm.fit(train, 1000, { epochs: 10 });
    expect(report.losses[report.losses.length - 1]!).toBeLessThan(report.losses[0]! / 2);
    const ll = rbm.logProb(test, 100).reduce((s, v) => s + v, 0) / 100;
    expect(rbm.logPartition().method).toBe('ais');
    // The base-rate model (independent pixels at the data's marginals) is what the RBM starts from.
    let base = 0;
    for (let f = 0; f < 100; f++) {
      for (let p = 0; p < 784; p++) {
        const q = 1 / (1 + Math.exp(-rbm.baseBias[p]!));
        base += Math.log(test[f * 784 + p] ? q : 1 - q) / 100;
      }
    }
    expect(ll).toBeGreaterThan(base + 20);
  });

  it('is deterministic for a seed, and saves and loads to the same model and sampler', async () => {
    const data = stripes(100, new Rng(9));
    const [a, b] = [new Rbm({ visible: 16, hidden: 8, seed: 4, persistent: true }), new Rbm({ visible: 16, hidden: 8, seed: 4, persistent: true })];
    await a.fit(data, 100, { epochs: 3 });
    await b.fit(data, 100, { epochs: 3 });
    expect(a.W).toEqual(b.W);
    const dir = join(await mkdtemp(join(tmpdir(), 'rxgym-rbm-')), 'rbm');
    dirs.push(dir);
    await a.save(dir);
    const c = await Rbm.load(dir);
    expect(c.logProb(data, 10)).toEqual(a.logProb(data, 10));
    expect(c.sample(5)).toEqual(a.sample(5));
    await a.fit(data, 100, { epochs: 1 });
    await c.fit(data, 100, { epochs: 1 });
    expect(c.W).toEqual(a.W);
  });

  it('refuses bad input with the expected shape named', async () => {
    const rbm = new Rbm({ visible: 4, hidden: 2 });
    expect(() => rbm.sample(3)).toThrow(NotFitted);
    expect(() => rbm.sample(3)).toThrow(/Expected a fitted RBM before sample\(\), got an untrained one: call fit\(\) or Rbm.load\(\) first/);
    expect(() => rbm.logProb(new Float32Array(4), 1)).toThrow(NotFitted);
    await expect(rbm.save('never-written')).rejects.toThrow(NotFitted);
    await expect(rbm.fit(new Float32Array([0, 1, 0, NaN]), 1)).rejects.toThrow(/values in \[0, 1\], got NaN at row 0, column 3/);
    await expect(rbm.fit(new Float32Array([0, 1, 0, 1.5]), 1)).rejects.toThrow(/values in \[0, 1\], got 1.5 at row 0, column 3/);
    await expect(rbm.fit(new Float32Array(6), 2)).rejects.toThrow(/Float32Array of n x dim = 2 x 4 = 8 values/);
    await rbm.fit(new Float32Array(8), 2);
    expect(() => rbm.logPartition({ method: 'exact' })).not.toThrow();
    expect(() => new Rbm({ visible: 30, hidden: 30 }).logPartition({ method: 'exact' })).toThrow(InvalidConfig);
  });
});
