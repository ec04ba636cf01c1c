import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_STAGES, cleanLeftovers, readCheckpoint, writeCheckpoint, type CheckpointContent } from '../../../core/node/checkpoint/checkpoint.js';
import { openCheckpoint } from '../../../agents/runs/find.js';
import { CorruptFile, InvalidConfig } from '../../../core/errors.js';
import { arr, makeContent, markerOf, tamper } from './helpers.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-runs-ckpt-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function corruptError(dir: string): Promise<CorruptFile> {
  const err = await readCheckpoint(dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CorruptFile);
  return err as CorruptFile;
}

describe('writeCheckpoint / readCheckpoint round trip', () => {
  it('gives back every field: nets, optimisers, rngs, counters, config, env state, selection', async () => {
    const dir = join(root, 'checkpoints', '1000');
    const content = makeContent(1000, 3);
    const manifest = await writeCheckpoint(dir, content);
    expect(manifest.files.map((f) => f.path)).toEqual(['state.json', 'tensors.bin']);
    const back = await readCheckpoint(dir);
    expect(back.dir).toBe(dir);
    expect(back.createdAt).toBe(manifest.createdAt);
    const { dir: _d, createdAt: _c, ...rest } = back;
    expect(rest).toEqual({ ...content, selection: content.selection, replay: false });
    // Float32Array contents compare exactly, including negative and fractional values.
    expect(Array.from(back.optimizers.q!.slots[1]!.data)).toEqual(Array.from(content.optimizers.q!.slots[1]!.data));
    expect(back.nets.target![1]!.data).toBeInstanceOf(Float32Array);
    expect(back.selection!.nets.q![0]!.data[0]).toBe(-3);
  });

  it('keeps absent optional fields absent: no env state, no selection', async () => {
    const dir = join(root, 'c');
    const content = makeContent(5);
    delete content.env.state;
    delete content.selection;
    await writeCheckpoint(dir, content);
    const back = await readCheckpoint(dir);
    expect('state' in back.env).toBe(false);
    expect(back.selection).toBeNull();
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')).env).not.toHaveProperty('state');
  });

  it('lays tensors end to end in tensors.bin with byte offsets in state.json', async () => {
    const dir = join(root, 'c');
    await writeCheckpoint(dir, makeContent(1));
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(state.format).toBe('rxgym-checkpoint-state');
    expect(state.nets.q).toEqual([
      { name: '0/dense/kernel', shape: [4, 3], offset: 0, length: 12 },
      { name: '0/dense/bias', shape: [3], offset: 48, length: 3 },
    ]);
    const bin = await readFile(join(dir, 'tensors.bin'));
    // 12+3 (q) + 12+3 (target) + 15+15 (q's Adam slots) + 12+3 (selection) floats.
    expect(bin.byteLength).toBe(75 * 4);
    expect(bin.readFloatLE(48)).toBe(1.5);
  });

  it('adds writeExtra files to the manifest and checks them when reading', async () => {
    const dir = join(root, 'c');
    await writeCheckpoint(dir, { ...makeContent(7), replay: true }, {
      writeExtra: async (tmp) => {
        await mkdir(join(tmp, 'replay'));
        await writeFile(join(tmp, 'replay', 'obs.bin'), new Uint8Array(16).fill(1));
      },
    });
    expect((await readCheckpoint(dir)).replay).toBe(true);
    await writeFile(join(dir, 'replay', 'obs.bin'), new Uint8Array(16).fill(2));
    const err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'replay', 'obs.bin'));
    expect(err.message).toMatch(/to have SHA-256 .*, got .*\(corrupt\)/);
  });

  it('rejects malformed content with InvalidConfig naming the field', async () => {
    const dir = join(root, 'c');
    const bad = (patch: (c: CheckpointContent) => void): Promise<unknown> => {
      const c = makeContent(1);
      patch(c);
      return writeCheckpoint(dir, c).catch((e: unknown) => e);
    };
    const cases: [(c: CheckpointContent) => void, string][] = [
      [(c) => (c.step = -1), 'Expected checkpoint step to be a non-negative integer, got -1.'],
      [(c) => (c.nets.q![1] = { name: 'b', shape: [4], data: new Float32Array(3) }), 'Expected checkpoint nets.q[1] ("b") to have 4 floats for shape [4], got 3.'],
      [(c) => (c.nets.q![1] = arr('0/dense/kernel', [2], 0)), 'Expected unique names in checkpoint nets.q, got "0/dense/kernel" twice.'],
      [(c) => (c.counters.lastLoss = Number.NaN), 'Expected checkpoint counters.lastLoss to be JSON (a finite number), got NaN.'],
      [(c) => (c.rngs.act = [0, 0, 0, 0]), 'Expected checkpoint rngs.act to be four unsigned 32-bit integers, not all zero, got [0, 0, 0, 0].'],
      [(c) => (c.optimizers.q!.steps = 1.5), 'Expected checkpoint optimizers.q to be { steps: non-negative integer, slots }'],
      [(c) => (c.config = { f: () => 1 }), 'Expected checkpoint config.f to be JSON'],
      [(c) => (c.selection = { bestScore: -Infinity, bestStep: 0, nets: {} }), 'Expected checkpoint selection to have a finite bestScore'],
    ];
    for (const [patch, message] of cases) {
      const err = await bad(patch);
      expect(err).toBeInstanceOf(InvalidConfig);
      expect((err as Error).message).toContain(message);
    }
    expect(existsSync(dir)).toBe(false);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('readCheckpoint: every damaged file is a CorruptFile naming it', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(root, 'checkpoints', '100');
    await writeCheckpoint(dir, makeContent(100));
  });

  it('a missing manifest: the save was interrupted', async () => {
    await rm(join(dir, 'manifest.json'));
    const err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'manifest.json'));
    expect(err.message).toContain('got none: the checkpoint is incomplete');
  });

  it('a manifest that is not JSON, null, or of another version', async () => {
    await writeFile(join(dir, 'manifest.json'), '{"format":');
    expect((await corruptError(dir)).message).toContain('to be JSON, got 10 bytes that do not parse');
    await writeFile(join(dir, 'manifest.json'), 'null');
    expect((await corruptError(dir)).message).toContain('to be an rxgym checkpoint manifest (format "rxgym-checkpoint"), got null.');
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ format: 'rxgym-checkpoint', version: 1, step: 100, files: [] }));
    const err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'manifest.json'));
    expect(err.message).toContain('Expected checkpoint format version 2');
    expect(err.message).toContain('got 1 (written by an older rxgym');
  });

  it('a truncated tensors.bin (size), and a same-size change (hash)', async () => {
    await truncate(join(dir, 'tensors.bin'), 10);
    let err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'tensors.bin'));
    expect(err.message).toContain('to have 300 bytes, got 10 (truncated or overwritten)');
    await writeFile(join(dir, 'tensors.bin'), new Uint8Array(300));
    err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'tensors.bin'));
    expect(err.message).toContain('(corrupt)');
  });

  it('an altered or deleted state.json', async () => {
    const text = await readFile(join(dir, 'state.json'), 'utf8');
    await writeFile(join(dir, 'state.json'), text.replace('"step": 100', '"step": 900'));
    expect((await corruptError(dir)).path).toBe(join(dir, 'state.json'));
    await rm(join(dir, 'state.json'));
    const err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'state.json'));
    expect(err.message).toContain('got no such file');
  });

  it('a state.json that passes the hash but is not JSON, is null, or has another format', async () => {
    await tamper(dir, 'state.json', '{"algo": "dq');
    let err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'state.json'));
    expect(err.message).toContain('to be JSON, got 12 bytes that do not parse');
    await tamper(dir, 'state.json', 'null');
    err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'state.json'));
    expect(err.message).toContain('Expected a checkpoint state object in');
    expect(err.message).toContain('got null');
    await tamper(dir, 'state.json', JSON.stringify({ format: 'rxgym-checkpoint-state', version: 7 }));
    expect((await corruptError(dir)).message).toContain('Expected format "rxgym-checkpoint-state" version 2 in');
  });

  it('a tensor index that does not fit tensors.bin names tensors.bin; a malformed ref names state.json', async () => {
    await tamper(dir, 'tensors.bin', new Uint8Array(40));
    let err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'tensors.bin'));
    expect(err.message).toContain('Expected tensor "0/dense/kernel" (nets.q, 12 floats at byte 0) to fit in');
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    state.nets.q[0].shape = [5, 3];
    await tamper(dir, 'state.json', JSON.stringify(state));
    err = await corruptError(dir);
    expect(err.path).toBe(join(dir, 'state.json'));
    expect(err.message).toContain('Expected nets.q[0] in');
  });
});

describe('re-saving an existing checkpoint', () => {
  it('replaces it with the new content and leaves no temp or previous copy', async () => {
    const dir = join(root, 'final');
    await writeCheckpoint(dir, makeContent(100, 1), {
      writeExtra: async (tmp) => writeFile(join(tmp, 'old-only.bin'), 'x'),
    });
    await writeCheckpoint(dir, makeContent(200, 2));
    const back = await readCheckpoint(dir);
    expect([back.step, markerOf(back)]).toEqual([200, 2]);
    expect(existsSync(join(dir, 'old-only.bin'))).toBe(false);
    expect(await readdir(root)).toEqual(['final']);
  });

  it('a failure at any stage leaves one complete checkpoint, old or new, and the next write cleans up', async () => {
    for (const stage of CHECKPOINT_STAGES) {
      const dir = join(root, stage, 'final');
      await writeCheckpoint(dir, makeContent(100, 1));
      const err = await writeCheckpoint(dir, makeContent(200, 2), {
        faultAt: (s) => {
          if (s === stage) throw new Error(`fault at ${s}`);
        },
      }).catch((e: unknown) => e);
      expect((err as Error).message).toBe(`fault at ${stage}`);
      const { checkpoint, fellBack } = await openCheckpoint(dir);
      const expected = ['swap', 'cleanup'].includes(stage) ? 2 : 1;
      expect([stage, markerOf(checkpoint)]).toEqual([stage, expected]);
      // A thrown failure (unlike a kill) puts the old copy back under the real name itself.
      expect([stage, checkpoint.dir, fellBack]).toEqual([stage, dir, undefined]);
      await writeCheckpoint(dir, makeContent(300, 3));
      expect(markerOf(await readCheckpoint(dir))).toBe(3);
      expect([stage, await readdir(join(root, stage))]).toEqual([stage, ['final']]);
    }
  });

  it('refuses to overwrite a file or a folder that is not a checkpoint', async () => {
    await writeFile(join(root, 'model'), 'my notes');
    await expect(writeCheckpoint(join(root, 'model'), makeContent(1))).rejects.toThrow(new InvalidConfig(`Expected a checkpoint folder at ${join(root, 'model')}, got a file. Choose another path.`));
    await mkdir(join(root, 'project'));
    await writeFile(join(root, 'project', 'README.md'), '# mine');
    await expect(writeCheckpoint(join(root, 'project'), makeContent(1))).rejects.toThrow(
      `Expected ${join(root, 'project')} to be a checkpoint folder or absent, got a folder of other files (["README.md"]). Choose another path: it is not overwritten.`,
    );
    expect(await readFile(join(root, 'model'), 'utf8')).toBe('my notes');
    expect(await readdir(join(root, 'project'))).toEqual(['README.md']);
    expect((await readdir(root)).sort()).toEqual(['model', 'project']);
  });

  it('cleans temp folders of dead writers but keeps those of live ones', async () => {
    const dead = join(root, '.final.tmp-999999999-3');
    const live = join(root, `.other.tmp-${process.ppid}-1`);
    const staleFile = join(root, '.config.json.tmp-999999999-8');
    await mkdir(dead);
    await writeFile(join(dead, 'tensors.bin'), 'partial');
    await mkdir(live);
    await writeFile(staleFile, '{');
    await writeCheckpoint(join(root, 'final'), makeContent(1));
    expect((await readdir(root)).sort()).toEqual([`.other.tmp-${process.ppid}-1`, 'final']);
    expect((await cleanLeftovers(root)).removed).toEqual([]);
  });
});
