// RealNVP's likelihood, with affine and with spline couplings, against definitions that hold whatever its layers are: the log-determinant of `transform`
// against finite differences of the map itself, log p(x) integrating to 1 over the plane, the inverse undoing the
// map, `gradient` against finite differences of the mean NLL, and the Polyak average. `npm run mutate` runs this file
// against flow.ts and flow-training.ts.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { RealNVP } from '../../models/flow.js';
import { moveAverage } from '../../models/flow-training.js';

/** A flow of `dim` with every parameter (the couplings' zero-started last layers included) moved at random, standardised on rows of std 2 and mean 1. */
async function warped(dim: number, seed: number, linearMixing = true, coupling: 'affine' | 'spline' = 'affine'): Promise<RealNVP> {
  const flow = new RealNVP({ dim, seed, couplings: 3, hidden: [8], linearMixing, coupling, bins: 4 });
  const rng = new Rng(seed + 100);
  const data = Float32Array.from({ length: 64 * dim }, () => 1 + 2 * rng.normal());
  await flow.fit(data, 64, { epochs: 0 }); // fixes the standardisation only
  // Couplings get weights of scale 0.4 (0.15 for splines, whose slopes would otherwise change within a finite
  // difference's step); mixers stay near their rotations (a nearly singular W would send mass far out).
  const scale = coupling === 'spline' ? 0.15 : 0.4;
  for (const [k, net] of [...flow.nets, ...flow.mixers].entries()) {
    for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + rng.normal(0, k < flow.nets.length ? scale : 0.1);
    net.paramsChanged();
  }
  return flow;
}

/** log |det A| of a small matrix (rows of `dim`) by Gaussian elimination with partial pivoting. */
function logAbsDet(a: number[][]): number {
  const m = a.map((r) => [...r]);
  let s = 0;
  for (let c = 0; c < m.length; c++) {
    let p = c;
    for (let r = c + 1; r < m.length; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    s += Math.log(Math.abs(m[c]![c]!));
    for (let r = c + 1; r < m.length; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < m.length; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  return s;
}

for (const coupling of ['affine', 'spline'] as const) describe(`RealNVP (${coupling} couplings): the change of variables`, () => {
  for (const linearMixing of [true, false]) {
    it(`transform's log-determinant is log |det dz/dx| by finite differences (3-D, linearMixing ${linearMixing})`, async () => {
      const flow = await warped(3, 1, linearMixing, coupling);
      const x = Float32Array.from([0.4, -1.2, 2.5, 3, 0.1, -0.7]);
      const { logDet } = flow.transform(x, 2);
      for (let row = 0; row < 2; row++) {
        const h = 1e-3; // at 3e-3 one point was 0.015 off, likely a ReLU kink inside the step; float32 still agrees to 0.005 here
        const J: number[][] = [[], [], []];
        for (let j = 0; j < 3; j++) {
          const up = x.slice(row * 3, row * 3 + 3);
          const down = up.slice();
          up[j] = up[j]! + h;
          down[j] = down[j]! - h;
          const zu = flow.transform(up, 1).z;
          const zd = flow.transform(down, 1).z;
          for (let i = 0; i < 3; i++) J[i]![j] = (zu[i]! - zd[i]!) / (up[j]! - down[j]!);
        }
        expect(logDet[row]).toBeCloseTo(logAbsDet(J), 2);
      }
    });
  }

  it('log p(x) integrates to 1 over the plane', async () => {
    const flow = await warped(2, 2, true, coupling);
    const step = 0.1;
    const pts: number[] = [];
    for (let a = -12; a <= 14; a += step) for (let b = -12; b <= 14; b += step) pts.push(a, b);
    const lp = flow.logProb(Float32Array.from(pts), pts.length / 2);
    const mass = lp.reduce((s, v) => s + Math.exp(v), 0) * step * step;
    expect(mass).toBeCloseTo(1, 2);
  });

  it('logProb is log N(z; 0, I) + logDet of transform, row by row', async () => {
    const flow = await warped(3, 3, true, coupling);
    const x = Float32Array.from([0.4, -1.2, 2.5, 3, 0.1, -0.7]);
    const { z, logDet } = flow.transform(x, 2);
    const lp = flow.logProb(x, 2);
    for (let i = 0; i < 2; i++) {
      let q = 0;
      for (let d = 0; d < 3; d++) q += -0.5 * z[i * 3 + d]! ** 2 - 0.5 * Math.log(2 * Math.PI);
      expect(lp[i]).toBeCloseTo(q + logDet[i]!, 4);
    }
  });

  it('inverse undoes transform, and sample maps N(0, I) draws through it', async () => {
    const flow = await warped(3, 4, true, coupling);
    const x = Float32Array.from([0.4, -1.2, 2.5, 3, 0.1, -0.7]);
    const back = flow.inverse(flow.transform(x, 2).z, 2);
    for (let k = 0; k < 6; k++) expect(back[k]).toBeCloseTo(x[k]!, 3);
    const s = flow.sample(200);
    const { z } = flow.transform(s, 200);
    let m = 0;
    let v = 0;
    for (const t of z) m += t / z.length;
    for (const t of z) v += (t - m) ** 2 / z.length;
    expect(Math.abs(m)).toBeLessThan(0.15);
    expect(v).toBeGreaterThan(0.8);
    expect(v).toBeLessThan(1.2);
  });

  it('gradient returns the mean NLL and its parameter gradient (finite differences)', async () => {
    const flow = await warped(2, 5, true, coupling);
    const x = Float32Array.from([0.4, -1.2, 2.5, 3, 0.1, -0.7, 1, 1]);
    const nll = () => -flow.logProb(x, 4).reduce((s, v) => s + v, 0) / 4;
    expect(flow.gradient(x, 4)).toBeCloseTo(nll(), 4);
    for (const net of [flow.nets[0]!, flow.nets[2]!, flow.mixers[1]!]) {
      const analytic = net.grads.slice();
      // Every 3rd parameter keeps this fast; both layers of each net are visited, and every one of a mixer's W and b.
      for (let k = 0; k < net.params.length; k += net === flow.mixers[1] ? 1 : 3) {
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
  });

  it('without mixing layers: inverse undoes transform and gradient matches finite differences of the mean NLL', async () => {
    const flow = await warped(2, 8, false, coupling);
    const x = Float32Array.from([0.4, -1.2, 2.5, 3, 0.1, -0.7]);
    const back = flow.inverse(flow.transform(x, 3).z, 3);
    x.forEach((v, i) => expect(back[i]!).toBeCloseTo(v, 4));
    const nll = () => -flow.logProb(x, 3).reduce((s, v) => s + v, 0) / 3;
    expect(flow.gradient(x, 3)).toBeCloseTo(nll(), 4);
    const net = flow.nets[1]!;
    const analytic = net.grads.slice();
    for (let k = 0; k < net.params.length; k += 5) {
      const v = net.params[k]!;
      net.params[k] = v + 2e-3;
      net.paramsChanged();
      const up = nll();
      net.params[k] = v - 2e-3;
      net.paramsChanged();
      const down = nll();
      net.params[k] = v;
      net.paramsChanged();
      expect(analytic[k]! - (up - down) / 4e-3, `param ${k}`).toBeCloseTo(0, 2);
    }
  });

  it('inverse and logProb write n rows into a longer out and leave the rest; bad rows are named', async () => {
    const flow = await warped(2, 6, true, coupling);
    const z = Float32Array.from([0.3, -0.5, 1.1, 0.2]);
    const out = new Float32Array(6).fill(7);
    flow.inverse(z, 2, out);
    expect(Array.from(out.subarray(4))).toEqual([7, 7]);
    const scores = new Float32Array(3).fill(7);
    flow.logProb(z, 2, scores);
    expect(scores[2]).toBe(7);
    expect(() => flow.transform(new Float32Array(3), 2)).toThrow(/Expected x /);
    expect(() => flow.gradient(new Float32Array(3), 2)).toThrow(/Expected x /);
    expect(() => flow.inverse(new Float32Array(3), 2)).toThrow(/Expected z /);
    expect(() => new RealNVP({ dim: 2, seed: 0 }).logProb(z, 2)).toThrow(/before logProb\(\)/);
  });
});

describe('RealNVP training: the Polyak average', () => {
  it('moveAverage takes one step of avg <- decay avg + (1 - decay) params, elementwise', () => {
    const avg = Float32Array.from([1, -2, 4]);
    moveAverage(avg, Float32Array.from([3, 2, 4]), 0.75);
    expect(Array.from(avg)).toEqual([1.5, -1, 4]);
    moveAverage(avg, Float32Array.from([0, 0, 0]), 0);
    expect(Array.from(avg)).toEqual([0, 0, 0]);
  });
});
