import { describe, expect, it } from 'vitest';
import { InvalidConfig, Rng, box, discrete } from '../../core/index.js';
import { PrioritizedReplayBuffer, prioritizedReplayBufferFor } from '../../replay/index.js';
import { step } from './helpers.js';

function per(capacity: number, count: number, options: { alpha?: number; beta?: number; epsilon?: number } = {}): PrioritizedReplayBuffer<'discrete'> {
  const buffer = new PrioritizedReplayBuffer({ capacity, obsDim: 1, actionKind: 'discrete', ...options });
  for (let t = 0; t < count; t++) buffer.addTransition(step(t, { dim: 1 }));
  return buffer;
}

describe('PrioritizedReplayBuffer', () => {
  it('gives new transitions the largest priority seen so far', () => {
    const buffer = per(8, 3, { alpha: 0.5 });
    for (let i = 0; i < 3; i++) expect(buffer.priorityOf(i)).toBe(1);
    buffer.updatePriorities([0], [3.999999]); // p = 4 with epsilon 1e-6
    expect(buffer.maxSeenPriority).toBeCloseTo(4, 12);
    expect(buffer.priorityOf(0)).toBeCloseTo(2, 12);
    buffer.addTransition(step(3, { dim: 1 }));
    expect(buffer.priorityOf(3)).toBeCloseTo(2, 12);
    expect(buffer.totalPriority).toBeCloseTo(2 + 1 + 1 + 2, 12);
  });

  it('samples in proportion to p^alpha (chi-square over 64k draws with a fixed seed)', () => {
    const alpha = 0.7;
    const tds = [0.1, 0.5, 1, 2, 3, 4, 0, 8];
    const buffer = per(8, 8, { alpha, epsilon: 0.01 });
    buffer.updatePriorities([0, 1, 2, 3, 4, 5, 6, 7], tds);
    const p = tds.map((d) => (Math.abs(d) + 0.01) ** alpha);
    const total = p.reduce((a, b) => a + b, 0);
    const expected = p.map((x) => x / total);
    const rng = new Rng(11);
    // Batch size 1 draws independently (one stratum); batch size 8 draws one per stratum of the total.
    for (const batchSize of [1, 8]) {
      const batch = buffer.createBatch(batchSize);
      const counts = new Array<number>(8).fill(0);
      const draws = 64_000;
      for (let k = 0; k < draws / batchSize; k++) {
        buffer.sampleInto(batch, rng);
        for (const i of batch.indices) counts[i]!++;
      }
      let chi2 = 0;
      for (let i = 0; i < 8; i++) chi2 += (counts[i]! - draws * expected[i]!) ** 2 / (draws * expected[i]!);
      // 7 degrees of freedom: P(chi2 > 24.32) = 0.001. Stratified draws only lower the statistic.
      expect(chi2).toBeLessThan(24.32);
      for (let i = 0; i < 8; i++) expect(Math.abs(counts[i]! / draws - expected[i]!)).toBeLessThan(0.005);
    }
  });

  it('computes max-normalised importance weights (hand-computed example)', () => {
    // p = |td| + 0.01 = [1, 4, 9, 0.25]; alpha 0.5 gives p^alpha = [1, 2, 3, 0.5], total 6.5, N = 4.
    // beta 1: w_i = (N P_i)^-1 = 6.5 / (4 p_i^alpha) = [1.625, 0.8125, 0.54167, 3.25]; / max 3.25 = [0.5, 0.25, 1/6, 1].
    const buffer = per(4, 4, { alpha: 0.5, epsilon: 0.01 });
    buffer.updatePriorities([0, 1, 2, 3], [0.99, -3.99, 8.99, 0.24]);
    expect(buffer.totalPriority).toBeCloseTo(6.5, 12);
    const full = [0.5, 0.25, 1 / 6, 1];
    const batch = buffer.createBatch(4);
    const rng = new Rng(5);
    for (const beta of [1, 0.5, 0]) {
      for (let k = 0; k < 20; k++) {
        buffer.sampleInto(batch, rng, beta);
        for (let i = 0; i < 4; i++) expect(batch.weights[i]).toBeCloseTo(full[batch.indices[i]!]! ** beta, 6);
      }
    }
    // The settable default.
    buffer.beta = 1;
    const b = buffer.sample(4, rng);
    for (let i = 0; i < 4; i++) expect(b.weights[i]).toBeCloseTo(full[b.indices[i]!]!, 6);
  });

  it('keeps the trees consistent through ring overwrites and many updates', () => {
    const buffer = per(5, 12, { alpha: 0.6 });
    const rng = new Rng(9);
    const batch = buffer.createBatch(4);
    const tds = new Float64Array(4);
    for (let k = 0; k < 200; k++) {
      buffer.sampleInto(batch, rng);
      for (let i = 0; i < 4; i++) tds[i] = rng.normal() * 3;
      buffer.updatePriorities(batch.indices, tds);
      if (k % 10 === 0) buffer.addTransition(step(100 + k, { dim: 1 }));
    }
    let sum = 0;
    for (let i = 0; i < 5; i++) sum += buffer.priorityOf(i);
    expect(buffer.totalPriority).toBeCloseTo(sum, 10);
    buffer.clear();
    expect(buffer.totalPriority).toBe(0);
    expect(buffer.maxSeenPriority).toBe(1);
  });

  it('rejects malformed priority updates, batches and settings', () => {
    const buffer = per(4, 2);
    expect(() => buffer.updatePriorities([0, 1], [1])).toThrow(new InvalidConfig('Expected as many TD errors as indices (2), got 1.'));
    expect(() => buffer.updatePriorities([3], [1])).toThrow('Expected indices[0] to be a stored row in [0, 1], got 3.');
    expect(() => buffer.updatePriorities([0], [NaN])).toThrow('Expected tdErrors[0] to be a finite number, got NaN: check the learner for diverging values.');
    expect(() => (buffer.beta = 1.5)).toThrow('Expected prioritized replay beta to be a number in [0, 1], got 1.5.');
    expect(() => buffer.sample(2, new Rng(0), -1)).toThrow('Expected prioritized replay beta to be a number in [0, 1], got -1.');
    const { weights: _drop, ...noWeights } = buffer.createBatch(2);
    expect(() => buffer.sampleInto(noWeights, new Rng(0))).toThrow('Expected a batch with weights (from PrioritizedReplayBuffer.createBatch), got one without.');
    expect(() => per(4, 0, { epsilon: 0 })).toThrow('Expected prioritized replay epsilon to be a positive number, got 0.');
  });

  it('draws one row per equal slice of the total priority, at the mass the rng gives (replayed by hand)', () => {
    // p^alpha = [1, 2, 3, 0.5] (alpha 0.5, epsilon 0.01): prefix sums [1, 3, 6, 6.5]; segment 6.5 / 4.
    const buffer = per(4, 4, { alpha: 0.5, epsilon: 0.01 });
    buffer.updatePriorities([0, 1, 2, 3], [0.99, 3.99, 8.99, 0.24]);
    const prefix = [1, 3, 6, 6.5];
    const rowOf = (mass: number) => prefix.findIndex((end) => mass < end);
    const rng = new Rng(21);
    const replay = new Rng(21);
    const batch = buffer.createBatch(4);
    const seen = new Set<number>();
    for (let k = 0; k < 25; k++) {
      buffer.sampleInto(batch, rng, 1);
      for (let i = 0; i < 4; i++) {
        const row = rowOf((i + replay.float()) * 1.625);
        expect(batch.indices[i], `draw ${k}, slot ${i}`).toBe(row);
        expect(batch.weights[i]).toBeCloseTo(0.5 / [1, 2, 3, 0.5][row]!, 6);
        seen.add(row);
      }
    }
    expect(seen.size).toBe(4);
  });

  it('keeps the largest priority seen: a smaller update does not lower it, and new rows get it', () => {
    const buffer = per(8, 2, { alpha: 0.5, epsilon: 0.01 });
    buffer.updatePriorities([0], [3.99]); // p = 4
    buffer.updatePriorities([1], [0.24]); // p = 0.25 < 4
    expect(buffer.maxSeenPriority).toBeCloseTo(4, 12);
    expect(buffer.priorityOf(1)).toBeCloseTo(0.5, 12);
    buffer.addTransition(step(2, { dim: 1 }));
    expect(buffer.priorityOf(2)).toBeCloseTo(2, 12);
    // Within one call the largest wins whatever its place.
    buffer.updatePriorities([0, 1], [15.99, 8.99]); // p = 16 then 9
    expect(buffer.maxSeenPriority).toBeCloseTo(16, 12);
    buffer.addTransition(step(3, { dim: 1 }));
    expect(buffer.priorityOf(3)).toBeCloseTo(4, 12);
    // The min tree follows too: the smallest weight's reference is now row 2's p^alpha = 2.
    const b = buffer.sample(4, new Rng(3), 1);
    for (let i = 0; i < 4; i++) expect(b.weights[i]).toBeCloseTo(2 / buffer.priorityOf(b.indices[i]!), 6);
  });

  it('checks every index and TD error before changing any priority', () => {
    const buffer = per(8, 3);
    expect(() => buffer.updatePriorities([0, 3], [1, 1])).toThrow(new InvalidConfig('Expected indices[1] to be a stored row in [0, 2], got 3.'));
    expect(() => buffer.updatePriorities([-1], [1])).toThrow('Expected indices[0] to be a stored row in [0, 2], got -1.');
    expect(() => buffer.updatePriorities([1.5], [1])).toThrow('Expected indices[0] to be a stored row in [0, 2], got 1.5.');
    expect(() => buffer.updatePriorities([0, 2], [1, Infinity])).toThrow(
      'Expected tdErrors[1] to be a finite number, got Infinity: check the learner for diverging values.',
    );
    for (let i = 0; i < 3; i++) expect(buffer.priorityOf(i)).toBe(1);
    expect(buffer.maxSeenPriority).toBe(1);
    buffer.updatePriorities([2], [-2]); // the last stored row, a negative error: p = 2 + 1e-6
    expect(buffer.priorityOf(2)).toBeCloseTo((2 + 1e-6) ** 0.6, 12);
  });

  it('refuses a batch whose weights do not match its size', () => {
    const buffer = per(4, 4);
    const batch = { ...buffer.createBatch(2), weights: new Float32Array(1) };
    expect(() => buffer.sampleInto(batch, new Rng(0))).toThrow(
      new InvalidConfig('Expected a batch with weights (from PrioritizedReplayBuffer.createBatch), got one without.'),
    );
  });

  it('combines with n-step returns and is sized from spaces', () => {
    const buffer = prioritizedReplayBufferFor(box({ low: -1, high: 1, shape: [3] }), discrete(2), 32, { nStep: 3, gamma: 0.9, alpha: 0.6 });
    for (let t = 0; t < 6; t++) buffer.addTransition(step(t, { dim: 3, terminated: t === 5 }));
    expect(buffer.size).toBe(6);
    const batch = buffer.sample(6, new Rng(1));
    expect(batch.discounts).toBeInstanceOf(Float32Array);
    expect(batch.weights).toBeInstanceOf(Float32Array);
  });
});
