/**
 * The one atomic writer and the one integrity scheme for every file rxgym writes (Node only: browser-safe code
 * never imports this). A file goes to a temp name in the same folder, is fsynced, then renamed over its real
 * name, so a reader never sees half a file and a kill at any moment leaves the old or the new file whole.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, renameSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let tempCounter = 0;

/** The temp name `writeFileAtomic` uses for `path`: hidden, unique per process and call, in the same folder. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${++tempCounter}`);
}

/** Whether a folder entry is a temp file left by an interrupted `writeFileAtomic` (safe to delete). */
export function isTempName(name: string): boolean {
  return /^\..+\.tmp-\d+-\d+$/.test(name) || /\.tmp-\d+-\d+$/.test(name);
}

/** Writes `data` to `path` through a fsynced temp file and a rename; the temp file is removed on failure. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** SHA-256 of bytes or a string (UTF-8), lowercase hex: the integrity check of every file rxgym writes. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The end of a file written in pieces under a temp name (a recording streamed line by line, a video an encoder
 * wrote): fsyncs it and renames it over `path`, the same guarantee as `writeFileAtomic`.
 */
export async function commitFile(temp: string, path: string): Promise<void> {
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** `commitFile` for a writer that holds the temp file open as `fd` (synchronous streams): fsync, close, rename. */
export function commitFileSync(fd: number, temp: string, path: string): void {
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
