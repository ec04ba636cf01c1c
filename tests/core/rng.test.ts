import { describe, expect, it } from 'vitest';
import { InvalidConfig, Rng } from '../../core/index.js';

describe('Rng', () => {
  it('is reproducible per seed and differs across seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 10 }, () => a.uint32());
    expect(Array.from({ length: 10 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c.uint32())).not.toEqual(xs);
    // seeds above 2^32 are distinct from their low words
    expect(new Rng(2 ** 32 + 5).uint32()).not.toBe(new Rng(5).uint32());
  });

  it('draws floats in [0, 1) with the right mean and variance', () => {
    const rng = new Rng(1);
    let sum = 0, sq = 0, outside = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = rng.float();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      sq += x * x;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
  });

  it('int(n) is unbiased and normal() has unit variance', () => {
    const rng = new Rng(9);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    let s = 0, s2 = 0;
    for (let i = 0; i < 50_000; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    expect(s / 50_000).toBeCloseTo(0, 1);
    expect(s2 / 50_000).toBeCloseTo(1, 1);
  });

  it('forks independent, reproducible streams', () => {
    const parent1 = new Rng(5), parent2 = new Rng(5);
    const f1 = parent1.fork(), f2 = parent2.fork();
    expect(f1.uint32()).toBe(f2.uint32());
    expect(f1.uint32()).not.toBe(parent1.uint32());
  });

  it('saves and restores its state', () => {
    const rng = new Rng(11);
    rng.float();
    const state = rng.getState();
    const next = [rng.float(), rng.float()];
    const restored = Rng.fromState(state);
    expect([restored.float(), restored.float()]).toEqual(next);
    expect(() => rng.setState([1, 2, 3] as unknown as [number, number, number, number])).toThrow(
      'Expected an rng state of four unsigned 32-bit integers, not all 0 (and a cached normal draw), got [1, 2, 3].',
    );
    expect(() => new Rng(-1)).toThrow(InvalidConfig);
    expect(() => new Rng(1.5)).toThrow('Expected seed to be a non-negative integer, got 1.5.');
  });
});

describe('Rng state and normal draws', () => {
  it('keeps the cached second normal draw, so a restored generator continues exactly after an odd number of normals', () => {
    const rng = new Rng(21);
    rng.normal(); // draws a pair, caches the second
    const state = rng.getState();
    expect(state).toHaveLength(5);
    const next = [rng.normal(), rng.normal(), rng.float()];
    const restored = Rng.fromState(JSON.parse(JSON.stringify(state)) as typeof state);
    expect([restored.normal(), restored.normal(), restored.float()]).toEqual(next);
    rng.normal(); // uses the cached one: nothing cached any more
    expect(rng.getState()).toHaveLength(4);
  });
});

describe('Rng.fillUniform', () => {
  it('gives the same draws as uniform() one at a time', () => {
    const a = new Rng(3), b = new Rng(3);
    const out = new Float64Array(6);
    a.fillUniform(out, -0.05, 0.05, 1, 4);
    expect(out[0]).toBe(0);
    expect(out[5]).toBe(0);
    expect(Array.from(out.subarray(1, 5))).toEqual([1, 2, 3, 4].map(() => b.uniform(-0.05, 0.05)));
  });
});
