/**
 * Spaces: plain, JSON-serialisable descriptions of the values an environment takes and gives, narrowed by
 * `kind`. Build them with the factories (`box`, `discrete`, ...) and use the free functions (`contains`,
 * `sample`, `flatten`, ...) on them. The value type rides along as a phantom type parameter, so
 * `sample(discrete(3), rng)` is a `number` and `sample(box({...}), rng)` a `Float32Array`.
 */
import { InvalidSpace, describeValue } from './errors.js';
import type { Rng } from './rng.js';

declare const valueType: unique symbol;
/** Carries the type of a space's values; never present at run time. */
interface Valued<T> {
  readonly [valueType]?: T;
}

/** Element types a Box can hold. */
export type BoxDtype = 'float32' | 'float64' | 'uint8' | 'int32';
/** The typed array a Box of dtype `D` holds. */
export type BoxArray<D extends BoxDtype = BoxDtype> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'uint8'
      ? Uint8Array
      : D extends 'int32'
        ? Int32Array
        : never;

/** An n-dimensional box: each element in [low[i], high[i]] (bounds may be +-Infinity), row-major. */
export interface BoxSpace<D extends BoxDtype = BoxDtype> extends Valued<BoxArray<D>> {
  readonly kind: 'box';
  readonly shape: readonly number[];
  readonly dtype: D;
  /** Per-element lower bounds, length = product of shape. */
  readonly low: readonly number[];
  /** Per-element upper bounds, length = product of shape. */
  readonly high: readonly number[];
}

/** Integers start, start + 1, ..., start + n - 1. */
export interface DiscreteSpace extends Valued<number> {
  readonly kind: 'discrete';
  readonly n: number;
  readonly start: number;
}

/** A vector of independent discrete values: element i in [start[i], start[i] + nvec[i]). */
export interface MultiDiscreteSpace extends Valued<Int32Array> {
  readonly kind: 'multi-discrete';
  readonly nvec: readonly number[];
  readonly start: readonly number[];
}

/** A vector of n bits (0 or 1). */
export interface MultiBinarySpace extends Valued<Uint8Array> {
  readonly kind: 'multi-binary';
  readonly n: number;
}

/** A fixed-length tuple of spaces; values are arrays. */
export interface TupleSpace<T extends readonly AnySpace[] = readonly AnySpace[]> extends Valued<TupleValue<T>> {
  readonly kind: 'tuple';
  readonly spaces: T;
}

/** Named sub-spaces; values are plain objects with the same keys. */
export interface DictSpace<T extends Readonly<Record<string, AnySpace>> = Readonly<Record<string, AnySpace>>>
  extends Valued<DictValue<T>> {
  readonly kind: 'dict';
  readonly spaces: T;
}

/** Any space, whatever its value type. */
export type AnySpace = BoxSpace | DiscreteSpace | MultiDiscreteSpace | MultiBinarySpace | TupleSpace | DictSpace;

/** A space whose values have type `T`. */
export type Space<T = unknown> = AnySpace & Valued<T>;

/** The type of a space's values. */
export type ValueOf<S> = S extends Valued<infer T> ? T : never;
type TupleValue<T extends readonly AnySpace[]> = { -readonly [K in keyof T]: ValueOf<T[K]> };
type DictValue<T extends Readonly<Record<string, AnySpace>>> = { [K in keyof T]: ValueOf<T[K]> };

// ---------------------------------------------------------------------------------------------------------
// Factories
// ---------------------------------------------------------------------------------------------------------

/** Product of a shape's dimensions (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: unknown, what: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidSpace(`Expected ${what} to be an array of non-negative integers, got ${describeValue(shape)}.`);
  }
  return [...shape];
}

function toBounds(value: number | ArrayLike<number>, size: number, what: string, round: (x: number) => number): number[] {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new InvalidSpace(`Expected Box ${what} to be a number or +-Infinity, got NaN.`);
    return new Array<number>(size).fill(round(value));
  }
  if (value == null || typeof value.length !== 'number') {
    throw new InvalidSpace(`Expected Box ${what} to be a number or an array of ${size} numbers, got ${describeValue(value)}.`);
  }
  if (value.length !== size) {
    throw new InvalidSpace(`Expected Box ${what} to have ${size} elements (the product of the shape), got ${value.length}.`);
  }
  const out = Array.from(value, (x) => round(Number(x)));
  const bad = out.findIndex((x) => Number.isNaN(x));
  if (bad >= 0) throw new InvalidSpace(`Expected Box ${what}[${bad}] to be a number or +-Infinity, got NaN.`);
  return out;
}

const identity = (x: number): number => x;
const dtypes: readonly BoxDtype[] = ['float32', 'float64', 'uint8', 'int32'];

/** Options of `box()`: scalar bounds need a shape; array bounds imply a 1-d shape unless one is given. */
export interface BoxOptions<D extends BoxDtype> {
  low: number | ArrayLike<number>;
  high: number | ArrayLike<number>;
  shape?: readonly number[];
  /** Element type; default float32. float32 bounds are rounded to float32 as Gymnasium does. */
  dtype?: D;
}

/** A Box space. `box({ low: -1, high: 1, shape: [3] })` or `box({ low: [0, -1], high: [1, 1] })`. */
export function box<D extends BoxDtype = 'float32'>(options: BoxOptions<D>): BoxSpace<D> {
  const dtype = (options.dtype ?? 'float32') as D;
  if (!dtypes.includes(dtype)) {
    throw new InvalidSpace(`Expected Box dtype to be one of ${dtypes.join(', ')}, got ${describeValue(dtype)}.`);
  }
  let shape: number[];
  if (options.shape !== undefined) shape = checkShape(options.shape, 'Box shape');
  else if (typeof options.low !== 'number') shape = [options.low.length];
  else if (typeof options.high !== 'number') shape = [options.high.length];
  else throw new InvalidSpace('Expected a Box shape when low and high are both scalars, got none: pass { shape: [...] }.');
  const size = shapeSize(shape);
  const round = dtype === 'float32' ? Math.fround : identity;
  const low = toBounds(options.low, size, 'low', round);
  const high = toBounds(options.high, size, 'high', round);
  for (let i = 0; i < size; i++) {
    if (!(low[i]! <= high[i]!)) {
      throw new InvalidSpace(`Expected Box low[${i}] <= high[${i}], got low ${low[i]} and high ${high[i]}.`);
    }
    if ((dtype === 'uint8' || dtype === 'int32') && (!Number.isFinite(low[i]!) || !Number.isFinite(high[i]!))) {
      throw new InvalidSpace(`Expected finite bounds for an integer Box (${dtype}), got low ${low[i]} and high ${high[i]} at ${i}.`);
    }
  }
  return { kind: 'box', shape, dtype, low, high };
}

/** A Discrete space of `n` integers from `start` (default 0). */
export function discrete(n: number, options: { start?: number } = {}): DiscreteSpace {
  const start = options.start ?? 0;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidSpace(`Expected Discrete n to be a positive integer, got ${describeValue(n)}.`);
  if (!Number.isSafeInteger(start)) throw new InvalidSpace(`Expected Discrete start to be an integer, got ${describeValue(start)}.`);
  return { kind: 'discrete', n, start };
}

/** A MultiDiscrete space: element i takes `nvec[i]` values from `start[i]` (default 0). */
export function multiDiscrete(nvec: readonly number[], options: { start?: readonly number[] } = {}): MultiDiscreteSpace {
  const counts = checkShape(nvec, 'MultiDiscrete nvec');
  if (counts.some((n) => n < 1)) throw new InvalidSpace(`Expected every MultiDiscrete nvec entry to be >= 1, got ${describeValue(nvec)}.`);
  const start = options.start ? [...options.start] : counts.map(() => 0);
  if (start.length !== counts.length || start.some((s) => !Number.isSafeInteger(s))) {
    throw new InvalidSpace(`Expected MultiDiscrete start to be ${counts.length} integers, got ${describeValue(options.start)}.`);
  }
  return { kind: 'multi-discrete', nvec: counts, start };
}

/** A MultiBinary space of `n` bits. */
export function multiBinary(n: number): MultiBinarySpace {
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidSpace(`Expected MultiBinary n to be a positive integer, got ${describeValue(n)}.`);
  return { kind: 'multi-binary', n };
}

/** A Tuple space over `spaces` (values are arrays of the same length). */
export function tuple<const T extends readonly AnySpace[]>(spaces: T): TupleSpace<T> {
  if (!Array.isArray(spaces) || spaces.length === 0) {
    throw new InvalidSpace(`Expected Tuple spaces to be a non-empty array of spaces, got ${describeValue(spaces)}.`);
  }
  spaces.forEach((s, i) => assertSpace(s, `Tuple spaces[${i}]`));
  return { kind: 'tuple', spaces };
}

/** A Dict space over named sub-spaces (values are objects with the same keys). */
export function dict<const T extends Readonly<Record<string, AnySpace>>>(spaces: T): DictSpace<T> {
  if (spaces === null || typeof spaces !== 'object' || Object.keys(spaces).length === 0) {
    throw new InvalidSpace(`Expected Dict spaces to be a non-empty object of spaces, got ${describeValue(spaces)}.`);
  }
  for (const [k, s] of Object.entries(spaces)) assertSpace(s, `Dict spaces.${k}`);
  return { kind: 'dict', spaces };
}

function assertSpace(s: unknown, what: string): void {
  const kinds = ['box', 'discrete', 'multi-discrete', 'multi-binary', 'tuple', 'dict'];
  if (s === null || typeof s !== 'object' || !kinds.includes((s as { kind?: string }).kind ?? '')) {
    throw new InvalidSpace(`Expected ${what} to be a space (kind one of ${kinds.join(', ')}), got ${describeValue(s)}.`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Description, membership and validation
// ---------------------------------------------------------------------------------------------------------

function fmtBound(x: number, float32 = false): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (float32 && Math.fround(x) === x) {
    // The shortest decimal that reads back as the same float32 (4.8, not 4.800000190734863).
    for (let p = 1; p < 10; p++) {
      const text = String(Number(x.toPrecision(p)));
      if (Math.fround(Number(text)) === x) return text;
    }
  }
  return String(x);
}

function fmtBounds(b: readonly number[], float32: boolean): string {
  const allSame = b.every((x) => x === b[0]);
  if (allSame && b.length > 0) return fmtBound(b[0]!, float32);
  const head = b.slice(0, 6).map((x) => fmtBound(x, float32)).join(', ');
  return `[${head}${b.length > 6 ? ', ...' : ''}]`;
}

/** A short readable form: `Box(-1, 1, [3], float32)`, `Discrete(2)`, `Dict(a: Discrete(3))`. */
export function describeSpace(space: AnySpace): string {
  switch (space.kind) {
    case 'box':
      return `Box(${fmtBounds(space.low, space.dtype === 'float32')}, ${fmtBounds(space.high, space.dtype === 'float32')}, [${space.shape.join(', ')}], ${space.dtype})`;
    case 'discrete':
      return space.start === 0 ? `Discrete(${space.n})` : `Discrete(${space.n}, start=${space.start})`;
    case 'multi-discrete':
      return `MultiDiscrete([${space.nvec.join(', ')}])`;
    case 'multi-binary':
      return `MultiBinary(${space.n})`;
    case 'tuple':
      return `Tuple(${space.spaces.map(describeSpace).join(', ')})`;
    case 'dict':
      return `Dict(${Object.entries(space.spaces).map(([k, s]) => `${k}: ${describeSpace(s)}`).join(', ')})`;
  }
}

const arrayCtor = {
  float32: Float32Array,
  float64: Float64Array,
  uint8: Uint8Array,
  int32: Int32Array,
} as const;

function isNumericArray(x: unknown): x is ArrayLike<number> {
  return (ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array)) || Array.isArray(x);
}

/**
 * Why `value` is not in `space`, as a sentence ("Expected ..., got ..."), or `null` when it is.
 * Float boxes accept any numeric array of the right length; integer boxes want integers.
 */
export function explainNotContained(space: AnySpace, value: unknown): string | null {
  switch (space.kind) {
    case 'box': {
      const size = shapeSize(space.shape);
      const want = `a ${arrayCtor[space.dtype].name} of shape [${space.shape.join(', ')}] in ${describeSpace(space)}`;
      if (!isNumericArray(value)) return `Expected ${want}, got ${describeValue(value)}.`;
      if (value.length !== size) return `Expected ${want}, got ${value.length} elements instead of ${size}: ${describeValue(value)}.`;
      const integer = space.dtype === 'uint8' || space.dtype === 'int32';
      const low = space.low, high = space.high;
      for (let i = 0; i < size; i++) {
        const x = value[i] as unknown;
        if (typeof x !== 'number' || Number.isNaN(x)) return `Expected ${want}, got ${describeValue(x)} at element ${i}.`;
        if (integer && !Number.isInteger(x)) return `Expected ${want}, got the non-integer ${x} at element ${i}.`;
        if (x < low[i]! || x > high[i]!) {
          return `Expected ${want}, got ${x} at element ${i}, outside [${fmtBound(low[i]!)}, ${fmtBound(high[i]!)}].`;
        }
      }
      return null;
    }
    case 'discrete': {
      const want = `an integer in [${space.start}, ${space.start + space.n - 1}] for ${describeSpace(space)}`;
      if (typeof value !== 'number' || !Number.isInteger(value)) return `Expected ${want}, got ${describeValue(value)}.`;
      if (value < space.start || value >= space.start + space.n) return `Expected ${want}, got ${value}.`;
      return null;
    }
    case 'multi-discrete': {
      const want = `${space.nvec.length} integers for ${describeSpace(space)}`;
      if (!isNumericArray(value) || value.length !== space.nvec.length) return `Expected ${want}, got ${describeValue(value)}.`;
      for (let i = 0; i < space.nvec.length; i++) {
        const x = value[i]!;
        const lo = space.start[i]!, hi = lo + space.nvec[i]! - 1;
        if (!Number.isInteger(x) || x < lo || x > hi) return `Expected ${want}, got ${describeValue(x)} at element ${i}, outside [${lo}, ${hi}].`;
      }
      return null;
    }
    case 'multi-binary': {
      const want = `${space.n} bits (0 or 1) for ${describeSpace(space)}`;
      if (!isNumericArray(value) || value.length !== space.n) return `Expected ${want}, got ${describeValue(value)}.`;
      for (let i = 0; i < space.n; i++) {
        if (value[i] !== 0 && value[i] !== 1) return `Expected ${want}, got ${describeValue(value[i])} at element ${i}.`;
      }
      return null;
    }
    case 'tuple': {
      if (!Array.isArray(value) || value.length !== space.spaces.length) {
        return `Expected an array of ${space.spaces.length} values for ${describeSpace(space)}, got ${describeValue(value)}.`;
      }
      for (let i = 0; i < space.spaces.length; i++) {
        const why = explainNotContained(space.spaces[i]!, value[i]);
        if (why !== null) return `At tuple index ${i}: ${why}`;
      }
      return null;
    }
    case 'dict': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return `Expected an object with keys ${Object.keys(space.spaces).join(', ')} for ${describeSpace(space)}, got ${describeValue(value)}.`;
      }
      const obj = value as Record<string, unknown>;
      for (const [k, s] of Object.entries(space.spaces)) {
        if (!(k in obj)) return `Expected key "${k}" in the value for ${describeSpace(space)}, got keys ${Object.keys(obj).join(', ') || '(none)'}.`;
        const why = explainNotContained(s, obj[k]);
        if (why !== null) return `At key "${k}": ${why}`;
      }
      return null;
    }
  }
}

/** True when `value` is a member of `space`. */
export function contains<T>(space: Space<T>, value: unknown): value is T {
  return explainNotContained(space, value) === null;
}

/** Throws `InvalidSpace` naming the space and the value when `value` is not in `space`. */
export function assertContains<T>(space: Space<T>, value: unknown, what = 'value'): asserts value is T {
  const why = explainNotContained(space, value);
  if (why !== null) throw new InvalidSpace(`Invalid ${what}: ${why}`);
}

/** True when two spaces describe the same set (same kind, shapes, bounds and dtypes). */
export function spacesEqual(a: AnySpace, b: AnySpace): boolean {
  return JSON.stringify(spaceToJSON(a)) === JSON.stringify(spaceToJSON(b));
}

// ---------------------------------------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------------------------------------

/** Options of `sample`: a mask of allowed actions for Discrete (length n, 1 = allowed). */
export interface SampleOptions {
  mask?: ArrayLike<number>;
}

/**
 * A random member of `space`, drawn from `rng`. Bounded float boxes are uniform; unbounded elements are
 * standard normal, half-bounded ones a shifted exponential (as Gymnasium does); integer boxes are uniform.
 */
export function sample<T>(space: Space<T>, rng: Rng, options: SampleOptions = {}): T {
  return sampleAny(space, rng, options) as T;
}

function sampleAny(space: AnySpace, rng: Rng, options: SampleOptions): unknown {
  switch (space.kind) {
    case 'box': {
      const size = shapeSize(space.shape);
      const out = new arrayCtor[space.dtype](size);
      const integer = space.dtype === 'uint8' || space.dtype === 'int32';
      for (let i = 0; i < size; i++) {
        const lo = space.low[i]!, hi = space.high[i]!;
        let x: number;
        if (integer) x = lo + rng.int(hi - lo + 1);
        else if (Number.isFinite(lo) && Number.isFinite(hi)) x = lo + (hi - lo) * rng.float();
        else if (Number.isFinite(lo)) x = lo - Math.log1p(-rng.float());
        else if (Number.isFinite(hi)) x = hi + Math.log1p(-rng.float());
        else x = rng.normal();
        out[i] = x;
        // float32 rounding may round a draw onto or past the open upper end; keep it inside.
        if (out[i]! > hi) out[i] = hi;
        if (out[i]! < lo) out[i] = lo;
      }
      return out;
    }
    case 'discrete': {
      const mask = options.mask;
      if (mask === undefined) return space.start + rng.int(space.n);
      if (mask.length !== space.n) {
        throw new InvalidSpace(`Expected an action mask of length ${space.n} for ${describeSpace(space)}, got length ${mask.length}.`);
      }
      let allowed = 0;
      for (let i = 0; i < space.n; i++) if (mask[i]) allowed++;
      if (allowed === 0) return space.start; // Gymnasium returns start when no action is allowed.
      let k = rng.int(allowed);
      for (let i = 0; i < space.n; i++) if (mask[i] && k-- === 0) return space.start + i;
      return space.start;
    }
    case 'multi-discrete': {
      const out = new Int32Array(space.nvec.length);
      for (let i = 0; i < out.length; i++) out[i] = space.start[i]! + rng.int(space.nvec[i]!);
      return out;
    }
    case 'multi-binary': {
      const out = new Uint8Array(space.n);
      for (let i = 0; i < space.n; i++) out[i] = rng.uint32() & 1;
      return out;
    }
    case 'tuple':
      return space.spaces.map((s) => sampleAny(s, rng, {}));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(space.spaces)) out[k] = sampleAny(s, rng, {});
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Flattening for networks
// ---------------------------------------------------------------------------------------------------------

/** Length of `flatten(space, x)`: Box size, Discrete n (one-hot), sum of nvec, n bits, sums for Tuple/Dict. */
export function flatdim(space: AnySpace): number {
  switch (space.kind) {
    case 'box':
      return shapeSize(space.shape);
    case 'discrete':
      return space.n;
    case 'multi-discrete':
      return space.nvec.reduce((a, b) => a + b, 0);
    case 'multi-binary':
      return space.n;
    case 'tuple':
      return space.spaces.reduce((a, s) => a + flatdim(s), 0);
    case 'dict':
      return Object.values(space.spaces).reduce((a, s) => a + flatdim(s), 0);
  }
}

/** Writes `value` into `out` from `offset` as float32s (one-hot for discrete parts); returns `out`. */
export function flatten<T>(space: Space<T>, value: T, out: Float32Array = new Float32Array(flatdim(space)), offset = 0): Float32Array {
  const need = flatdim(space);
  if (out.length - offset < need) {
    throw new InvalidSpace(`Expected an output buffer with ${need} free elements for ${describeSpace(space)}, got ${out.length - offset}.`);
  }
  flattenInto(space, value, out, offset);
  return out;
}

function flattenInto(space: AnySpace, value: unknown, out: Float32Array, offset: number): number {
  switch (space.kind) {
    case 'box': {
      const v = value as ArrayLike<number>;
      const n = shapeSize(space.shape);
      for (let i = 0; i < n; i++) out[offset + i] = v[i]!;
      return offset + n;
    }
    case 'discrete':
      out.fill(0, offset, offset + space.n);
      out[offset + (value as number) - space.start] = 1;
      return offset + space.n;
    case 'multi-discrete': {
      const v = value as ArrayLike<number>;
      for (let i = 0; i < space.nvec.length; i++) {
        const n = space.nvec[i]!;
        out.fill(0, offset, offset + n);
        out[offset + v[i]! - space.start[i]!] = 1;
        offset += n;
      }
      return offset;
    }
    case 'multi-binary': {
      const v = value as ArrayLike<number>;
      for (let i = 0; i < space.n; i++) out[offset + i] = v[i]!;
      return offset + space.n;
    }
    case 'tuple': {
      const v = value as unknown[];
      space.spaces.forEach((s, i) => (offset = flattenInto(s, v[i], out, offset)));
      return offset;
    }
    case 'dict': {
      const v = value as Record<string, unknown>;
      for (const [k, s] of Object.entries(space.spaces)) offset = flattenInto(s, v[k], out, offset);
      return offset;
    }
  }
}

/** The inverse of `flatten`: rebuilds a value of `space` from `flat` (argmax for one-hot parts). */
export function unflatten<T>(space: Space<T>, flat: ArrayLike<number>): T {
  const need = flatdim(space);
  if (flat.length !== need) {
    throw new InvalidSpace(`Expected ${need} flat elements for ${describeSpace(space)}, got ${flat.length}.`);
  }
  return unflattenFrom(space, flat, 0)[0] as T;
}

function argmax(a: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[from + i]! > a[from + best]!) best = i;
  return best;
}

function unflattenFrom(space: AnySpace, flat: ArrayLike<number>, offset: number): [unknown, number] {
  switch (space.kind) {
    case 'box': {
      const n = shapeSize(space.shape);
      const out = new arrayCtor[space.dtype](n);
      for (let i = 0; i < n; i++) out[i] = flat[offset + i]!;
      return [out, offset + n];
    }
    case 'discrete':
      return [space.start + argmax(flat, offset, space.n), offset + space.n];
    case 'multi-discrete': {
      const out = new Int32Array(space.nvec.length);
      for (let i = 0; i < out.length; i++) {
        out[i] = space.start[i]! + argmax(flat, offset, space.nvec[i]!);
        offset += space.nvec[i]!;
      }
      return [out, offset];
    }
    case 'multi-binary': {
      const out = new Uint8Array(space.n);
      for (let i = 0; i < space.n; i++) out[i] = flat[offset + i]! > 0.5 ? 1 : 0;
      return [out, offset + space.n];
    }
    case 'tuple': {
      const out: unknown[] = [];
      for (const s of space.spaces) {
        const [v, next] = unflattenFrom(s, flat, offset);
        out.push(v);
        offset = next;
      }
      return [out, offset];
    }
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(space.spaces)) {
        const [v, next] = unflattenFrom(s, flat, offset);
        out[k] = v;
        offset = next;
      }
      return [out, offset];
    }
  }
}

/** The flat Box a space flattens to (float32, bounds from the space; one-hot parts in [0, 1]). */
export function flattenSpace(space: AnySpace): BoxSpace<'float32'> {
  const low: number[] = [];
  const high: number[] = [];
  const walk = (s: AnySpace): void => {
    switch (s.kind) {
      case 'box':
        low.push(...s.low);
        high.push(...s.high);
        return;
      case 'tuple':
        s.spaces.forEach(walk);
        return;
      case 'dict':
        Object.values(s.spaces).forEach(walk);
        return;
      default: {
        const n = flatdim(s);
        for (let i = 0; i < n; i++) {
          low.push(0);
          high.push(1);
        }
      }
    }
  };
  walk(space);
  return box({ low, high, shape: [low.length], dtype: 'float32' });
}

// ---------------------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------------------

/** A JSON-safe form of a space: infinite bounds become the strings "inf" and "-inf". */
export type SpaceJSON =
  | { kind: 'box'; shape: number[]; dtype: BoxDtype; low: (number | string)[]; high: (number | string)[] }
  | { kind: 'discrete'; n: number; start: number }
  | { kind: 'multi-discrete'; nvec: number[]; start: number[] }
  | { kind: 'multi-binary'; n: number }
  | { kind: 'tuple'; spaces: SpaceJSON[] }
  | { kind: 'dict'; spaces: Record<string, SpaceJSON> };

const boundToJSON = (x: number): number | string => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x);

/** Converts a space to JSON-safe data (see `SpaceJSON`). */
export function spaceToJSON(space: AnySpace): SpaceJSON {
  switch (space.kind) {
    case 'box':
      return { kind: 'box', shape: [...space.shape], dtype: space.dtype, low: space.low.map(boundToJSON), high: space.high.map(boundToJSON) };
    case 'discrete':
      return { kind: 'discrete', n: space.n, start: space.start };
    case 'multi-discrete':
      return { kind: 'multi-discrete', nvec: [...space.nvec], start: [...space.start] };
    case 'multi-binary':
      return { kind: 'multi-binary', n: space.n };
    case 'tuple':
      return { kind: 'tuple', spaces: space.spaces.map(spaceToJSON) };
    case 'dict':
      return { kind: 'dict', spaces: Object.fromEntries(Object.entries(space.spaces).map(([k, s]) => [k, spaceToJSON(s)])) };
  }
}

function boundFromJSON(x: unknown, where: string): number {
  if (x === 'inf') return Infinity;
  if (x === '-inf') return -Infinity;
  if (typeof x === 'number') return x;
  throw new InvalidSpace(`Expected ${where} to be a number, "inf" or "-inf", got ${describeValue(x)}.`);
}

/** Rebuilds and validates a space from `spaceToJSON` output (or a parsed JSON file). */
export function spaceFromJSON(json: unknown): AnySpace {
  if (json === null || typeof json !== 'object') throw new InvalidSpace(`Expected a space object, got ${describeValue(json)}.`);
  const j = json as Record<string, unknown>;
  switch (j.kind) {
    case 'box': {
      const low = Array.isArray(j.low) ? j.low.map((x, i) => boundFromJSON(x, `Box low[${i}]`)) : boundFromJSON(j.low, 'Box low');
      const high = Array.isArray(j.high) ? j.high.map((x, i) => boundFromJSON(x, `Box high[${i}]`)) : boundFromJSON(j.high, 'Box high');
      return box({ low, high, shape: j.shape as number[], dtype: (j.dtype ?? 'float32') as BoxDtype });
    }
    case 'discrete':
      return discrete(j.n as number, { start: (j.start ?? 0) as number });
    case 'multi-discrete':
      return multiDiscrete(j.nvec as number[], j.start === undefined ? {} : { start: j.start as number[] });
    case 'multi-binary':
      return multiBinary(j.n as number);
    case 'tuple':
      if (!Array.isArray(j.spaces)) throw new InvalidSpace(`Expected Tuple spaces to be an array, got ${describeValue(j.spaces)}.`);
      return tuple(j.spaces.map(spaceFromJSON));
    case 'dict':
      if (j.spaces === null || typeof j.spaces !== 'object') throw new InvalidSpace(`Expected Dict spaces to be an object, got ${describeValue(j.spaces)}.`);
      return dict(Object.fromEntries(Object.entries(j.spaces as Record<string, unknown>).map(([k, s]) => [k, spaceFromJSON(s)])));
    default:
      throw new InvalidSpace(`Expected a space kind (box, discrete, multi-discrete, multi-binary, tuple, dict), got ${describeValue(j.kind)}.`);
  }
}
