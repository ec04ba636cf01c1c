/**
 * Environment snapshots, for resuming a training run exactly: `snapshotEnv(env)` records every layer of a
 * wrapper stack (outermost first) with its own `getState()`, and `restoreEnv(env, snapshot)` puts them back into
 * a freshly made stack of the same layers. Also the small schema toolkit the built-ins validate their states with.
 *
 * A snapshot is plain JSON. Floats stay numbers; the four values JSON cannot hold (-0, NaN, +-Infinity) are
 * written as the strings "-0", "NaN", "Infinity" and "-Infinity", so every float64 comes back bit for bit.
 */
import { Wrapper, type AnyEnv, type JsonValue } from '../core/env.js';
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, type RngState } from '../core/rng.js';

/** One layer of a snapshot: its class name and its own state (null for a stateless layer). */
export type EnvSnapshotLayer = { name: string; state: JsonValue };

/** What `snapshotEnv` returns: the layers from the outermost wrapper down to the unwrapped env. Plain JSON. */
export type EnvSnapshot = { layers: EnvSnapshotLayer[] };

/** The layers of a wrapper stack, outermost first, down to the last `Wrapper`'s inner env. */
function layersOf(env: AnyEnv): AnyEnv[] {
  const layers: AnyEnv[] = [env];
  let layer = env;
  while (layer instanceof Wrapper) {
    layer = layer.env as AnyEnv;
    layers.push(layer);
  }
  return layers;
}

function layerName(layer: AnyEnv): string {
  return layer.constructor.name;
}

/** Why a layer cannot be saved, or null when it can. */
function whyUnsavable(layer: AnyEnv, isLast: boolean): string | null {
  // A wrapper that does not extend Wrapper hides the env below it: its state alone would not be the whole story.
  if (isLast && layer.unwrapped !== layer) return 'it wraps an environment without extending Wrapper';
  if (layer.stateless === true) return null;
  if (typeof layer.getState !== 'function' || typeof layer.setState !== 'function') {
    return 'it is neither marked stateless nor implements getState() and setState()';
  }
  return null;
}

/** The class name of the first layer (outermost first) that cannot be saved, or null when `snapshotEnv` works. */
export function unsavableLayer(env: AnyEnv): string | null {
  const layers = layersOf(env);
  for (let i = 0; i < layers.length; i++) {
    if (whyUnsavable(layers[i]!, i === layers.length - 1) !== null) return layerName(layers[i]!);
  }
  return null;
}

/**
 * Every layer's class name and state, outermost first: restore it into a fresh stack of the same layers to
 * continue exactly. Null when a layer cannot be saved (a custom env without `getState`): `unsavableLayer(env)`
 * names it.
 */
export function snapshotEnv(env: AnyEnv): EnvSnapshot | null {
  const layers = layersOf(env);
  const out: EnvSnapshotLayer[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    if (whyUnsavable(layer, i === layers.length - 1) !== null) return null;
    out.push({ name: layerName(layer), state: layer.stateless === true ? null : layer.getState!() });
  }
  return { layers: out };
}

function checkSnapshot(snapshot: unknown): EnvSnapshot {
  const s = snapshot as EnvSnapshot | null;
  const ok =
    s !== null && typeof s === 'object' && Array.isArray(s.layers) && s.layers.length > 0 &&
    s.layers.every((l) => l !== null && typeof l === 'object' && typeof l.name === 'string' && 'state' in l);
  if (!ok) throw new InvalidConfig(`Expected an env snapshot { layers: [{ name, state }, ...] } from snapshotEnv(), got ${describeValue(snapshot)}.`);
  return s!;
}

function restoreLayer(layer: AnyEnv, state: JsonValue): void {
  if (layer.stateless === true) {
    if (state !== null) throw new InvalidConfig(`${layerName(layer)}: Expected the state null of a stateless layer, got ${describeValue(state)}.`);
    return;
  }
  layer.setState!(state);
}

/**
 * Restores a `snapshotEnv` snapshot into `env`, which must have the same layers (class names, outermost first;
 * build it the same way, e.g. the same `make(id)` and wrappers). A mismatch or a malformed state throws
 * `InvalidConfig` and leaves `env` as it was.
 */
export function restoreEnv(env: AnyEnv, snapshot: EnvSnapshot): void {
  const saved = checkSnapshot(snapshot).layers;
  const layers = layersOf(env);
  const want = saved.map((l) => l.name);
  const have = layers.map(layerName);
  if (want.length !== have.length || want.some((name, i) => name !== have[i])) {
    const i = want.findIndex((name, j) => name !== have[j]);
    const where = i >= 0 && i < have.length ? ` (layer ${i + 1}: ${want[i]} in the snapshot, ${have[i]} here)` : '';
    throw new InvalidConfig(`Expected an environment with the layers ${want.join(' > ')}, got ${have.join(' > ')}${where}. Build it as the snapshot's was.`);
  }
  for (let i = 0; i < layers.length; i++) {
    const why = whyUnsavable(layers[i]!, i === layers.length - 1);
    if (why !== null) throw new InvalidConfig(`Expected every layer to be restorable, got ${have[i]}: ${why}.`);
  }
  // All or nothing: a state that fails half-way is rolled back, so the env stays usable.
  const before = layers.map((layer) => (layer.stateless === true ? null : layer.getState!()));
  let done = 0;
  try {
    for (; done < layers.length; done++) restoreLayer(layers[done]!, saved[done]!.state);
  } catch (err) {
    for (let i = 0; i < done; i++) restoreLayer(layers[i]!, before[i]!);
    throw err;
  }
}

// ---- Float encoding: exact for every float64, numbers stay numbers ----

/** A float as JSON: the number itself, or "-0", "NaN", "Infinity", "-Infinity" for the values JSON loses. */
export function encodeFloat(x: number): number | string {
  if (Number.isFinite(x)) return Object.is(x, -0) ? '-0' : x;
  return String(x);
}

/** `encodeFloat` of every element (typed arrays included). */
export function encodeFloats(values: ArrayLike<number>): (number | string)[] {
  return Array.from(values, encodeFloat);
}

const SPECIAL: Readonly<Record<string, number>> = { '-0': -0, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** The float `encodeFloat` wrote, or undefined when `value` is no such encoding. */
function decodeFloat(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && Object.hasOwn(SPECIAL, value)) return SPECIAL[value];
  return undefined;
}

// ---- State schemas: one declaration gives the typed reader and the "Expected ..." message ----

/** Marks a value a field rejects. */
const BAD: unique symbol = Symbol('bad');

/** One field of a state schema: the expected form (for messages) and a reader that returns `BAD` on a misfit. */
export interface StateField<T> {
  readonly expected: string;
  read(value: JsonValue | undefined): T | typeof BAD;
}

/** A validated reader of states of shape `T`. */
export interface StateSchema<T> {
  /** The expected shape as text, e.g. `{ elapsedSteps: an integer >= 0 }`. */
  readonly expected: string;
  /** Checks every field of `state` (no missing, no extra keys) and returns them typed; `who` names the env in errors. */
  parse(state: JsonValue, who: string): T;
}

type FieldValue<F> = F extends StateField<infer T> ? T : never;

/** A schema for an object state: each key of `shape` is a field from `stateFields`. */
export function stateSchema<S extends Record<string, StateField<unknown>>>(shape: S): StateSchema<{ [K in keyof S]: FieldValue<S[K]> }> {
  const keys = Object.keys(shape);
  const expected = `{ ${keys.map((k) => `${k}: ${shape[k]!.expected}`).join(', ')} }`;
  return {
    expected,
    parse(state, who) {
      const fail = (got: string): never => {
        throw new InvalidConfig(`${who}: Expected a state ${expected}, got ${got}.`);
      };
      if (state === null || typeof state !== 'object' || Array.isArray(state)) fail(describeValue(state));
      const record = state as { [key: string]: JsonValue };
      for (const key of Object.keys(record)) if (!Object.hasOwn(shape, key)) fail(`an unexpected key "${key}"`);
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const value = record[key];
        const read = shape[key]!.read(value);
        if (read === BAD) fail(`${key}: ${value === undefined ? 'missing' : describeValue(value)}`);
        out[key] = read;
      }
      return out as { [K in keyof S]: FieldValue<S[K]> };
    },
  };
}

function integer(min: number, max: number, value: JsonValue | undefined): number | typeof BAD {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max ? value : BAD;
}

function range(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return `an integer >= ${min}`;
  return `an integer in [${min}, ${max}]`;
}

/** The fields a `stateSchema` is built from. */
export const stateFields = {
  /** A float written by `encodeFloat`. */
  float(): StateField<number> {
    return { expected: 'a number', read: (v) => decodeFloat(v) ?? BAD };
  },
  /** `length` floats written by `encodeFloats` (any length when omitted), read as numbers. */
  floats(length?: number): StateField<number[]> {
    return {
      expected: length === undefined ? 'an array of numbers' : `${length} numbers`,
      read(v) {
        if (!Array.isArray(v) || (length !== undefined && v.length !== length)) return BAD;
        const out: number[] = [];
        for (const x of v) {
          const f = decodeFloat(x);
          if (f === undefined) return BAD;
          out.push(f);
        }
        return out;
      },
    };
  },
  /** An integer in [min, max]. */
  int(min = 0, max = Number.MAX_SAFE_INTEGER): StateField<number> {
    return { expected: range(min, max), read: (v) => integer(min, max, v) };
  },
  /** An array of integers in [min, max], with a length in [minLength, maxLength]. */
  ints(min: number, max: number, minLength = 0, maxLength = Number.MAX_SAFE_INTEGER): StateField<number[]> {
    const size = minLength === maxLength ? `${minLength}` : maxLength === Number.MAX_SAFE_INTEGER ? `${minLength} or more` : `${minLength} to ${maxLength}`;
    return {
      expected: `${size} integers in [${min}, ${max}]`,
      read(v) {
        if (!Array.isArray(v) || v.length < minLength || v.length > maxLength) return BAD;
        return v.every((x) => integer(min, max, x) !== BAD) ? (v as number[]).slice() : BAD;
      },
    };
  },
  /** true or false. */
  bool(): StateField<boolean> {
    return { expected: 'true or false', read: (v) => (typeof v === 'boolean' ? v : BAD) };
  },
  /** One of the given strings. */
  oneOf<const T extends string>(...options: T[]): StateField<T> {
    return { expected: options.map((o) => JSON.stringify(o)).join(' | '), read: (v) => (options.includes(v as T) ? (v as T) : BAD) };
  },
  /** Any string. */
  string(): StateField<string> {
    return { expected: 'a string', read: (v) => (typeof v === 'string' ? v : BAD) };
  },
  /** `length` strings (any number when omitted). */
  strings(length?: number): StateField<string[]> {
    return {
      expected: length === undefined ? 'an array of strings' : `${length} strings`,
      read: (v) => (Array.isArray(v) && (length === undefined || v.length === length) && v.every((x) => typeof x === 'string') ? (v as string[]).slice() : BAD),
    };
  },
  /** `field`, or null. */
  nullable<T>(field: StateField<T>): StateField<T | null> {
    return { expected: `${field.expected} or null`, read: (v) => (v === null ? null : field.read(v)) };
  },
  /** An `Rng.getState()`: four unsigned 32-bit integers, not all zero. */
  rng(): StateField<RngState> {
    return {
      expected: '4 unsigned 32-bit integers (Rng.getState())',
      read(v) {
        try {
          return Rng.fromState(v as RngState).getState();
        } catch {
          return BAD;
        }
      },
    };
  },
} as const;
