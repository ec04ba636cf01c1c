import { mkdtemp, readFile, rm, truncate, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptFile } from '../../core/errors.js';
import {
  MANIFEST,
  decodeArrays,
  encodeArrays,
  latestCheckpoint,
  readManifest,
  verifyCheckpoint,
  writeCheckpoint,
} from '../../agents/checkpoint.js';
import { linearSchedule } from '../../core/schedules.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-ckpt-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeCheckpoint / verifyCheckpoint', () => {
  it('writes the files, then a manifest with sizes and checksums that verifies', async () => {
    const dir = join(root, 'checkpoints', '100');
    const blob = new Uint8Array([1, 2, 3, 4, 5]);
    const manifest = await writeCheckpoint(dir, 100, { 'state.json': '{"a":1}', 'q.bin': blob }, {
      writeExtra: async (d) => {
        await mkdir(join(d, 'replay'));
        await writeFile(join(d, 'replay', 'obs.bin'), new Uint8Array(16));
      },
    });
    expect(manifest.step).toBe(100);
    expect(manifest.files.map((f) => f.path)).toEqual(['q.bin', 'replay/obs.bin', 'state.json']);
    expect(manifest.files.find((f) => f.path === 'q.bin')!.bytes).toBe(5);
    const read = await verifyCheckpoint(dir);
    expect(read.files).toHaveLength(3);
    expect(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')).format).toBe('rxgym-checkpoint');
  });

  it('names the truncated file in a CorruptFile error', async () => {
    const dir = join(root, 'c');
    await writeCheckpoint(dir, 5, { 'q.bin': new Uint8Array(64), 'state.json': '{}' });
    await truncate(join(dir, 'q.bin'), 10);
    const err = await verifyCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as CorruptFile).path).toBe(join(dir, 'q.bin'));
    expect((err as Error).message).toContain(`Expected checkpoint file ${join(dir, 'q.bin')} to have 64 bytes, got 10`);
  });

  it('detects a same-size change through the checksum', async () => {
    const dir = join(root, 'c');
    await writeCheckpoint(dir, 5, { 'q.bin': new Uint8Array(8) });
    await writeFile(join(dir, 'q.bin'), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]));
    await expect(verifyCheckpoint(dir)).rejects.toThrow(/to have SHA-256 .* got .*\(corrupt\)/);
  });

  it('treats a directory without manifest as incomplete', async () => {
    const dir = join(root, 'c');
    await mkdir(dir);
    await writeFile(join(dir, 'q.bin'), 'x');
    const err = await readManifest(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as Error).message).toContain('Expected a checkpoint manifest at');
    expect((err as Error).message).toContain('the checkpoint is incomplete');
  });

  it('rewriting a checkpoint removes stale files and leaves no temp files', async () => {
    const dir = join(root, 'final');
    await writeCheckpoint(dir, 1, { 'a.bin': new Uint8Array(4), 'old.bin': new Uint8Array(4) });
    await writeCheckpoint(dir, 2, { 'a.bin': new Uint8Array(8) });
    const m = await verifyCheckpoint(dir);
    expect(m.step).toBe(2);
    expect(m.files.map((f) => f.path)).toEqual(['a.bin']);
    expect(existsSync(join(dir, 'old.bin'))).toBe(false);
  });
});

describe('latestCheckpoint', () => {
  it('skips a crashed save (no manifest, or a truncated file) and picks the previous complete one', async () => {
    const cps = join(root, 'checkpoints');
    await writeCheckpoint(join(cps, '1000'), 1000, { 'q.bin': new Uint8Array(32) });
    await writeCheckpoint(join(cps, '2000'), 2000, { 'q.bin': new Uint8Array(32) });
    // A save killed before its manifest: files present, no manifest.
    await mkdir(join(cps, '4000'));
    await writeFile(join(cps, '4000', 'q.bin'), new Uint8Array(32));
    // A save whose file was cut short after the manifest went out (disk full, copy gone wrong).
    await writeCheckpoint(join(cps, '3000'), 3000, { 'q.bin': new Uint8Array(32) });
    await truncate(join(cps, '3000', 'q.bin'), 3);
    const skipped: string[] = [];
    const found = await latestCheckpoint(cps, (dir, err) => skipped.push(`${dir}: ${err.path}`));
    expect(found?.step).toBe(2000);
    expect(skipped).toEqual([`${join(cps, '4000')}: ${join(cps, '4000', MANIFEST)}`, `${join(cps, '3000')}: ${join(cps, '3000', 'q.bin')}`]);
    // Nothing was deleted: the partial checkpoints stay for inspection.
    expect(existsSync(join(cps, '4000', 'q.bin'))).toBe(true);
  });

  it('returns null when there is no checkpoint', async () => {
    expect(await latestCheckpoint(join(root, 'none'))).toBeNull();
  });
});

describe('encodeArrays / decodeArrays', () => {
  it('round-trips named float arrays', () => {
    const arrays = [
      { name: 'w0', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'b0', shape: [3], data: Float32Array.from([-1, 0.5, 7]) },
    ];
    const { index, data } = encodeArrays(arrays);
    expect(decodeArrays(index, data, 'x.bin')).toEqual(arrays);
  });

  it('rejects an index that does not fit the blob', () => {
    const { index, data } = encodeArrays([{ name: 'w', shape: [4], data: new Float32Array(4) }]);
    expect(() => decodeArrays(index, data.slice(0, 8), 'q.bin')).toThrow(
      'Expected array "w" (shape [4]) to fit in q.bin (2 floats), got offset 0 length 4.',
    );
  });
});

describe('linearSchedule', () => {
  it('goes from start to end over duration steps and stays there', () => {
    const s = linearSchedule(1, 0.05, 100);
    expect(s(0)).toBe(1);
    expect(s(50)).toBeCloseTo(0.525);
    expect(s(100)).toBe(0.05);
    expect(s(10_000)).toBe(0.05);
    expect(linearSchedule(1, 0.1, 0)(0)).toBe(0.1);
  });

  it('rejects a negative duration', () => {
    expect(() => linearSchedule(1, 0, -1)).toThrow('Expected linearSchedule duration to be a number of steps >= 0, got -1.');
  });
});
