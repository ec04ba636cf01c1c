/** Argument checks shared by the wrappers: each throws `InvalidConfig` naming the wrapper and the expected form. */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { describeSpace, spaceFromJSON, spaceToJSON, type AnySpace, type BoxSpace } from '../../core/spaces.js';

/** A finite number, or throws "`<Wrapper>`: Expected <what> to be a finite number, got ...". */
export function finiteNumber(wrapper: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidConfig(`${wrapper}: Expected ${what} to be a finite number, got ${describeValue(value)}.`);
  }
  return value;
}

/** A positive integer (1 and up). */
export function positiveInt(wrapper: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidConfig(`${wrapper}: Expected ${what} to be an integer from 1 and up, got ${describeValue(value)}.`);
  }
  return value;
}

/** A function. */
export function fn(wrapper: string, what: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new InvalidConfig(`${wrapper}: Expected ${what} to be a function, got ${describeValue(value)}.`);
  }
}

/** `space` narrowed to a Box, or throws naming which of the env's spaces had the wrong kind. */
export function boxSpace(wrapper: string, what: 'action space' | 'observation space', space: AnySpace, floatOnly = false): BoxSpace {
  if (space.kind !== 'box' || (floatOnly && space.dtype !== 'float32' && space.dtype !== 'float64')) {
    throw new InvalidConfig(
      `${wrapper}: Expected the environment's ${what} to be a ${floatOnly ? 'float32 or float64 ' : ''}Box, got ${describeSpace(space)}.`,
    );
  }
  return space;
}

/** A lower bound below an upper bound (both finite, scalars or arrays of `size`), as numbers per element. */
export function bounds(wrapper: string, min: unknown, max: unknown, size: number): { low: number[]; high: number[] } {
  const expand = (v: unknown, what: string): number[] => {
    if (typeof v === 'number' && Number.isFinite(v)) return new Array<number>(size).fill(v);
    if ((Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<number>).length === size) {
      const arr = Array.from(v as ArrayLike<number>, Number);
      if (arr.every(Number.isFinite)) return arr;
    }
    throw new InvalidConfig(`${wrapper}: Expected ${what} to be a finite number or an array of ${size} finite numbers, got ${describeValue(v)}.`);
  };
  const low = expand(min, 'min');
  const high = expand(max, 'max');
  for (let i = 0; i < size; i++) {
    if (!(low[i]! < high[i]!)) {
      throw new InvalidConfig(`${wrapper}: Expected min < max, got min ${low[i]} and max ${high[i]}${size > 1 ? ` at element ${i}` : ''}.`);
    }
  }
  return { low, high };
}

/** An optional replacement space: undefined, or a space that passes core validation. */
export function optionalSpace(wrapper: string, what: string, value: unknown): void {
  if (value === undefined) return;
  try {
    spaceFromJSON(spaceToJSON(value as AnySpace));
  } catch {
    throw new InvalidConfig(`${wrapper}: Expected ${what} to be a core space (box(), discrete(), ...) or undefined, got ${describeValue(value)}.`);
  }
}
