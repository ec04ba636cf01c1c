/**
 * Replay buffers on disk (Node only): a folder with one JSON header plus one raw little-endian binary file per
 * field of `buffer.snapshot()`. Every file goes through core's `writeFileAtomic`, binaries first and the header
 * last, and the header keeps each binary's SHA-256, so a crash leaves either the old header (whose hashes then
 * reject the new binaries) or a complete new save.
 *
 * Format history: version 1 checked binaries with CRC-32 (`crc32` entries); version 2 uses core's one integrity
 * hash, SHA-256 (`sha256` entries). Both are read; version 2 is written.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CorruptFile, InvalidConfig, describeValue } from '../../core/errors.js';
import { sha256, writeFileAtomic } from '../../core/node/files.js';
import { PrioritizedReplayBuffer } from '../prioritized.js';
import { ReplayBuffer, type LoadExpectation } from '../replay-buffer.js';
import { dtypeOf, type FieldArray, type FieldDtype, type SnapshotSource } from '../snapshot.js';
import type { ActionKind } from '../types.js';

/** Name of the header file inside a replay folder. */
export const HEADER_FILE = 'replay.json';
/** The `format` tag of a replay header. */
export const FORMAT = 'rxgym-replay';
/** The header version this code writes (it also reads version 1). */
export const VERSION = 2;

/** How the header describes one binary file. */
export interface FieldEntry {
  file: string;
  dtype: FieldDtype;
  /** Number of elements written. */
  length: number;
  /** SHA-256 of the file's bytes, lowercase hex (version 2). */
  sha256?: string;
  /** CRC-32 of the file's bytes (version 1 only). */
  crc32?: number;
}

/** The parsed header: fixed keys plus the buffer's snapshot settings. */
export interface ReplayHeader {
  format: string;
  version: number;
  kind: string;
  endianness: 'LE';
  fields: Record<string, FieldEntry>;
  [key: string]: unknown;
}

/** What `loadReplay` may check: the sizes of `LoadExpectation` plus the buffer kind. */
export interface LoadReplayExpectation<K extends ActionKind> extends LoadExpectation<K> {
  kind?: 'uniform' | 'prioritized';
}

const bytesOf = (a: FieldArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// Fault-injection tests only (agents/runs/fault.ts documents the variable): RXGYM_FAULT_KILL=replay:<n> kills the
// process in the n-th save, between the binaries and the header. Kept here, as replay does not import agents.
const killAtSave = /^replay:([1-9]\d*)$/.exec(process.env['RXGYM_FAULT_KILL'] ?? '')?.[1];
let saves = 0;

/**
 * Writes `buffer` to `dir` (created if missing): every field of `buffer.snapshot()` as `<name>.bin`, then
 * `replay.json`. Pending n-step steps are not saved; call `buffer.flush()` first to keep them.
 */
export async function saveReplay<K extends ActionKind, O>(buffer: ReplayBuffer<K, O>, dir: string): Promise<void> {
  const { state, fields } = buffer.snapshot();
  await mkdir(dir, { recursive: true });
  const entries: Record<string, FieldEntry> = {};
  for (const [name, array] of Object.entries(fields)) {
    const bytes = bytesOf(array);
    const file = `${name}.bin`;
    await writeFileAtomic(join(dir, file), bytes);
    entries[name] = { file, dtype: dtypeOf(array), length: array.length, sha256: sha256(bytes) };
  }
  if (killAtSave !== undefined && ++saves === Number(killAtSave)) process.kill(process.pid, 'SIGKILL');
  const header: ReplayHeader = { format: FORMAT, version: VERSION, endianness: 'LE', ...state, fields: entries };
  await writeFileAtomic(join(dir, HEADER_FILE), `${JSON.stringify(header, null, 2)}\n`);
}

/**
 * The buffer saved in `dir` by `saveReplay`: a `PrioritizedReplayBuffer` when one was saved, else a
 * `ReplayBuffer`. Throws `CorruptFile` naming the file when the header is garbled or a binary is missing,
 * truncated or altered, and `InvalidConfig` when `expect` (kind, actionKind, obsDim, actionDim) does not match.
 */
export async function loadReplay<K extends ActionKind = ActionKind, O = ArrayLike<number>>(
  dir: string,
  expect: LoadReplayExpectation<K> & { kind: 'prioritized' },
): Promise<PrioritizedReplayBuffer<K, O>>;
export async function loadReplay<K extends ActionKind = ActionKind, O = ArrayLike<number>>(dir: string, expect?: LoadReplayExpectation<K>): Promise<ReplayBuffer<K, O>>;
export async function loadReplay<K extends ActionKind = ActionKind, O = ArrayLike<number>>(dir: string, expect: LoadReplayExpectation<K> = {}): Promise<ReplayBuffer<K, O>> {
  const header = await readReplayHeader(dir);
  const { kind, ...sizes } = expect;
  if (kind !== undefined && header.kind !== kind) {
    throw new InvalidConfig(`Expected the saved buffer in ${join(dir, HEADER_FILE)} to have kind ${describeValue(kind)}, got ${describeValue(header.kind)}.`);
  }
  const source = fileSource(dir, header);
  return header.kind === 'prioritized' ? PrioritizedReplayBuffer.fromSnapshot<K, O>(source, sizes) : ReplayBuffer.fromSnapshot<K, O>(source, sizes);
}

/** Reads and checks the header of a replay folder; throws `CorruptFile` naming the file and what was expected. */
export async function readReplayHeader(dir: string): Promise<ReplayHeader> {
  const path = join(dir, HEADER_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CorruptFile(path, `Expected a replay header at ${path}, got none (${(err as Error).message}): save a buffer there with saveReplay(buffer, dir) first.`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CorruptFile(path, `Expected ${path} to be a JSON replay header, got unparseable text (${(err as Error).message}): the file is corrupt; re-save the buffer.`, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CorruptFile(path, `Expected ${path} to hold a JSON object, got ${describeValue(json)}.`);
  }
  const h = json as Record<string, unknown>;
  if (h['format'] !== FORMAT) throw new CorruptFile(path, `Expected ${path} format "${FORMAT}", got ${describeValue(h['format'])}.`);
  const version = h['version'];
  if (version !== 1 && version !== 2) throw new CorruptFile(path, `Expected ${path} version 1 or ${VERSION}, got ${describeValue(version)}: it was written by another rxgym version.`);
  if (h['endianness'] !== 'LE') throw new CorruptFile(path, `Expected ${path} endianness "LE", got ${describeValue(h['endianness'])}.`);
  const fields = h['fields'];
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new CorruptFile(path, `Expected ${path} to have an object "fields", got ${describeValue(fields)}.`);
  }
  const hash = version === 1 ? 'crc32' : 'sha256';
  for (const [name, e] of Object.entries(fields as Record<string, unknown>)) {
    const entry = e as Partial<FieldEntry> | null;
    const ok =
      entry !== null && typeof entry === 'object' && typeof entry.file === 'string' && /^[A-Za-z0-9_-]+\.bin$/.test(entry.file) &&
      ['float32', 'float64', 'int32', 'uint8'].includes(entry.dtype as string) &&
      Number.isSafeInteger(entry.length) && (entry.length as number) >= 0 &&
      (version === 1 ? Number.isSafeInteger(entry.crc32) : typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256));
    if (!ok) throw new CorruptFile(path, `Expected ${path} fields.${name} to be { file, dtype, length, ${hash} }, got ${describeValue(e)}.`);
  }
  return h as ReplayHeader;
}

/** A `SnapshotSource` over a replay folder: each field is checked (dtype, length, size, hash) as it is read. */
function fileSource(dir: string, header: ReplayHeader): SnapshotSource {
  const headerPath = join(dir, HEADER_FILE);
  return {
    state: header,
    where: headerPath,
    whereField: (name) => join(dir, header.fields[name]?.file ?? `${name}.bin`),
    readField: async (name, target) => {
      const entry = header.fields[name];
      if (entry === undefined) throw new CorruptFile(headerPath, `Expected ${headerPath} to list a field "${name}", got fields ${Object.keys(header.fields).join(', ') || '(none)'}.`);
      const want = dtypeOf(target);
      const length = target.length;
      if (entry.dtype !== want || entry.length !== length) {
        throw new CorruptFile(headerPath, `Expected ${headerPath} field "${name}" to be ${length} ${want} values, got ${entry.length} ${entry.dtype} values.`);
      }
      const path = join(dir, entry.file);
      const bytes = target.byteLength;
      let actual: number;
      try {
        actual = (await stat(path)).size;
      } catch (err) {
        throw new CorruptFile(path, `Expected ${path} to exist with ${bytes} bytes (${length} ${want} values of "${name}"), got none: the save is incomplete.`, { cause: err });
      }
      if (actual !== bytes) {
        throw new CorruptFile(path, `Expected ${path} to hold ${bytes} bytes (${length} ${want} values of "${name}"), got ${actual} bytes: the file is truncated or from another save.`);
      }
      const data = await readFile(path);
      if (entry.sha256 !== undefined) {
        const sum = sha256(data);
        if (sum !== entry.sha256) throw new CorruptFile(path, `Expected ${path} to have SHA-256 ${entry.sha256} (from the header), got ${sum}: the file is corrupt or from another save.`);
      } else {
        const sum = crc32(data);
        if (sum !== entry.crc32) throw new CorruptFile(path, `Expected ${path} to have CRC-32 ${entry.crc32} (from the header), got ${sum}: the file is corrupt or from another save.`);
      }
      bytesOf(target).set(data);
    },
  };
}
