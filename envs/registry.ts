/**
 * The environment registry: `register()` an id such as `CartPole-v1` with a factory and its limits, then
 * `make(id)` builds it wrapped as users expect: `OrderEnforcing<TimeLimit<PassiveEnvChecker<Env>>>`.
 * Built-in environments declare their types in `RegisteredEnvs`, so `make('CartPole-v1')` is typed.
 */
import type { AnyEnv, Env, EnvSpec } from '../core/env.js';
import { InvalidConfig, RegistrationError, UnregisteredEnv, describeValue } from '../core/errors.js';
import { OrderEnforcing } from './wrappers/order-enforcing.js';
import { PassiveEnvChecker } from './wrappers/passive-checker.js';
import { TimeLimit } from './wrappers/time-limit.js';

/**
 * Maps registered ids to their environment types; built-in env modules add to it with
 * `declare module '.../registry.js' { interface RegisteredEnvs { 'CartPole-v1': CartPoleEnv } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface RegisteredEnvs {}

/** Builds an environment from keyword arguments. */
export type EnvFactory<E extends AnyEnv = AnyEnv> = (kwargs: Record<string, unknown>) => E;

/** What `register()` takes. */
export interface Registration<E extends AnyEnv = AnyEnv> {
  /** `Name-vN` (optionally `namespace/Name-vN`). */
  id: string;
  /** Builds the environment; receives the registered kwargs merged with `make()`'s. */
  entryPoint: EnvFactory<E>;
  /** Name of the entry point for display (e.g. `CartPoleEnv`); default the factory's name. */
  entryPointName?: string;
  maxEpisodeSteps?: number;
  rewardThreshold?: number;
  nondeterministic?: boolean;
  /** Default keyword arguments. */
  kwargs?: Record<string, unknown>;
}

/** Per-call options of `make()`. */
export interface MakeOptions {
  /** Overrides the registered limit; `null` removes the TimeLimit. */
  maxEpisodeSteps?: number | null;
  /** Skip the passive checker (it validates every action and reward). Default false. */
  disableEnvChecker?: boolean;
  /** Skip order enforcing. Default false. */
  disableOrderEnforcing?: boolean;
}

interface Entry {
  spec: EnvSpec;
  factory: EnvFactory;
}

const registry = new Map<string, Entry>();
const idPattern = /^(?:[\w.-]+\/)?[\w.:-]+?(?:-v\d+)?$/;

/** Registers an environment id. Registering an id twice throws `RegistrationError`. */
export function register<E extends AnyEnv>(registration: Registration<E>): void {
  const { id, entryPoint } = registration;
  if (typeof id !== 'string' || !idPattern.test(id)) {
    throw new RegistrationError(`Expected an environment id like "Name-v0" or "namespace/Name-v0", got ${describeValue(id)}.`);
  }
  if (typeof entryPoint !== 'function') {
    throw new RegistrationError(`Expected entryPoint of "${id}" to be a function (kwargs) => Env, got ${describeValue(entryPoint)}.`);
  }
  if (registry.has(id)) {
    throw new RegistrationError(`Expected a new id, got "${id}", which is already registered. Pick another version or name.`);
  }
  const max = registration.maxEpisodeSteps;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new RegistrationError(`Expected maxEpisodeSteps of "${id}" to be a positive integer, got ${describeValue(max)}.`);
  }
  const spec: EnvSpec = {
    id,
    entryPoint: registration.entryPointName ?? (entryPoint.name || 'anonymous'),
    nondeterministic: registration.nondeterministic ?? false,
    kwargs: { ...(registration.kwargs ?? {}) },
  };
  if (max !== undefined) spec.maxEpisodeSteps = max;
  if (registration.rewardThreshold !== undefined) spec.rewardThreshold = registration.rewardThreshold;
  registry.set(id, { spec, factory: entryPoint as EnvFactory });
}

/** Removes a registration (for tests and for re-registering a user env). */
export function unregister(id: string): boolean {
  return registry.delete(id);
}

/** The registered spec of `id` (a copy). Throws `UnregisteredEnv` with suggestions for an unknown id. */
export function spec(id: string): EnvSpec {
  const entry = registry.get(id);
  if (!entry) throw unregisteredError(id);
  return { ...entry.spec, kwargs: { ...entry.spec.kwargs } };
}

/** Every registered spec, sorted by id. */
export function registeredSpecs(): EnvSpec[] {
  return [...registry.keys()].sort().map(spec);
}

/** True when `id` is registered. */
export function isRegistered(id: string): boolean {
  return registry.has(id);
}

type MadeEnv<K> = K extends keyof RegisteredEnvs
  ? RegisteredEnvs[K] extends Env<infer O, infer A>
    ? Env<O, A>
    : AnyEnv
  : AnyEnv;

/**
 * Builds a registered environment with `kwargs` merged over the registered ones, wrapped in the passive
 * checker, a TimeLimit (when the id has one) and order enforcing.
 */
export function make<K extends keyof RegisteredEnvs | (string & {})>(
  id: K,
  kwargs: Record<string, unknown> = {},
  options: MakeOptions = {},
): MadeEnv<K> {
  const entry = registry.get(id);
  if (!entry) throw unregisteredError(id);
  if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
    throw new InvalidConfig(`Expected make("${id}") kwargs to be an object, got ${describeValue(kwargs)}.`);
  }
  const envSpec: EnvSpec = { ...entry.spec, kwargs: { ...entry.spec.kwargs, ...kwargs } };
  if (options.maxEpisodeSteps === null) delete envSpec.maxEpisodeSteps;
  else if (options.maxEpisodeSteps !== undefined) envSpec.maxEpisodeSteps = options.maxEpisodeSteps;

  const base = entry.factory(envSpec.kwargs);
  base.spec = envSpec;
  let env: AnyEnv = base;
  if (!options.disableEnvChecker) env = new PassiveEnvChecker(env);
  if (envSpec.maxEpisodeSteps !== undefined) env = new TimeLimit(env, envSpec.maxEpisodeSteps);
  if (!options.disableOrderEnforcing) env = new OrderEnforcing(env);
  return env as MadeEnv<K>;
}

function unregisteredError(id: string): UnregisteredEnv {
  if (typeof id !== 'string') return new UnregisteredEnv(`Expected an environment id string, got ${describeValue(id)}.`);
  const ids = [...registry.keys()];
  const name = id.replace(/-v\d+$/, '');
  const versions = ids.filter((k) => k.replace(/-v\d+$/, '') === name);
  if (versions.length > 0) {
    return new UnregisteredEnv(`Expected a registered version of ${name}, got "${id}". Registered versions: ${versions.map((v) => `\`${v}\``).join(', ')}.`);
  }
  const close = ids
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), id.toLowerCase()) }))
    .filter(({ k, d }) => d <= Math.max(2, Math.floor(k.length / 4)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ k }) => `\`${k}\``);
  const hint = close.length > 0 ? ` Did you mean ${close.join(' or ')}?` : ' Run `rxgym list` to see every registered id.';
  return new UnregisteredEnv(`Expected a registered environment id, got "${id}".${hint}`);
}

/** Levenshtein distance, for "Did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
