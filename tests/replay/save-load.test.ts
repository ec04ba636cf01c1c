import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptFile, InvalidConfig, Rng, discrete } from '../../core/index.js';
import { PrioritizedReplayBuffer, ReplayBuffer, replayBufferFor } from '../../replay/index.js';
import { loadReplay, saveReplay } from '../../replay/node/index.js';
import { step } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxgym-replay-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function savedUniform(): Promise<ReplayBuffer<'discrete'>> {
  const buffer = new ReplayBuffer({ capacity: 6, obsDim: 3, actionKind: 'discrete', nStep: 2, gamma: 0.9 });
  for (let t = 0; t < 11; t++) buffer.addTransition(step(t, { dim: 3, terminated: t % 4 === 3 }));
  await saveReplay(buffer, dir);
  return buffer;
}

async function thrown(p: Promise<unknown>): Promise<CorruptFile> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CorruptFile);
    return err as CorruptFile;
  }
  throw new Error('Expected a CorruptFile, got none');
}

describe('save / load', () => {
  it('round-trips a wrapped-around uniform buffer (storage, position, discounts, sampling)', async () => {
    const buffer = await savedUniform();
    const loaded = await loadReplay<'discrete'>(dir, { actionKind: 'discrete', obsDim: 3 });
    expect(loaded.size).toBe(buffer.size);
    expect(loaded.position).toBe(buffer.position);
    expect(loaded.nStep).toBe(2);
    expect(loaded.gamma).toBe(0.9);
    for (const key of ['obs', 'actions', 'rewards', 'nextObs', 'terminated', 'truncated', 'discounts'] as const) {
      expect(Array.from(loaded[key]!)).toEqual(Array.from(buffer[key]!));
    }
    expect(Array.from(loaded.sample(4, new Rng(3)).obs)).toEqual(Array.from(buffer.sample(4, new Rng(3)).obs));
    // Temp files were renamed away.
    expect((await readdir(dir)).sort()).toEqual(
      ['actions.bin', 'discounts.bin', 'nextObs.bin', 'obs.bin', 'replay.json', 'rewards.bin', 'terminated.bin', 'truncated.bin'],
    );
  });

  it('round-trips a prioritized buffer with its priorities and an obs space', async () => {
    const buffer = new PrioritizedReplayBuffer({ capacity: 8, obsDim: 4, actionKind: 'discrete', obsSpace: discrete(4), alpha: 0.7, beta: 0.5 });
    for (let t = 0; t < 5; t++) buffer.add(t % 4, t % 2, t, (t + 1) % 4, false, false);
    buffer.updatePriorities([0, 2, 4], [3, 0.5, 7]);
    await saveReplay(buffer, dir);
    const loaded = await loadReplay<'discrete', number>(dir, { kind: 'prioritized' });
    expect(loaded.obsSpace).toEqual(discrete(4));
    expect([loaded.alpha, loaded.beta, loaded.epsilon]).toEqual([0.7, 0.5, buffer.epsilon]);
    expect(loaded.maxSeenPriority).toBe(buffer.maxSeenPriority);
    for (let i = 0; i < 5; i++) expect(loaded.priorityOf(i)).toBe(buffer.priorityOf(i));
    expect(loaded.totalPriority).toBeCloseTo(buffer.totalPriority, 12);
    const a = loaded.sample(4, new Rng(8));
    const b = buffer.sample(4, new Rng(8));
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    // New transitions continue with the saved max priority.
    loaded.add(1, 0, 0, 2, false, false);
    expect(loaded.priorityOf(5)).toBeCloseTo(7.000001 ** 0.7, 10);
  });

  it('saves only the stored rows of a partly filled buffer', async () => {
    const buffer = replayBufferFor(discrete(3), discrete(2), 1000);
    buffer.add(0, 1, 1, 2, true, false);
    await saveReplay(buffer, dir);
    expect((await readFile(join(dir, 'obs.bin'))).length).toBe(3 * 4);
    const loaded = await loadReplay(dir);
    expect(loaded.capacity).toBe(1000);
    expect(Array.from(loaded.obs.subarray(0, 3))).toEqual([1, 0, 0]);
  });

  it('throws CorruptFile naming a truncated .bin and the size it expected', async () => {
    await savedUniform();
    const path = join(dir, 'obs.bin');
    await truncate(path, 50);
    const err = await thrown(loadReplay(dir));
    expect(err.path).toBe(path);
    expect(err.message).toBe(
      `Expected ${path} to hold 72 bytes (18 float32 values of "obs"), got 50 bytes: the file is truncated or from another save.`,
    );
  });

  it('throws CorruptFile on a garbled header', async () => {
    await savedUniform();
    const path = join(dir, 'replay.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, 40) + '#' + text.slice(41));
    const err = await thrown(loadReplay(dir));
    expect(err.path).toBe(path);
    expect(err.message).toMatch(new RegExp(`^Expected ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} to be a JSON replay header, got unparseable text \\(.+\\): the file is corrupt; re-save the buffer\\.$`));
  });

  it('throws CorruptFile on a header with impossible values', async () => {
    await savedUniform();
    const path = join(dir, 'replay.json');
    const header = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...header, size: 99 }));
    const err = await thrown(loadReplay(dir));
    expect(err.message).toBe(`Expected ${path} "size" to be an integer in [0, 6], got 99.`);
  });

  it('throws CorruptFile when a .bin has the right size but different bytes (SHA-256 in the header)', async () => {
    await savedUniform();
    const path = join(dir, 'rewards.bin');
    const bytes = await readFile(path);
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(path, bytes);
    const err = await thrown(loadReplay(dir));
    expect(err.path).toBe(path);
    expect(err.message).toMatch(/^Expected .*rewards\.bin to have SHA-256 [0-9a-f]{64} \(from the header\), got [0-9a-f]{64}: the file is corrupt or from another save\.$/);
  });

  it('writes format version 2 with the SHA-256 of each binary', async () => {
    await savedUniform();
    const header = JSON.parse(await readFile(join(dir, 'replay.json'), 'utf8')) as { version: number; fields: Record<string, { sha256: string }> };
    expect(header.version).toBe(2);
    expect(header.fields['obs']!.sha256).toBe(createHash('sha256').update(await readFile(join(dir, 'obs.bin'))).digest('hex'));
  });

  it('still reads a version-1 folder checked with CRC-32, and rejects an altered one', async () => {
    const buffer = await savedUniform();
    const path = join(dir, 'replay.json');
    const header = JSON.parse(await readFile(path, 'utf8')) as { version: number; fields: Record<string, { file: string; sha256?: string; crc32?: number }> };
    for (const entry of Object.values(header.fields)) {
      entry.crc32 = crc32(await readFile(join(dir, entry.file)));
      delete entry.sha256;
    }
    await writeFile(path, JSON.stringify({ ...header, version: 1 }));
    const loaded = await loadReplay(dir);
    expect(Array.from(loaded.obs)).toEqual(Array.from(buffer.obs));
    const rewards = join(dir, 'rewards.bin');
    const bytes = await readFile(rewards);
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(rewards, bytes);
    expect((await thrown(loadReplay(dir))).message).toMatch(/^Expected .*rewards\.bin to have CRC-32 \d+ \(from the header\), got \d+/);
  });

  it('names a missing header, the wrong buffer kind and a mismatched expectation', async () => {
    const missing = await thrown(loadReplay(join(dir, 'nothing')));
    expect(missing.message).toMatch(/^Expected a replay header at .*nothing\/replay\.json, got none \(.*\): save a buffer there with saveReplay\(buffer, dir\) first\.$/);
    await savedUniform();
    const path = join(dir, 'replay.json');
    await expect(loadReplay(dir, { kind: 'prioritized' })).rejects.toThrow(new InvalidConfig(`Expected the saved buffer in ${path} to have kind "prioritized", got "uniform".`));
    await expect(loadReplay(dir, { obsDim: 4 })).rejects.toThrow(new InvalidConfig(`Expected the saved buffer in ${path} to have obsDim 4, got 3.`));
  });
});

describe('snapshot / fromSnapshot (no files: what a browser store would use)', () => {
  it('rebuilds a buffer from in-memory arrays, and each class refuses the other kind', async () => {
    const buffer = new ReplayBuffer({ capacity: 5, obsDim: 2, actionKind: 'discrete' });
    for (let t = 0; t < 7; t++) buffer.add([t, -t], t % 2, t, [t + 1, -t - 1], false, false);
    const { state, fields } = buffer.snapshot();
    expect(fields['obs']!.buffer).toBe(buffer.obs.buffer); // views, not copies
    const stored = JSON.parse(JSON.stringify(state)) as Record<string, unknown>;
    const source = {
      state: stored,
      where: 'memory',
      whereField: (name: string) => `memory:${name}`,
      readField: (name: string, target: Float32Array | Float64Array | Int32Array | Uint8Array) => target.set(fields[name]!),
    };
    const copy = await ReplayBuffer.fromSnapshot<'discrete'>(source);
    expect([copy.size, copy.position]).toEqual([5, 2]);
    expect(Array.from(copy.sample(3, new Rng(1)).obs)).toEqual(Array.from(buffer.sample(3, new Rng(1)).obs));
    const err = await thrown(PrioritizedReplayBuffer.fromSnapshot(source));
    expect(err.message).toBe('Expected memory to hold a prioritized replay buffer for PrioritizedReplayBuffer.fromSnapshot, got kind "uniform": restore it with the matching class (loadReplay picks it).');
  });
});
