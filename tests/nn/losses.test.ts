import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { gaussianNll, huberLoss, mseLoss } from '../../nn/losses.js';
import { numericGrad, randomArray } from './fixtures.js';

const f32 = (...v: number[]) => new Float32Array(v);
const expectArray = (a: ArrayLike<number>, b: readonly number[], digits = 6) => {
  expect(a.length).toBeGreaterThanOrEqual(b.length);
  b.forEach((v, i) => expect(a[i], `[${i}]`).toBeCloseTo(v, digits));
};

// Errors e = pred - target = [-0.5, 3, -2, 0]: one inside the Huber band, one outside, one on the edge of delta 2.
const PRED = f32(0, 3, -2, 0.5);
const TARGET = f32(0.5, 0, 0, 0.5);

describe('huberLoss', () => {
  it('delta 1: quadratic inside, linear outside (hand-computed)', () => {
    const d = new Float32Array(4);
    const errors = new Float32Array(4);
    // 0.125 + (3 - 0.5) + (2 - 0.5) + 0 = 4.125, over 4.
    expect(huberLoss(PRED, TARGET, 4, d, { errorsOut: errors })).toBeCloseTo(1.03125, 7);
    expectArray(d, [-0.125, 0.25, -0.25, 0]);
    expectArray(errors, [0.5, 3, 2, 0]);
  });

  it('delta 2: the band widens and the slopes outside are +-2', () => {
    const d = new Float32Array(4);
    // 0.125 + 2 (3 - 1) + 0.5 * 4 + 0 = 6.125, over 4.
    expect(huberLoss(PRED, TARGET, 4, d, { delta: 2 })).toBeCloseTo(1.53125, 7);
    expectArray(d, [-0.125, 0.5, -0.5, 0]);
  });

  it('weights scale each sample and its gradient (importance sampling)', () => {
    const d = new Float32Array(4);
    // 1 * 0.125 + 0.5 * 2.5 + 2 * 1.5 + 3 * 0 = 4.375, over 4.
    expect(huberLoss(PRED, TARGET, 4, d, { weights: f32(1, 0.5, 2, 3) })).toBeCloseTo(1.09375, 7);
    expectArray(d, [-0.125, 0.125, -0.5, 0]);
  });

  it('uses only the first n values, and null dPred computes the loss only', () => {
    const d = f32(9, 9, 9, 9);
    expect(huberLoss(PRED, TARGET, 2, d)).toBeCloseTo((0.125 + 2.5) / 2, 7);
    expectArray(d, [-0.25, 0.5, 9, 9]);
    expect(huberLoss(PRED, TARGET, 4, null)).toBeCloseTo(1.03125, 7);
  });

  it('its gradient matches finite differences', () => {
    const pred = randomArray(12, -3, 3, 1);
    const target = randomArray(12, -3, 3, 2);
    const weights = randomArray(12, 0.1, 1, 3);
    for (const delta of [1, 0.7, 2.5]) {
      const d = new Float32Array(12);
      huberLoss(pred, target, 12, d, { delta, weights });
      for (let i = 0; i < 12; i++) {
        expect(d[i], `delta ${delta}, [${i}]`).toBeCloseTo(numericGrad(() => huberLoss(pred, target, 12, null, { delta, weights }), pred, i), 3);
      }
    }
  });
});

describe('mseLoss', () => {
  it('mean of squared errors and 2 e / n (hand-computed)', () => {
    const d = new Float32Array(4);
    const errors = new Float32Array(4);
    // (0.25 + 9 + 4 + 0) / 4.
    expect(mseLoss(PRED, TARGET, 4, d, { errorsOut: errors })).toBeCloseTo(3.3125, 6);
    expectArray(d, [-0.25, 1.5, -1, 0]);
    expectArray(errors, [0.5, 3, 2, 0]);
    const dw = new Float32Array(4);
    // (0.25 + 0.5 * 9 + 2 * 4 + 0) / 4.
    expect(mseLoss(PRED, TARGET, 4, dw, { weights: f32(1, 0.5, 2, 3) })).toBeCloseTo(3.1875, 6);
    expectArray(dw, [-0.25, 0.75, -2, 0]);
    expect(mseLoss(PRED, TARGET, 4, null)).toBeCloseTo(3.3125, 6);
  });

  it('its gradient matches finite differences', () => {
    const pred = randomArray(8, -3, 3, 4);
    const target = randomArray(8, -3, 3, 5);
    const weights = randomArray(8, 0.1, 1, 6);
    const d = new Float32Array(8);
    mseLoss(pred, target, 8, d, { weights });
    for (let i = 0; i < 8; i++) expect(d[i]).toBeCloseTo(numericGrad(() => mseLoss(pred, target, 8, null, { weights }), pred, i), 3);
  });
});

describe('gaussianNll', () => {
  it('equals minus the log of the Gaussian density (full) and drops the constant otherwise', () => {
    // One row, d = 2: y = [1, 2], mu = [0, 0], sigma = [1, 2].
    const mean = f32(0, 0);
    const logStd = f32(0, Math.log(2));
    const y = f32(1, 2);
    const density = (yy: number, mu: number, s: number) => Math.exp(-((yy - mu) ** 2) / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI));
    const exact = -Math.log(density(1, 0, 1)) - Math.log(density(2, 0, 2));
    expect(gaussianNll(mean, logStd, y, 1, 2, { full: true })).toBeCloseTo(exact, 6);
    // 0.5 + (0.5 + ln 2) without the 0.5 log(2 pi) per dimension.
    expect(gaussianNll(mean, logStd, y, 1, 2)).toBeCloseTo(1 + Math.LN2, 6);
  });

  it('averages over rows and writes dMean = (mu - y) / (sigma^2 n), dLogStd = (1 - z^2) / n', () => {
    const mean = f32(0, 1);
    const logStd = f32(Math.log(2), 0);
    const y = f32(2, 4);
    const dMean = new Float32Array(2);
    const dLogStd = new Float32Array(2);
    // Row 0: 4 / 8 + ln 2; row 1: 9 / 2 + 0; mean over 2 rows.
    expect(gaussianNll(mean, logStd, y, 2, 1, { dMean, dLogStd })).toBeCloseTo((0.5 + Math.LN2 + 4.5) / 2, 6);
    expectArray(dMean, [-2 / 4 / 2, -3 / 2]);
    expectArray(dLogStd, [(1 - 1) / 2, (1 - 9) / 2]);
  });

  it('gradients match finite differences, per-row and shared log-std', () => {
    const n = 3;
    const d = 2;
    const mean = randomArray(n * d, -1, 1, 7);
    const y = randomArray(n * d, -2, 2, 8);
    for (const shared of [false, true]) {
      const logStd = randomArray(shared ? d : n * d, -1, 1, 9);
      const dMean = new Float32Array(n * d);
      const dLogStd = f32(...new Array<number>(logStd.length).fill(5));
      gaussianNll(mean, logStd, y, n, d, { sharedLogStd: shared, dMean, dLogStd });
      const f = () => gaussianNll(mean, logStd, y, n, d, { sharedLogStd: shared });
      for (let i = 0; i < n * d; i++) expect(dMean[i], `dMean[${i}]`).toBeCloseTo(numericGrad(f, mean, i), 3);
      for (let i = 0; i < logStd.length; i++) expect(dLogStd[i], `shared ${shared}: dLogStd[${i}]`).toBeCloseTo(numericGrad(f, logStd, i), 3);
    }
  });

  it('a shared log-std gives the same loss as the same values repeated per row', () => {
    const mean = randomArray(6, -1, 1, 10);
    const y = randomArray(6, -1, 1, 11);
    const shared = f32(0.3, -0.2);
    const repeated = f32(0.3, -0.2, 0.3, -0.2, 0.3, -0.2);
    expect(gaussianNll(mean, shared, y, 3, 2, { sharedLogStd: true })).toBeCloseTo(gaussianNll(mean, repeated, y, 3, 2), 6);
  });
});

describe('argument checks', () => {
  const cases: [string, () => unknown, string][] = [
    ['n 0', () => huberLoss(PRED, TARGET, 0, null), 'Expected n to be an integer >= 1, got 0.'],
    ['n 1.5', () => mseLoss(PRED, TARGET, 1.5, null), 'Expected n to be an integer >= 1, got 1.5.'],
    ['short pred', () => mseLoss(f32(1), TARGET, 2, null), 'Expected pred to be a Float32Array of at least 2 values, got 1.'],
    ['short target', () => huberLoss(PRED, f32(1), 2, null), 'Expected target to be a Float32Array of at least 2 values, got 1.'],
    ['short dPred', () => huberLoss(PRED, TARGET, 4, new Float32Array(3)), 'Expected dPred to be a Float32Array of at least 4 values, got 3.'],
    ['short weights', () => huberLoss(PRED, TARGET, 4, null, { weights: f32(1) }), 'Expected weights to be a Float32Array of at least 4 values, got 1.'],
    ['short errorsOut', () => mseLoss(PRED, TARGET, 4, null, { errorsOut: f32(1) }), 'Expected errorsOut to be a Float32Array of at least 4 values, got 1.'],
    ['array of numbers', () => mseLoss([1, 2] as never, TARGET, 2, null), 'Expected pred to be a Float32Array of at least 2 values, got [1, 2].'],
    ['delta 0', () => huberLoss(PRED, TARGET, 4, null, { delta: 0 }), 'Expected delta to be a finite number > 0, got 0.'],
    ['delta NaN', () => huberLoss(PRED, TARGET, 4, null, { delta: NaN }), 'Expected delta to be a finite number > 0, got NaN.'],
    ['nll d 0', () => gaussianNll(f32(0), f32(0), f32(0), 1, 0), 'Expected d to be an integer >= 1, got 0.'],
    ['nll n 0', () => gaussianNll(f32(0), f32(0), f32(0), 0, 1), 'Expected n to be an integer >= 1, got 0.'],
    ['a string n', () => mseLoss(PRED, TARGET, '2' as never, null), 'Expected n to be an integer >= 1, got "2".'],
    ['nll short logStd', () => gaussianNll(f32(0, 0), f32(0), f32(0, 0), 1, 2), 'Expected logStd to be a Float32Array of at least 2 values, got 1.'],
    ['nll short shared logStd', () => gaussianNll(f32(0, 0), f32(0), f32(0, 0), 1, 2, { sharedLogStd: true }), 'Expected logStd to be a Float32Array of at least 2 values, got 1.'],
    ['nll short per-row logStd', () => gaussianNll(f32(0, 0, 0, 0), f32(0, 0), f32(0, 0, 0, 0), 2, 2), 'Expected logStd to be a Float32Array of at least 4 values, got 2.'],
    ['nll short mean', () => gaussianNll(f32(0), f32(0, 0), f32(0, 0), 1, 2), 'Expected mean to be a Float32Array of at least 2 values, got 1.'],
    ['nll short target', () => gaussianNll(f32(0, 0), f32(0, 0), f32(0), 1, 2), 'Expected target to be a Float32Array of at least 2 values, got 1.'],
    ['nll short dMean', () => gaussianNll(f32(0, 0), f32(0, 0), f32(0, 0), 1, 2, { dMean: f32(0) }), 'Expected dMean to be a Float32Array of at least 2 values, got 1.'],
    ['nll short dLogStd', () => gaussianNll(f32(0, 0), f32(0, 0), f32(0, 0), 1, 2, { dLogStd: f32(0) }), 'Expected dLogStd to be a Float32Array of at least 2 values, got 1.'],
  ];
  for (const [what, f, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(f).toThrow(InvalidConfig);
      expect(f).toThrow(message);
    });
  }
});
