// A kill at every point of a re-save (a real SIGKILL in a child process) leaves one complete checkpoint, old or
// new, that the finders locate, with a fall-back reason when the real name was empty at that moment.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_STAGES, readCheckpoint, writeCheckpoint } from '../../../core/node/checkpoint/checkpoint.js';
import { findCheckpoint, openCheckpoint } from '../../../agents/runs/find.js';
import { makeContent, markerOf } from './helpers.js';

const script = fileURLToPath(new URL('./fixtures/kill-writer.ts', import.meta.url));
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-runs-crash-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function killedWrite(dir: string, stage: string, step: number, marker: number): { status: number | null; signal: string | null; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, dir, stage, String(step), String(marker)], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout };
}

describe('a kill during a re-save of final/', () => {
  it.each(CHECKPOINT_STAGES)('killed after "%s": a complete old or new copy is found, and the next write cleans up', async (stage) => {
    const run = join(root, stage);
    const final = join(run, 'final');
    await writeCheckpoint(join(run, 'checkpoints', '50'), makeContent(50, 9));
    await writeCheckpoint(final, makeContent(100, 1));
    const child = killedWrite(final, stage, 200, 2);
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).toBe('');

    // Until the new copy is renamed in, the old one must be what readers get; afterwards the new one.
    const newIsIn = stage === 'swap' || stage === 'cleanup';
    const found = await findCheckpoint(run, 'final');
    const opened = await openCheckpoint(run, 'final');
    expect(markerOf(opened.checkpoint)).toBe(newIsIn ? 2 : 1);
    expect(opened.checkpoint.step).toBe(newIsIn ? 200 : 100);
    expect(found.dir).toBe(opened.checkpoint.dir);
    if (stage === 'backup') {
      // The real name is empty: the previous copy is used and the caller is told why.
      expect(found.dir).toBe(join(run, '.final.previous'));
      expect(found.fellBack?.from).toBe(final);
      expect(found.fellBack?.reason).toContain('a re-save was interrupted');
      expect(opened.fellBack?.from).toBe(final);
    } else {
      expect(found.dir).toBe(final);
      expect(found.fellBack).toBeUndefined();
    }
    // A checkpoint given directly (not the run) falls back the same way.
    expect(markerOf((await openCheckpoint(final)).checkpoint)).toBe(newIsIn ? 2 : 1);

    // The dead writer's temp folder and any previous copy are gone after the next write.
    await writeCheckpoint(final, makeContent(300, 3));
    expect(markerOf(await readCheckpoint(final))).toBe(3);
    expect((await readdir(run)).sort()).toEqual(['checkpoints', 'final']);
  });

  it('a write that is not killed completes (the fixture itself works)', async () => {
    const final = join(root, 'whole', 'final');
    await writeCheckpoint(final, makeContent(100, 1));
    const child = killedWrite(final, 'never', 200, 2);
    expect([child.status, child.stdout]).toEqual([0, 'completed\n']);
    expect(markerOf(await readCheckpoint(final))).toBe(2);
    expect(existsSync(join(root, 'whole', '.final.previous'))).toBe(false);
  });
});
