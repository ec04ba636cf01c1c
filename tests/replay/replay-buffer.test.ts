import { describe, expect, it } from 'vitest';
import { InvalidConfig, Rng, box, dict, discrete, multiDiscrete, tuple } from '../../core/index.js';
import { InvalidTransition, ReplayBuffer, replayBufferFor } from '../../replay/index.js';
import type { ReplayBatch } from '../../replay/types.js';
import { step } from './helpers.js';

function filled(capacity: number, count: number, dim = 2): ReplayBuffer<'discrete'> {
  const buffer = new ReplayBuffer({ capacity, obsDim: dim, actionKind: 'discrete' });
  for (let t = 0; t < count; t++) buffer.addTransition(step(t, { dim, terminated: t % 4 === 3, truncated: t % 5 === 4 }));
  return buffer;
}

describe('ReplayBuffer', () => {
  it('stores copies of each field in preallocated typed arrays', () => {
    const buffer = filled(8, 3);
    expect(buffer.size).toBe(3);
    expect(buffer.position).toBe(3);
    expect(buffer.obs).toBeInstanceOf(Float32Array);
    expect(buffer.actions).toBeInstanceOf(Int32Array);
    expect(Array.from(buffer.obs.subarray(0, 6))).toEqual([0, 0, 1, 10, 2, 20]);
    expect(Array.from(buffer.nextObs.subarray(0, 6))).toEqual([1, 10, 2, 20, 3, 30]);
    expect(Array.from(buffer.actions.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(Array.from(buffer.rewards.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(buffer.discounts).toBeUndefined();
    // The caller's arrays are not kept.
    const t = step(5);
    buffer.addTransition(t);
    t.obs[0] = 99;
    expect(buffer.obs[6]).toBe(5);
  });

  it('overwrites the oldest row once full', () => {
    const buffer = filled(3, 5);
    expect(buffer.size).toBe(3);
    expect(buffer.position).toBe(2);
    // Rows hold steps 3, 4, 2.
    expect(Array.from(buffer.rewards)).toEqual([3, 4, 2]);
    expect(Array.from(buffer.terminated)).toEqual([1, 0, 0]);
    expect(Array.from(buffer.truncated)).toEqual([0, 1, 0]);
  });

  it('samples rows whose fields belong together, reproducibly for a seed', () => {
    const buffer = filled(16, 10, 3);
    const batch = buffer.sample(8, new Rng(1));
    expect(batch.batchSize).toBe(8);
    expect(batch.obs.length).toBe(8 * 3);
    for (let i = 0; i < 8; i++) {
      const t = batch.indices[i]!;
      expect(batch.rewards[i]).toBe(t);
      expect(Array.from(batch.obs.subarray(i * 3, i * 3 + 3))).toEqual([t, 10 * t, 100 * t]);
      expect(Array.from(batch.nextObs.subarray(i * 3, i * 3 + 3))).toEqual([t + 1, 10 * (t + 1), 100 * (t + 1)]);
      expect(batch.actions[i]).toBe(t % 3);
      expect(batch.terminated[i]).toBe(t % 4 === 3 ? 1 : 0);
      expect(batch.truncated[i]).toBe(t % 5 === 4 ? 1 : 0);
    }
    const again = buffer.sample(8, new Rng(1));
    expect(Array.from(again.indices)).toEqual(Array.from(batch.indices));
  });

  it('sampleInto reuses the batch arrays and draws every row about equally often', () => {
    const buffer = filled(10, 10);
    const batch = buffer.createBatch(10);
    const obs = batch.obs;
    const counts = new Array<number>(10).fill(0);
    const rng = new Rng(2);
    for (let k = 0; k < 2000; k++) {
      buffer.sampleInto(batch, rng);
      for (const i of batch.indices) counts[i]!++;
    }
    expect(batch.obs).toBe(obs);
    // 20000 draws, 2000 expected per row; 4 standard deviations is about 170.
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(170);
  });

  it('stores continuous actions as float32 rows', () => {
    const buffer = new ReplayBuffer({ capacity: 4, obsDim: 1, actionDim: 2, actionKind: 'continuous' });
    buffer.add([0.5], [0.25, -1], 1, [0.75], false, false);
    const batch = buffer.sample(1, new Rng(0));
    expect(batch.actions).toBeInstanceOf(Float32Array);
    expect(Array.from(batch.actions)).toEqual([0.25, -1]);
  });

  it('uses within 1.1x of the raw bytes per transition (obsDim 4, discrete: 42 bytes)', () => {
    const buffer = new ReplayBuffer({ capacity: 10_000, obsDim: 4, actionKind: 'discrete' });
    expect(buffer.bytesPerTransition).toBe(4 * 4 * 2 + 4 + 4 + 1 + 1);
    expect(buffer.byteLength / buffer.capacity).toBeLessThanOrEqual(1.1 * buffer.bytesPerTransition);
  });

  it('clear() forgets the stored transitions', () => {
    const buffer = filled(4, 3);
    buffer.clear();
    expect(buffer.size).toBe(0);
    expect(buffer.position).toBe(0);
    expect(() => buffer.sample(1, new Rng(0))).toThrow('Expected batchSize <= the number of stored transitions (0), got 1');
  });

  describe('errors', () => {
    const buffer = (): ReplayBuffer<'discrete'> => new ReplayBuffer({ capacity: 2, obsDim: 2, actionKind: 'discrete' });

    it('rejects an observation of the wrong length', () => {
      expect(() => buffer().add([1, 2, 3], 0, 1, [1, 2], false, false)).toThrow(
        new InvalidTransition('Expected obs to be 2 numbers (obsDim), got [1, 2, 3].'),
      );
      expect(() => buffer().add([1, 2], 0, 1, new Float32Array(1), false, false)).toThrow(
        'Expected nextObs to be 2 numbers (obsDim), got Float32Array(1) [0].',
      );
    });

    it('rejects NaN in observations and non-finite rewards', () => {
      expect(() => buffer().add([1, NaN], 0, 1, [1, 2], false, false)).toThrow('Expected obs to hold numbers, got NaN at element 1: [1, NaN].');
      expect(() => buffer().add([1, 2], 0, NaN, [1, 2], false, false)).toThrow('Expected reward to be a finite number, got NaN.');
      expect(() => buffer().add([1, 2], 0, Infinity, [1, 2], false, false)).toThrow('Expected reward to be a finite number, got Infinity.');
    });

    it('rejects malformed actions and flags', () => {
      expect(() => buffer().add([1, 2], 1.5, 0, [1, 2], false, false)).toThrow('Expected a discrete action to be an int32 integer, got 1.5.');
      const cont = new ReplayBuffer({ capacity: 2, obsDim: 1, actionDim: 2, actionKind: 'continuous' });
      expect(() => cont.add([1], [1], 0, [1], false, false)).toThrow('Expected a continuous action of 2 numbers (actionDim), got [1].');
      expect(() => cont.add([1], [1, NaN], 0, [1], false, false)).toThrow('Expected a continuous action of numbers, got NaN at element 1: [1, NaN].');
      expect(() => buffer().add([1, 2], 0, 0, [1, 2], 1 as unknown as boolean, false)).toThrow(
        'Expected terminated and truncated to be booleans, got 1 and false.',
      );
      expect(() => buffer().add([1, 2], 0, 0, [1, 2], false, false, 1)).toThrow(
        'Expected stream to be an integer in [0, 0], got 1: raise the buffer\'s streams option.',
      );
    });

    it('stores nothing when a transition is rejected, even over a full ring', () => {
      const b = filled(2, 2);
      expect(() => b.add([7, 7], 0, 7, [NaN, 7], false, false)).toThrow(InvalidTransition);
      expect(b.size).toBe(2);
      expect(b.position).toBe(0);
      expect(Array.from(b.obs)).toEqual([0, 0, 1, 10]);
    });

    it('rejects a batch larger than the stored transitions and a batch from another buffer', () => {
      const b = filled(8, 3);
      expect(() => b.sample(4, new Rng(0))).toThrow(
        new InvalidConfig('Expected batchSize <= the number of stored transitions (3), got 4: add more transitions before sampling (start learning later).'),
      );
      const other = new ReplayBuffer({ capacity: 8, obsDim: 5, actionKind: 'discrete' }).createBatch(2);
      expect(() => b.sampleInto(other, new Rng(0))).toThrow(
        'Expected a batch with obsDim 2 and actionDim 1 (from this buffer\'s createBatch), got obsDim 5 and actionDim 1.',
      );
      expect(() => b.createBatch(0)).toThrow('Expected batchSize to be a positive integer, got 0.');
    });

    it('rejects bad configs', () => {
      expect(() => new ReplayBuffer({ capacity: 0, obsDim: 2, actionKind: 'discrete' })).toThrow(
        new InvalidConfig('Expected replay capacity to be a positive integer, got 0.'),
      );
      expect(() => new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'discrete', actionDim: 3 })).toThrow(
        "Expected actionDim 1 (or none) for discrete actions, got 3: use actionKind 'continuous' for vector actions.",
      );
      expect(() => new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'continuous' })).toThrow(
        "Expected replay actionDim (required for actionKind 'continuous') to be a positive integer, got undefined.",
      );
      expect(() => new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'discrete', nStep: 3 })).toThrow(
        'Expected a gamma in [0, 1] with nStep 3, got none: pass { nStep, gamma }.',
      );
      expect(() => new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'discrete', gamma: 1.5 })).toThrow(
        'Expected replay gamma to be a number in [0, 1], got 1.5.',
      );
      expect(() => new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'sometimes' as 'discrete' })).toThrow(
        "Expected replay actionKind to be 'discrete' or 'continuous', got \"sometimes\".",
      );
    });
  });
});

describe('ReplayBuffer sampling internals', () => {
  /** A batch for `batchSize` rows whose other arrays reach one row further, filled with sentinels, its spare index at row 1. */
  function roomyBatch(buffer: ReplayBuffer, batchSize: number): ReplayBatch {
    const big = buffer.createBatch(batchSize + 1);
    for (const key of ['nextObs', 'actions', 'rewards', 'terminated', 'truncated', 'discounts'] as const) big[key]?.fill(7);
    big.indices[batchSize] = 1;
    return { ...big, batchSize, obs: new Float32Array(batchSize * buffer.obsDim) };
  }
  const tail = (a: ArrayLike<number> | undefined, from: number): number[] => Array.from(a ?? []).slice(from);

  it('draws the indices straight from the rng, batchSize draws per batch', () => {
    const buffer = filled(16, 10, 1);
    const batch = buffer.createBatch(3);
    const rng = new Rng(4);
    const replay = new Rng(4);
    for (let k = 0; k < 3; k++) {
      buffer.sampleInto(batch, rng);
      expect(Array.from(batch.indices)).toEqual([replay.int(10), replay.int(10), replay.int(10)]);
    }
  });

  it('writes the batch\'s rows only: discrete actions, flags, rewards, nextObs and discounts past batchSize stay', () => {
    const buffer = new ReplayBuffer({ capacity: 8, obsDim: 2, actionKind: 'discrete', gamma: 0.5 });
    for (let t = 0; t < 6; t++) buffer.addTransition(step(t, { terminated: t === 2, truncated: t === 3 }));
    const batch = roomyBatch(buffer, 4);
    buffer.sampleInto(batch, new Rng(8));
    for (let i = 0; i < 4; i++) {
      const t = batch.indices[i]!;
      expect([batch.rewards[i], batch.actions[i], batch.terminated[i], batch.truncated[i], batch.discounts![i]]).toEqual([t, t % 3, t === 2 ? 1 : 0, t === 3 ? 1 : 0, 0.5]);
      expect(Array.from(batch.nextObs.subarray(2 * i, 2 * i + 2))).toEqual([t + 1, 10 * (t + 1)]);
      expect(Array.from(batch.obs.subarray(2 * i, 2 * i + 2))).toEqual([t, 10 * t]);
    }
    for (const key of ['actions', 'rewards', 'terminated', 'truncated', 'discounts'] as const) expect(tail(batch[key], 4), key).toEqual([7]);
    expect(tail(batch.nextObs, 8)).toEqual([7, 7]);
  });

  it('gathers continuous action rows whole and nothing past batchSize', () => {
    const buffer = new ReplayBuffer({ capacity: 4, obsDim: 1, actionDim: 3, actionKind: 'continuous' });
    for (let t = 0; t < 4; t++) buffer.add([t], [t, t + 0.25, t + 0.5], t, [t + 1], false, false);
    const batch = roomyBatch(buffer, 2);
    buffer.sampleInto(batch, new Rng(5));
    for (let i = 0; i < 2; i++) {
      const t = batch.indices[i]!;
      expect(Array.from(batch.actions.subarray(3 * i, 3 * i + 3))).toEqual([t, t + 0.25, t + 0.5]);
    }
    expect(tail(batch.actions, 6)).toEqual([7, 7, 7]);
    expect(tail(batch.nextObs, 2)).toEqual([7]);
  });

  it('leaves a batch\'s discounts alone when the buffer has no gamma', () => {
    const buffer = filled(4, 4);
    const withDiscounts = new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'discrete', gamma: 0.9 }).createBatch(2);
    withDiscounts.discounts!.fill(3);
    buffer.sampleInto(withDiscounts, new Rng(0));
    expect(Array.from(withDiscounts.discounts!)).toEqual([3, 3]);
  });

  it('checks each shape of the batch and asks for discounts when the buffer has a gamma', () => {
    const cont = new ReplayBuffer({ capacity: 4, obsDim: 2, actionDim: 2, actionKind: 'continuous' });
    for (let t = 0; t < 4; t++) cont.add([t, t], [0, 0], 0, [t, t], false, false);
    const wrongAction = new ReplayBuffer({ capacity: 4, obsDim: 2, actionDim: 3, actionKind: 'continuous' }).createBatch(2);
    expect(() => cont.sampleInto(wrongAction, new Rng(0))).toThrow(
      new InvalidConfig('Expected a batch with obsDim 2 and actionDim 2 (from this buffer\'s createBatch), got obsDim 2 and actionDim 3.'),
    );
    const otherObsDim = { ...cont.createBatch(2), obsDim: 3 }; // its obs array still fits this buffer
    expect(() => cont.sampleInto(otherObsDim, new Rng(0))).toThrow('got obsDim 3 and actionDim 2.');
    const shortObs = { ...cont.createBatch(2), obs: new Float32Array(2) };
    expect(() => cont.sampleInto(shortObs, new Rng(0))).toThrow('Expected a batch with obsDim 2 and actionDim 2');
    const gamma = new ReplayBuffer({ capacity: 4, obsDim: 2, actionKind: 'discrete', gamma: 0.9 });
    for (let t = 0; t < 4; t++) gamma.addTransition(step(t));
    expect(() => gamma.sampleInto(filled(4, 4).createBatch(2), new Rng(0))).toThrow(
      new InvalidConfig('Expected a batch with discounts (this buffer has a gamma), got one without: make it with this buffer\'s createBatch.'),
    );
    // A batch as large as the buffer is fine.
    expect(gamma.sample(4, new Rng(0)).batchSize).toBe(4);
  });
});

describe('replayBufferFor', () => {
  it('sizes a buffer for Box observations and Discrete actions', () => {
    const buffer = replayBufferFor(box({ low: -1, high: 1, shape: [4] }), discrete(2), 100);
    expect(buffer.obsDim).toBe(4);
    expect(buffer.actionKind).toBe('discrete');
    buffer.add(new Float32Array([0.1, 0.2, 0.3, 0.4]), 1, 1, new Float32Array(4), false, false);
    expect(buffer.size).toBe(1);
  });

  it('flattens non-Box observations (one-hot Discrete, Dict) and checks them against the space', () => {
    const lake = replayBufferFor(discrete(16), discrete(4), 10);
    expect(lake.obsDim).toBe(16);
    lake.add(5, 2, 0, 6, false, false);
    expect(Array.from(lake.obs.subarray(0, 16)).indexOf(1)).toBe(5);
    expect(Array.from(lake.nextObs.subarray(0, 16)).indexOf(1)).toBe(6);
    expect(lake.obs.subarray(0, 16).reduce((a, b) => a + b, 0)).toBe(1);
    expect(() => lake.add(16, 2, 0, 6, false, false)).toThrow(new InvalidTransition('Invalid obs: Expected an integer in [0, 15] for Discrete(16), got 16.'));

    const space = dict({ pos: box({ low: 0, high: 1, shape: [2] }), room: discrete(3) });
    const rooms = replayBufferFor(space, discrete(2), 4);
    expect(rooms.obsDim).toBe(5);
    rooms.add({ pos: new Float32Array([0.5, 0.25]), room: 2 }, 0, 0, { pos: new Float32Array([1, 1]), room: 0 }, true, false);
    expect(Array.from(rooms.obs.subarray(0, 5))).toEqual([0.5, 0.25, 0, 0, 1]);
  });

  it('stores Box and MultiDiscrete actions as float32 vectors and refuses Tuple actions', () => {
    const cont = replayBufferFor(box({ low: -1, high: 1, shape: [3] }), box({ low: -2, high: 2, shape: [2] }), 10);
    expect(cont.actionKind).toBe('continuous');
    expect(cont.actionDim).toBe(2);
    expect(replayBufferFor(box({ low: 0, high: 1, shape: [1] }), multiDiscrete([3, 4, 5]), 10).actionDim).toBe(3);
    expect(() => replayBufferFor(box({ low: 0, high: 1, shape: [1] }), tuple([discrete(2), discrete(3)]), 10)).toThrow(
      'Expected a Discrete, Box, MultiDiscrete or MultiBinary action space for replay, got kind "tuple": flatten the action space first.',
    );
  });
});
