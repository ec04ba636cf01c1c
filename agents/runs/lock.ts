/**
 * One writer per run folder. `run.lock` is created exclusively and names its holder (pid, host, start time,
 * command); a second writer is refused with that name, and a lock left by a crashed process on this host (its
 * pid no longer alive) is taken over with a note. The lock is removed by `release()` and on normal exit.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { InvalidConfig } from '../../core/errors.js';
import { errnoCode, rethrowFsError } from '../../core/node/checkpoint/fs-errors.js';

/** The file name of a run's lock. */
export const LOCK_FILE = 'run.lock';

/** What run.lock holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The command line of the holder, e.g. `rxgym train dqn CartPole-v1`. */
  command: string;
}

/** A held run lock. */
export interface RunLock {
  path: string;
  info: LockInfo;
  /** Set when a stale lock of a dead process was taken over: one line for the caller to print. */
  note: string | null;
  /** Removes the lock if it is still this one's (idempotent). */
  release(): Promise<void>;
}

// A lock file that does not parse is being written right now, unless it is older than this (ms).
const UNREADABLE_GRACE_MS = 10_000;

/**
 * Takes `runDir/run.lock`. Throws `InvalidConfig` naming the holder (pid, host, since when) when another live
 * process holds it, or when the folder cannot be written; takes over a stale lock and says so in `note`.
 */
export async function lockRun(runDir: string, options: { command?: string } = {}): Promise<RunLock> {
  const path = join(runDir, LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command: options.command ?? [basename(process.argv[1] ?? 'node'), ...process.argv.slice(2)].join(' '),
  };
  let note: string | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    let handle;
    try {
      handle = await open(path, 'wx');
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') rethrowFsError(err, 'the run folder', runDir, 'Check the path and its permissions.');
      const stale = await staleReason(path);
      if (stale === null) continue; // The lock vanished meanwhile: try again.
      if (!stale.stale) throw new InvalidConfig(stale.message);
      if (await takeOver(path, stale.text)) note = stale.message;
      continue;
    }
    try {
      await handle.writeFile(`${JSON.stringify(info)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return makeLock(path, info, note);
  }
  throw new InvalidConfig(`Expected to take ${path}, got contention with other processes five times in a row. Retry in a moment.`);
}

/** Reads the holder of an existing lock; null when the lock disappeared. */
async function staleReason(path: string): Promise<{ stale: boolean; message: string; text: string } | null> {
  let text: string;
  let mtimeMs: number;
  try {
    text = await readFile(path, 'utf8');
    mtimeMs = (await stat(path)).mtimeMs;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  const holder = parseLock(text);
  if (holder === null) {
    const old = Date.now() - mtimeMs > UNREADABLE_GRACE_MS;
    return old
      ? { stale: true, text, message: `Took over ${path}: it was unreadable (${text.length} bytes), left by a writer that crashed while taking it.` }
      : { stale: false, text, message: `Expected no other writer on ${path}, got a lock being written right now. Retry in a few seconds.` };
  }
  const who = `pid ${holder.pid} on ${holder.host} since ${holder.startedAt}${holder.command ? ` (${holder.command})` : ''}`;
  if (holder.host === hostname() && !pidAlive(holder.pid)) {
    return { stale: true, text, message: `Took over a stale ${path}: its holder, ${who}, is no longer running.` };
  }
  const gone = holder.host === hostname() ? 'stop it' : `stop it (on ${holder.host}); if it is gone, delete ${path}`;
  return {
    stale: false,
    text,
    message: `Expected no other process writing to this run, got ${path} held by ${who}. Wait for it to finish or ${gone}, then retry.`,
  };
}

function parseLock(text: string): LockInfo | null {
  try {
    const x = JSON.parse(text) as Partial<LockInfo> | null;
    if (x === null || typeof x !== 'object' || !Number.isSafeInteger(x.pid) || typeof x.host !== 'string' || typeof x.startedAt !== 'string') return null;
    return { pid: x.pid as number, host: x.host, startedAt: x.startedAt, command: typeof x.command === 'string' ? x.command : '' };
  } catch {
    return null;
  }
}

/**
 * Moves a stale lock aside by rename (atomic, so of two processes taking over only one gets it) and deletes
 * it; if what was moved is not the stale lock (another process took over first), it is put back.
 */
async function takeOver(path: string, staleText: string): Promise<boolean> {
  const aside = `${path}.stale-${process.pid}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== staleText) {
    await link(aside, path).catch(() => {});
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return errnoCode(err) === 'EPERM';
  }
}

function makeLock(path: string, info: LockInfo, note: string | null): RunLock {
  const mine = `${JSON.stringify(info)}\n`;
  let held = true;
  const onExit = (): void => {
    try {
      if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.on('exit', onExit);
  return {
    path,
    info,
    note,
    async release() {
      if (!held) return;
      held = false;
      process.off('exit', onExit);
      const text = await readFile(path, 'utf8').catch(() => null);
      // Someone deleted our lock and took it: theirs is not ours to remove.
      if (text === mine) await rm(path, { force: true });
    },
  };
}
