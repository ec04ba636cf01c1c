// The RBM's arithmetic against definitions: the conditionals and free energy against sums over the hidden states,
// log Z against the sum over every (v, h), AIS where it must be exact, and one CD / PCD update against a reference
// written out in this file from the same random draws. `npm run mutate` runs this file against rbm-energy.ts,
// rbm-log-z.ts and the RBM's update, log-likelihood and log Z.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../core/node/checkpoint/checkpoint.js';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { Rbm } from '../../models/rbm.js';
import { bernoulli, freeEnergy, gemm, gemmLoops, hiddenProbs, sigmoid, softplus, visibleProbs, type RbmParams } from '../../models/rbm-energy.js';
import { EXACT_MAX_UNITS, aisLogZ, aisSchedule, enumerable, exactLogZ } from '../../models/rbm-log-z.js';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

/** Parameters of visible x hidden units from `rng` (weights of scale `w`), W's transpose included. */
function randomParams(visible: number, hidden: number, rng: Rng, w = 1): RbmParams {
  const W = Float32Array.from({ length: visible * hidden }, () => rng.normal(0, w));
  const WT = new Float32Array(visible * hidden);
  for (let i = 0; i < visible; i++) for (let j = 0; j < hidden; j++) WT[j * visible + i] = W[i * hidden + j]!;
  return {
    visible, hidden, W, WT,
    b: Float32Array.from({ length: visible }, () => rng.normal(0, 0.5)),
    c: Float32Array.from({ length: hidden }, () => rng.normal(0, 0.5)),
    baseBias: Float32Array.from({ length: visible }, () => rng.normal(0, 0.5)),
  };
}

/** The binary states of `units` units, state s having bit u of s as unit u. */
function states(units: number): number[][] {
  return Array.from({ length: 2 ** units }, (_, s) => Array.from({ length: units }, (_, u) => (s >> u) & 1));
}

/** E(v, h) = -b.v - c.h - v W h, written out. */
function energy(p: RbmParams, v: number[], h: number[]): number {
  let e = 0;
  for (let i = 0; i < p.visible; i++) e -= p.b[i]! * v[i]!;
  for (let j = 0; j < p.hidden; j++) e -= p.c[j]! * h[j]!;
  for (let i = 0; i < p.visible; i++) for (let j = 0; j < p.hidden; j++) e -= v[i]! * p.W[i * p.hidden + j]! * h[j]!;
  return e;
}

const logSumExp = (t: number[]): number => {
  const m = Math.max(...t);
  return m + Math.log(t.reduce((s, x) => s + Math.exp(x - m), 0));
};

describe('rbm-energy: the scalar pieces and the matrix product', () => {
  it('sigmoid and softplus, with softplus cut over to z and e^z past +-30', () => {
    for (const z of [-5, -0.3, 0, 1.7]) {
      expect(sigmoid(z)).toBeCloseTo(1 / (1 + Math.exp(-z)), 14);
      expect(softplus(z)).toBeCloseTo(Math.log(1 + Math.exp(z)), 14);
    }
    expect(softplus(31)).toBe(31);
    expect(softplus(-31)).toBe(Math.exp(-31));
    expect(softplus(29)).toBe(Math.log1p(Math.exp(29)));
    expect(softplus(-29)).toBe(Math.log1p(Math.exp(-29)));
  });

  it('gemmLoops: out = A b + bias for A by rows or by columns, zeros in A skipped, nothing past rows x cols', () => {
    // A (2 x 3) = [[1, 0, 2], [0, -1, 3]], b (3 x 2), bias (2).
    const aRows = f32([1, 0, 2, 0, -1, 3]);
    const aCols = f32([1, 0, 0, -1, 2, 3]); // the same A stored column by column
    const b = f32([1, 2, 3, 4, 5, 6]);
    const want = [1 * 1 + 2 * 5, 1 * 2 + 2 * 6, -3 + 3 * 5, -4 + 3 * 6];
    const out = new Float32Array(5).fill(9);
    gemmLoops(aRows, 3, 1, b, null, out, 2, 3, 2);
    expect(Array.from(out)).toEqual([...want, 9]);
    gemmLoops(aCols, 1, 2, b, f32([0.5, -1]), out, 2, 3, 2);
    expect(Array.from(out)).toEqual([want[0]! + 0.5, want[1]! - 1, want[2]! + 0.5, want[3]! - 1, 9]);
    // A stale output is overwritten, not added to.
    out.fill(100);
    gemmLoops(aRows, 3, 1, b, null, out, 2, 3, 2);
    expect(Array.from(out.subarray(0, 4))).toEqual(want);
  });

  it('gemm gives what gemmLoops gives (the SIMD kernel where it loads)', () => {
    const rng = new Rng(3);
    const a = Float32Array.from({ length: 5 * 7 }, () => (rng.float() < 0.3 ? 0 : rng.normal()));
    const b = Float32Array.from({ length: 7 * 9 }, () => rng.normal());
    const bias = Float32Array.from({ length: 9 }, () => rng.normal());
    for (const [saI, saK] of [[7, 1], [1, 5]] as const) {
      const simd = new Float32Array(45);
      const loops = new Float32Array(45);
      gemm(a, saI, saK, b, bias, simd, 5, 7, 9);
      gemmLoops(a, saI, saK, b, bias, loops, 5, 7, 9);
      for (let k = 0; k < 45; k++) expect(simd[k]).toBeCloseTo(loops[k]!, 4);
    }
  });

  it('bernoulli: out[i] = 1 when the next uniform draw is below p[i], for the first len values only', () => {
    const p = f32([0, 1, 0.5, 0.25, 0.9, 0.7]);
    const out = new Float32Array(7).fill(-1);
    bernoulli(p, out, 6, new Rng(8));
    const twin = new Rng(8);
    expect(Array.from(out)).toEqual([...Array.from(p, (q) => (twin.float() < q ? 1 : 0)), -1]);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(1);
  });
});

describe('rbm-energy: conditionals and free energy against the energy function', () => {
  const p = randomParams(3, 2, new Rng(1));
  const vRows = [[1, 0, 1], [0, 1, 1]];
  const hRows = [[1, 0], [1, 1]];

  it('p(h_j = 1 | v) = sigmoid(c_j + (v W)_j) and p(v_i = 1 | h) = sigmoid(b_i + (W h)_i), from energy differences', () => {
    const ph = hiddenProbs(p, f32(vRows.flat()), 2, new Float32Array(5).fill(3));
    const pv = visibleProbs(p, f32(hRows.flat()), 2, new Float32Array(7).fill(3));
    // Only n rows are written.
    expect([ph[4], pv[6]]).toEqual([3, 3]);
    vRows.forEach((v, r) => {
      for (let j = 0; j < 2; j++) {
        const on = [0, 1].map((u) => (u === j ? 1 : 0));
        // p(h_j = 1 | v) / p(h_j = 0 | v) = exp(E(v, h_j = 0) - E(v, h_j = 1)), the other unit off.
        expect(ph[r * 2 + j]).toBeCloseTo(sigmoid(energy(p, v, [0, 0]) - energy(p, v, on)), 6);
      }
    });
    hRows.forEach((h, r) => {
      for (let i = 0; i < 3; i++) {
        const on = [0, 1, 2].map((u) => (u === i ? 1 : 0));
        expect(pv[r * 3 + i]).toBeCloseTo(sigmoid(energy(p, [0, 0, 0], h) - energy(p, on, h)), 6);
      }
    });
  });

  it('F(v) = -log sum_h exp(-E(v, h)) for each row', () => {
    const out = new Float32Array(3).fill(7);
    freeEnergy(p, f32(vRows.flat()), 2, out);
    vRows.forEach((v, r) => expect(out[r]).toBeCloseTo(-logSumExp(states(2).map((h) => -energy(p, v, h))), 5));
    expect(out[2]).toBe(7);
  });
});

describe('rbm-log-z: log Z', () => {
  /** log sum over every (v, h) of exp(-E(v, h)). */
  const bruteLogZ = (p: RbmParams) => logSumExp(states(p.visible).flatMap((v) => states(p.hidden).map((h) => -energy(p, v, h))));

  it('exactLogZ is log sum_{v,h} exp(-E), enumerating the hidden layer, the visible one, or either when equal', () => {
    for (const [nv, nh] of [[4, 3], [3, 4], [3, 3], [5, 1]] as const) {
      const p = randomParams(nv, nh, new Rng(nv * 10 + nh), 1.5);
      expect(exactLogZ(p), `${nv} x ${nh}`).toBeCloseTo(bruteLogZ(p), 5);
    }
    expect(EXACT_MAX_UNITS).toBe(20);
  });

  it('exactLogZ keeps its log-sum-exp finite where exp(-E) overflows, and where terms lie far below the largest', () => {
    const p = randomParams(3, 2, new Rng(4));
    p.b.fill(400);
    expect(exactLogZ(p)).toBeCloseTo(bruteLogZ(p), 3);
    expect(exactLogZ(p)).toBeGreaterThan(1200);
    // The first state enumerated (h = 0) is the largest term by 2000 nats: later terms must not be rescaled by e^2000.
    const q = randomParams(3, 2, new Rng(5));
    q.c.fill(-2000);
    expect(exactLogZ(q)).toBeCloseTo(bruteLogZ(q), 6);
  });

  it("aisLogZ is exact when W = 0 and b is the base model's: every weight is sum_j softplus(c_j) - log 2", () => {
    const p = randomParams(4, 3, new Rng(5));
    p.W.fill(0);
    p.WT.fill(0);
    p.b.set(p.baseBias);
    const exact = exactLogZ(p);
    for (const [runs, steps] of [[1, 1], [3, 10], [2, 25]] as const) expect(aisLogZ(p, runs, steps, 9)).toBeCloseTo(exact, 5);
  });

  it('aisLogZ estimates log Z of a coupled RBM within a few hundredths, and is seeded', () => {
    const p = randomParams(8, 5, new Rng(6), 0.7);
    const exact = exactLogZ(p);
    const estimates = [1, 2, 3].map((seed) => aisLogZ(p, 100, 200, seed));
    for (const e of estimates) expect(Math.abs(e - exact)).toBeLessThan(0.05);
    expect(aisLogZ(p, 100, 200, 2)).toBe(estimates[1]);
    expect(estimates[0]).not.toBe(estimates[1]);
    // A single short run of a far-from-base model is off by much more: the annealing is what makes it work.
    expect(Math.abs(aisLogZ(p, 1, 1, 1) - exact)).toBeGreaterThan(0.1);
  });

  it('aisLogZ is unbiased in Z: many runs through only 3 intermediate distributions land on log Z', () => {
    // The estimate is a mean of importance weights, right on average only when each run starts from the base model
    // and every Gibbs sweep leaves its own distribution invariant.
    const p = randomParams(6, 4, new Rng(7), 0.5);
    p.baseBias.set(Float32Array.from({ length: 6 }, (_, i) => Math.cos(3 * i)));
    expect(Math.abs(aisLogZ(p, 20000, 1, 1) - exactLogZ(p))).toBeLessThan(0.03);
  });

  it('aisLogZ averages its weights from the largest: runs 1000 nats apart stay finite', () => {
    // W = 0, c = 0, b = [2000, 0] against a base of b = 0: a run whose first visible unit starts at 0 gains 1000 nats
    // less than one that starts at 1 (every later sweep sets it to 1), and half the runs start at each.
    const p: RbmParams = {
      visible: 2, hidden: 1, W: new Float32Array(2), WT: new Float32Array(2), b: f32([2000, 0]), c: new Float32Array(1), baseBias: new Float32Array(2),
    };
    const z = aisLogZ(p, 16, 1, 3);
    expect(Number.isFinite(z)).toBe(true);
    // log Z = softplus(2000) + 2 log 2; the estimate is off by log(2 x the fraction of runs that started at 1).
    expect(Math.abs(z - exactLogZ(p))).toBeLessThan(1);
  });

  it('aisSchedule: a tenth of the steps to 0.5, three tenths to 0.9, the rest to 1', () => {
    const b = Array.from(aisSchedule(10));
    const want = [0, 0.5, 0.5 + 0.4 / 3, 0.5 + 0.8 / 3, 0.9, ...[1, 2, 3, 4, 5, 6].map((s) => 0.9 + (0.1 * s) / 6)];
    expect(b.length).toBe(11);
    b.forEach((x, i) => expect(x, `beta ${i}`).toBeCloseTo(want[i]!, 12));
    expect(Array.from(aisSchedule(1))).toEqual([0, 0.5, 0.9, 1]);
    const long = aisSchedule(1000);
    expect(long.length).toBe(1001);
    expect([long[100], long[400], long[1000]]).toEqual([0.5, 0.9, 1]);
    expect(long[50]).toBeCloseTo(0.25, 12);
  });
});

describe('Rbm: log-likelihood and log Z', () => {
  async function fitted(visible: number, hidden: number, config: Partial<ConstructorParameters<typeof Rbm>[0]> = {}): Promise<Rbm> {
    const rbm = new Rbm({ visible, hidden, seed: 1, ...config });
    const rng = new Rng(2);
    await rbm.fit(Float32Array.from({ length: 10 * visible }, () => (rng.float() < 0.4 ? 1 : 0)), 10, { epochs: 1 });
    const r = new Rng(3);
    for (let i = 0; i < rbm.W.length; i++) rbm.W[i] = r.normal(0, 1);
    rbm.paramsChanged();
    return rbm;
  }

  it('logProb is -F(v) - log Z: it sums to 1 over every visible state', async () => {
    expect(() => new Rbm({ visible: 5, hidden: 3 }).logProb(new Float32Array(5), 1)).toThrow(
      'Expected a fitted RBM before logProb(), got an untrained one: call fit() or Rbm.load() first.',
    );
    const rbm = await fitted(5, 3);
    const all = Float32Array.from(states(5).flat());
    const lp = rbm.logProb(all, 32);
    // Into `out`: n values, nothing past them.
    const out = new Float32Array(3).fill(8);
    rbm.logProb(all, 2, out);
    expect([out[0], out[1], out[2]]).toEqual([lp[0], lp[1], 8]);
    expect(lp.reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(1, 5);
    const f = rbm.freeEnergy(all, 32);
    const { logZ } = rbm.logPartition();
    lp.forEach((x, r) => expect(x).toBeCloseTo(-f[r]! - logZ, 5));
  });

  it("logPartition: exact where a layer is small, cached until the parameters change, AIS when asked or needed", async () => {
    const rbm = await fitted(5, 3, { aisRuns: 20, aisSteps: 50 });
    const z = rbm.logPartition();
    expect(z.method).toBe('exact');
    expect(rbm.logPartition()).toBe(z);
    expect(rbm.logPartition({ method: 'exact' })).not.toBe(z);
    expect(rbm.logPartition({ method: 'exact' }).logZ).toBe(z.logZ);
    rbm.c[0] = rbm.c[0]! + 1;
    rbm.paramsChanged();
    const moved = rbm.logPartition();
    expect(moved.logZ).not.toBe(z.logZ);
    const ais = rbm.logPartition({ method: 'ais' });
    expect(ais.method).toBe('ais');
    expect(ais.logZ).toBeCloseTo(moved.logZ, 0);
    // Options other than the method are not cached, and do not replace the cached value.
    const short = rbm.logPartition({ runs: 2, steps: 3, method: 'ais' });
    expect(short.logZ).not.toBe(ais.logZ);
    expect(rbm.logPartition({ seed: 4 })).not.toBe(moved);
    expect(rbm.logPartition({ runs: 20 })).not.toBe(moved);
    expect(rbm.logPartition({ steps: 50 })).not.toBe(moved);
    expect(rbm.logPartition()).toBe(moved);
    // The seed, runs and steps given are the ones used.
    expect(rbm.logPartition({ method: 'ais', seed: 4 }).logZ).not.toBe(ais.logZ);
    expect(rbm.logPartition({ method: 'ais', runs: 7 }).logZ).not.toBe(ais.logZ);
    expect(rbm.logPartition({ method: 'ais', steps: 9 }).logZ).not.toBe(ais.logZ);
    expect(rbm.logPartition({ method: 'ais', seed: 1, runs: 20, steps: 50 }).logZ).toBe(ais.logZ);
  });

  it('logPartition: AIS when both layers are over 20 units; exact refused there', async () => {
    const rbm = new Rbm({ visible: EXACT_MAX_UNITS + 1, hidden: EXACT_MAX_UNITS + 1, aisRuns: 3, aisSteps: 5 });
    expect(() => rbm.logPartition({ method: 'exact' })).toThrow(InvalidConfig);
    expect(() => rbm.logPartition({ method: 'exact' })).toThrow("Expected a layer of at most 20 units for exact log Z, got 21 x 21; use 'ais'.");
    const z = rbm.logPartition();
    expect(z.method).toBe('ais');
    expect(rbm.logPartition()).toBe(z);
    // One layer of exactly 20 units is still enumerated (2^20 states: not run here).
    expect([enumerable(40, 20), enumerable(20, 40), enumerable(21, 21), enumerable(3, 2)]).toEqual([true, true, false, true]);
  });
});

/** One CD-k or PCD update written out: the draws in the order the model takes them. */
function referenceUpdate(
  p: RbmParams, vel: { W: Float64Array; b: Float64Array; c: Float64Array }, v0: number[][], chains: number[][] | null, k: number, rng: Rng,
  cfg: { learningRate: number; momentum: number; weightDecay: number },
): number[][] | null {
  const { visible: nv, hidden: nh } = p;
  const sample = (q: number[]) => q.map((x): number => (rng.float() < Math.fround(x) ? 1 : 0));
  const probH = (v: number[]) => Array.from({ length: nh }, (_, j) => sigmoid(p.c[j]! + v.reduce((s, vi, i) => s + vi * p.W[i * nh + j]!, 0)));
  const probV = (h: number[]) => Array.from({ length: nv }, (_, i) => sigmoid(p.b[i]! + h.reduce((s, hj, j) => s + hj * p.W[i * nh + j]!, 0)));
  const ph0 = v0.map(probH);
  let h = ph0.map(sample);
  h.forEach(probV); // the reconstruction (no draws)
  let neg = chains;
  if (neg) h = neg.map(probH).map(sample);
  let pv: number[][] = [];
  let ph: number[][] = [];
  let v: number[][] = [];
  for (let s = 0; s < k; s++) {
    pv = h.map(probV);
    v = pv.map(sample);
    ph = v.map(probH);
    if (s + 1 < k) h = ph.map(sample);
  }
  if (neg) neg = v;
  const m = v0.length;
  const mNeg = pv.length;
  const { learningRate: lr, momentum: mu, weightDecay: wd } = cfg;
  for (let i = 0; i < nv; i++) {
    for (let j = 0; j < nh; j++) {
      const pos = v0.reduce((s, row, r) => s + row[i]! * ph0[r]![j]!, 0) / m;
      const negStat = pv.reduce((s, row, r) => s + row[i]! * ph[r]![j]!, 0) / mNeg;
      const idx = i * nh + j;
      vel.W[idx] = mu * vel.W[idx]! + lr * (pos - negStat - wd * p.W[idx]!);
      p.W[idx] = p.W[idx]! + vel.W[idx]!;
    }
  }
  for (let i = 0; i < nv; i++) {
    vel.b[i] = mu * vel.b[i]! + lr * (v0.reduce((s, row) => s + row[i]!, 0) / m - pv.reduce((s, row) => s + row[i]!, 0) / mNeg);
    p.b[i] = p.b[i]! + vel.b[i]!;
  }
  for (let j = 0; j < nh; j++) {
    vel.c[j] = mu * vel.c[j]! + lr * (ph0.reduce((s, row) => s + row[j]!, 0) / m - ph.reduce((s, row) => s + row[j]!, 0) / mNeg);
    p.c[j] = p.c[j]! + vel.c[j]!;
  }
  return neg;
}

describe('Rbm: the CD and PCD updates', () => {
  const nv = 4;
  const nh = 3;
  const data: number[][] = [[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 0]];
  const cfg = { learningRate: 0.3, momentum: 0.6, weightDecay: 0.05 };
  // Weights of order 1, set before training: with the initial 0.01 ones every p(h | v) is about 1/2, the same draws
  // give the same samples whatever v is, and a wrong negative chain would go unseen.
  const startW = Float32Array.from({ length: nv * nh }, (_, i) => 1.5 * Math.sin(1.7 * i + 0.3));
  const withWeights = (rbm: Rbm): Rbm => {
    rbm.W.set(startW);
    rbm.paramsChanged();
    return rbm;
  };

  /** The model's random streams, rebuilt as its constructor makes them: W's draws from the root, then the training fork. */
  function trainStream(seed: number): Rng {
    const root = new Rng(seed);
    for (let i = 0; i < nv * nh; i++) root.normal(0, 0.01);
    return root.fork();
  }

  /** The model's parameters as plain arrays (float64 copies), with the base-rate visible biases of `data`. */
  function reference(rbm: Rbm): RbmParams {
    return { visible: nv, hidden: nh, W: Float32Array.from(rbm.W), WT: new Float32Array(0), b: Float32Array.from(rbm.b), c: Float32Array.from(rbm.c), baseBias: rbm.baseBias };
  }

  for (const k of [1, 2]) {
    it(`CD-${k}: two epochs of one batch match the written-out update (momentum, weight decay, both phases)`, async () => {
      const rbm = withWeights(new Rbm({ visible: nv, hidden: nh, k, batchSize: 3, seed: 4, ...cfg }));
      const rng = trainStream(4);
      await rbm.fit(Float32Array.from(data.flat()), 3, { epochs: 1 });
      // The first fit sets b to the data's log-odds: replay that, then the same update from the same draws.
      const p = reference(rbm);
      p.W.set(startW);
      const means = [0, 1, 2, 3].map((i) => data.reduce((s, r) => s + r[i]!, 0) / 3);
      p.b.set(means.map((q) => Math.log(q / (1 - q))));
      p.c.fill(0);
      const vel = { W: new Float64Array(nv * nh), b: new Float64Array(nv), c: new Float64Array(nh) };
      // Shuffle of 3 rows: 2 integer draws.
      const order = [0, 1, 2];
      for (let i = 2; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      referenceUpdate(p, vel, order.map((r) => data[r]!), null, k, rng, cfg);
      for (let i = 0; i < nv * nh; i++) expect(rbm.W[i], `W ${i}`).toBeCloseTo(p.W[i]!, 5);
      for (let i = 0; i < nv; i++) expect(rbm.b[i], `b ${i}`).toBeCloseTo(p.b[i]!, 5);
      for (let j = 0; j < nh; j++) expect(rbm.c[j], `c ${j}`).toBeCloseTo(p.c[j]!, 5);
      // A second fit carries the momentum and keeps the biases; its shuffle starts again from the data's order.
      await rbm.fit(Float32Array.from(data.flat()), 3, { epochs: 1 });
      order.splice(0, 3, 0, 1, 2);
      for (let i = 2; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      referenceUpdate(p, vel, order.map((r) => data[r]!), null, k, rng, cfg);
      for (let i = 0; i < nv * nh; i++) expect(rbm.W[i], `W ${i}`).toBeCloseTo(p.W[i]!, 5);
      for (let i = 0; i < nv; i++) expect(rbm.b[i], `b ${i}`).toBeCloseTo(p.b[i]!, 5);
      for (let j = 0; j < nh; j++) expect(rbm.c[j], `c ${j}`).toBeCloseTo(p.c[j]!, 5);
    });
  }

  it('PCD: 5 persistent chains start at the base rate and carry over between updates', async () => {
    const rbm = withWeights(new Rbm({ visible: nv, hidden: nh, k: 1, persistent: true, chains: 5, batchSize: 3, seed: 6, ...cfg }));
    const rng = trainStream(6);
    await rbm.fit(Float32Array.from(data.flat()), 3, { epochs: 2 });
    const p = reference(withWeights(new Rbm({ visible: nv, hidden: nh, seed: 6 })));
    const means = [0, 1, 2, 3].map((i) => data.reduce((s, r) => s + r[i]!, 0) / 3);
    p.b.set(means.map((q) => Math.log(q / (1 - q))));
    const vel = { W: new Float64Array(nv * nh), b: new Float64Array(nv), c: new Float64Array(nh) };
    let chains: number[][] | null = Array.from({ length: 5 }, () => Array.from({ length: nv }, (_, i) => (rng.float() < sigmoid(p.b[i]!) ? 1 : 0)));
    const order = [0, 1, 2];
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let i = 2; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      chains = referenceUpdate(p, vel, order.map((r) => data[r]!), chains, 1, rng, cfg);
    }
    for (let i = 0; i < nv * nh; i++) expect(rbm.W[i], `W ${i}`).toBeCloseTo(p.W[i]!, 5);
    for (let i = 0; i < nv; i++) expect(rbm.b[i], `b ${i}`).toBeCloseTo(p.b[i]!, 5);
    for (let j = 0; j < nh; j++) expect(rbm.c[j], `c ${j}`).toBeCloseTo(p.c[j]!, 5);
  });

  it('counts its updates: a checkpoint holds the number of CD steps taken', async () => {
    const rbm = new Rbm({ visible: nv, hidden: nh, batchSize: 1, seed: 4 });
    await rbm.fit(Float32Array.from(data.flat()), 3, { epochs: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'rbm-math-'));
    try {
      await rbm.save(dir);
      expect((await readCheckpoint(dir)).step).toBe(6);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fit's loss is the mean squared reconstruction error of p(v | h ~ p(h | v)) per row", async () => {
    const rbm = withWeights(new Rbm({ visible: nv, hidden: nh, batchSize: 3, seed: 4, ...cfg }));
    const rng = trainStream(4);
    const report = await rbm.fit(Float32Array.from(data.flat()), 3, { epochs: 1 });
    const p = reference(withWeights(new Rbm({ visible: nv, hidden: nh, seed: 4 })));
    const means = [0, 1, 2, 3].map((i) => data.reduce((s, r) => s + r[i]!, 0) / 3);
    p.b.set(means.map((q) => Math.log(q / (1 - q))));
    const order = [0, 1, 2];
    for (let i = 2; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let err = 0;
    for (const r of order) {
      const v = data[r]!;
      const h = Array.from({ length: nh }, (_, j) => sigmoid(p.c[j]! + v.reduce((s, vi, i) => s + vi * p.W[i * nh + j]!, 0)));
      // Draws of all rows' hidden units come first in the model: replay them row by row (same order).
      const hs = h.map((q): number => (rng.float() < Math.fround(q) ? 1 : 0));
      for (let i = 0; i < nv; i++) {
        const pv = sigmoid(p.b[i]! + hs.reduce((s, hj, j) => s + hj * p.W[i * nh + j]!, 0));
        err += (v[i]! - pv) ** 2;
      }
    }
    expect(report.losses[0]).toBeCloseTo(err / 3, 5);
  });
});
