/**
 * The manifest that marks a checkpoint folder complete, and the cheap completeness check (manifest plus file
 * sizes, no hashing) that finders, pruning and leftover cleaning use. `readCheckpoint` does the full check.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CorruptFile, describeValue } from '../../errors.js';
import { errnoCode } from './fs-errors.js';

/** The file written last: a checkpoint folder without it is incomplete. */
export const MANIFEST = 'manifest.json';
/** JSON part of a checkpoint. */
export const STATE = 'state.json';
/** Binary part of a checkpoint: every tensor, float32 little-endian. */
export const TENSORS = 'tensors.bin';
/** Format version of the manifest and state.json (version 1 was the DQN-only layout). */
export const CHECKPOINT_VERSION = 2;
/** `format` field of state.json. */
export const STATE_FORMAT = 'rxgym-checkpoint-state';
/** A re-save keeps the old copy at `.<name>.previous` until the new one is in place. */
export const BACKUP_SUFFIX = '.previous';

/** One file of a checkpoint, as the manifest records it. */
export interface ManifestEntry {
  /** Path relative to the checkpoint folder, with `/` separators. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the content, lowercase hex. */
  sha256: string;
}

/** The content of manifest.json. */
export interface CheckpointManifest {
  format: 'rxgym-checkpoint';
  version: number;
  algo: string;
  /** Global environment step at which the checkpoint was taken. */
  step: number;
  /** ISO time of writing. */
  createdAt: string;
  files: ManifestEntry[];
}

/** Where a re-save of `dir` keeps the old copy while it swaps: `<parent>/.<name>.previous`. */
export function backupPathFor(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}${BACKUP_SUFFIX}`);
}

/** Reads and validates `dir/manifest.json`; throws `CorruptFile` naming it when missing, not JSON or of another format. */
export async function readManifest(dir: string): Promise<CheckpointManifest> {
  const path = join(dir, MANIFEST);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const why = errnoCode(cause) === 'ENOENT' ? 'none: the checkpoint is incomplete (its save was interrupted)' : `an unreadable file (${errnoCode(cause) ?? String(cause)})`;
    throw new CorruptFile(path, `Expected a checkpoint manifest at ${path}, got ${why}. Use an older checkpoint.`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CorruptFile(path, `Expected ${path} to be JSON, got ${text.length} bytes that do not parse. The checkpoint is damaged; use an older one.`, { cause });
  }
  const m = json as Partial<CheckpointManifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== 'rxgym-checkpoint') {
    throw new CorruptFile(path, `Expected ${path} to be an rxgym checkpoint manifest (format "rxgym-checkpoint"), got ${describeValue(json)}.`);
  }
  if (m.version !== CHECKPOINT_VERSION) {
    const older = typeof m.version === 'number' && m.version < CHECKPOINT_VERSION ? ' (written by an older rxgym; retrain or load it with that version)' : '';
    throw new CorruptFile(path, `Expected checkpoint format version ${CHECKPOINT_VERSION} in ${path}, got ${describeValue(m.version)}${older}.`);
  }
  const entryOk = (e: unknown): e is ManifestEntry => {
    const x = e as Partial<ManifestEntry> | null;
    return x !== null && typeof x === 'object' && typeof x.path === 'string' && !x.path.split('/').includes('..') && Number.isSafeInteger(x.bytes) && typeof x.sha256 === 'string';
  };
  if (typeof m.algo !== 'string' || !Number.isSafeInteger(m.step) || typeof m.createdAt !== 'string' || !Array.isArray(m.files) || !m.files.every(entryOk)) {
    throw new CorruptFile(path, `Expected ${path} to hold algo, step, createdAt and files [{ path, bytes, sha256 }], got ${describeValue(json)}.`);
  }
  return m as CheckpointManifest;
}

/** What the cheap check found: complete (manifest valid, every listed file present with its size) or why not. */
export type CheckpointStatus = { ok: true; exists: true; manifest: CheckpointManifest } | { ok: false; exists: boolean; reason: string; path: string };

/** Checks `dir` without hashing: a valid manifest and every listed file at its recorded size. Never throws. */
export async function checkpointStatus(dir: string): Promise<CheckpointStatus> {
  try {
    if (!(await stat(dir)).isDirectory()) return { ok: false, exists: true, reason: `Expected a checkpoint folder at ${dir}, got a file.`, path: dir };
  } catch {
    return { ok: false, exists: false, reason: `Expected a checkpoint folder at ${dir}, got none.`, path: dir };
  }
  let manifest: CheckpointManifest;
  try {
    manifest = await readManifest(dir);
  } catch (err) {
    if (!(err instanceof CorruptFile)) throw err;
    return { ok: false, exists: true, reason: err.message, path: err.path };
  }
  for (const entry of manifest.files) {
    const path = join(dir, ...entry.path.split('/'));
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return { ok: false, exists: true, reason: `Expected checkpoint file ${path} (${entry.bytes} bytes), got no such file. The checkpoint is damaged.`, path };
    }
    if (size !== entry.bytes) {
      return { ok: false, exists: true, reason: `Expected checkpoint file ${path} to have ${entry.bytes} bytes, got ${size} (truncated or overwritten).`, path };
    }
  }
  return { ok: true, exists: true, manifest };
}

/** Deletes a checkpoint folder, manifest first, so that a kill midway never leaves one that looks complete. */
export async function removeCheckpointDir(dir: string): Promise<void> {
  await rm(join(dir, MANIFEST), { force: true }).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOTDIR') throw err;
  });
  await rm(dir, { recursive: true, force: true });
}

