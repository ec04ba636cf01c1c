/**
 * One checkpoint format for every algorithm. A checkpoint folder holds
 *   tensors.bin    every network, optimiser slot and best-model tensor, float32 little-endian, end to end;
 *   state.json     algo, step, config, env ids/spaces/state, counters, rng states, and the tensor index;
 *   (extras)       whatever `writeExtra` adds, e.g. replay/;
 *   manifest.json  size and SHA-256 of every file, written last: a folder without it is incomplete.
 *
 * Crash safety. A checkpoint is assembled in a hidden temp sibling (`.<name>.tmp-<pid>-<n>`) and renamed into
 * place. Re-saving an existing name (the same step, or final/) moves the old copy to `.<name>.previous`, renames
 * the new one in, then deletes the previous one; a kill between those renames leaves the old copy complete under
 * `.<name>.previous`, which every reader here also looks at. The next write cleans leftovers (temp folders of
 * dead writers, a previous copy made redundant) and puts a stranded previous copy back under its real name.
 */
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../../errors.js';
import { isTempName, sha256, tempPathFor, writeFileAtomic } from '../files.js';
import { errnoCode, withFsErrors } from './fs-errors.js';
import { checkpointFaults, type CheckpointStage } from './fault.js';
import { decodeState, encodeContent, type CheckpointContent, type LoadedCheckpoint } from './content.js';
import {
  BACKUP_SUFFIX,
  CHECKPOINT_VERSION,
  MANIFEST,
  STATE,
  TENSORS,
  backupPathFor,
  checkpointStatus,
  readManifest,
  removeCheckpointDir,
  type CheckpointManifest,
  type ManifestEntry,
} from './manifest.js';

export { BACKUP_SUFFIX, MANIFEST, STATE, TENSORS, backupPathFor, checkpointStatus, readManifest, removeCheckpointDir };
export type { CheckpointManifest, ManifestEntry };
export type { CheckpointContent, JsonValue, LoadedCheckpoint, OptimizerState, SelectionState } from './content.js';

// The stages live in fault.ts, whose RXGYM_FAULT_KILL kill points (fault-injection tests only) name them too.
export { CHECKPOINT_STAGES, type CheckpointStage } from './fault.js';

/** Options of `writeCheckpoint`. */
export interface WriteCheckpointOptions {
  /** Writes extra files (e.g. `replay.save(join(tmpDir, 'replay'))`) into the folder being assembled. */
  writeExtra?: (tmpDir: string) => Promise<void>;
  /**
   * For tests only: called after each stage; throwing or killing the process there simulates a crash. Without it,
   * an `RXGYM_FAULT_KILL` stage kills the process there (see fault.ts).
   */
  faultAt?: (stage: CheckpointStage) => void | Promise<void>;
}

/**
 * Writes `content` as a checkpoint folder `dir` (see the file comment for the crash-safe swap) and returns its
 * manifest. Throws `InvalidConfig` naming the field when the content is malformed or `dir` cannot be written.
 */
export async function writeCheckpoint(dir: string, content: CheckpointContent, options: WriteCheckpointOptions = {}): Promise<CheckpointManifest> {
  const fault = options.faultAt ?? checkpointFaults(basename(dir) === 'final') ?? (() => {});
  const { state, tensors } = encodeContent(content);
  const parent = dirname(dir);
  await withFsErrors('the checkpoint folder', parent, () => mkdir(parent, { recursive: true }));
  await cleanLeftovers(parent);
  await checkReplaceable(dir);
  const tmp = tempPathFor(dir);
  let swapped = false;
  let movedOld = false;
  try {
    await withFsErrors('the checkpoint folder', parent, () => mkdir(tmp));
    await fault('temp');
    await writeFileAtomic(join(tmp, TENSORS), tensors);
    await fault('tensors');
    await writeFileAtomic(join(tmp, STATE), state);
    await fault('state');
    if (options.writeExtra) await options.writeExtra(tmp);
    await fault('extra');
    const manifest: CheckpointManifest = {
      format: 'rxgym-checkpoint',
      version: CHECKPOINT_VERSION,
      algo: content.algo,
      step: content.step,
      createdAt: new Date().toISOString(),
      files: await hashFiles(tmp),
    };
    await writeFileAtomic(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await syncDir(tmp);
    await fault('manifest');
    const backup = backupPathFor(dir);
    const old = await checkpointStatus(dir);
    if (old.ok) {
      await removeCheckpointDir(backup);
      await rename(dir, backup);
      movedOld = true;
      await fault('backup');
      await rename(tmp, dir);
      swapped = true;
      await syncDir(parent);
      await fault('swap');
      await removeCheckpointDir(backup);
      await fault('cleanup');
    } else {
      // Nothing complete to keep (no folder, or an incomplete one): the new copy simply takes the name.
      if (old.exists) await removeCheckpointDir(dir);
      await rename(tmp, dir);
      swapped = true;
      await syncDir(parent);
      await fault('swap');
    }
    return manifest;
  } catch (err) {
    if (!swapped) await rm(tmp, { recursive: true, force: true });
    // A failure (not a kill) between the two renames: put the old copy back under its real name.
    if (movedOld && !swapped) await rename(backupPathFor(dir), dir).catch(() => {});
    throw err;
  }
}

/**
 * Reads a checkpoint folder, checking every file's size and SHA-256 once, and decodes it. Throws `CorruptFile`
 * naming the file on a missing manifest, a size or hash mismatch, bad or `null` JSON, or a wrong format/version.
 */
export async function readCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const manifest = await readManifest(dir);
  const bytes = new Map<string, Buffer>();
  for (const entry of manifest.files) {
    const path = join(dir, ...entry.path.split('/'));
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (cause) {
      throw new CorruptFile(path, `Expected checkpoint file ${path} (${entry.bytes} bytes), got no such file. The checkpoint is damaged; use an older one.`, { cause });
    }
    if (data.byteLength !== entry.bytes) {
      throw new CorruptFile(path, `Expected checkpoint file ${path} to have ${entry.bytes} bytes, got ${data.byteLength} (truncated or overwritten). Use an older checkpoint.`);
    }
    const sum = sha256(data);
    if (sum !== entry.sha256) {
      throw new CorruptFile(path, `Expected checkpoint file ${path} to have SHA-256 ${entry.sha256.slice(0, 12)}..., got ${sum.slice(0, 12)}... (corrupt). Use an older checkpoint.`);
    }
    // Only the files decoded here are kept; extras (replay) are checked and released.
    if (entry.path === STATE || entry.path === TENSORS) bytes.set(entry.path, data);
  }
  const statePath = join(dir, STATE);
  const tensorPath = join(dir, TENSORS);
  const stateBytes = bytes.get(STATE);
  const tensorBytes = bytes.get(TENSORS);
  if (!stateBytes) throw new CorruptFile(statePath, `Expected ${join(dir, MANIFEST)} to list ${STATE}, got ${describeValue(manifest.files.map((f) => f.path))}.`);
  if (!tensorBytes) throw new CorruptFile(tensorPath, `Expected ${join(dir, MANIFEST)} to list ${TENSORS}, got ${describeValue(manifest.files.map((f) => f.path))}.`);
  let json: unknown;
  try {
    json = JSON.parse(stateBytes.toString('utf8'));
  } catch (cause) {
    throw new CorruptFile(statePath, `Expected ${statePath} to be JSON, got ${stateBytes.byteLength} bytes that do not parse.`, { cause });
  }
  return decodeState(json, tensorBytes, dir, manifest);
}

// ---------------------------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------------------------

async function hashFiles(dir: string): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  for (const path of await listFiles(dir)) {
    const rel = relative(dir, path).split(sep).join('/');
    if (rel === MANIFEST) continue;
    const data = await readFile(path);
    entries.push({ path: rel, bytes: data.byteLength, sha256: sha256(data) });
  }
  return entries;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    // A temp file inside is a leftover of an interrupted extra write: not part of the checkpoint.
    if (isTempName(d.name)) continue;
    const path = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await listFiles(path)));
    else if (d.isFile()) out.push(path);
  }
  return out.sort();
}

/** Refuses to replace a file, or a folder that is not a checkpoint: a user's folder must never be deleted. */
async function checkReplaceable(dir: string): Promise<void> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new InvalidConfig(`Expected a checkpoint folder at ${dir}, got a file. Choose another path.`);
    names = await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  if (names.length === 0 || names.some((n) => n === MANIFEST || n === STATE || n === TENSORS)) return;
  throw new InvalidConfig(
    `Expected ${dir} to be a checkpoint folder or absent, got a folder of other files (${describeValue(names.slice(0, 5))}). Choose another path: it is not overwritten.`,
  );
}

/** fsync a folder so renames inside it survive a power cut; some platforms cannot, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only.
  }
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * Cleans what interrupted writes left in `parent`: temp files and folders of writers that are gone (a failed
 * write of a live process removes its own), and previous copies (`.<name>.previous`): deleted when `<name>` is complete,
 * else renamed back to `<name>` when they are complete themselves. Returns the paths it removed or restored.
 */
export async function cleanLeftovers(parent: string): Promise<{ removed: string[]; restored: string[] }> {
  const removed: string[] = [];
  const restored: string[] = [];
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return { removed, restored };
  }
  for (const name of names) {
    const path = join(parent, name);
    const temp = /\.tmp-(\d+)-\d+$/.exec(name);
    if (temp && isTempName(name)) {
      const pid = Number(temp[1]);
      // Only a dead writer's leftovers go: a live one (this process included) may be writing it right now.
      if (pidAlive(pid)) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
      continue;
    }
    if (name.startsWith('.') && name.endsWith(BACKUP_SUFFIX) && name.length > 1 + BACKUP_SUFFIX.length) {
      const real = join(parent, name.slice(1, -BACKUP_SUFFIX.length));
      const [realStatus, backupStatus] = [await checkpointStatus(real), await checkpointStatus(path)];
      if (!realStatus.ok && backupStatus.ok) {
        if (realStatus.exists) await removeCheckpointDir(real);
        await rename(path, real);
        restored.push(real);
      } else {
        await removeCheckpointDir(path);
        removed.push(path);
      }
    }
  }
  return { removed, restored };
}

