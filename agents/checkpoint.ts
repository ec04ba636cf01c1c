/**
 * Crash-safe checkpoints. A checkpoint is a directory of files plus `manifest.json`, written last, that lists
 * every file with its size and SHA-256. Every file goes to a temp file first and is renamed into place, so a
 * reader never sees half a file under its real name; a directory without a valid manifest is incomplete and
 * is never loaded. Loading checks sizes and checksums and throws core's `CorruptFile` naming the bad file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../core/errors.js';

/** Name of the file that marks a checkpoint directory complete. */
export const MANIFEST = 'manifest.json';

/** One file of a checkpoint, as the manifest records it. */
export interface ManifestEntry {
  /** Path relative to the checkpoint directory, with `/` separators. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
}

/** The content of `manifest.json`. */
export interface CheckpointManifest {
  format: 'rxgym-checkpoint';
  version: 1;
  /** Global environment step at which the checkpoint was taken. */
  step: number;
  /** ISO time of writing. */
  createdAt: string;
  files: ManifestEntry[];
}

/** A named typed array, as networks and optimisers export their state. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

let tempCounter = 0;

/** Writes `data` to `path` through a temp file in the same directory, fsynced and then renamed. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${++tempCounter}`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/**
 * Writes a checkpoint into `dir`: the given files (atomically, each), then whatever `writeExtra(dir)` writes
 * (a replay buffer's own files), then the manifest over every file in `dir`. An old manifest and old files
 * in `dir` are removed first, so an interrupted overwrite leaves the directory incomplete, never inconsistent.
 */
export async function writeCheckpoint(
  dir: string,
  step: number,
  files: Record<string, Uint8Array | string>,
  options: { writeExtra?: (dir: string) => Promise<void> } = {},
): Promise<CheckpointManifest> {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new InvalidConfig(`Expected a checkpoint step to be a non-negative integer, got ${describeValue(step)}.`);
  }
  await mkdir(dir, { recursive: true });
  await rm(join(dir, MANIFEST), { force: true });
  // Stale files from an interrupted save would otherwise be listed in the new manifest.
  for (const name of await readdir(dir)) {
    if (!(name in files)) await rm(join(dir, name), { recursive: true, force: true });
  }
  for (const [name, data] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFileAtomic(path, data);
  }
  if (options.writeExtra) await options.writeExtra(dir);
  const entries: ManifestEntry[] = [];
  for (const path of await listFiles(dir)) {
    const rel = relative(dir, path).split(sep).join('/');
    if (rel === MANIFEST || /\.tmp-\d+-\d+$/.test(rel)) continue;
    const data = await readFile(path);
    entries.push({ path: rel, bytes: data.byteLength, sha256: sha256(data) });
  }
  const manifest: CheckpointManifest = { format: 'rxgym-checkpoint', version: 1, step, createdAt: new Date().toISOString(), files: entries };
  await writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads and validates `dir/manifest.json`. Throws `CorruptFile` when it is missing or malformed. */
export async function readManifest(dir: string): Promise<CheckpointManifest> {
  const path = join(dir, MANIFEST);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CorruptFile(path, `Expected a checkpoint manifest at ${path}, got none: the checkpoint is incomplete (the save was interrupted). Use an older checkpoint.`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CorruptFile(path, `Expected ${path} to be JSON, got ${text.length} bytes that do not parse. The checkpoint is corrupt; use an older one.`, { cause });
  }
  const m = json as Partial<CheckpointManifest> | null;
  if (!m || m.format !== 'rxgym-checkpoint' || m.version !== 1 || !Number.isSafeInteger(m.step) || !Array.isArray(m.files)) {
    throw new CorruptFile(path, `Expected ${path} to be an rxgym checkpoint manifest (format "rxgym-checkpoint", version 1), got ${describeValue(json)}.`);
  }
  return m as CheckpointManifest;
}

/**
 * Checks every file listed in the manifest (size, then SHA-256) and returns the manifest. Throws `CorruptFile`
 * naming the first missing, truncated or altered file.
 */
export async function verifyCheckpoint(dir: string): Promise<CheckpointManifest> {
  const manifest = await readManifest(dir);
  for (const entry of manifest.files) {
    const path = join(dir, ...entry.path.split('/'));
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (cause) {
      throw new CorruptFile(path, `Expected checkpoint file ${path} (${entry.bytes} bytes), got no such file. The checkpoint is corrupt; use an older one.`, { cause });
    }
    if (data.byteLength !== entry.bytes) {
      throw new CorruptFile(path, `Expected checkpoint file ${path} to have ${entry.bytes} bytes, got ${data.byteLength} (truncated or overwritten). Use an older checkpoint.`);
    }
    const sum = sha256(data);
    if (sum !== entry.sha256) {
      throw new CorruptFile(path, `Expected checkpoint file ${path} to have SHA-256 ${entry.sha256.slice(0, 12)}..., got ${sum.slice(0, 12)}... (corrupt). Use an older checkpoint.`);
    }
  }
  return manifest;
}

/** A checkpoint directory found under a run. */
export interface FoundCheckpoint {
  dir: string;
  step: number;
  manifest: CheckpointManifest;
}

/**
 * The newest complete and intact checkpoint in `checkpointsDir` (subdirectories named by step), or null.
 * Incomplete or corrupt ones are skipped and reported through `onSkip`; they are never deleted.
 */
export async function latestCheckpoint(
  checkpointsDir: string,
  onSkip?: (dir: string, error: CorruptFile) => void,
): Promise<FoundCheckpoint | null> {
  if (!existsSync(checkpointsDir)) return null;
  const steps = (await readdir(checkpointsDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && /^\d+$/.test(d.name))
    .map((d) => d.name)
    .sort((a, b) => Number(b) - Number(a));
  for (const name of steps) {
    const dir = join(checkpointsDir, name);
    try {
      const manifest = await verifyCheckpoint(dir);
      return { dir, step: manifest.step, manifest };
    } catch (err) {
      if (!(err instanceof CorruptFile)) throw err;
      onSkip?.(dir, err);
    }
  }
  return null;
}

/** Reads one JSON file of a verified checkpoint; a parse failure is a `CorruptFile` naming it. */
export async function readJsonFile<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new CorruptFile(path, `Expected a file at ${path}, got none.`, { cause });
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new CorruptFile(path, `Expected ${path} to be JSON, got ${text.length} bytes that do not parse.`, { cause });
  }
}

/** Header of a tensor file: where each named array sits in the binary blob (offsets in float32 elements). */
export interface TensorIndex {
  arrays: { name: string; shape: number[]; offset: number; length: number }[];
}

/** Packs named float32 arrays into one binary blob plus a JSON index (for weights and optimiser state). */
export function encodeArrays(arrays: readonly NamedArray[]): { index: TensorIndex; data: Uint8Array } {
  let total = 0;
  for (const a of arrays) total += a.data.length;
  const flat = new Float32Array(total);
  const index: TensorIndex = { arrays: [] };
  let offset = 0;
  for (const a of arrays) {
    flat.set(a.data, offset);
    index.arrays.push({ name: a.name, shape: [...a.shape], offset, length: a.data.length });
    offset += a.data.length;
  }
  // Typed arrays are little-endian on every platform Node runs on.
  return { index, data: new Uint8Array(flat.buffer) };
}

/** Unpacks `encodeArrays` output; throws `CorruptFile` (naming `path`) when the index does not fit the blob. */
export function decodeArrays(index: TensorIndex, data: Uint8Array, path: string): NamedArray[] {
  if (data.byteLength % 4 !== 0) {
    throw new CorruptFile(path, `Expected ${path} to hold float32 values (a multiple of 4 bytes), got ${data.byteLength} bytes.`);
  }
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  const flat = new Float32Array(copy.buffer);
  if (!index || !Array.isArray(index.arrays)) throw new CorruptFile(path, `Expected a tensor index for ${path}, got ${describeValue(index)}.`);
  return index.arrays.map((a) => {
    if (a.offset + a.length > flat.length || a.length !== a.shape.reduce((x, y) => x * y, 1)) {
      throw new CorruptFile(path, `Expected array "${a.name}" (shape [${a.shape.join(', ')}]) to fit in ${path} (${flat.length} floats), got offset ${a.offset} length ${a.length}.`);
    }
    return { name: a.name, shape: [...a.shape], data: flat.slice(a.offset, a.offset + a.length) };
  });
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await listFiles(path)));
    else if (d.isFile()) out.push(path);
  }
  return out.sort();
}

/** True when `path` exists and is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
