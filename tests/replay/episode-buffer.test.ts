import { describe, expect, it } from 'vitest';
import { EpisodeBuffer, InvalidTransition, discountedReturns } from '../../replay/index.js';
import { step } from './helpers.js';

describe('EpisodeBuffer', () => {
  it('collects whole episodes, growing past its initial capacity, and hands them out once', () => {
    const buffer = new EpisodeBuffer({ obsDim: 2, actionKind: 'discrete', initialCapacity: 2 });
    for (let t = 0; t < 5; t++) buffer.addTransition(step(t, { reward: t + 1, terminated: t === 4 }));
    buffer.addTransition(step(20, { reward: -1 }));
    buffer.addTransition(step(21, { reward: 0.5, truncated: true }));
    buffer.addTransition(step(30, { reward: 2 })); // in progress
    expect(buffer.completed).toBe(2);
    expect(buffer.currentLength).toBe(1);
    const [first, second, ...rest] = buffer.drain();
    expect(rest).toHaveLength(0);
    expect(buffer.completed).toBe(0);
    expect(first!.length).toBe(5);
    expect(Array.from(first!.obs)).toEqual([0, 0, 1, 10, 2, 20, 3, 30, 4, 40]);
    expect(Array.from(first!.actions)).toEqual([0, 1, 2, 0, 1]);
    expect(first!.actions).toBeInstanceOf(Int32Array);
    expect(Array.from(first!.rewards)).toEqual([1, 2, 3, 4, 5]);
    expect(first!.return).toBe(15);
    expect(Array.from(first!.finalObs)).toEqual([5, 50]);
    expect([first!.terminated, first!.truncated]).toEqual([true, false]);
    expect(second!.length).toBe(2);
    expect(Array.from(second!.rewards)).toEqual([-1, 0.5]);
    expect([second!.terminated, second!.truncated]).toEqual([false, true]);
    // The episode in progress keeps its steps and its arrays are not shared with handed-out episodes.
    buffer.endEpisode(new Float32Array([31, 310]), { terminated: false, truncated: true });
    const [third] = buffer.drain();
    expect(Array.from(third!.obs)).toEqual([30, 300]);
    expect(Array.from(first!.obs.subarray(0, 2))).toEqual([0, 0]);
  });

  it('stores continuous actions as float32 rows', () => {
    const buffer = new EpisodeBuffer({ obsDim: 1, actionKind: 'continuous', actionDim: 2 });
    buffer.add([0], [0.5, -0.5], 1);
    const episode = buffer.endEpisode([1], { terminated: true, truncated: false });
    expect(episode.actions).toBeInstanceOf(Float32Array);
    expect(Array.from(episode.actions)).toEqual([0.5, -0.5]);
  });

  it('rejects malformed steps with Expected ..., got ... messages', () => {
    const buffer = new EpisodeBuffer({ obsDim: 2, actionKind: 'discrete' });
    expect(() => buffer.add([1], 0, 0)).toThrow(new InvalidTransition('Expected obs to be 2 numbers (obsDim), got [1].'));
    expect(() => buffer.add([1, 2], 0, NaN)).toThrow('Expected reward to be a finite number, got NaN.');
    expect(() => buffer.add([1, 2], -0.5, 0)).toThrow('Expected a discrete action to be an int32 integer, got -0.5.');
    expect(buffer.currentLength).toBe(0);
  });

  it('clear() drops finished and in-progress episodes', () => {
    const buffer = new EpisodeBuffer({ obsDim: 2, actionKind: 'discrete' });
    buffer.addTransition(step(0, { terminated: true }));
    buffer.addTransition(step(1));
    buffer.clear();
    expect(buffer.completed).toBe(0);
    expect(buffer.currentLength).toBe(0);
  });
});

describe('discountedReturns', () => {
  it('computes returns-to-go, with a bootstrap value for a cut-off tail', () => {
    expect(Array.from(discountedReturns([1, 2, 3], 0.5))).toEqual([1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3]);
    expect(Array.from(discountedReturns([1, 1], 0.5, 4))).toEqual([1 + 0.5 + 0.25 * 4, 1 + 0.5 * 4]);
    expect(() => discountedReturns([1], 2)).toThrow('Expected gamma to be a number in [0, 1], got 2.');
  });
});
