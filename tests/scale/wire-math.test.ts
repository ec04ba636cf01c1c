/**
 * The actor/learner wire format byte by byte: the header, 8-byte aligned sections in their order and sizes, the
 * staging writer's next observations and episode ends, rollouts gathered from a capacity stride, weights, and every
 * check `decodeMessage` makes on a buffer it did not write (a `CorruptFile` naming what it expected).
 */
import { describe, expect, it } from 'vitest';
import { CorruptFile, InvalidConfig } from '../../core/errors.js';
import { decodeMessage, encodeRollout, encodeWeights, FLAG, TransitionWriter, type RolloutBatch, type TransitionBatch, type Weights } from '../../scale/wire.js';

const MAGIC = 0x31585852;
const header = (buf: ArrayBuffer) => ({ ints: Array.from(new Uint32Array(buf, 0, 8)), floats: Array.from(new Float64Array(buf, 32, 4)) });

/** A writer of 1 lane x 3 rows of 3 floats, the middle row ending an episode (truncated). */
function threeRows(priorities: boolean): TransitionWriter {
  const w = new TransitionWriter({ obsDim: 3, actDim: 1, lanes: 1, laneLength: 3, priorities });
  w.obs.set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  w.actions.set([2, 0, 1]);
  w.rewards.set([0.5, -1, 2]);
  if (w.priorities) w.priorities.set([0.25, 0.5, 1]);
  w.flags[1] = FLAG.truncated;
  w.setNextObs(1, [40, 50, 60]);
  w.addEpisode(1, 12.5, 30);
  w.setNextObs(2, [70, 80, 90]);
  return w;
}

function transitions(buf: ArrayBuffer | Uint8Array): TransitionBatch {
  const m = decodeMessage(buf, 'test');
  if (m.kind !== 'transitions') throw new Error(`expected transitions, got ${m.kind}`);
  return m;
}

describe('transitions messages', () => {
  it('lays out the header and 8-byte aligned sections in order: episodes, obs, actions, rewards, priorities, nextObs, flags', () => {
    const buf = threeRows(true).finish(17, 4);
    // 64 header + 4 x 8 episode fields + pad8(36) obs + pad8(12) x 3 (actions, rewards, priorities) + pad8(24) nextObs + pad8(3) flags.
    expect(buf.byteLength).toBe(64 + 32 + 40 + 16 + 16 + 16 + 24 + 8);
    expect(header(buf)).toEqual({ ints: [MAGIC, 1, 3, 1, 1, 3, 2, 1], floats: [17, 4, 1, 0] });
    expect(Array.from(new Float64Array(buf, 64, 4))).toEqual([1, 12.5, 30, FLAG.truncated]);
    expect(Array.from(new Float32Array(buf, 96, 9))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(new Float32Array(buf, 136, 3))).toEqual([2, 0, 1]);
    expect(Array.from(new Float32Array(buf, 152, 3))).toEqual([0.5, -1, 2]);
    expect(Array.from(new Float32Array(buf, 168, 3))).toEqual([0.25, 0.5, 1]);
    expect(Array.from(new Float32Array(buf, 184, 6))).toEqual([40, 50, 60, 70, 80, 90]);
    expect(Array.from(new Uint8Array(buf, 208, 3))).toEqual([0, FLAG.truncated | FLAG.nextObs, FLAG.nextObs]);
    // Without priorities the section is empty and the header says so.
    const plain = threeRows(false).finish(0, 0);
    expect(plain.byteLength).toBe(64 + 32 + 40 + 16 + 16 + 24 + 8);
    expect(header(plain).floats).toEqual([0, 0, 0, 0]);
  });

  it('decodes into views of the same buffer, with each row index into the next observations', () => {
    const buf = threeRows(true).finish(17, 4);
    const b = transitions(buf);
    expect(b.obs.buffer).toBe(buf);
    expect([b.obsDim, b.actDim, b.lanes, b.laneLength, b.seq, b.version]).toEqual([3, 1, 1, 3, 17, 4]);
    expect(Array.from(b.obs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(b.actions)).toEqual([2, 0, 1]);
    expect(Array.from(b.rewards)).toEqual([0.5, -1, 2]);
    expect(Array.from(b.priorities!)).toEqual([0.25, 0.5, 1]);
    expect(Array.from(b.flags)).toEqual([0, FLAG.truncated | FLAG.nextObs, FLAG.nextObs]);
    expect(Array.from(b.nextIndex)).toEqual([-1, 0, 1]);
    expect(Array.from(b.nextObs)).toEqual([40, 50, 60, 70, 80, 90]);
    expect([b.episodes.count, Array.from(b.episodes.rows), Array.from(b.episodes.returns), Array.from(b.episodes.lengths), Array.from(b.episodes.ends)])
      .toEqual([1, [1], [12.5], [30], [FLAG.truncated]]);
    expect(transitions(threeRows(false).finish(0, 0)).priorities).toBeNull();
  });

  it('reads a whole aligned Uint8Array in place and copies a misaligned slice', () => {
    const buf = threeRows(false).finish(1, 1);
    expect(transitions(new Uint8Array(buf)).obs.buffer).toBe(buf);
    const shifted = new Uint8Array(buf.byteLength + 4);
    shifted.set(new Uint8Array(buf), 4);
    const copy = transitions(shifted.subarray(4));
    expect(copy.obs.buffer).not.toBe(shifted.buffer);
    expect(Array.from(copy.nextObs)).toEqual([40, 50, 60, 70, 80, 90]);
    const part = new Uint8Array(buf.byteLength + 8);
    part.set(new Uint8Array(buf));
    expect(transitions(part.subarray(0, buf.byteLength)).obs.buffer).not.toBe(part.buffer); // a prefix of a larger buffer
    const shared = new Uint8Array(new SharedArrayBuffer(buf.byteLength));
    shared.set(new Uint8Array(buf));
    expect(transitions(shared).obs.buffer).toBeInstanceOf(ArrayBuffer); // shared memory is copied out
  });

  it('keeps lanes env-major and takes a lane whose last row has its next observation', () => {
    const w = new TransitionWriter({ obsDim: 1, actDim: 2, lanes: 2, laneLength: 2, priorities: false });
    expect(w.rows).toBe(4);
    expect([w.obs.length, w.actions.length, w.rewards.length, w.flags.length, w.nextObs.length]).toEqual([4, 8, 4, 4, 4]);
    w.obs.set([10, 11, 20, 21]);
    w.actions.set([1, 2, 3, 4, 5, 6, 7, 8]);
    w.rewards.set([-1, -2, -3, -4]); // after the actions: overlapping sections would overwrite them
    w.flags[0] = FLAG.terminated;
    w.setNextObs(0, [-10]);
    w.addEpisode(0, 1, 5);
    w.setNextObs(1, [12]);
    w.setNextObs(3, [22]);
    const b = transitions(w.finish(100, 2));
    expect(Array.from(b.nextIndex)).toEqual([0, 1, -1, 2]);
    expect(Array.from(b.nextObs)).toEqual([-10, 12, 22]);
    expect(Array.from(b.actions)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(b.rewards)).toEqual([-1, -2, -3, -4]);
    expect(Array.from(b.obs)).toEqual([10, 11, 20, 21]);
    expect(Array.from(b.episodes.ends)).toEqual([FLAG.terminated]);
    // The writer starts over after finish: no rows flagged, no episodes, next observations from the first row again.
    expect(Array.from(w.flags)).toEqual([0, 0, 0, 0]);
    w.setNextObs(1, [5]);
    w.setNextObs(3, [6]);
    const again = transitions(w.finish(102, 2));
    expect([Array.from(again.nextObs), again.episodes.count, Array.from(again.obs)]).toEqual([[5, 6], 0, [0, 0, 0, 0]]);
  });

  it("keeps a row's end flags as the episode's end, both bits, never the nextObs bit", () => {
    const w = new TransitionWriter({ obsDim: 1, actDim: 1, lanes: 1, laneLength: 1, priorities: false });
    w.flags[0] = FLAG.terminated | FLAG.truncated;
    w.setNextObs(0, [1]);
    w.addEpisode(0, 2, 3);
    expect(Array.from(transitions(w.finish(0, 0)).episodes.ends)).toEqual([FLAG.terminated | FLAG.truncated]);
  });

  it('refuses staging sizes that are not positive integers, naming the size', () => {
    const ok = { obsDim: 1, actDim: 1, lanes: 1, laneLength: 1, priorities: false };
    for (const k of ['obsDim', 'actDim', 'lanes', 'laneLength'] as const) {
      for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => new TransitionWriter({ ...ok, [k]: bad }), `${k} ${bad}`).toThrow(InvalidConfig);
      expect(() => new TransitionWriter({ ...ok, [k]: 0 })).toThrow(`Expected the batch ${k} to be a positive integer, got 0.`);
    }
  });
});

describe('rollout messages', () => {
  it('gathers each lane segment of a capacity-stride rollout, lane after lane, with its flags', () => {
    const capacity = 4, lanes = 2, obsDim = 2, actDim = 1;
    const r = {
      numEnvs: lanes, capacity, obsDim, actionDim: actDim, lengths: Int32Array.from([3, 1]),
      obs: Float32Array.from({ length: lanes * capacity * obsDim }, (_, i) => i),
      actions: Int32Array.from({ length: lanes * capacity }, (_, i) => 100 + i),
      rewards: Float32Array.from({ length: lanes * capacity }, (_, i) => i / 2),
      terminated: Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 0]), truncated: Uint8Array.from([0, 0, 1, 0, 1, 0, 0, 0]),
      values: Float32Array.from({ length: 8 }, (_, i) => 10 + i), logProbs: Float32Array.from({ length: 8 }, (_, i) => -i),
      nextValues: Float32Array.from({ length: 8 }, (_, i) => 20 + i),
    };
    const buf = encodeRollout(r, 9, [{ row: 1, ret: 4, len: 6, end: FLAG.terminated }]);
    // 64 + 32 episodes + pad8(8) lengths + 32 obs + 16 actions + 16 x 4 per-row floats + 8 flags.
    expect(buf.byteLength).toBe(64 + 32 + 8 + 32 + 16 + 16 * 4 + 8);
    expect(header(buf)).toEqual({ ints: [MAGIC, 2, 2, 1, 2, 4, 0, 1], floats: [0, 9, 0, 0] });
    const m = decodeMessage(buf, 'rollout') as RolloutBatch;
    expect(m.kind).toBe('rollout');
    expect([m.obsDim, m.actDim, m.lanes, m.version, Array.from(m.lengths)]).toEqual([2, 1, 2, 9, [3, 1]]);
    expect(Array.from(m.obs)).toEqual([0, 1, 2, 3, 4, 5, 8, 9]);
    expect(Array.from(m.actions)).toEqual([100, 101, 102, 104]);
    expect(Array.from(m.rewards)).toEqual([0, 0.5, 1, 2]);
    expect(Array.from(m.values)).toEqual([10, 11, 12, 14]);
    expect(Array.from(m.logProbs)).toEqual([-0, -1, -2, -4]);
    expect(Array.from(m.nextValues)).toEqual([20, 21, 22, 24]);
    expect(Array.from(m.flags)).toEqual([0, FLAG.terminated, FLAG.truncated, FLAG.truncated]);
    expect([Array.from(m.episodes.rows), Array.from(m.episodes.returns), Array.from(m.episodes.lengths), Array.from(m.episodes.ends)]).toEqual([[1], [4], [6], [FLAG.terminated]]);
  });

  it('copies every action float of a multi-dimensional lane', () => {
    const r = {
      numEnvs: 2, capacity: 2, obsDim: 1, actionDim: 2, lengths: Int32Array.from([1, 2]), obs: Float32Array.from([1, 2, 3, 4]),
      actions: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]), rewards: new Float32Array(4), terminated: Uint8Array.from([1, 1, 1, 1]), truncated: Uint8Array.from([0, 0, 0, 1]),
      values: new Float32Array(4), logProbs: new Float32Array(4), nextValues: new Float32Array(4),
    };
    const m = decodeMessage(encodeRollout(r, 1, []), 'r') as RolloutBatch;
    expect(Array.from(m.actions)).toEqual([0.1, 0.2, 0.5, 0.6, 0.7, 0.8].map(Math.fround));
    expect(Array.from(m.obs)).toEqual([1, 3, 4]);
    expect(Array.from(m.flags)).toEqual([FLAG.terminated, FLAG.terminated, FLAG.terminated | FLAG.truncated]);
  });
});

describe('weights messages', () => {
  const nets = {
    pi: [{ name: 'k', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, { name: 'b', shape: [3], data: Float32Array.from([7, 8, 9]) }],
    v: [{ name: 'w', shape: [1], data: Float32Array.from([-1]) }],
  };

  it('writes the tensor index as JSON then the floats, 8-byte aligned, and reads them back per net', () => {
    const buf = encodeWeights(nets, 5, 1234);
    const text = JSON.stringify([['pi', [['k', [2, 3]], ['b', [3]]]], ['v', [['w', [1]]]]]);
    expect(header(buf)).toEqual({ ints: [MAGIC, 3, text.length, 10, 0, 0, 0, 0], floats: [5, 1234, 0, 0] });
    const at = 64 + ((text.length + 7) & ~7);
    expect(buf.byteLength).toBe(at + 40);
    expect(new TextDecoder().decode(new Uint8Array(buf, 64, text.length))).toBe(text);
    expect(Array.from(new Float32Array(buf, at, 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, -1]);
    const w = decodeMessage(buf, 'w') as Weights;
    expect([w.kind, w.version, w.step]).toEqual(['weights', 5, 1234]);
    expect(Object.fromEntries(Object.entries(w.nets).map(([k, ps]) => [k, ps.map((p) => [p.name, p.shape, Array.from(p.data)])])))
      .toEqual(Object.fromEntries(Object.entries(nets).map(([k, ps]) => [k, ps.map((p) => [p.name, p.shape, Array.from(p.data)])])));
    // Copies, not views: the message can be reused.
    new Float32Array(buf, at, 10).fill(0);
    expect(Array.from(w.nets['v']![0]!.data)).toEqual([-1]);
  });

  it('refuses an index that points past the data, or data past the last tensor', () => {
    const buf = encodeWeights(nets, 1, 1);
    const fewer = buf.slice(0);
    new Uint32Array(fewer, 0, 8)[3] = 9; // one float fewer than the tensors need, in a data section of the same padded size
    expect(() => decodeMessage(fewer, 'w.bin')).toThrow(`Expected an rxgym message (a tensor past the data) in w.bin, got ${buf.byteLength} bytes`);
    const words = new Uint32Array(buf.slice(0), 0, 8);
    words[3] = 12; // two floats more: a size mismatch first
    expect(() => decodeMessage(words.buffer, 'w.bin')).toThrow(`Expected an rxgym message (weights of ${buf.byteLength + 8} bytes for their sizes) in w.bin`);
    // Data past the last tensor: a message with an index naming one tensor of 1 float and 2 floats of data.
    const text = new TextEncoder().encode(JSON.stringify([['a', [['x', [1]]]]]));
    const over = new ArrayBuffer(64 + 8 * Math.ceil(text.length / 8) + 8);
    new Uint32Array(over, 0, 4).set([MAGIC, 3, text.length, 2]);
    new Uint8Array(over, 64, text.length).set(text);
    expect(() => decodeMessage(over, 'o')).toThrow('Expected an rxgym message (data past the last tensor) in o');
    const past = new ArrayBuffer(over.byteLength);
    new Uint8Array(past).set(new Uint8Array(over));
    const big = new TextEncoder().encode(JSON.stringify([['a', [['x', [3]]]]]));
    new Uint32Array(past, 0, 4).set([MAGIC, 3, big.length, 2]);
    new Uint8Array(past, 64, big.length).set(big);
    expect(() => decodeMessage(past, 'p')).toThrow('Expected an rxgym message (a tensor past the data) in p');
  });
});

describe('decodeMessage checks', () => {
  /** The whole message, not a part of it: a CorruptFile thrown inside the decoder is passed on, not wrapped again. */
  const corrupt = (buf: ArrayBuffer | Uint8Array, what: string) => {
    let error: unknown = null;
    try {
      decodeMessage(buf, 'msg');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorruptFile);
    expect((error as CorruptFile).message).toBe(`Expected an rxgym ${what} in msg, got ${buf.byteLength} bytes that do not hold one.`);
    expect((error as CorruptFile).path).toBe('msg');
  };
  const edit = (buf: ArrayBuffer, f: (u: Uint32Array, d: Float64Array) => void) => {
    const copy = buf.slice(0);
    f(new Uint32Array(copy, 0, 8), new Float64Array(copy));
    return copy;
  };
  const good = () => threeRows(true).finish(3, 1);

  it('refuses a buffer shorter than a header, or without the magic', () => {
    corrupt(new ArrayBuffer(63), 'message (at least 64 bytes)');
    expect(() => decodeMessage(new ArrayBuffer(64), 'msg')).toThrow('magic RXX1');
    corrupt(edit(good(), (u) => (u[0] = MAGIC + 1)), 'message (magic RXX1)');
    expect(transitions(new Uint8Array(good())).kind).toBe('transitions'); // 64 bytes and more with the magic are read on
  });

  it('refuses an unknown kind, a zero size, and a length that does not fit the sizes', () => {
    for (const kind of [0, 4]) corrupt(edit(good(), (u) => (u[1] = kind)), 'message kind (1, 2 or 3)');
    for (const slot of [2, 3, 4]) corrupt(edit(good(), (u) => (u[slot] = 0)), 'message with positive sizes');
    const g = good();
    const longer = new Uint8Array(g.byteLength + 8);
    longer.set(new Uint8Array(g));
    corrupt(longer, `message of ${g.byteLength} bytes for its sizes`);
    corrupt(new Uint8Array(g).slice(0, g.byteLength - 8), `message of ${g.byteLength} bytes for its sizes`);
    // A different laneLength changes the sections: no longer the buffer's size.
    corrupt(edit(g, (u) => (u[5] = 2)), `message of ${g.byteLength - 40} bytes for its sizes`);
  });

  it('refuses an episode row outside the message', () => {
    const rowAt = 64 / 8; // the first episode's row, as a float64
    for (const row of [3, -1, Number.NaN, 2.5e9]) corrupt(edit(good(), (_, d) => (d[rowAt] = row)), 'episode row inside the message');
    expect(transitions(edit(good(), (_, d) => (d[rowAt] = 2))).episodes.rows[0]).toBe(2);
    expect(transitions(edit(good(), (_, d) => (d[rowAt] = 0))).episodes.rows[0]).toBe(0);
  });

  it('refuses a lane that ends without its next observation, and a count of next observations the flags do not match', () => {
    const flagsAt = 208;
    const open = good();
    new Uint8Array(open, flagsAt, 3)[2] = 0; // the lane's last row without its next observation
    corrupt(open, 'transitions message whose lanes end with a next observation');
    const extra = good();
    new Uint8Array(extra, flagsAt, 3)[0] = FLAG.nextObs; // three flagged rows, two next observations
    corrupt(extra, 'transitions message with one next observation per flagged row');
  });

  it('refuses a rollout whose lane lengths do not add up to its rows, or are negative', () => {
    const r = {
      numEnvs: 2, capacity: 2, obsDim: 1, actionDim: 1, lengths: Int32Array.from([1, 2]), obs: new Float32Array(4), actions: new Int32Array(4), rewards: new Float32Array(4),
      terminated: new Uint8Array(4), truncated: new Uint8Array(4), values: new Float32Array(4), logProbs: new Float32Array(4), nextValues: new Float32Array(4),
    };
    const buf = encodeRollout(r, 1, []);
    const lengthsAt = 64;
    for (const lengths of [[2, 2], [0, 2], [4, -1]]) {
      const b = buf.slice(0);
      new Int32Array(b, lengthsAt, 2).set(lengths);
      corrupt(b, 'rollout whose lane lengths add up to its rows');
    }
    const fine = buf.slice(0);
    new Int32Array(fine, lengthsAt, 2).set([3, 0]);
    expect((decodeMessage(fine, 'r') as RolloutBatch).lengths[0]).toBe(3);
  });
});
