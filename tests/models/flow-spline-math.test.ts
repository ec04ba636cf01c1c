// The rational-quadratic spline (models/flow-spline.ts) against definitions: the identity at zero parameters, the
// knots it must pass through, monotonicity, its log-slope against finite differences of the map, the inverse undoing
// it, and its backward pass against finite differences of y + log-slope. `npm run mutate` runs this file against
// flow-spline.ts.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { createKnots, splineBackward, splineForward, splineInverse, splineParams } from '../../models/flow-spline.js';

const K = 5;
const B = 3;

/** Raw parameters of scale `scale` at random (a warped spline), in a buffer with `pad` unused floats in front. */
function rawParams(seed: number, scale = 1.5, pad = 2): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: pad + splineParams(K) }, () => rng.normal(0, scale));
}

function forward(raw: ArrayLike<number>, x: number, o = 2): [number, number] {
  const out = new Float64Array(2);
  splineForward(raw, o, K, B, x, createKnots(K), out);
  return [out[0]!, out[1]!];
}

describe('rational-quadratic spline', () => {
  it('has 3K - 1 raw parameters per element', () => {
    expect(splineParams(8)).toBe(23);
  });

  it('is the identity with slope 1 when every raw parameter is zero', () => {
    const raw = new Float32Array(2 + splineParams(K));
    for (const x of [-2.9, -1.3, 0, 0.77, 2.5]) {
      const [y, ld] = forward(raw, x);
      expect(y).toBeCloseTo(x, 6);
      expect(ld).toBeCloseTo(0, 6);
    }
  });

  it('passes through its knots with the slopes the raw parameters set (uniform widths, chosen heights and slopes)', () => {
    const raw = new Float32Array(2 + splineParams(K)); // width logits 0: knots at -B + 2B i / K
    const heights = [0.5, -1, 2, 0, 0.3];
    const slopes = [0.7, -2, 1.5, 0];
    heights.forEach((v, i) => { raw[2 + K + i] = v; });
    slopes.forEach((v, i) => { raw[2 + 2 * K + i] = v; });
    // Written out from the definitions: h_i = 2B (1e-3 + (1 - 1e-3 K) softmax(heights)_i), d_i = 1e-3 + softplus(u_i + c)
    // with c such that u = 0 gives a slope of 1.
    const e = heights.map(Math.exp);
    const total = e.reduce((a, b) => a + b, 0);
    const h = e.map((v) => 2 * B * (1e-3 + (1 - 1e-3 * K) * (v / total)));
    const c = Math.log(Math.expm1(1 - 1e-3));
    const d = [1, ...slopes.map((u) => 1e-3 + Math.log1p(Math.exp(u + c))), 1];
    let y = -B;
    for (let i = 1; i < K; i++) {
      y += h[i - 1]!;
      const [fy, ld] = forward(raw, -B + (2 * B * i) / K);
      expect(fy).toBeCloseTo(y, 5);
      expect(ld).toBeCloseTo(Math.log(d[i]!), 4);
    }
  });

  it('is the identity outside [-B, B], and maps -B and B to themselves', () => {
    const raw = rawParams(1);
    for (const x of [-7, -3, 3, 4.5]) expect(forward(raw, x)).toEqual([x, 0]);
    expect(forward(raw, -B + 1e-9)[0]).toBeCloseTo(-B, 6);
    expect(forward(raw, B - 1e-9)[0]).toBeCloseTo(B, 6);
  });

  it('is increasing and continuous across the knots of a warped spline', () => {
    const raw = rawParams(2);
    let prev = -Infinity;
    for (let x = -2.999; x < 3; x += 0.001) {
      const [y] = forward(raw, x);
      expect(y).toBeGreaterThan(prev);
      if (prev > -Infinity) expect(y - prev).toBeLessThan(0.2);
      prev = y;
    }
  });

  it('reads its raw parameters at the offset it is given', () => {
    const raw = rawParams(3, 1.5, 0);
    const shifted = new Float32Array(4 + raw.length);
    shifted.set(raw, 4);
    expect(forward(shifted, 0.3, 4)).toEqual(forward(raw, 0.3, 0));
  });

  it('log-slope is log dy/dx by central differences, in every bin', () => {
    for (const seed of [4, 5, 6]) {
      const raw = rawParams(seed);
      for (let x = -2.95; x < 3; x += 0.37) {
        const h = 1e-6;
        const slope = (forward(raw, x + h)[0] - forward(raw, x - h)[0]) / (2 * h);
        expect(forward(raw, x)[1]).toBeCloseTo(Math.log(slope), 5);
      }
    }
  });

  it('inverse undoes forward, and forward undoes inverse, inside and outside [-B, B]', () => {
    const knots = createKnots(K);
    for (const seed of [7, 8]) {
      const raw = rawParams(seed, 2);
      for (let x = -3.5; x < 3.6; x += 0.13) {
        const [y] = forward(raw, x);
        expect(splineInverse(raw, 2, K, B, y, knots)).toBeCloseTo(x, 9);
        expect(forward(raw, splineInverse(raw, 2, K, B, x, knots))[0]).toBeCloseTo(x, 9);
      }
    }
  });

  it('backward gives d(a y + b log-slope) with respect to x and every raw parameter, by central differences', () => {
    const knots = createKnots(K);
    const [a, b] = [0.7, -1.3];
    const f = (raw: ArrayLike<number>, x: number): number => { const [y, ld] = forward(raw, x); return a * y + b * ld; };
    for (const seed of [9, 10, 11]) {
      const raw64 = Array.from(rawParams(seed));
      for (const x of [-2.7, -0.9, 0.05, 1.6, 2.8]) {
        const graw = new Float32Array(raw64.length).fill(0.5); // backward adds to what is there
        const gx = splineBackward(raw64, 2, K, B, x, a, b, knots, graw);
        const h = 1e-5;
        const at = (r: number[], v: number): number => f(r, v);
        expect(gx).toBeCloseTo((at(raw64, x + h) - at(raw64, x - h)) / (2 * h), 4);
        expect(graw[0]).toBe(0.5);
        expect(graw[1]).toBe(0.5);
        for (let p = 2; p < raw64.length; p++) {
          const up = raw64.slice(); up[p] = up[p]! + h;
          const down = raw64.slice(); down[p] = down[p]! - h;
          expect(graw[p]! - 0.5).toBeCloseTo((at(up, x) - at(down, x)) / (2 * h), 3);
        }
      }
    }
  });

  it('backward outside [-B, B], on either side, passes the gradient through and leaves the raw parameters alone', () => {
    const raw = rawParams(12);
    for (const x of [3.2, -3.5]) {
      const graw = new Float32Array(raw.length);
      expect(splineBackward(raw, 2, K, B, x, 0.9, 5, createKnots(K), graw)).toBe(0.9);
      expect([...graw].every((v) => v === 0)).toBe(true);
    }
  });

  it('stays finite with logits of 1000 and slope logits of 800 (the softmaxes subtract their own maximum)', () => {
    const raw = new Float32Array(2 + splineParams(K));
    raw[2 + K] = 1000; // one tall bin: the height softmax's maximum, far above the width logits beside it
    raw[2 + 2 * K] = 800; // a steep inner slope; softplus must not overflow
    raw[2 + 1] = -1000;
    for (const x of [-2.5, -0.3, 1.7]) {
      const [y, ld] = forward(raw, x);
      expect(Number.isFinite(y) && Number.isFinite(ld)).toBe(true);
      expect(splineInverse(raw, 2, K, B, y, createKnots(K))).toBeCloseTo(x, 6);
    }
  });
});
