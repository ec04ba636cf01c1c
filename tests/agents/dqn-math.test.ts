// DQN's pure functions against hand-computed values: the TD target (max, Double DQN's argmax, n-step discounts,
// termination) and the loss (Huber or MSE, importance weights, the gradient at the taken action, the new priorities).
// Fast on purpose: `npm run mutate` runs this file against agents/dqn.ts's tdTargets and dqnLoss. Every array
// reaches one row past n with sentinels, so a loop that runs one row too far shows.
import { describe, expect, it } from 'vitest';
import { dqnLoss, tdTargets } from '../../agents/dqn.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('tdTargets', () => {
  // n = 3 rows of 3 actions, and a fourth row past n that must be left alone.
  // Target network rows: [1, 4, 2] (max at 1), [6, 0, 3] (terminated), [0, 1, 5] (max at the last action), [9, 9, 9].
  const qTarget = f32(1, 4, 2, 6, 0, 3, 0, 1, 5, 9, 9, 9);
  // Online rows: [3, 3, 1] (a tie: the first action wins), [0, 0, 0], [2, 7, 0] (picks 1, whose target value 1 is not the max).
  const qOnline = f32(3, 3, 1, 0, 0, 0, 2, 7, 0, 9, 9, 9);
  const rewards = f32(1, 2, 0.5, 100);
  const terminated = Uint8Array.of(0, 1, 0, 0);
  const run = (discounts: Float32Array | undefined, online: Float32Array | null) => {
    const out = f32(-7, -7, -7, -7);
    expect(tdTargets(rewards, terminated, discounts, 0.9, qTarget, online, 3, 3, out)).toBe(out);
    return Array.from(out);
  };

  it('y = r + gamma max_a Q_target(s\', a), r alone after a termination; nothing past n', () => {
    // A scan one action too far would read the next row's first value (6 > 4 for row 0).
    expect(run(undefined, null)).toEqual([1 + 0.9 * 4, 2, 0.5 + 0.9 * 5, -7].map(Math.fround));
  });

  it('Double DQN: the online network picks (first of a tie), the target network values', () => {
    expect(run(undefined, qOnline)).toEqual([1 + 0.9 * 1, 2, 0.5 + 0.9 * 1, -7].map(Math.fround));
  });

  it('n-step: each row\'s own discount replaces gamma', () => {
    expect(run(f32(0.5, 0.25, 0.125, 0.5), null)).toEqual([1 + 0.5 * 4, 2, 0.5 + 0.125 * 5, -7].map(Math.fround));
  });

  it('clips the bootstrapped value into [lo, hi] and adds the unclipped values to the running stats', () => {
    const out = f32(-7, -7, -7, -7);
    const stats = { sum: 1, count: 1 };
    // Chosen values 4, 6 (terminated row) and 5; clipped to [4.2, 4.5]: 4 -> 4.2, 5 -> 4.5.
    tdTargets(rewards, terminated, undefined, 0.9, qTarget, null, 3, 3, out, { lo: 4.2, hi: 4.5 }, stats);
    expect(Array.from(out)).toEqual([1 + 0.9 * 4.2, 2, 0.5 + 0.9 * 4.5, -7].map(Math.fround));
    expect(stats).toEqual({ sum: 1 + 4 + 6 + 5, count: 4 });
    // A range holding every value changes nothing; the stats keep adding up.
    tdTargets(rewards, terminated, undefined, 0.9, qTarget, null, 3, 3, out, { lo: -10, hi: 10 }, stats);
    expect(Array.from(out)).toEqual(run(undefined, null));
    expect(stats).toEqual({ sum: 31, count: 7 });
  });

  it('compares each action with the best so far of its own row', () => {
    // Row 1 = [1, 5, 3]: the max is 5; the previous row ends with 2, between 3 and 5.
    const out = tdTargets(f32(0, 0), Uint8Array.of(0, 0), undefined, 1, f32(0, 0, 2, 1, 5, 3), null, 2, 3, new Float32Array(2));
    expect(Array.from(out)).toEqual([2, 5]);
  });

  it('a negative target value and a zero reward keep their signs', () => {
    const out = tdTargets(f32(0), Uint8Array.of(0), undefined, 0.5, f32(-4, -2), null, 1, 2, new Float32Array(1));
    expect(Array.from(out)).toEqual([-1]);
  });
});

describe('dqnLoss', () => {
  // n = 2 rows of 3 actions (a third row past n): Q(s0, 2) = 3, Q(s1, 0) = 4; targets 2.5 and 0, so
  // errors e = [0.5, 4]: one inside Huber's quadratic band, one outside.
  const q = f32(1, 2, 3, 4, 5, 6, 70, 80, 90);
  const actions = Int32Array.of(2, 0, 1);
  const targets = f32(2.5, 0);
  const run = (kind: 'huber' | 'mse', weights?: Float32Array) => {
    const dQ = new Float32Array(9).fill(7);
    const tdAbs = f32(-1, -1, -1);
    const scratch = { qTaken: f32(-1, -1, -1), dTaken: f32(-1, -1, -1) };
    const loss = dqnLoss(q, actions, targets, 2, 3, kind, weights, dQ, tdAbs, scratch);
    return { loss, dQ: Array.from(dQ), tdAbs: Array.from(tdAbs), qTaken: Array.from(scratch.qTaken) };
  };

  it('Huber: mean of [0.5 e^2, |e| - 0.5] = (0.125 + 3.5) / 2, gradient e / n or sign(e) / n at the taken action only', () => {
    const r = run('huber');
    expect(r.loss).toBeCloseTo(1.8125, 6);
    expect(r.dQ).toEqual([0, 0, 0.25, 0.5, 0, 0, 7, 7, 7]);
    expect(r.tdAbs).toEqual([0.5, 4, -1]);
    expect(r.qTaken).toEqual([3, 4, -1]);
  });

  it('MSE: mean of e^2 = (0.25 + 16) / 2, gradient 2 e / n', () => {
    const r = run('mse');
    expect(r.loss).toBeCloseTo(8.125, 6);
    expect(r.dQ).toEqual([0, 0, 0.5, 4, 0, 0, 7, 7, 7]);
    expect(r.tdAbs).toEqual([0.5, 4, -1]);
  });

  it('PER weights scale each row\'s loss and gradient, not the new priorities', () => {
    const w = f32(1, 0.5);
    const huber = run('huber', w);
    expect(huber.loss).toBeCloseTo((0.125 + 0.5 * 3.5) / 2, 6);
    expect(huber.dQ).toEqual([0, 0, 0.25, 0.25, 0, 0, 7, 7, 7]);
    expect(huber.tdAbs).toEqual([0.5, 4, -1]);
    const mse = run('mse', w);
    expect(mse.loss).toBeCloseTo((0.25 + 0.5 * 16) / 2, 6);
    expect(mse.dQ).toEqual([0, 0, 0.5, 2, 0, 0, 7, 7, 7]);
    expect(mse.tdAbs).toEqual([0.5, 4, -1]);
  });
});
