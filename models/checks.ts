/**
 * The checks every model of the zoo makes on what it is given: rows of floats, named with the shape they should
 * have, and use before training.
 */
import { InvalidConfig, NotFitted, describeValue } from '../core/errors.js';

/** What checked values must be: finite floats, floats in [0, 1] (probabilities, Bernoulli targets), or exactly 0 or 1. */
export type RowValues = 'finite' | 'unit' | 'binary';

const EXPECTED: Record<RowValues, string> = { finite: 'finite values', unit: 'values in [0, 1]', binary: 'binary values (0 or 1)' };

/**
 * Throws `InvalidConfig` naming the expected form unless n is a positive integer and `data` a Float32Array of at
 * least n x dim values whose first n x dim are `values` (NaN is never one); longer arrays are fine (reused buffers).
 */
export function checkRows(data: unknown, n: unknown, dim: number, what: string, values: RowValues = 'finite'): asserts data is Float32Array {
  if (!Number.isInteger(n) || (n as number) < 1) throw new InvalidConfig(`Expected n (the rows of ${what}) to be a positive integer, got ${describeValue(n)}.`);
  const need = (n as number) * dim;
  if (!(data instanceof Float32Array) || data.length < need) {
    throw new InvalidConfig(`Expected ${what} to be a Float32Array of n x dim = ${n} x ${dim} = ${need} values, got ${describeValue(data)}.`);
  }
  for (let k = 0; k < need; k++) {
    const v = data[k]!;
    const ok = values === 'finite' ? Number.isFinite(v) : values === 'unit' ? v >= 0 && v <= 1 : v === 0 || v === 1;
    if (!ok) {
      throw new InvalidConfig(`Expected ${what} (n x dim = ${n} x ${dim}) to hold ${EXPECTED[values]}, got ${describeValue(v)} at row ${Math.floor(k / dim)}, column ${k % dim}.`);
    }
  }
}

/**
 * Throws `NotFitted` unless `fitted`: `model` names the model ('VAE'), `action` what was asked ('sample()'),
 * `loader` how to restore a trained one ('loadVae()').
 */
export function checkFitted(fitted: boolean, model: string, action: string, loader = 'load()'): void {
  if (!fitted) throw new NotFitted(`Expected a fitted ${model} before ${action}, got an untrained one: call fit() or ${loader} first.`);
}
