/**
 * The one set of config validators every algorithm uses: a table of field checks with the expectation as it
 * reads in an error message, defaults filled in, unknown keys refused with a suggestion, and prototype keys
 * (`__proto__`, `constructor`) never copied.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';

/** A field check and how its expectation reads: "Expected dqn.gamma to be <expected>, got ...". */
export type FieldRule = readonly [check: (v: unknown) => boolean, expected: string];

/** A number in [lo, hi] (or (lo, hi] with `loOpen`), finite. */
export const num = (lo: number, hi: number, loOpen = false) => (v: unknown): boolean =>
  typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi;
/** A safe integer >= lo (and <= hi). */
export const int = (lo: number, hi = Number.MAX_SAFE_INTEGER) => (v: unknown): boolean =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= lo && v <= hi;
/** A boolean. */
export const bool = (v: unknown): boolean => typeof v === 'boolean';
/** One of the given strings. */
export const oneOf = (...xs: string[]) => (v: unknown): boolean => typeof v === 'string' && xs.includes(v);
/** null, or what `check` accepts. */
export const nullOr = (check: (v: unknown) => boolean) => (v: unknown): boolean => v === null || check(v);
/** A non-empty array of layer widths, each at least 1 (whether the network fits in memory is the network's check). */
export const widths = (max = Number.MAX_SAFE_INTEGER) => (v: unknown): boolean => Array.isArray(v) && v.length > 0 && v.every(int(1, max));

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Fills `defaults` with `partial` and checks every field against `rules`; throws `InvalidConfig` naming the
 * first bad field ("Expected dqn.batchSize to be a positive integer, got 0.") or an unknown key.
 */
export function resolveConfig<C extends object>(
  algo: string,
  rules: { readonly [K in keyof C]: FieldRule },
  defaults: Readonly<C>,
  partial: unknown,
): C {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new InvalidConfig(`Expected a ${algo} config object, got ${describeValue(partial)}.`);
  }
  const keys = Object.keys(rules) as (keyof C & string)[];
  const config = structuredClone(defaults) as C;
  for (const key of Object.keys(partial)) {
    if (FORBIDDEN_KEYS.has(key) || !(keys as string[]).includes(key)) {
      const near = keys.find((k) => k.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ''));
      throw new InvalidConfig(`Expected a ${algo} config key (${keys.join(', ')}), got "${key}".${near ? ` Did you mean "${near}"?` : ''}`);
    }
    const value = (partial as Record<string, unknown>)[key];
    if (value !== undefined) (config as Record<string, unknown>)[key] = structuredClone(value);
  }
  for (const key of keys) {
    const [check, expected] = rules[key];
    if (!check(config[key])) throw new InvalidConfig(`Expected ${algo}.${key} to be ${expected}, got ${describeValue(config[key])}.`);
  }
  return config;
}

/**
 * Parses a whole number typed on the command line: decimal digits only (no `0x10`, no spaces, no exponent
 * unless `allowExponent`), within [min, max]. Throws `InvalidConfig` naming the flag.
 */
export function parseIntFlag(value: unknown, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = typeof value === 'number' ? String(value) : value;
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) {
    throw new InvalidConfig(`Expected ${flag} to be a whole number ${range} (digits only), got ${describeValue(value)}.`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidConfig(`Expected ${flag} to be a whole number ${range}, got ${describeValue(value)}.`);
  }
  return n;
}
