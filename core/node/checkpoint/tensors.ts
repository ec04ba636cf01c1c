/**
 * Named float32 arrays packed end to end into one binary file (a checkpoint's tensors.bin), with an index of
 * name, shape, byte offset and element count that lives in state.json. Bytes are little-endian on every host.
 */
import { CorruptFile, InvalidConfig, describeValue } from '../../errors.js';
import type { NamedArray } from '../../named-array.js';

/** Where one named array sits in the tensor file: `offset` in bytes, `length` in float32 elements. */
export interface TensorRef {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

// Typed arrays use the host's byte order; the file is little-endian, so a big-endian host goes through a DataView.
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/** Collects named arrays (checked) and lays them out for one tensor file. */
export class TensorPacker {
  private readonly parts: Float32Array[] = [];
  private bytes = 0;

  /** Adds a group of arrays; `where` names the group in errors (e.g. `nets.q`). Returns their refs. */
  add(arrays: readonly NamedArray[], where: string): TensorRef[] {
    if (!Array.isArray(arrays)) {
      throw new InvalidConfig(`Expected checkpoint ${where} to be an array of named arrays, got ${describeValue(arrays)}.`);
    }
    const seen = new Set<string>();
    return arrays.map((a: NamedArray, i) => {
      const at = `${where}[${i}]`;
      if (a === null || typeof a !== 'object' || typeof a.name !== 'string' || a.name === '') {
        throw new InvalidConfig(`Expected checkpoint ${at} to be a named array ({ name, shape, data }), got ${describeValue(a)}.`);
      }
      if (seen.has(a.name)) throw new InvalidConfig(`Expected unique names in checkpoint ${where}, got "${a.name}" twice.`);
      seen.add(a.name);
      if (!Array.isArray(a.shape) || a.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
        throw new InvalidConfig(`Expected checkpoint ${at} ("${a.name}") to have a shape of non-negative integers, got ${describeValue(a.shape)}.`);
      }
      if (!(a.data instanceof Float32Array)) {
        throw new InvalidConfig(`Expected checkpoint ${at} ("${a.name}") data to be a Float32Array, got ${describeValue(a.data)}.`);
      }
      const size = a.shape.reduce((x, y) => x * y, 1);
      if (size !== a.data.length) {
        throw new InvalidConfig(`Expected checkpoint ${at} ("${a.name}") to have ${size} floats for shape [${a.shape.join(', ')}], got ${a.data.length}.`);
      }
      const ref: TensorRef = { name: a.name, shape: [...a.shape], offset: this.bytes, length: a.data.length };
      this.parts.push(a.data);
      this.bytes += a.data.length * 4;
      return ref;
    });
  }

  /** The tensor file's bytes: every added array, in order. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let offset = 0;
    for (const part of this.parts) {
      if (LITTLE_ENDIAN) {
        out.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offset);
      } else {
        const view = new DataView(out.buffer, offset, part.byteLength);
        for (let i = 0; i < part.length; i++) view.setFloat32(i * 4, part[i]!, true);
      }
      offset += part.byteLength;
    }
    return out;
  }
}

/**
 * Decodes a group of refs (read from `statePath`) against the tensor file's bytes (at `tensorPath`). Throws
 * `CorruptFile` naming state.json when the index is malformed and naming the tensor file when a ref does not fit.
 */
export function unpackTensors(refs: unknown, bytes: Uint8Array, where: string, statePath: string, tensorPath: string): NamedArray[] {
  if (!Array.isArray(refs)) {
    throw new CorruptFile(statePath, `Expected ${where} in ${statePath} to be a list of tensor refs, got ${describeValue(refs)}.`);
  }
  return refs.map((r: unknown, i) => {
    const ref = r as Partial<TensorRef> | null;
    const ok =
      ref !== null &&
      typeof ref === 'object' &&
      typeof ref.name === 'string' &&
      Array.isArray(ref.shape) &&
      ref.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
      Number.isSafeInteger(ref.offset) &&
      Number.isSafeInteger(ref.length) &&
      ref.shape.reduce((x, y) => x * y, 1) === ref.length;
    if (!ok) {
      throw new CorruptFile(statePath, `Expected ${where}[${i}] in ${statePath} to be a tensor ref ({ name, shape, offset, length }), got ${describeValue(r)}.`);
    }
    const { name, shape, offset, length } = ref as TensorRef;
    if (offset < 0 || offset % 4 !== 0 || offset + length * 4 > bytes.byteLength) {
      throw new CorruptFile(
        tensorPath,
        `Expected tensor "${name}" (${where}, ${length} floats at byte ${offset}) to fit in ${tensorPath}, got a file of ${bytes.byteLength} bytes.`,
      );
    }
    const data = new Float32Array(length);
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + length * 4));
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length * 4);
      for (let k = 0; k < length; k++) data[k] = view.getFloat32(k * 4, true);
    }
    return { name, shape: [...shape], data };
  });
}
