import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../../core/node/checkpoint/checkpoint.js';
import { findCheckpoint, listCheckpoints, openCheckpoint, pruneCheckpoints } from '../../../agents/runs/find.js';
import { CorruptFile, InvalidConfig } from '../../../core/errors.js';
import { makeContent, markerOf } from './helpers.js';

let root: string;
let run: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-runs-find-'));
  run = join(root, 'dqn-CartPole-v1-20260101-000000');
  await mkdir(join(run, 'checkpoints'), { recursive: true });
  await writeFile(join(run, 'config.json'), '{}');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ckpt = (step: number): string => join(run, 'checkpoints', String(step));
async function writeSteps(...steps: number[]): Promise<void> {
  for (const s of steps) await writeCheckpoint(ckpt(s), makeContent(s, s));
}

describe('findCheckpoint', () => {
  it('prefers final/ or the newest checkpoint, as asked, without a fall-back note', async () => {
    await writeSteps(100, 300, 200);
    await writeCheckpoint(join(run, 'final'), makeContent(300, 7));
    expect(await findCheckpoint(run, 'final')).toEqual({ dir: join(run, 'final'), skipped: [] });
    expect(await findCheckpoint(run, 'latest')).toEqual({ dir: ckpt(300), skipped: [] });
    // A checkpoint folder itself is used as is.
    expect((await findCheckpoint(ckpt(100), 'final')).dir).toBe(ckpt(100));
  });

  it('falls back from a missing final/ (the run did not finish) to the newest checkpoint, and says why', async () => {
    await writeSteps(100, 200);
    const found = await findCheckpoint(run, 'final');
    expect(found.dir).toBe(ckpt(200));
    expect(found.fellBack).toEqual({ from: join(run, 'final'), reason: `Expected a checkpoint at ${join(run, 'final')}, got none.` });
  });

  it('falls back from a truncated newest checkpoint to the one before, naming the damaged file', async () => {
    await writeSteps(100, 200);
    await truncate(join(ckpt(200), 'tensors.bin'), 3);
    const found = await findCheckpoint(run, 'latest');
    expect(found.dir).toBe(ckpt(100));
    expect(found.fellBack?.from).toBe(ckpt(200));
    expect(found.fellBack?.reason).toBe(`Expected checkpoint file ${join(ckpt(200), 'tensors.bin')} to have 300 bytes, got 3 (truncated or overwritten).`);
  });

  it('falls back from an incomplete checkpoint (no manifest) and from latest to final/ when no checkpoint is left', async () => {
    await writeSteps(100);
    await rm(join(ckpt(100), 'manifest.json'));
    await writeCheckpoint(join(run, 'final'), makeContent(100, 5));
    const found = await findCheckpoint(run, 'latest');
    expect(found.dir).toBe(join(run, 'final'));
    expect(found.fellBack?.from).toBe(ckpt(100));
    expect(found.fellBack?.reason).toContain('the checkpoint is incomplete');
  });

  it('throws CorruptFile listing every reason when nothing is complete, and InvalidConfig for no such path', async () => {
    await writeSteps(100);
    await rm(join(ckpt(100), 'manifest.json'));
    const err = await findCheckpoint(run, 'final').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as Error).message).toContain(`Expected a complete checkpoint under ${run}, got none.`);
    expect((err as Error).message).toContain('the checkpoint is incomplete');
    const missing = await findCheckpoint(join(root, 'nope')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InvalidConfig);
    expect((missing as Error).message).toBe(`Expected a checkpoint folder or a run folder, got "${join(root, 'nope')}" (no such folder).`);
    await writeFile(join(root, 'file'), 'x');
    await expect(findCheckpoint(join(root, 'file'))).rejects.toThrow(`Expected a checkpoint folder or a run folder at ${join(root, 'file')}, got a file.`);
  });
});

describe('openCheckpoint', () => {
  it('reads the preferred checkpoint, verifying it once, and falls back when its hash does not match', async () => {
    await writeSteps(100, 200);
    expect(markerOf((await openCheckpoint(run, 'latest')).checkpoint)).toBe(200);
    // Same size, other bytes: only the hash check sees it.
    await writeFile(join(ckpt(200), 'tensors.bin'), new Uint8Array(300));
    expect((await findCheckpoint(run, 'latest')).dir).toBe(ckpt(200));
    const opened = await openCheckpoint(run, 'latest');
    expect(markerOf(opened.checkpoint)).toBe(100);
    expect(opened.fellBack?.from).toBe(ckpt(200));
    expect(opened.fellBack?.reason).toContain('(corrupt)');
  });

  it('uses a stranded previous copy of a checkpoint step and says a re-save was interrupted', async () => {
    await writeSteps(100, 200);
    await cp(ckpt(200), join(run, 'checkpoints', '.200.previous'), { recursive: true });
    await rm(ckpt(200), { recursive: true });
    const opened = await openCheckpoint(run, 'latest');
    expect(opened.checkpoint.dir).toBe(join(run, 'checkpoints', '.200.previous'));
    expect(opened.checkpoint.step).toBe(200);
    expect(opened.fellBack?.reason).toContain('a re-save was interrupted');
  });
});

describe('listCheckpoints and pruneCheckpoints', () => {
  it('lists steps in order with their completeness', async () => {
    await writeSteps(20, 3, 100);
    await rm(join(ckpt(3), 'manifest.json'));
    await mkdir(join(run, 'checkpoints', 'notes'));
    const list = await listCheckpoints(run);
    expect(list.map((e) => [e.step, e.complete, e.backup])).toEqual([
      [3, false, false],
      [20, true, false],
      [100, true, false],
    ]);
    expect(list[0]!.reason).toContain('the checkpoint is incomplete');
    expect(await listCheckpoints(join(root, 'empty'))).toEqual([]);
  });

  it('keeps the last K complete steps and deletes older ones, complete or not', async () => {
    await writeSteps(100, 200, 300, 400, 500);
    await rm(join(ckpt(200), 'manifest.json'));
    await rm(join(ckpt(400), 'manifest.json'));
    const { removed } = await pruneCheckpoints(run, 2);
    // Complete: 100, 300, 500. Keep 300 and 500; the incomplete 400 is newer than the cut and stays.
    expect(removed.sort()).toEqual([ckpt(100), ckpt(200)].sort());
    expect((await readdir(join(run, 'checkpoints'))).sort()).toEqual(['300', '400', '500']);
  });

  it('never deletes the newest complete checkpoint, even when everything newer is damaged', async () => {
    await writeSteps(100, 200);
    await truncate(join(ckpt(200), 'tensors.bin'), 1);
    await pruneCheckpoints(run, 1);
    expect(existsSync(ckpt(100))).toBe(true);
    expect(existsSync(ckpt(200))).toBe(true);
    await expect(pruneCheckpoints(run, 0)).rejects.toThrow('Expected the number of checkpoints to keep to be a positive integer, got 0.');
  });

  it('deletes a previous copy made redundant and temp leftovers of dead writers', async () => {
    await writeSteps(100);
    await cp(ckpt(100), join(run, 'checkpoints', '.100.previous'), { recursive: true });
    await mkdir(join(run, 'checkpoints', '.200.tmp-999999999-1'));
    await pruneCheckpoints(run, 3);
    expect(await readdir(join(run, 'checkpoints'))).toEqual(['100']);
  });
});
