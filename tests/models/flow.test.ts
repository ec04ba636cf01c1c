import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { twoMoons } from '../../models/data.js';
import { RealNVP } from '../../models/flow.js';
import { MADE } from '../../models/made.js';
import { singleGaussianNll } from '../../models/metrics.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A flow with every parameter perturbed, so that no coupling is the identity (the last layers start at zero). */
function randomFlow(seed: number): RealNVP {
  const flow = new RealNVP({ dim: 2, seed, couplings: 4, hidden: [16] });
  const rng = new Rng(seed + 7);
  for (const net of flow.nets) {
    for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + rng.uniform(-0.5, 0.5);
    net.paramsChanged();
  }
  return flow;
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

describe('RealNVP', () => {
  it('log-determinant equals log |det dz/dx| from finite differences of the flow', () => {
    const flow = randomFlow(1);
    const x = new Float32Array([0.3, -0.7, 1.2, 0.4, -1.1, -0.2]);
    const { logDet } = flow.transform(x, 3);
    const eps = 1e-2;
    for (let i = 0; i < 3; i++) {
      const J = [[0, 0], [0, 0]];
      for (let a = 0; a < 2; a++) {
        const plus = x.slice(2 * i, 2 * i + 2);
        const minus = plus.slice();
        plus[a] = plus[a]! + eps;
        minus[a] = minus[a]! - eps;
        const zp = flow.transform(plus, 1).z;
        const zm = flow.transform(minus, 1).z;
        for (let b = 0; b < 2; b++) J[b]![a] = (zp[b]! - zm[b]!) / (2 * eps);
      }
      const det = J[0]![0]! * J[1]![1]! - J[0]![1]! * J[1]![0]!;
      expect(logDet[i]!).toBeCloseTo(Math.log(Math.abs(det)), 2);
    }
  });

  it('gradient of the NLL (log-determinant terms included) matches finite differences of the parameters', () => {
    const flow = randomFlow(2);
    const rng = new Rng(3);
    const x = new Float32Array(16).map(() => rng.normal());
    flow.gradient(x, 8);
    for (const [k, net] of flow.nets.entries()) {
      const grads = net.grads.slice();
      for (const i of [0, 5, net.params.length - 3, net.params.length - 1]) {
        const p0 = net.params[i]!;
        const h = 1e-2;
        net.params[i] = p0 + h;
        net.paramsChanged();
        const up = flow.gradient(x, 8);
        net.params[i] = p0 - h;
        net.paramsChanged();
        const down = flow.gradient(x, 8);
        net.params[i] = p0;
        net.paramsChanged();
        expect(grads[i]!, `coupling ${k}, param ${i}`).toBeCloseTo((up - down) / (2 * h), 2);
      }
    }
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

  it('is deterministic per seed, and save/load restores the same density and sampler', async () => {
    const rng = new Rng(4);
    const data = twoMoons(300, rng).data;
    const a = new RealNVP({ dim: 2, seed: 5, couplings: 2, hidden: [8] });
    const b = new RealNVP({ dim: 2, seed: 5, couplings: 2, hidden: [8] });
    await a.fit(data, 300, { epochs: 2 });
    await b.fit(data, 300, { epochs: 2 });
    expect(a.logProb(data, 300)).toEqual(b.logProb(data, 300));
    const dir = await mkdtemp(join(tmpdir(), 'flow-'));
    dirs.push(dir);
    await a.save(join(dir, 'm'));
    const c = await RealNVP.load(join(dir, 'm'));
    expect(c.logProb(data, 300)).toEqual(a.logProb(data, 300));
    expect(c.sample(5)).toEqual(a.sample(5));
    const made = new MADE({ dim: 2, seed: 0, output: 'gaussianMixture', hidden: [8] });
    await made.fit(data, 300, { epochs: 1 });
    await made.save(join(dir, 'made'));
    await expect(RealNVP.load(join(dir, 'made'))).rejects.toThrow(/model.realnvp.*model.made/);
  });

  it('rejects bad data, NaN and use before fit with errors naming the expected shape', async () => {
    const flow = new RealNVP({ dim: 2, seed: 0 });
    expect(() => flow.sample(3)).toThrow(InvalidConfig);
    expect(() => flow.sample(3)).toThrow(/fitted realnvp/);
    await expect(flow.fit(new Float32Array(5), 3)).rejects.toThrow(/3 x 2 = 6 floats, got 5/);
    await expect(flow.fit(new Float32Array([0, 1, NaN, 2]), 2)).rejects.toThrow(/finite floats, got NaN at row 1, column 0/);
    expect(() => new RealNVP({ dim: 1, seed: 0 })).toThrow(/dim to be an integer >= 2/);
  });
});
