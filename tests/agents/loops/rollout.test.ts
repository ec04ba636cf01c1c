import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../core/errors.js';
import { RolloutBuffer, discountedReturns, gae } from '../../../agents/loops/rollout.js';

const f64 = (n: number) => new Float64Array(n);

describe('discountedReturns', () => {
  it('zeroes the tail at a termination and bootstraps at the segment end (a cut episode)', () => {
    // gamma 0.5: G3 = 4 + 0.5 * 10 = 9; G2 = 3 + 0.5 * 9 = 7.5; G1 = 2 (terminated); G0 = 1 + 0.5 * 2 = 2.
    const out = discountedReturns([1, 2, 3, 4], [0, 1, 0, 0], [0, 0, 0, 0], [9, 9, 9, 10], 0.5, f64(4));
    expect(Array.from(out)).toEqual([2, 2, 7.5, 9]);
  });

  it('bootstraps a truncation from its own final value, never from the next episode', () => {
    // G2 = 1 + 0.5 * 2 = 2 (end); G1 = 1 + 0.5 * 4 = 3 (truncated: not 1 + 0.5 * G2); G0 = 1 + 0.5 * 3 = 2.5.
    const out = discountedReturns([1, 1, 1], [0, 0, 0], [0, 1, 0], [0, 4, 2], 0.5, f64(3));
    expect(Array.from(out)).toEqual([2.5, 3, 2]);
  });

  it('ignores the bootstrap of a last step that terminated, and handles an empty segment', () => {
    expect(Array.from(discountedReturns([1, 1], [0, 1], [0, 0], [0, 50], 1, f64(2)))).toEqual([2, 1]);
    expect(discountedReturns([], [], [], [], 0.9, f64(0)).length).toBe(0);
  });
});

describe('gae', () => {
  it('matches a hand computation with a truncation in the middle and a cut at the end', () => {
    const adv = f64(3);
    const ret = f64(3);
    // gamma = lambda = 0.5. delta2 = 1 + 0.5 * 4 - 2 = 1; delta1 = 1 + 0.5 * 3 - 1 = 1.5 (truncated: A1 = delta1);
    // delta0 = 1 + 0.5 * 1 - 0.5 = 1, A0 = 1 + 0.25 * 1.5 = 1.375.
    gae([1, 1, 1], [0.5, 1, 2], [1, 3, 4], [0, 0, 0], [0, 1, 0], 0.5, 0.5, adv, ret);
    expect(Array.from(adv)).toEqual([1.375, 1.5, 1]);
    expect(Array.from(ret)).toEqual([1.875, 2.5, 3]);
  });

  it('drops the next value at a termination', () => {
    const adv = f64(2);
    const ret = f64(2);
    gae([1, 2], [1, 1], [1, 99], [0, 1], [0, 0], 1, 1, adv, ret);
    expect(Array.from(adv)).toEqual([2, 1]);
    expect(Array.from(ret)).toEqual([3, 2]);
  });

  it('with lambda = 1 gives the discounted returns minus the values', () => {
    const rewards = [0.3, -1, 2, 0.5, 1, 1];
    const values = [0.1, 0.7, -0.2, 0.4, 0.9, 0.3];
    const term = [0, 0, 1, 0, 0, 0];
    const trunc = [0, 0, 0, 0, 1, 0];
    const next = [0.7, -0.2, 0, 0.9, 1.5, 2.5]; // values[t + 1] inside episodes; bootstraps at 4 and 5
    const adv = f64(6);
    const ret = f64(6);
    gae(rewards, values, next, term, trunc, 0.9, 1, adv, ret);
    const g = discountedReturns(rewards, term, trunc, next, 0.9, f64(6));
    for (let t = 0; t < 6; t++) {
      expect(adv[t]).toBeCloseTo(g[t]! - values[t]!, 12);
      expect(ret[t]).toBeCloseTo(g[t]!, 12);
    }
  });
});

describe('segments written into longer arrays', () => {
  it('discountedReturns and gae write the n values of the segment and nothing after them', () => {
    const out = new Float64Array(4).fill(-7);
    discountedReturns([1, 2], [0, 0], [0, 0], [0, 3], 0.5, out);
    // G1 = 2 + 0.5 * 3 = 3.5; G0 = 1 + 0.5 * 3.5 = 2.75.
    expect(Array.from(out)).toEqual([2.75, 3.5, -7, -7]);
    const adv = new Float64Array(4).fill(-7);
    const ret = new Float64Array(4).fill(-7);
    // delta1 = 2 + 0.5 * 3 - 1 = 2.5; delta0 = 1 + 0.5 * 1 - 0.5 = 1, A0 = 1 + 0.25 * 2.5 = 1.625.
    gae([1, 2], [0.5, 1], [1, 3], [0, 0], [0, 0], 0.5, 0.5, adv, ret);
    expect(Array.from(adv)).toEqual([1.625, 2.5, -7, -7]);
    expect(Array.from(ret)).toEqual([2.125, 3.5, -7, -7]);
  });
});

describe('RolloutBuffer', () => {
  it('lays env i step t at row i * capacity + t and grows keeping every stored step', () => {
    const b = new RolloutBuffer({ numEnvs: 2, capacity: 2, obsDim: 3, actionKind: 'continuous', actionDim: 2 });
    expect(b.obs.length).toBe(12);
    expect(b.actions).toBeInstanceOf(Float32Array);
    expect(b.actions.length).toBe(8);
    b.rewards[b.row(1, 1)] = 7;
    b.obs[b.row(1, 1) * 3 + 2] = 5;
    b.actions[b.row(1, 1) * 2 + 1] = 0.25;
    b.lengths.set([1, 2]);
    b.ensureCapacity(3);
    expect(b.capacity).toBe(4);
    expect(b.rewards[b.row(1, 1)]).toBe(7);
    expect(b.obs[b.row(1, 1) * 3 + 2]).toBe(5);
    expect(b.actions[b.row(1, 1) * 2 + 1]).toBe(0.25);
    expect(b.size).toBe(3);
    b.keepTail(1, 1, 1);
    expect(b.rewards[b.row(1, 0)]).toBe(7);
    expect(Array.from(b.lengths)).toEqual([1, 1]);
  });

  it('refuses bad sizes with a typed error', () => {
    expect(() => new RolloutBuffer({ numEnvs: 0, capacity: 2, obsDim: 1, actionKind: 'discrete' })).toThrow(InvalidConfig);
    expect(() => new RolloutBuffer({ numEnvs: 1, capacity: 2, obsDim: 1, actionKind: 'discrete', actionDim: 0 })).toThrow(
      'Expected RolloutBuffer option actionDim to be a positive integer, got 0.',
    );
  });
});
