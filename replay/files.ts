/**
 * Checkpoint files of a replay buffer: one JSON header plus one raw little-endian binary file per field.
 * Every file is written to a temp name and renamed, binaries first and the header last, so a crash leaves
 * either the old header (whose checksums then reject the new binaries) or a complete new save.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CorruptFile, describeValue } from '../core/errors.js';

/** Name of the header file inside a replay folder. */
export const HEADER_FILE = 'replay.json';
/** The `format` tag of a replay header. */
export const FORMAT = 'rxgym-replay';
/** The header version this code writes and reads. */
export const VERSION = 1;

/** Element types of stored fields. */
export type FieldDtype = 'float32' | 'float64' | 'int32' | 'uint8';
/** A typed array of one of the stored element types. */
export type FieldArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const dtypeOf = (a: FieldArray): FieldDtype =>
  a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'uint8';

/** How the header describes one binary file. */
export interface FieldEntry {
  file: string;
  dtype: FieldDtype;
  /** Number of elements written. */
  length: number;
  /** CRC-32 of the file's bytes. */
  crc32: number;
}

/** The parsed header: fixed keys plus whatever the buffer class stores. */
export interface ReplayHeader {
  format: string;
  version: number;
  kind: string;
  endianness: 'LE';
  fields: Record<string, FieldEntry>;
  [key: string]: unknown;
}

function bytesOf(a: FieldArray, length: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, length * a.BYTES_PER_ELEMENT);
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes `fields` (name -> [array, number of leading elements to write]) and then the header into `dir`
 * (created if missing).
 */
export async function writeReplayDir(
  dir: string,
  header: { kind: string; [key: string]: unknown },
  fields: Record<string, readonly [FieldArray, number]>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries: Record<string, FieldEntry> = {};
  for (const [name, [array, length]] of Object.entries(fields)) {
    const bytes = bytesOf(array, length);
    const file = `${name}.bin`;
    await writeAtomic(join(dir, file), bytes);
    entries[name] = { file, dtype: dtypeOf(array), length, crc32: crc32(bytes) };
  }
  const full: ReplayHeader = { format: FORMAT, version: VERSION, endianness: 'LE', ...header, fields: entries };
  await writeAtomic(join(dir, HEADER_FILE), `${JSON.stringify(full, null, 2)}\n`);
}

/** Reads and checks the header of a replay folder; throws `CorruptFile` naming the file and what was expected. */
export async function readReplayHeader(dir: string): Promise<ReplayHeader> {
  const path = join(dir, HEADER_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CorruptFile(path, `Expected a replay header at ${path}, got none (${(err as Error).message}): save a buffer there with buffer.save(dir) first.`, { cause: err });
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
  if (h['version'] !== VERSION) throw new CorruptFile(path, `Expected ${path} version ${VERSION}, got ${describeValue(h['version'])}: it was written by another rxgym version.`);
  if (h['endianness'] !== 'LE') throw new CorruptFile(path, `Expected ${path} endianness "LE", got ${describeValue(h['endianness'])}.`);
  const fields = h['fields'];
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new CorruptFile(path, `Expected ${path} to have an object "fields", got ${describeValue(fields)}.`);
  }
  for (const [name, e] of Object.entries(fields as Record<string, unknown>)) {
    const entry = e as Partial<FieldEntry> | null;
    const ok =
      entry !== null && typeof entry === 'object' && typeof entry.file === 'string' && /^[A-Za-z0-9_-]+\.bin$/.test(entry.file) &&
      ['float32', 'float64', 'int32', 'uint8'].includes(entry.dtype as string) &&
      Number.isSafeInteger(entry.length) && (entry.length as number) >= 0 && Number.isSafeInteger(entry.crc32);
    if (!ok) throw new CorruptFile(path, `Expected ${path} fields.${name} to be { file, dtype, length, crc32 }, got ${describeValue(e)}.`);
  }
  return h as ReplayHeader;
}

/** A header number field that must be an integer in [min, max]; throws `CorruptFile` otherwise. */
export function headerInt(dir: string, header: ReplayHeader, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = header[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    const path = join(dir, HEADER_FILE);
    throw new CorruptFile(path, `Expected ${path} "${key}" to be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${describeValue(v)}.`);
  }
  return v;
}

/** A header number field that must be a finite number in [min, max]. */
export function headerNumber(dir: string, header: ReplayHeader, key: string, min: number, max: number): number {
  const v = header[key];
  if (typeof v !== 'number' || !(v >= min && v <= max)) {
    const path = join(dir, HEADER_FILE);
    throw new CorruptFile(path, `Expected ${path} "${key}" to be a number in [${min}, ${max}], got ${describeValue(v)}.`);
  }
  return v;
}

/**
 * Fills the first `length` elements of `target` from the field's binary file, checking the header entry
 * (dtype, length), the file size and its CRC-32; throws `CorruptFile` naming the file otherwise.
 */
export async function readField(dir: string, header: ReplayHeader, name: string, target: FieldArray, length: number): Promise<void> {
  const headerPath = join(dir, HEADER_FILE);
  const entry = header.fields[name];
  if (entry === undefined) throw new CorruptFile(headerPath, `Expected ${headerPath} to list a field "${name}", got fields ${Object.keys(header.fields).join(', ') || '(none)'}.`);
  const want = dtypeOf(target);
  if (entry.dtype !== want || entry.length !== length) {
    throw new CorruptFile(headerPath, `Expected ${headerPath} field "${name}" to be ${length} ${want} values, got ${entry.length} ${entry.dtype} values.`);
  }
  const path = join(dir, entry.file);
  const bytes = length * target.BYTES_PER_ELEMENT;
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
  const sum = crc32(data);
  if (sum !== entry.crc32) {
    throw new CorruptFile(path, `Expected ${path} to have CRC-32 ${entry.crc32} (from the header), got ${sum}: the file is corrupt or from another save.`);
  }
  bytesOf(target, length).set(data);
}
