import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rethrowFsError } from '../../../core/node/checkpoint/fs-errors.js';
import { lockRun } from '../../../agents/runs/lock.js';
import { createRun, resolveRun, runLabel, runPaths, timestamp } from '../../../agents/runs/run-folder.js';
import { InvalidConfig } from '../../../core/errors.js';

const holder = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-runs-folder-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('run folders', () => {
  it('creates <algo>-<env>-<timestamp>/ with checkpoints/ and config.json, never sharing a folder', async () => {
    const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(timestamp(date)).toBe('20260102-030405');
    const a = await createRun(join(root, 'runs'), 'dqn', './examples/corridor.ts:Corridor', { lr: 1 }, date);
    const b = await createRun(join(root, 'runs'), 'dqn', './examples/corridor.ts:Corridor', { lr: 2 }, date);
    expect([a.name, b.name]).toEqual(['dqn-Corridor-20260102-030405', 'dqn-Corridor-20260102-030405-2']);
    expect(JSON.parse(await readFile(b.config, 'utf8'))).toEqual({ lr: 2 });
    expect(existsSync(a.checkpoints)).toBe(true);
    expect(runPaths(a.dir)).toEqual(a);
    expect(runLabel('acme/Grid World-v0')).toBe('acme_Grid_World-v0');
  });

  it('gives one-line InvalidConfig errors when --out is a file or sits under a file', async () => {
    await writeFile(join(root, 'out'), 'x');
    const err = await createRun(join(root, 'out'), 'dqn', 'CartPole-v1', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidConfig);
    expect((err as Error).message).toMatch(new RegExp(`^Expected the runs folder at ${join(root, 'out')} to be a folder, got a file in the way \\((EEXIST|ENOTDIR)\\)\\. Choose another folder \\(--out\\)\\.$`));
    const under = await createRun(join(root, 'out', 'runs'), 'dqn', 'CartPole-v1', {}).catch((e: unknown) => e);
    expect(under).toBeInstanceOf(InvalidConfig);
    expect((under as Error).message).toContain('got a file in the way (ENOTDIR)');
  });

  it('maps permission errors to one line and passes other errors through', () => {
    const denied = Object.assign(new Error('EACCES: permission denied, mkdir'), { code: 'EACCES' });
    expect(() => rethrowFsError(denied, 'the runs folder', 'runs')).toThrow(
      new InvalidConfig('Expected the runs folder at runs to be writable, got permission denied (EACCES). Choose another folder (--out).'),
    );
    const other = Object.assign(new Error('disk on fire'), { code: 'EIO' });
    expect(() => rethrowFsError(other, 'the runs folder', 'runs')).toThrow(other);
  });

  it('resolves a run from its path, its name under the runs root, or a checkpoint inside it', async () => {
    const run = await createRun(join(root, 'runs'), 'dqn', 'CartPole-v1', {});
    expect((await resolveRun(run.dir)).dir).toBe(run.dir);
    expect((await resolveRun(run.name, join(root, 'runs'))).dir).toBe(run.dir);
    await mkdir(join(run.checkpoints, '100'));
    expect((await resolveRun(join(run.checkpoints, '100'))).dir).toBe(run.dir);
    await expect(resolveRun('nope', join(root, 'runs'))).rejects.toThrow(`Expected a run folder (with config.json), got "nope". Recent runs in ${join(root, 'runs')}/: ${run.name}.`);
  });
});

describe('lockRun', () => {
  it('refuses a second writer, naming the holder, and can be taken again after release', async () => {
    const lock = await lockRun(root, { command: 'rxgym train dqn CartPole-v1' });
    expect(lock.note).toBeNull();
    expect(JSON.parse(await readFile(join(root, 'run.lock'), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), command: 'rxgym train dqn CartPole-v1' });
    const err = await lockRun(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidConfig);
    expect((err as Error).message).toBe(
      `Expected no other process writing to this run, got ${join(root, 'run.lock')} held by pid ${process.pid} on ${hostname()} since ${lock.info.startedAt} (rxgym train dqn CartPole-v1). Wait for it to finish or stop it, then retry.`,
    );
    await lock.release();
    expect(existsSync(join(root, 'run.lock'))).toBe(false);
    const again = await lockRun(root);
    await again.release();
    await again.release();
  });

  it('refuses while another live process holds it, and takes it over once that process is killed', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', holder, root, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      await expect(lockRun(root)).rejects.toThrow(`held by pid ${child.pid} on ${hostname()} since`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const lock = await lockRun(root);
    expect(lock.note).toContain(`Took over a stale ${join(root, 'run.lock')}: its holder, pid ${child.pid} on ${hostname()}`);
    expect(lock.note).toContain('is no longer running');
    expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('is removed when its process exits normally without releasing', async () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', holder, root, 'exit'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toBe('locked\n');
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses a lock of another host (its process cannot be checked) and says how to proceed', async () => {
    await writeFile(join(root, 'run.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: '2026-01-01T00:00:00.000Z', command: 'rxgym train' }));
    await expect(lockRun(root)).rejects.toThrow(`held by pid 1 on elsewhere since 2026-01-01T00:00:00.000Z (rxgym train). Wait for it to finish or stop it (on elsewhere); if it is gone, delete ${join(root, 'run.lock')}, then retry.`);
  });

  it('treats an unreadable lock as being written unless it is old, then takes it over', async () => {
    await writeFile(join(root, 'run.lock'), '');
    await expect(lockRun(root)).rejects.toThrow('got a lock being written right now. Retry in a few seconds.');
    const old = new Date(Date.now() - 60_000);
    await utimes(join(root, 'run.lock'), old, old);
    const lock = await lockRun(root);
    expect(lock.note).toContain('it was unreadable (0 bytes)');
    await lock.release();
  });

  it('does not remove a lock that another process has taken meanwhile', async () => {
    const lock = await lockRun(root);
    const theirs = JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'now', command: 'x' });
    await writeFile(lock.path, theirs);
    await lock.release();
    expect(await readFile(lock.path, 'utf8')).toBe(theirs);
  });
});
