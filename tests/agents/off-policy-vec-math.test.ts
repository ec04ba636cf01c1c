/**
 * The N-env off-policy loop's bookkeeping: each env's transition is stored with the episode's final observation
 * where it ended (never the reset observation), with its own terminated and truncated flags; and SB3's schedule of
 * gradient steps per vector step (trainFreq, learningStarts, gradientSteps -1).
 */
import { describe, expect, it } from 'vitest';
import { gradientStepsDue, storeVecStep } from '../../agents/loops/off-policy-vec.js';

const rowsOf = <T extends Float32Array | Int32Array>(a: T, n: number, w: number): T[] => Array.from({ length: n }, (_, i) => a.subarray(i * w, (i + 1) * w) as T);

describe('storeVecStep', () => {
  it("stores env i's row, action, reward, final or next observation and its own flags", () => {
    const n = 4, d = 2;
    const cur = Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]);
    const next = Float32Array.from([100, 101, 110, 111, 120, 121, 130, 131]); // reset observations where done
    const final = Float32Array.from([-1, -1, 210, 211, 220, 221, -1, -1]); // stale where not done
    const actions = Int32Array.from([3, 2, 1, 0]);
    const r = {
      rewards: Float64Array.from([0.5, -1, 2, 0]),
      done: Uint8Array.from([0, 1, 1, 0]),
      terminated: Uint8Array.from([0, 1, 0, 0]),
      truncated: Uint8Array.from([0, 0, 1, 1]), // env 3: truncated but not done (a vector never says so; the flag still passes)
    };
    const stored: unknown[] = [];
    storeVecStep((env, obs, action, reward, nextObs, terminated, truncated) => stored.push([env, Array.from(obs), Array.from(action), reward, Array.from(nextObs), terminated, truncated]),
      r, n, rowsOf(cur, n, d), rowsOf(actions, n, 1), rowsOf(next, n, d), rowsOf(final, n, d));
    expect(stored).toEqual([
      [0, [0, 1], [3], 0.5, [100, 101], false, false],
      [1, [10, 11], [2], -1, [210, 211], true, false],
      [2, [20, 21], [1], 2, [220, 221], false, true],
      [3, [30, 31], [0], 0, [130, 131], false, true],
    ]);
  });

  it('stores only the first n envs', () => {
    const one = Float32Array.from([1]);
    let calls = 0;
    storeVecStep(() => calls++, { rewards: Float64Array.from([0, 0]), done: new Uint8Array(2), terminated: new Uint8Array(2), truncated: new Uint8Array(2) }, 1, [one, one], [one, one], [one, one], [one, one]);
    expect(calls).toBe(1);
  });
});

describe('gradientStepsDue', () => {
  it('trains only past learningStarts (strictly) and on every trainFreq-th vector step', () => {
    // step, vectorSteps, learningStarts, trainFreq, gradientSteps, n
    expect(gradientStepsDue(8, 2, 8, 1, 3, 4)).toBe(0); // at learningStarts: not yet
    expect(gradientStepsDue(12, 3, 8, 1, 3, 4)).toBe(3);
    expect(gradientStepsDue(12, 3, 0, 2, 3, 4)).toBe(0); // off the trainFreq rhythm
    expect(gradientStepsDue(16, 4, 0, 2, 3, 4)).toBe(3);
    expect(gradientStepsDue(16, 4, 0, 4, 0, 4)).toBe(0);
  });

  it('with gradientSteps -1 takes one step per env step of the round: trainFreq x n', () => {
    expect(gradientStepsDue(24, 6, 0, 3, -1, 4)).toBe(12);
    expect(gradientStepsDue(24, 6, 0, 1, -1, 4)).toBe(4);
    expect(gradientStepsDue(24, 5, 0, 3, -1, 4)).toBe(0);
    expect(gradientStepsDue(24, 6, 30, 3, -1, 4)).toBe(0);
  });
});
