import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import {
  gridCentres, gridOfGaussians, heteroscedastic, heteroscedasticNoiseStd, ringOfGaussians, split, splitIndices, twoMoons,
} from '../../models/data.js';

function colStats(d: Float32Array, n: number, dim: number, j: number): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < n; i++) s += d[i * dim + j]!;
  const m = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (d[i * dim + j]! - m) ** 2;
  return { mean: m, std: Math.sqrt(v / n) };
}

describe('twoMoons', () => {
  it('raw moons lie on the two half circles, noise 0 exactly', () => {
    const m = twoMoons(200, new Rng(0), { noise: 0, standardise: false });
    for (let i = 0; i < m.n; i++) {
      const x = m.data[2 * i]!, y = m.data[2 * i + 1]!;
      const [cx, cy] = m.labels[i] === 0 ? [0, 0] : [1, 0.5];
      expect(Math.hypot(x - cx, y - cy)).toBeCloseTo(1, 5);
      expect(m.labels[i] === 0 ? y >= -1e-6 : y <= 0.5 + 1e-6).toBe(true);
    }
    expect(m.standardisation.logDet).toBe(0);
  });
  it('standardised: zero mean, unit variance, and logDet = sum log std of the raw data', () => {
    const raw = twoMoons(5000, new Rng(1), { standardise: false });
    const st = twoMoons(5000, new Rng(1));
    for (let j = 0; j < 2; j++) {
      const s = colStats(st.data, st.n, 2, j);
      expect(Math.abs(s.mean)).toBeLessThan(1e-5);
      expect(s.std).toBeCloseTo(1, 5);
    }
    const r0 = colStats(raw.data, raw.n, 2, 0), r1 = colStats(raw.data, raw.n, 2, 1);
    expect(st.standardisation.logDet).toBeCloseTo(Math.log(r0.std) + Math.log(r1.std), 5);
    // make_moons' x spans [-1, 2] (mean 1/2), y spans [-1/2, 1]
    expect(r0.mean).toBeCloseTo(0.5, 1);
    // a given standardisation is applied as is
    const again = twoMoons(10, new Rng(1), { standardise: st.standardisation });
    expect(again.standardisation).toBe(st.standardisation);
  });
  it('noise defaults to 0.05 (the published RealNVP figure\'s data): rows sit 0.05 (std) off their half circle', () => {
    const m = twoMoons(20000, new Rng(3), { standardise: false });
    let ss = 0;
    for (let i = 0; i < m.n; i++) {
      const [cx, cy] = m.labels[i] === 0 ? [0, 0] : [1, 0.5];
      ss += (Math.hypot(m.data[2 * i]! - cx, m.data[2 * i + 1]! - cy) - 1) ** 2;
    }
    // The radial part of isotropic noise has the noise's std (to first order in noise / radius).
    expect(Math.sqrt(ss / m.n)).toBeCloseTo(0.05, 2);
  });
  it('is deterministic per seed', () => {
    expect(twoMoons(50, new Rng(7)).data).toEqual(twoMoons(50, new Rng(7)).data);
    expect(twoMoons(50, new Rng(7)).data).not.toEqual(twoMoons(50, new Rng(8)).data);
  });
});

describe('mixtures', () => {
  it('ring: 8 centres at radius 2, samples near their mode with the given std', () => {
    const d = ringOfGaussians(8000, new Rng(2));
    expect(d.modes).toBe(8);
    expect(d.centres[0]).toBeCloseTo(2, 6);
    expect(d.centres[1]).toBeCloseTo(0, 6);
    expect(d.centres[4]).toBeCloseTo(0, 6); // mode 2 at 90 degrees
    expect(d.centres[5]).toBeCloseTo(2, 6);
    let ss = 0;
    const perMode = new Array(8).fill(0);
    for (let i = 0; i < d.n; i++) {
      const k = d.labels[i]!;
      perMode[k]++;
      ss += (d.data[2 * i]! - d.centres[2 * k]!) ** 2 + (d.data[2 * i + 1]! - d.centres[2 * k + 1]!) ** 2;
    }
    expect(Math.sqrt(ss / (2 * d.n))).toBeCloseTo(0.02, 3);
    for (const c of perMode) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });
  it('grid: 25 centres at -4..4 step 2', () => {
    const c = gridCentres();
    const xs = new Set<number>(), ys = new Set<number>();
    for (let k = 0; k < 25; k++) {
      xs.add(c[2 * k]!);
      ys.add(c[2 * k + 1]!);
    }
    expect([...xs].sort((a, b) => a - b)).toEqual([-4, -2, 0, 2, 4]);
    expect([...ys].sort((a, b) => a - b)).toEqual([-4, -2, 0, 2, 4]);
    const d = gridOfGaussians(100, new Rng(3));
    expect(d.std).toBe(0.05);
    expect(d.data.length).toBe(200);
  });
  it('rejects bad options', () => {
    expect(() => ringOfGaussians(0, new Rng(0))).toThrow(InvalidConfig);
    expect(() => gridOfGaussians(5, new Rng(0), { std: -1 })).toThrow(/positive/);
  });
});

describe('heteroscedastic', () => {
  it('noise std: 0.3 at 0, 3.3 at |x| = 4, symmetric', () => {
    expect(heteroscedasticNoiseStd(0)).toBeCloseTo(0.3, 12);
    expect(heteroscedasticNoiseStd(-4)).toBeCloseTo(3.3, 12);
    expect(heteroscedasticNoiseStd(2)).toBe(heteroscedasticNoiseStd(-2));
  });
  it('x in range, residuals y - x^3 have the advertised std', () => {
    const d = heteroscedastic(20000, new Rng(4));
    let z2 = 0;
    for (let i = 0; i < d.n; i++) {
      expect(d.x[i]! >= -4 && d.x[i]! < 4).toBe(true);
      expect(d.noiseStd[i]).toBeCloseTo(heteroscedasticNoiseStd(d.x[i]!), 5);
      z2 += ((d.y[i]! - d.x[i]! ** 3) / d.noiseStd[i]!) ** 2;
    }
    expect(Math.sqrt(z2 / d.n)).toBeCloseTo(1, 1);
  });
  it('custom range and noise', () => {
    const d = heteroscedastic(10, new Rng(5), { range: [1, 2], noise: () => 0 });
    for (let i = 0; i < 10; i++) expect(d.y[i]).toBeCloseTo(d.x[i]! ** 3, 4);
  });
});

describe('split', () => {
  it('a permutation: every row once, test = round(n f)', () => {
    const data = Float32Array.from({ length: 20 }, (_, i) => i);
    const s = split(data, 10, 2, 0.3, new Rng(6));
    expect(s.nTest).toBe(3);
    expect(s.nTrain).toBe(7);
    const rows = [...Array.from(s.train), ...Array.from(s.test)];
    const firsts = rows.filter((_, i) => i % 2 === 0).sort((a, b) => a - b);
    expect(firsts).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    for (let i = 0; i < rows.length; i += 2) expect(rows[i + 1]).toBe(rows[i]! + 1); // rows stay whole
    expect(Array.from(splitIndices(10, 0.3, new Rng(6)).test).length).toBe(3);
  });
  it('rejects mismatched shapes', () => {
    expect(() => split(new Float32Array(5), 3, 2, 0.2, new Rng(0))).toThrow(/3 x 2 = 6/);
    expect(() => split(new Float32Array(6), 3, 2, 1, new Rng(0))).toThrow(/testFraction/);
  });
});
