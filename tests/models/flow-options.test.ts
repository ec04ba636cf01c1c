// RealNVP's options beyond its default layers: the learning-rate warmup, the shifts' soft clamp and the moving
// normalisation, each against its definition and the layers also against finite differences of the map and of the
// mean NLL, the inverse and a checkpoint.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { RealNVP, type RealNvpConfig } from '../../models/flow.js';
import { clampShift, clampShiftSlope, warmupCosineLr } from '../../models/flow-training.js';
import { cosineLr } from '../../models/density-layers.js';
import { applyMovingNorm, createMovingNorm, undoMovingNorm, updateMovingNorm } from '../../models/flow-norm.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A 2-D flow with every parameter moved at random (by default scale 0.8 on the couplings, so raw shifts pass the clamp). */
async function warped(extra: Partial<RealNvpConfig>, seed = 3, scale = 0.8): Promise<RealNVP> {
  const flow = new RealNVP({ dim: 2, seed, couplings: 3, hidden: [8], ...extra });
  const rng = new Rng(seed + 100);
  await flow.fit(Float32Array.from({ length: 128 }, () => rng.normal()), 64, { epochs: 0 });
  for (const [k, net] of [...flow.nets, ...flow.mixers].entries()) {
    for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + rng.normal(0, k < flow.nets.length ? scale : 0.1);
    net.paramsChanged();
  }
  return flow;
}

/** Checks on 4 rows: inverse undoes transform; log-det, mean NLL and its parameter gradient match finite differences. */
function checkFlow(flow: RealNVP): void {
  const x = Float32Array.from([0.4, -1.2, 2.5, 3, 0.1, -0.7, 1, 1]);
  const back = flow.inverse(flow.transform(x, 4).z, 4);
  for (let i = 0; i < x.length; i++) expect(Math.abs(back[i]! - x[i]!)).toBeLessThan(1e-4);
  const { logDet } = flow.transform(x, 4);
  for (let row = 0; row < 4; row++) {
    const h = 1e-3;
    const J = [[0, 0], [0, 0]];
    for (let j = 0; j < 2; j++) {
      const up = x.slice(2 * row, 2 * row + 2);
      const down = up.slice();
      up[j] = up[j]! + h;
      down[j] = down[j]! - h;
      const zu = flow.transform(up, 1).z;
      const zd = flow.transform(down, 1).z;
      for (let i = 0; i < 2; i++) J[i]![j] = (zu[i]! - zd[i]!) / (up[j]! - down[j]!);
    }
    expect(logDet[row]).toBeCloseTo(Math.log(Math.abs(J[0]![0]! * J[1]![1]! - J[0]![1]! * J[1]![0]!)), 2);
  }
  const nll = () => -flow.logProb(x, 4).reduce((s, v) => s + v, 0) / 4;
  expect(flow.gradient(x, 4)).toBeCloseTo(nll(), 4);
  for (const net of flow.nets) {
    const analytic = net.grads.slice();
    // The last layer's kernel and bias (where the raw shifts come from) and a sample of the rest.
    for (let k = 0; k < net.params.length; k += k >= net.params.length - 40 ? 1 : 5) {
      const v = net.params[k]!;
      const h = 2e-3;
      net.params[k] = v + h;
      net.paramsChanged();
      const up = nll();
      net.params[k] = v - h;
      net.paramsChanged();
      const down = nll();
      net.params[k] = v;
      net.paramsChanged();
      expect(analytic[k]! - (up - down) / (2 * h), `param ${k}`).toBeCloseTo(0, 2);
    }
  }
}

describe('RealNVP: learning-rate warmup', () => {
  it('warmupCosineLr rises linearly over warmupFraction, then follows the cosine; 0 means none', () => {
    const c = { learningRate: 2e-3, finalLrFraction: 0.05, warmupFraction: 0.1 };
    expect(warmupCosineLr(c, 0)).toBe(0);
    expect(warmupCosineLr(c, 0.05)).toBeCloseTo(0.5 * cosineLr(2e-3, 0.05, 0.05), 12);
    expect(warmupCosineLr(c, 0.1)).toBeCloseTo(cosineLr(2e-3, 0.05, 0.1), 12);
    expect(warmupCosineLr(c, 0.6)).toBeCloseTo(cosineLr(2e-3, 0.05, 0.6), 12);
    expect(warmupCosineLr({ ...c, warmupFraction: 0 }, 0)).toBe(2e-3);
  });

  it('fit steps with the warmed-up rate: a first step at progress 0 moves nothing, without warmup it does', async () => {
    const data = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const moved = async (warmupFraction: number): Promise<number> => {
      const flow = new RealNVP({ dim: 2, seed: 1, couplings: 2, hidden: [8], warmupFraction });
      const before = flow.nets.map((net) => net.params.slice());
      await flow.fit(data, 8, { epochs: 1, batchSize: 8 });
      return Math.max(...flow.nets.flatMap((net, k) => Array.from(net.params, (v, i) => Math.abs(v - before[k]![i]!))));
    };
    expect(await moved(0.5)).toBe(0);
    expect(await moved(0)).toBeGreaterThan(1e-4);
    expect(() => new RealNVP({ dim: 2, seed: 0, warmupFraction: 1 })).toThrow(/warmupFraction in \[0, 1\)/);
  });
});

describe('RealNVP: the shifts\' soft clamp', () => {
  it('clampShift is c tanh(raw / c) with slope 1 - tanh^2, and the identity at c = 0', () => {
    expect(clampShift(3, 0.5)).toBeCloseTo(0.5 * Math.tanh(6), 12);
    expect(clampShiftSlope(3, 0.5)).toBeCloseTo(1 - Math.tanh(6) ** 2, 12);
    expect(clampShift(3, 0)).toBe(3);
    expect(clampShiftSlope(3, 0)).toBe(1);
  });

  it('each coupling shifts by at most c: a huge raw shift moves a row by c, not by the raw value', () => {
    const flow = new RealNVP({ dim: 2, seed: 2, couplings: 1, hidden: [4], linearMixing: false, shiftClamp: 0.5 });
    const net = flow.nets[0]!;
    // The last bias (s then t for each dimension): a raw shift of 100 on dimension 1 (moved by coupling 0).
    net.params[net.params.length - 1] = 100;
    net.paramsChanged();
    const { z } = flow.transform(Float32Array.from([0.3, -0.2]), 1);
    expect(z[0]).toBeCloseTo(0.3, 6);
    expect(z[1]).toBeCloseTo(-0.2 + 0.5, 5);
    expect(() => new RealNVP({ dim: 2, seed: 0, shiftClamp: -1 })).toThrow(/shiftClamp to be a finite number >= 0/);
  });

  it('with the clamp: inverse undoes transform, the log-determinant and the gradient match finite differences', async () => {
    const flow = await warped({ shiftClamp: 0.3 });
    checkFlow(flow);
  });
});

describe('RealNVP: the moving normalisation', () => {
  it('takes the first batch\'s mean and std, then moves them by 1 - decay; applies, undoes, and its log-det is -sum log s', () => {
    const norm = createMovingNorm(2, 2);
    const z = Float32Array.from([1, 10, 3, 10, 5, 16]);
    updateMovingNorm(norm, 1, z, 3, 2, 0.9);
    expect(norm.mean[2]).toBeCloseTo(3, 12);
    expect(norm.mean[3]).toBeCloseTo(12, 12);
    expect(norm.std[2]).toBeCloseTo(Math.sqrt(8 / 3), 5);
    expect(norm.std[3]).toBeCloseTo(Math.sqrt(8), 5);
    expect([norm.mean[0], norm.std[0], norm.seen[0]]).toEqual([0, 1, false]);
    updateMovingNorm(norm, 1, Float32Array.from([13, 12, 13, 12, 13, 12]), 3, 2, 0.9);
    expect(norm.mean[2]).toBeCloseTo(0.9 * 3 + 0.1 * 13, 12);
    expect(norm.std[2]).toBeCloseTo(0.9 * Math.sqrt(8 / 3) + 0.1 * 1e-6, 5);
    const x = Float32Array.from([0.5, -2, 7, 1]);
    const y = x.slice();
    const logDet = applyMovingNorm(norm, 1, y, 2, 2);
    expect(y[0]).toBeCloseTo((0.5 - norm.mean[2]!) / norm.std[2]!, 5);
    expect(y[3]).toBeCloseTo((1 - norm.mean[3]!) / norm.std[3]!, 5);
    expect(logDet).toBeCloseTo(-Math.log(norm.std[2]!) - Math.log(norm.std[3]!), 12);
    undoMovingNorm(norm, 1, y, 2, 2);
    for (let i = 0; i < 4; i++) expect(y[i]).toBeCloseTo(x[i]!, 5);
  });

  for (const linearMixing of [true, false]) {
    it(`after a fit sets its statistics: inverse, log-det and gradient hold; save/load keeps them (linearMixing ${linearMixing})`, async () => {
      // Couplings of weight scale 0.4: the statistics' scales (0.5 to 7 here) steepen the map past what differences of 2e-3 follow.
      const flow = await warped({ movingNorm: 0.5, learningRate: 1e-6, linearMixing }, 3, 0.4);
      const rng = new Rng(8);
      const data = Float32Array.from({ length: 128 }, () => rng.normal());
      const before = flow.logProb(data, 64);
      await flow.fit(data, 64, { epochs: 1, batchSize: 16 });
      // The statistics of the warped layers are far from (0, 1), so the density moved though the parameters barely did.
      const after = flow.logProb(data, 64);
      expect(Math.max(...after.map((v, i) => Math.abs(v - before[i]!)))).toBeGreaterThan(0.05);
      checkFlow(flow);
      // gradient() alone leaves the statistics where fit left them.
      expect(flow.logProb(data, 64)).toEqual(after);
      const dir = await mkdtemp(join(tmpdir(), 'flow-norm-'));
      dirs.push(dir);
      await flow.save(join(dir, 'm'));
      const loaded = await RealNVP.load(join(dir, 'm'));
      expect(loaded.logProb(data, 64)).toEqual(after);
      expect(() => new RealNVP({ dim: 2, seed: 0, movingNorm: 1 })).toThrow(/movingNorm in \[0, 1\)/);
    });
  }
});
