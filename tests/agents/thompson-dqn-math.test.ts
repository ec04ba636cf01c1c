/**
 * The Thompson agents' action choice: the first largest Q when acting for evaluation, and a uniform draw among the
 * tied largest (reservoir sampling, one draw per later tie) when exploring, as bsuite breaks ties.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { greedyAction } from '../../agents/thompson-dqn.js';

describe('greedyAction', () => {
  it('takes the largest of the first n values, the first of equals without a generator', () => {
    expect(greedyAction(Float32Array.from([0, 3, 1, 2]), 4, null)).toBe(1);
    expect(greedyAction(Float32Array.from([5, 3, 1, 2]), 4, null)).toBe(0);
    expect(greedyAction(Float32Array.from([-1, -3, -1, 2]), 3, null)).toBe(0); // index 3 is past n
    expect(greedyAction(Float32Array.from([1, 4, 4, 4]), 4, null)).toBe(1);
    expect(greedyAction(Float32Array.from([-2, -1]), 2, null)).toBe(1);
  });

  it('draws one of the tied largest uniformly, with one rng.int(j) per j-th tie', () => {
    const q = Float32Array.from([1, 4, 0, 4, 4, 2]);
    const counts = [0, 0, 0, 0, 0, 0];
    const rng = new Rng(6);
    for (let i = 0; i < 3000; i++) counts[greedyAction(q, 6, rng)]!++;
    expect(counts[0]! + counts[2]! + counts[5]!).toBe(0);
    for (const a of [1, 3, 4]) {
      expect(counts[a]!).toBeGreaterThan(900);
      expect(counts[a]!).toBeLessThan(1100);
    }
    // The draws, written out: the 2nd tie (index 3) replaces the pick if int(2) is 0, the 3rd (index 4) if int(3) is 0.
    const a = new Rng(11), b = new Rng(11);
    for (let i = 0; i < 50; i++) {
      let want = 1;
      if (b.int(2) === 0) want = 3;
      if (b.int(3) === 0) want = 4;
      expect(greedyAction(q, 6, a)).toBe(want);
    }
    // A new maximum after a tie starts the count over: ties 0 and 1 at 2, then 5 at index 2, tied by index 3 (int(2)).
    const c = new Rng(4), d = new Rng(4);
    const q2 = Float32Array.from([2, 2, 5, 5]);
    for (let i = 0; i < 50; i++) {
      d.int(2); // the tie between 0 and 1
      const want = d.int(2) === 0 ? 3 : 2;
      expect(greedyAction(q2, 4, c)).toBe(want);
    }
    // No draw at all without ties.
    const e = new Rng(5), before = e.getState();
    expect(greedyAction(Float32Array.from([1, 2, 3]), 3, e)).toBe(2);
    expect(e.getState()).toEqual(before);
  });
});
