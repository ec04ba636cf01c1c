/**
 * Loads an environment from a registered id or a user's module path such as `./my-env.ts:MyEnv`.
 * Node only (it imports files). Modules load through tsx, so a TypeScript file works in any folder, with or
 * without `"type": "module"` in its package.json.
 */
import type { AnyEnv } from '../core/env.js';
import { InvalidConfig, InvalidSpace, RxgymError, describeValue } from '../core/errors.js';
import { spaceFromJSON, spaceToJSON, type AnySpace } from '../core/spaces.js';
import './builtin.js';
import { make, type MakeOptions } from './registry.js';
import { PassiveEnvChecker } from './wrappers/passive-checker.js';
import { TimeLimit } from './wrappers/time-limit.js';

/** True when `target` looks like a module path rather than a registered id. */
export function isModuleTarget(target: string): boolean {
  return /^(\.{1,2}\/|\/|file:)/.test(target) || /\.(m?[jt]s|cjs|cts|mts)(:[\w$]+)?$/.test(target);
}

/** Splits `./dir/env.ts:Export` into the path and the export name (undefined when none is given). */
export function parseModuleTarget(target: string): { path: string; exportName: string | undefined } {
  const m = /^(.*?\.(?:m?[jt]s|cjs|cts|mts))(?::([\w$]+))?$/.exec(target);
  if (m) return { path: m[1]!, exportName: m[2] };
  const colon = target.lastIndexOf(':');
  if (colon > 1) return { path: target.slice(0, colon), exportName: target.slice(colon + 1) };
  return { path: target, exportName: undefined };
}

function looksLikeEnv(value: unknown): value is AnyEnv {
  const v = value as Partial<AnyEnv> | null;
  return v !== null && typeof v === 'object' && typeof v.reset === 'function' && typeof v.step === 'function' && 'actionSpace' in v;
}

/**
 * Builds an environment from a registered id (through `make`) or from a module export: a class is
 * constructed with `kwargs`, a function is called with `kwargs`, an env object is used as is. Without an
 * export name the module's default export is used, or its only exported class/function. A module env is
 * checked like a registered one unless `disableEnvChecker`: its spaces at load (`InvalidSpace` naming it),
 * then every step through the same `PassiveEnvChecker` that `make()` adds. `maxEpisodeSteps` (a number)
 * adds a `TimeLimit`.
 */
export async function loadEnv(target: string, kwargs: Record<string, unknown> = {}, options: MakeOptions = {}): Promise<AnyEnv> {
  if (!isModuleTarget(target)) return make(target, kwargs, options);
  const { path, exportName } = parseModuleTarget(target);
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  const { existsSync } = await import('node:fs');
  const file = path.startsWith('file:') ? new URL(path) : pathToFileURL(resolve(process.cwd(), path));
  if (!path.startsWith('file:') && !existsSync(resolve(process.cwd(), path))) {
    throw new InvalidConfig(`Expected an environment module at "${path}", got no such file (relative to ${process.cwd()}).`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = moduleExports((await importModule(file.href)) as Record<string, unknown>);
  } catch (err) {
    throw new RxgymError('MODULE_LOAD_FAILED', `Could not import environment module "${path}": ${(err as Error).message}`, { cause: err });
  }
  let exported: unknown;
  if (exportName !== undefined) {
    if (!(exportName in mod)) {
      throw new InvalidConfig(`Expected "${path}" to export "${exportName}", got exports: ${Object.keys(mod).join(', ') || '(none)'}.`);
    }
    exported = mod[exportName];
  } else if (mod['default'] !== undefined) {
    exported = mod['default'];
  } else {
    const candidates = Object.entries(mod).filter(([, v]) => typeof v === 'function' || looksLikeEnv(v));
    if (candidates.length !== 1) {
      throw new InvalidConfig(
        `Expected "${path}" to have a default export or exactly one exported environment class, got ${candidates.length}: ${candidates.map(([k]) => k).join(', ') || '(none)'}. Name one: "${path}:Name".`,
      );
    }
    exported = candidates[0]![1];
  }
  const env = instantiate(exported, kwargs, `${path}${exportName ? `:${exportName}` : ''}`);
  if (!looksLikeEnv(env)) {
    throw new InvalidConfig(`Expected "${target}" to give an environment (an object with reset, step, actionSpace), got ${describeValue(env)}.`);
  }
  // Wrappers and error messages reach the innermost env through `unwrapped`, which a plain object may lack.
  if ((env as { unwrapped?: unknown }).unwrapped === undefined) {
    try {
      Object.defineProperty(env, 'unwrapped', { value: env, configurable: true });
    } catch {
      // a frozen object: messages then fall back to a generic name
    }
  }
  let wrapped: AnyEnv = env;
  if (!options.disableEnvChecker) {
    // Before the checker, which reads the action space; `check-env` disables both to report every problem itself.
    const label = moduleEnvName(env, target);
    checkSpace(env.observationSpace, `${label}.observationSpace`);
    checkSpace(env.actionSpace, `${label}.actionSpace`);
    wrapped = new PassiveEnvChecker(wrapped);
  }
  if (typeof options.maxEpisodeSteps === 'number') wrapped = new TimeLimit(wrapped, options.maxEpisodeSteps);
  return wrapped;
}

/** How messages name a module env: its class (`CustomEnv`), or the module target for a plain object. */
function moduleEnvName(env: AnyEnv, target: string): string {
  const name = (env as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : `"${target}"`;
}

/** Throws `InvalidSpace` naming `what` unless `space` is a core space (one that survives its JSON form). */
function checkSpace(space: unknown, what: string): void {
  const expected = `Expected ${what} to be a space (discrete(n), box({ low, high, shape }), ... from rxgym/core)`;
  if (space === null || typeof space !== 'object') throw new InvalidSpace(`${expected}, got ${describeValue(space)}.`);
  try {
    spaceFromJSON(JSON.parse(JSON.stringify(spaceToJSON(space as AnySpace))));
  } catch (err) {
    throw new InvalidSpace(`${expected}, got ${describeValue(space)}: ${(err as Error).message}`);
  }
}

/** Marks the URLs of the user's own TypeScript files, which the hooks below load as ES modules. */
const ESM_MARK = 'rxgym-esm';

/**
 * Module resolve hooks, run in Node's loader thread (hence plain JavaScript in a string). A TypeScript file
 * in a folder whose package.json lacks `"type": "module"` (or that has none) would load as CommonJS: then
 * `import ... from 'rxgym/core'` finds no `require` export, top-level await fails, and a plain `import()`
 * fails with "Cannot require() ES Module ... in a cycle". These hooks make the user's module, and the
 * TypeScript files it imports by relative path (outside node_modules), ES modules; tsx compiles them.
 */
const ESM_HOOKS = `
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
const MARK = ${JSON.stringify(ESM_MARK)};
const isFile = (p) => existsSync(p) && statSync(p).isFile();
function localTypeScript(specifier, parentURL) {
  if (!/^(\\.{1,2}\\/|file:)/.test(specifier)) return undefined;
  const base = fileURLToPath(new URL(specifier, parentURL));
  if (/[\\\\/]node_modules[\\\\/]/.test(base)) return undefined;
  const stem = base.replace(/\\.(m?js|jsx)$/, '');
  for (const p of [base, stem + '.ts', stem + '.mts', stem + '.tsx', base + '.ts', base + '/index.ts']) {
    if (/\\.(ts|mts|tsx)$/.test(p) && isFile(p)) return p;
  }
  return undefined;
}
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent !== undefined && parent.startsWith('file:') && new URL(parent).searchParams.has(MARK)) {
    const path = localTypeScript(specifier, parent);
    if (path !== undefined) return { url: pathToFileURL(path).href + '?' + MARK, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}`;

let hooksRegistered: Promise<void> | undefined;

/**
 * Imports a user's module as an ES module whatever its folder's package.json says, compiling TypeScript
 * through tsx's scoped loader.
 */
async function importModule(href: string): Promise<unknown> {
  hooksRegistered ??= import('node:module').then(({ register }) => register(`data:text/javascript,${encodeURIComponent(ESM_HOOKS)}`));
  await hooksRegistered;
  const { tsImport } = await import('tsx/esm/api');
  const parent = new URL(href);
  parent.searchParams.set(ESM_MARK, '');
  return tsImport(href, { parentURL: parent.href });
}

/**
 * The module's own exports. A file that Node treats as CommonJS (no `"type": "module"` nearby) comes back as
 * `{ ...exports, default: module.exports }`, and its `export default` as `default.default`; unwrap that shape.
 */
function moduleExports(mod: Record<string, unknown>): Record<string, unknown> {
  const inner = mod['default'];
  if (inner === null || typeof inner !== 'object' || looksLikeEnv(inner)) return mod;
  const innerRecord = inner as Record<string, unknown>;
  const named = Object.keys(mod).filter((k) => k !== 'default');
  const isCommonJs = named.every((k) => k in innerRecord && innerRecord[k] === mod[k]);
  if (!isCommonJs) return mod;
  return Object.fromEntries(Object.entries(innerRecord).filter(([k]) => k !== '__esModule'));
}

function instantiate(exported: unknown, kwargs: Record<string, unknown>, label: string): unknown {
  if (looksLikeEnv(exported)) return exported;
  if (typeof exported !== 'function') throw new InvalidConfig(`Expected "${label}" to be an environment class or factory, got ${describeValue(exported)}.`);
  const fn = exported as (...args: unknown[]) => unknown;
  // A class cannot be called without `new`; its source text starts with "class".
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) return new (fn as unknown as new (kw: Record<string, unknown>) => unknown)(kwargs);
  return fn(kwargs);
}
