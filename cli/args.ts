/**
 * Parsing what users type: `--set key=value` pairs, JSON options (`--env-kwargs`), config files, and paths quoted
 * for the hint commands rxgym prints. Everything refuses loose input with one line saying what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../core/errors.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses `key=value` pairs (value as JSON where it parses: numbers, booleans, arrays, null; else a string). */
export function parseSet(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidConfig(`Expected --set key=value (e.g. --set learningRate=0.001), got ${describeValue(pair)}.`);
    const key = pair.slice(0, eq).trim();
    if (FORBIDDEN_KEYS.has(key) || !/^[A-Za-z_][\w]*$/.test(key)) {
      throw new InvalidConfig(`Expected --set to name a config field (letters, digits, _), got ${describeValue(key)}.`);
    }
    const raw = pair.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare string such as relu
    }
    out[key] = value;
  }
  return { ...out };
}

/** Parses a JSON object option such as `--env-kwargs '{"length": 6}'`. */
export function parseJsonObject(text: unknown, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(String(text));
  } catch {
    throw new InvalidConfig(`Expected ${flag} to be a JSON object such as '{"key": 1}', got ${describeValue(text)}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidConfig(`Expected ${flag} to be a JSON object such as '{"key": 1}', got ${describeValue(value)}.`);
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new InvalidConfig(`Expected ${flag} keys to be plain names, got ${describeValue(key)}.`);
  }
  return value as Record<string, unknown>;
}

/** Reads a JSON object of config fields (or a preset-shaped `{ steps, config }` file). */
export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new InvalidConfig(`Expected a config file at ${path}, got no such file.`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidConfig(`Expected ${path} to hold a JSON object of config fields, got invalid JSON (${(err as Error).message}).`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidConfig(`Expected ${path} to hold a JSON object of config fields, got ${describeValue(json)}.`);
  }
  const obj = json as Record<string, unknown>;
  const fields = 'config' in obj && typeof obj['config'] === 'object' && obj['config'] !== null ? obj['config'] : obj;
  return parseJsonObject(JSON.stringify(fields), path);
}

/** Reads a JSON file that must hold an object (a run's config.json); `CorruptFile` names it otherwise. */
export function readJsonObject<T extends object>(path: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CorruptFile(path, `Expected ${path} to hold ${what} (JSON), got unreadable content (${(err as Error).message}).`, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CorruptFile(path, `Expected ${path} to hold ${what} (a JSON object), got ${describeValue(json)}.`);
  }
  return json as T;
}

/** A path for a hint command: relative to the working folder, single-quoted when a shell would split or expand it. */
export function shellPath(path: string): string {
  const p = relative(process.cwd(), path) || '.';
  return /^[\w./@%+=:,-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
