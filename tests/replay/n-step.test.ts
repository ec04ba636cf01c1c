import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../replay/index.js';
import { step } from './helpers.js';

type Row = { obs: number; action: number; reward: number; next: number; terminated: number; truncated: number; discount: number };

function rows(buffer: ReplayBuffer<'discrete'>): Row[] {
  const out: Row[] = [];
  for (let r = 0; r < buffer.size; r++) {
    out.push({
      obs: buffer.obs[r * buffer.obsDim]!,
      action: buffer.actions[r]!,
      reward: buffer.rewards[r]!,
      next: buffer.nextObs[r * buffer.obsDim]!,
      terminated: buffer.terminated[r]!,
      truncated: buffer.truncated[r]!,
      discount: buffer.discounts![r]!,
    });
  }
  return out;
}

describe('n-step returns', () => {
  it('stores (obs_t, a_t, sum gamma^k r, obs_{t+n}, gamma^n) and flushes at termination with shorter sums', () => {
    // gamma 0.5, n 3; episode of rewards 1, 2, 3, 4, terminated after the fourth step.
    const buffer = new ReplayBuffer({ capacity: 16, obsDim: 1, actionKind: 'discrete', nStep: 3, gamma: 0.5 });
    const rewards = [1, 2, 3, 4];
    rewards.forEach((r, t) => {
      buffer.addTransition(step(t, { dim: 1, action: t, reward: r, terminated: t === 3 }));
      // Nothing is stored until three steps follow a step (or the episode ends).
      expect(buffer.size).toBe([0, 0, 1, 4][t]);
    });
    expect(buffer.pending()).toBe(0);
    expect(rows(buffer)).toEqual([
      { obs: 0, action: 0, reward: 1 + 0.5 * 2 + 0.25 * 3, next: 3, terminated: 0, truncated: 0, discount: 0.125 },
      { obs: 1, action: 1, reward: 2 + 0.5 * 3 + 0.25 * 4, next: 4, terminated: 1, truncated: 0, discount: 0.125 },
      { obs: 2, action: 2, reward: 3 + 0.5 * 4, next: 4, terminated: 1, truncated: 0, discount: 0.25 },
      { obs: 3, action: 3, reward: 4, next: 4, terminated: 1, truncated: 0, discount: 0.5 },
    ]);
  });

  it('flushes a truncated episode shorter than n, keeping terminated 0 so the learner bootstraps', () => {
    const buffer = new ReplayBuffer({ capacity: 16, obsDim: 1, actionKind: 'discrete', nStep: 3, gamma: 0.5 });
    buffer.addTransition(step(10, { dim: 1, action: 0, reward: 10 }));
    buffer.addTransition(step(11, { dim: 1, action: 1, reward: 20, truncated: true }));
    expect(rows(buffer)).toEqual([
      { obs: 10, action: 0, reward: 20, next: 12, terminated: 0, truncated: 1, discount: 0.25 },
      { obs: 11, action: 1, reward: 20, next: 12, terminated: 0, truncated: 1, discount: 0.5 },
    ]);
  });

  it('never sums across an episode boundary', () => {
    const buffer = new ReplayBuffer({ capacity: 16, obsDim: 1, actionKind: 'discrete', nStep: 2, gamma: 0.9 });
    buffer.addTransition(step(0, { dim: 1, reward: 1, terminated: true })); // one-step episode
    buffer.addTransition(step(100, { dim: 1, reward: 5 }));
    buffer.addTransition(step(101, { dim: 1, reward: 7 }));
    const r = rows(buffer);
    expect(r).toHaveLength(2);
    expect(r[0]).toMatchObject({ obs: 0, reward: 1, next: 1, terminated: 1, discount: Math.fround(0.9) });
    expect(r[1]!.obs).toBe(100);
    expect(r[1]!.reward).toBeCloseTo(5 + 0.9 * 7, 5);
    expect(r[1]!.next).toBe(102);
    expect(r[1]!.discount).toBeCloseTo(0.81, 6);
    expect(buffer.pending()).toBe(1);
  });

  it('keeps one pending queue per stream', () => {
    const buffer = new ReplayBuffer({ capacity: 16, obsDim: 1, actionKind: 'discrete', nStep: 2, gamma: 0.5, streams: 2 });
    buffer.addTransition(step(0, { dim: 1, reward: 1 }), 0);
    buffer.addTransition(step(50, { dim: 1, reward: 100 }), 1);
    buffer.addTransition(step(1, { dim: 1, reward: 2 }), 0);
    buffer.addTransition(step(51, { dim: 1, reward: 200, terminated: true }), 1);
    expect(rows(buffer)).toEqual([
      { obs: 0, action: 0, reward: 2, next: 2, terminated: 0, truncated: 0, discount: 0.25 },
      { obs: 50, action: 2, reward: 200, next: 52, terminated: 1, truncated: 0, discount: 0.25 },
      { obs: 51, action: 0, reward: 200, next: 52, terminated: 1, truncated: 0, discount: 0.5 },
    ]);
    expect(buffer.pending(0)).toBe(1);
    expect(buffer.pending(1)).toBe(0);
  });

  it('flush() writes a stopped stream\'s pending steps as truncated transitions', () => {
    const buffer = new ReplayBuffer({ capacity: 16, obsDim: 1, actionKind: 'discrete', nStep: 3, gamma: 0.5 });
    buffer.addTransition(step(0, { dim: 1, reward: 4 }));
    buffer.addTransition(step(1, { dim: 1, reward: 8 }));
    expect(buffer.size).toBe(0);
    buffer.flush();
    expect(rows(buffer)).toEqual([
      { obs: 0, action: 0, reward: 8, next: 2, terminated: 0, truncated: 1, discount: 0.25 },
      { obs: 1, action: 1, reward: 8, next: 2, terminated: 0, truncated: 1, discount: 0.5 },
    ]);
  });

  it('with nStep 1 and a gamma, every discount is gamma and batches carry discounts', () => {
    const buffer = new ReplayBuffer({ capacity: 4, obsDim: 1, actionKind: 'discrete', gamma: 0.99 });
    buffer.addTransition(step(0, { dim: 1 }));
    buffer.addTransition(step(1, { dim: 1, terminated: true }));
    expect(Array.from(buffer.discounts!.subarray(0, 2))).toEqual([Math.fround(0.99), Math.fround(0.99)]);
    expect(buffer.createBatch(2).discounts).toBeInstanceOf(Float32Array);
  });
});
