import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { fillStandardNormal, gaussianNoise, ornsteinUhlenbeckNoise, smoothTargetActions, standardNormal } from '../../agents/noise.js';

/** Mean, variance and lag-1 autocorrelation of a series. */
function stats(xs: Float64Array): { mean: number; variance: number; lag1: number } {
  const n = xs.length;
  let mean = 0;
  for (const x of xs) mean += x / n;
  let variance = 0;
  let cov = 0;
  for (let i = 0; i < n; i++) {
    variance += (xs[i]! - mean) ** 2 / n;
    if (i > 0) cov += ((xs[i]! - mean) * (xs[i - 1]! - mean)) / (n - 1);
  }
  return { mean, variance, lag1: cov / variance };
}

function draw(sample: (out: Float32Array) => Float32Array, n: number, dim = 1, column = 0): Float64Array {
  const out = new Float32Array(dim);
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = sample(out)[column]!;
  return xs;
}

describe('standardNormal', () => {
  it('has mean 0, variance 1 and no correlation between draws', () => {
    const rng = new Rng(3);
    const s = stats(Float64Array.from({ length: 100_000 }, () => standardNormal(rng)));
    expect(Math.abs(s.mean)).toBeLessThan(0.015);
    expect(s.variance).toBeCloseTo(1, 1);
    expect(Math.abs(s.lag1)).toBeLessThan(0.015);
  });
  it('fillStandardNormal draws the same numbers as repeated standardNormal', () => {
    const a = new Rng(6);
    const b = Rng.fromState(a.getState());
    const out = new Float64Array(101);
    fillStandardNormal(a, out, 1, 100);
    expect(out[0]).toBe(0);
    expect(Array.from(out.subarray(1))).toEqual(Array.from({ length: 100 }, () => standardNormal(b)));
    expect(standardNormal(a)).toBe(standardNormal(b));
  });
  it('caches nothing: it depends only on the rng state', () => {
    const a = new Rng(4);
    standardNormal(a);
    const b = Rng.fromState(a.getState());
    expect(standardNormal(b)).toBe(standardNormal(a));
  });
});

describe('gaussianNoise', () => {
  it('draws independent N(0, std^2) values per dimension', () => {
    const noise = gaussianNoise(2, 0.3, new Rng(1));
    for (const column of [0, 1]) {
      const s = stats(draw((o) => noise.sample(o), 50_000, 2, column));
      expect(Math.abs(s.mean)).toBeLessThan(0.01);
      expect(Math.sqrt(s.variance)).toBeCloseTo(0.3, 2);
      expect(Math.abs(s.lag1)).toBeLessThan(0.02);
    }
  });
  it('refuses bad arguments', () => {
    expect(() => gaussianNoise(0, 0.1, new Rng(1))).toThrow(new InvalidConfig('Expected noise dim to be a positive integer, got 0.'));
    expect(() => gaussianNoise(1, -1, new Rng(1))).toThrow('Expected noise std to be a finite number >= 0, got -1.');
  });
});

describe('ornsteinUhlenbeckNoise', () => {
  it('has the stationary variance std^2 / (theta (2 - theta dt)) and lag-1 autocorrelation 1 - theta dt', () => {
    const [std, theta, dt] = [0.5, 1, 0.1];
    const noise = ornsteinUhlenbeckNoise(1, { std, theta, dt }, new Rng(2));
    draw((o) => noise.sample(o), 1000); // burn-in from x_0 = 0
    const s = stats(draw((o) => noise.sample(o), 200_000));
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(s.variance / (std ** 2 / (theta * (2 - theta * dt)))).toBeGreaterThan(0.94);
    expect(s.variance / (std ** 2 / (theta * (2 - theta * dt)))).toBeLessThan(1.06);
    expect(s.lag1).toBeCloseTo(1 - theta * dt, 2);
  });
  it("defaults to SB3's theta 0.15 and dt 0.01: x_1 = std sqrt(dt) eps, x_2 = x_1 (1 - theta dt) + std sqrt(dt) eps'", () => {
    const a = new Rng(7);
    const b = Rng.fromState(a.getState());
    const noise = ornsteinUhlenbeckNoise(1, { std: 2 }, a);
    const out = new Float32Array(1);
    const x1 = 2 * 0.1 * standardNormal(b);
    expect(noise.sample(out)[0]).toBeCloseTo(x1, 6);
    expect(noise.sample(out)[0]).toBeCloseTo(x1 * (1 - 0.0015) + 0.2 * standardNormal(b), 6);
  });
  it('reset returns the process to 0, and the state round-trips', () => {
    const noise = ornsteinUhlenbeckNoise(2, { std: 1 }, new Rng(5));
    const out = new Float32Array(2);
    for (let i = 0; i < 10; i++) noise.sample(out);
    const state = noise.getState();
    expect(state.some((x) => x !== 0)).toBe(true);
    noise.reset();
    expect(noise.getState()).toEqual([0, 0]);
    noise.setState(state);
    expect(noise.getState()).toEqual(state);
    expect(() => noise.setState([1])).toThrow('Expected an OU state of 2 finite numbers, got [1].');
  });
  it('refuses an unstable discretisation', () => {
    expect(() => ornsteinUhlenbeckNoise(1, { std: 1, theta: 20, dt: 0.1 }, new Rng(1))).toThrow(/theta \* dt <= 1/);
  });
});

describe('smoothTargetActions: TD3 target policy smoothing', () => {
  const low = Float32Array.from([-2, 0]);
  const half = Float32Array.from([2, 0.5]);
  const n = 5000;
  it('clips the noise to +-noiseClip half ranges, however large its std', () => {
    const u = new Float32Array(2 * n); // the target actor says "the middle"
    const out = smoothTargetActions(u, n, 2, 10, 0.3, new Rng(1), low, half, new Float32Array(2 * n));
    const col = (j: number) => Array.from({ length: n }, (_, i) => out[2 * i + j]!);
    // scale(+-0.3): [-0.6, 0.6] and [0.35, 0.65]; with std 10 nearly every draw sits on a clip boundary.
    expect(Math.min(...col(0))).toBeCloseTo(-0.6, 6);
    expect(Math.max(...col(0))).toBeCloseTo(0.6, 6);
    expect(Math.min(...col(1))).toBeCloseTo(0.35, 6);
    expect(Math.max(...col(1))).toBeCloseTo(0.65, 6);
  });
  it('adds N(0, std^2) noise in half ranges, then clips the action to the bounds', () => {
    const u = Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 0.2 : 0.95));
    const out = smoothTargetActions(u, n, 2, 0.1, 0.5, new Rng(2), low, half, new Float32Array(2 * n));
    const eps = Float64Array.from({ length: n }, (_, i) => (out[2 * i]! - low[0]!) / half[0]! - 1 - 0.2);
    const s = stats(eps);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    expect(Math.sqrt(s.variance)).toBeCloseTo(0.1, 2);
    // u = 0.95 plus noise passes 1 often: clipped to the upper bound 1, never beyond.
    const second = Array.from({ length: n }, (_, i) => out[2 * i + 1]!);
    expect(Math.max(...second)).toBe(1);
    expect(second.filter((a) => a === 1).length).toBeGreaterThan(n / 4);
  });
  it('std 0 is the rescaled target action itself (DDPG)', () => {
    const u = Float32Array.from([0.5, -1]);
    expect(Array.from(smoothTargetActions(u, 1, 2, 0, 0.5, new Rng(1), low, half, new Float32Array(2)))).toEqual([1, 0]);
  });
});
