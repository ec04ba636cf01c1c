// The GAN's losses as pure functions (models/gan-losses.ts) against hand-computed values and finite differences:
// the label-smoothed and the fake half of D's cross-entropy, G's non-saturating loss, the Wasserstein terms, the
// packed batch size, the interpolates and the weight average's warm-up. `npm run mutate` runs this file against them.
import { describe, expect, it } from 'vitest';
import {
  averageDecay, discriminatorFakeLoss, discriminatorRealLoss, interpolate, nonSaturatingGeneratorLoss, packedBatch, wassersteinLoss,
} from '../../models/gan-losses.js';

type Loss = (values: Float32Array, rows: number, grad: Float32Array) => number;

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

/** The loss's gradient in each of the first `rows` values by central differences (step h). */
function numericGrad(loss: Loss, values: Float32Array, rows: number, h = 1e-2): number[] {
  const scratch = new Float32Array(values.length);
  return Array.from({ length: rows }, (_, i) => {
    const up = values.slice();
    up[i] = up[i]! + h;
    const down = values.slice();
    down[i] = down[i]! - h;
    return (loss(up, rows, scratch) - loss(down, rows, scratch)) / (2 * h);
  });
}

/** Checks `grad` against finite differences at logits from strongly negative to strongly positive. */
function expectGradient(loss: Loss): void {
  const logits = f32(-30, -4, -1, 0, 0.5, 3, 30);
  const grad = new Float32Array(logits.length);
  loss(logits, logits.length, grad);
  const numeric = numericGrad(loss, logits, logits.length);
  for (let i = 0; i < logits.length; i++) expect(grad[i]! - numeric[i]!, `logit ${logits[i]}`).toBeCloseTo(0, 4);
}

// Logits 0, 2, -1 (softplus 0.693147, 2.126928, 0.313262; sigmoid 0.5, 0.880797, 0.268941), and a fourth value that
// a loss over the first three rows must not read.
const logits = f32(0, 2, -1, 100);

describe("D's cross-entropy with one-sided label smoothing", () => {
  it('real rows: mean softplus(l) - y l and (sigmoid(l) - y) / rows, by hand (y = 0.9)', () => {
    const grad = new Float32Array(4).fill(7);
    // (0.693147 + (2.126928 - 1.8) + (0.313262 + 0.9)) / 3
    expect(discriminatorRealLoss(logits, 3, 0.9, grad)).toBeCloseTo(0.744446, 5);
    expect(Array.from(grad.subarray(0, 3))).toEqual([-0.4 / 3, (0.880797 - 0.9) / 3, (0.268941 - 0.9) / 3].map((g) => expect.closeTo(g, 6)));
    expect(grad[3]).toBe(7);
  });

  it('real rows with y = 1 are the plain cross-entropy -log sigmoid(l)', () => {
    const grad = new Float32Array(3);
    expect(discriminatorRealLoss(logits, 3, 1, grad)).toBeCloseTo((0.693147 + 0.126928 + 1.313262) / 3, 5);
    expect(grad[1]).toBeCloseTo((0.880797 - 1) / 3, 6);
  });

  it('fake rows keep label 0: mean softplus(l) and sigmoid(l) / rows, by hand', () => {
    const grad = new Float32Array(4).fill(7);
    expect(discriminatorFakeLoss(logits, 3, grad)).toBeCloseTo((0.693147 + 2.126928 + 0.313262) / 3, 5);
    expect(Array.from(grad.subarray(0, 3))).toEqual([0.5 / 3, 0.880797 / 3, 0.268941 / 3].map((g) => expect.closeTo(g, 6)));
    expect(grad[3]).toBe(7);
  });

  it('both gradients match finite differences of their losses, saturated logits included', () => {
    expectGradient((v, rows, g) => discriminatorRealLoss(v, rows, 0.8, g));
    expectGradient(discriminatorFakeLoss);
    // Large logits give finite losses: softplus(30) = 30 + e^-30, softplus(-30) = e^-30.
    const grad = new Float32Array(2);
    expect(discriminatorRealLoss(f32(30, -30), 2, 0.9, grad)).toBeCloseTo((30 - 27 + 27) / 2, 5);
  });
});

describe("G's non-saturating loss", () => {
  it('mean softplus(-l) = -log sigmoid(l) and (sigmoid(l) - 1) / rows, by hand', () => {
    const grad = new Float32Array(4).fill(7);
    expect(nonSaturatingGeneratorLoss(logits, 3, grad)).toBeCloseTo((0.693147 + 0.126928 + 1.313262) / 3, 5);
    expect(Array.from(grad.subarray(0, 3))).toEqual([-0.5 / 3, (0.880797 - 1) / 3, (0.268941 - 1) / 3].map((g) => expect.closeTo(g, 6)));
    expect(grad[3]).toBe(7);
  });

  it('matches finite differences, and does not saturate where D rejects the fake (gradient near -1 / rows)', () => {
    expectGradient(nonSaturatingGeneratorLoss);
    const grad = new Float32Array(2);
    expect(nonSaturatingGeneratorLoss(f32(-20, 20), 2, grad)).toBeCloseTo(10, 5);
    expect(grad[0]).toBeCloseTo(-0.5, 8);
    expect(grad[1]).toBeCloseTo(0, 8);
  });
});

describe('the Wasserstein terms', () => {
  it('sign x mean C with gradient sign / rows, by hand, for real rows (-1) and fakes (+1)', () => {
    const values = f32(1, -2, 4, 100);
    const grad = new Float32Array(4).fill(7);
    expect(wassersteinLoss(values, 3, -1, grad)).toBeCloseTo(-1, 10);
    expect(Array.from(grad)).toEqual([-1 / 3, -1 / 3, -1 / 3, 7].map((g) => expect.closeTo(g, 7)));
    expect(wassersteinLoss(values, 3, 1, grad)).toBeCloseTo(1, 10);
    expect(Array.from(grad.subarray(0, 3))).toEqual([1 / 3, 1 / 3, 1 / 3].map((g) => expect.closeTo(g, 7)));
    expect(wassersteinLoss(values, 2, 1, grad)).toBeCloseTo(-0.5, 10);
    expect(grad[0]).toBeCloseTo(0.5, 7);
  });

  it('matches finite differences', () => {
    expectGradient((v, rows, g) => wassersteinLoss(v, rows, -1, g));
    expectGradient((v, rows, g) => wassersteinLoss(v, rows, 1, g));
  });
});

describe('packing and the penalty points', () => {
  it('packedBatch: min(batchSize, n) cut to a multiple of pack, at least one packed row', () => {
    expect(packedBatch(256, 1000, 1)).toBe(256);
    expect(packedBatch(256, 100, 1)).toBe(100);
    expect(packedBatch(256, 1000, 3)).toBe(255);
    expect(packedBatch(256, 100, 3)).toBe(99);
    expect(packedBatch(6, 100, 3)).toBe(6);
    expect(packedBatch(2, 100, 3)).toBe(3);
    expect(packedBatch(256, 2, 3)).toBe(3);
  });

  it('interpolate: t real + (1 - t) fake per packed row of `width`, nothing past `rows` rows', () => {
    const real = f32(1, 2, 3, 4, 5, 6, 9, 9);
    const fake = f32(-1, 0, 1, 0, 1, 2, 9, 9);
    const out = new Float32Array(8).fill(7);
    interpolate(real, fake, Float64Array.from([0.25, 1, 0.5]), 2, 3, out);
    expect(Array.from(out)).toEqual([-0.5, 0.5, 1.5, 4, 5, 6, 7, 7]);
    interpolate(real, fake, Float64Array.from([0, 0.5, 1]), 3, 2, out);
    expect(Array.from(out)).toEqual([-1, 0, 2, 2, 5, 6, 7, 7]);
  });

  it("averageDecay: TensorFlow's warm-up (1 + t) / (10 + t) until it reaches emaDecay", () => {
    expect(averageDecay(0.999, 0)).toBeCloseTo(0.1, 12);
    expect(averageDecay(0.999, 1)).toBeCloseTo(2 / 11, 12);
    expect(averageDecay(0.999, 90)).toBeCloseTo(0.91, 12);
    expect(averageDecay(0.9, 90)).toBe(0.9);
    expect(averageDecay(0.05, 0)).toBe(0.05);
    expect(averageDecay(0, 5)).toBe(0);
  });
});
