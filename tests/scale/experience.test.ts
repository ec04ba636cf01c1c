/** The wire format and the learner's per-stream serving: round trips, compact next observations, episodes kept whole, cursors. */
import { describe, expect, it } from 'vitest';
import { CorruptFile } from '../../core/errors.js';
import { ExperienceSource } from '../../scale/experience.js';
import { decodeMessage, encodeWeights, FLAG, TransitionWriter, type TransitionBatch } from '../../scale/wire.js';

/** A batch of one lane: rows t = 0..n-1 with obs [seq + t], action t, reward 1, the episode ending at `ends`. */
function batch(seq: number, n: number, ends: number[] = [], priorities = false): TransitionBatch {
  const w = new TransitionWriter({ obsDim: 1, actDim: 1, lanes: 1, laneLength: n, priorities });
  for (let t = 0; t < n; t++) {
    w.obs[t] = seq + t;
    w.actions[t] = t;
    w.rewards[t] = 1;
    if (w.priorities) w.priorities[t] = t / 10;
    if (ends.includes(t)) {
      w.flags[t] = FLAG.terminated;
      w.setNextObs(t, [-1]);
      w.addEpisode(t, 7, 8);
    } else if (t === n - 1) w.setNextObs(t, [seq + n]);
  }
  const m = decodeMessage(w.finish(seq, 3), 'test');
  if (m.kind !== 'transitions') throw new Error('expected transitions');
  return m;
}

/** Serves every servable row: [obs, next obs, done] per step. A row that ends an episode waits until a reset could find another. */
function drain(src: ExperienceSource): [number, number, boolean][] {
  const out: [number, number, boolean][] = [];
  let inEpisode = false;
  while (src.ready()) {
    if (!inEpisode) (src.begin(), (inEpisode = true));
    const { batch: b, row, next, forcedTruncation } = src.take();
    const done = (b.flags[row]! & (FLAG.terminated | FLAG.truncated)) !== 0 || forcedTruncation;
    out.push([b.obs[row]!, next.data[next.row]!, done]);
    if (done) inEpisode = false;
  }
  return out;
}

describe('wire format', () => {
  it('round-trips a transitions batch and stores next observations only at episode and lane ends', () => {
    const b = batch(100, 4, [1], true);
    expect(Array.from(b.obs)).toEqual([100, 101, 102, 103]);
    expect(Array.from(b.nextIndex)).toEqual([-1, 0, -1, 1]);
    expect(Array.from(b.nextObs)).toEqual([-1, 104]);
    expect(Array.from(b.priorities!)).toEqual([0, 0.1, 0.2, 0.3].map((x) => Math.fround(x)));
    expect([b.seq, b.version, b.episodes.count, b.episodes.returns[0], b.episodes.lengths[0], b.episodes.ends[0]]).toEqual([100, 3, 1, 7, 8, FLAG.terminated]);
  });

  it('refuses a buffer it did not write, or one cut short, with CorruptFile', () => {
    const w = new TransitionWriter({ obsDim: 2, actDim: 1, lanes: 1, laneLength: 2, priorities: false });
    w.setNextObs(1, [0, 0]);
    const buf = w.finish(0, 0);
    expect(() => decodeMessage(new Uint8Array(buf).slice(0, buf.byteLength - 8), 'x')).toThrow(CorruptFile);
    expect(() => decodeMessage(new Uint8Array(80), 'x')).toThrow(/magic/);
    const noNext = new TransitionWriter({ obsDim: 2, actDim: 1, lanes: 1, laneLength: 2, priorities: false }).finish(0, 0);
    expect(() => decodeMessage(noNext, 'x')).toThrow(/lanes end with a next observation/);
  });

  it('round-trips weights by net and tensor name', () => {
    const nets = { q: [{ name: '0/dense/kernel', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, { name: '0/dense/bias', shape: [3], data: Float32Array.from([7, 8, 9]) }] };
    const w = decodeMessage(new Uint8Array(encodeWeights(nets, 12, 3400)), 'w');
    expect(w.kind === 'weights' && [w.version, w.step, w.nets['q']!.map((p) => [p.name, p.shape, Array.from(p.data)])]).toEqual([12, 3400, nets.q.map((p) => [p.name, p.shape, Array.from(p.data)])]);
  });
});

describe('ExperienceSource', () => {
  it('serves a row only once the next has arrived, and one episode of one stream at a time', () => {
    const src = new ExperienceSource(1, 1);
    src.push('a', batch(0, 3)); // a: 0 1 2 (mid-episode)
    src.push('b', batch(0, 2, [1])); // b: 0 1| (ends)
    // a's episode starts first; its last row waits for a's next batch, so only two rows are servable.
    expect(drain(src)).toEqual([[0, 1, false], [1, 2, false]]);
    src.push('a', batch(3, 2, [0])); // a: 3| 4
    expect(drain(src)).toEqual([[2, 3, false], [3, -1, true], [0, 1, false], [1, -1, true]]);
    expect(src.stats.transitions).toBe(6);
  });

  it("closes a dead actor's episode at its last row (truncated) and goes on with the others", () => {
    const src = new ExperienceSource(1, 1);
    src.push('a', batch(0, 2));
    src.push('b', batch(0, 2, [1]));
    expect(drain(src)).toEqual([[0, 1, false]]);
    src.markDead('a');
    expect(drain(src).map((r) => r[0])).toEqual([1, 0]); // b's last row ends its episode: it waits for something to reset to
    expect(src.stats.abandoned).toBe(1);
  });

  it('skips rows a restored cursor has served, so a redelivered message counts once', () => {
    const first = new ExperienceSource(1, 1);
    first.push('a', batch(0, 4, [3]), 'm1');
    first.begin();
    first.take();
    first.take();
    const cursor = first.cursorNow();
    expect(cursor).toEqual({ 'a#0': 2 });
    const again = new ExperienceSource(1, 1, cursor);
    again.push('a', batch(0, 4, [3]), 'm1');
    again.push('b', batch(50, 2)); // something to reset to after a's episode
    expect(drain(again).map((r) => r[0])).toEqual([2, 3, 50]);
    expect(again.stats.skipped).toBe(2);
    expect(again.released).toEqual(['m1']);
  });

  it('closes the episode in flight where a stream lost rows', () => {
    const src = new ExperienceSource(1, 1);
    src.push('a', batch(0, 2));
    src.push('a', batch(10, 2, [1]));
    src.push('b', batch(50, 2));
    expect(drain(src)).toEqual([[0, 1, false], [1, 2, true], [10, 11, false], [11, -1, true], [50, 51, false]]);
    expect(src.stats.gaps).toBe(1);
  });
});
