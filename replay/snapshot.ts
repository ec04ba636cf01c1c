/**
 * A replay buffer as plain data, with no I/O: `buffer.snapshot()` gives its settings (JSON-safe) and views of
 * its stored rows, and `ReplayBuffer.fromSnapshot(source)` builds one back from a `SnapshotSource` that reads
 * the arrays from wherever they are kept. Files are one such store (`saveReplay`/`loadReplay` in
 * `replay/node/files.ts`, Node only); keeping the format here lets browser code use another (IndexedDB, fetch).
 */
import { CorruptFile, describeValue } from '../core/errors.js';

/** Element types of stored fields. */
export type FieldDtype = 'float32' | 'float64' | 'int32' | 'uint8';
/** A typed array of one of the stored element types. */
export type FieldArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The element type of a stored field. */
export function dtypeOf(a: FieldArray): FieldDtype {
  return a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : a instanceof Int32Array ? 'int32' : 'uint8';
}

/** The settings part of a snapshot: the buffer kind plus JSON-safe sizes, options, size and position. */
export type ReplayState = { kind: string } & Record<string, unknown>;

/** What `snapshot()` returns: settings plus views (not copies) of the stored rows of every array. */
export interface ReplaySnapshot {
  readonly state: ReplayState;
  /** Field name -> the stored rows of that array (a view sharing the buffer's memory). */
  readonly fields: Readonly<Record<string, FieldArray>>;
}

/** Where `fromSnapshot` gets a buffer's settings and arrays, and how its error messages name them. */
export interface SnapshotSource {
  /** The settings as read back (unvalidated: `fromSnapshot` checks every value). */
  readonly state: Record<string, unknown>;
  /** How messages name the settings' container (a header file's path). */
  readonly where: string;
  /** How messages name a field's container (a binary file's path). */
  whereField(name: string): string;
  /** Fills all of `target` with the field's values; throws `CorruptFile` when they are missing or damaged. */
  readField(name: string, target: FieldArray): Promise<void> | void;
}

/** A state value that must be an integer in [min, max]; throws `CorruptFile` naming `source.where` otherwise. */
export function stateInt(source: SnapshotSource, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = source.state[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new CorruptFile(source.where, `Expected ${source.where} "${key}" to be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${describeValue(v)}.`);
  }
  return v;
}

/** A state value that must be a number in [min, max]; throws `CorruptFile` naming `source.where` otherwise. */
export function stateNumber(source: SnapshotSource, key: string, min: number, max: number): number {
  const v = source.state[key];
  if (typeof v !== 'number' || !(v >= min && v <= max)) {
    throw new CorruptFile(source.where, `Expected ${source.where} "${key}" to be a number in [${min}, ${max}], got ${describeValue(v)}.`);
  }
  return v;
}

/** Throws `CorruptFile` unless the snapshot holds a buffer of `kind` (the class `className` restores). */
export function checkKind(source: SnapshotSource, kind: string, className: string): void {
  const found = source.state['kind'];
  if (found !== kind) {
    throw new CorruptFile(
      source.where,
      `Expected ${source.where} to hold a ${kind} replay buffer for ${className}.fromSnapshot, got kind ${describeValue(found)}: restore it with the matching class (loadReplay picks it).`,
    );
  }
}
