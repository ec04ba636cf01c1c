/**
 * `explore` for DQN, everywhere a DQN config goes: `exploringDqn(env, { explore })` in the library, the algorithm
 * registry's dqn entry (`withExploration` adds the fields, builds the right agent and restores it from a checkpoint),
 * and the CLI's `--explore` (`checkExploreMode` refuses a mode the algorithm cannot use; `exploreConfig` and
 * `presetFor` turn the flag into config and a preset).
 */
import type { Env } from '../core/env.js';
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { LoadedCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { dqn, type DqnAgent } from './dqn.js';
import { EXPLORE_DEFAULTS, EXPLORE_KEYS, EXPLORE_MODES, dqnFields, resolveExploringDqnConfig, type ExploreMode, type ExploringDqnConfig } from './explore-config.js';
import type { AlgorithmEntry } from './registry.js';
import { restoreThompsonDqn, thompsonDqn, type ThompsonDqnAgent } from './thompson-dqn.js';

export { EXPLORE_DEFAULTS, EXPLORE_KEYS, EXPLORE_MODES, resolveExploringDqnConfig, type ExploreMode, type ExploringDqnConfig, type ExploreSettings } from './explore-config.js';

/** Which exploration modes each algorithm has (the others explore with their own noise: `--explore` is refused). */
export const EXPLORE_MODES_BY_ALGORITHM: Readonly<Record<string, readonly ExploreMode[]>> = { dqn: EXPLORE_MODES };

/** A DQN agent exploring as `config.explore` says: epsilon-greedy (`dqn()`), 'bootstrap' or 'mc-dropout' (Thompson sampling). */
export function exploringDqn<O>(env: Env<O, number>, config: Partial<ExploringDqnConfig> = {}): DqnAgent<O> | ThompsonDqnAgent<O> {
  const c = resolveExploringDqnConfig(config);
  return c.explore === 'epsilon' ? dqn(env, dqnFields(c)) : thompsonDqn(env, c);
}

/** Checks a `--explore` value for `algo`; throws `InvalidConfig` naming the mismatch (e.g. bootstrap with td3). */
export function checkExploreMode(algo: string, mode: unknown): ExploreMode {
  const modes = EXPLORE_MODES_BY_ALGORITHM[algo.toLowerCase()];
  if (modes === undefined) {
    // Stryker disable next-line StringLiteral: only dqn has modes; the separator shows once a second algorithm does
    const which = Object.keys(EXPLORE_MODES_BY_ALGORITHM).join(', ');
    throw new InvalidConfig(`Expected --explore with an algorithm that has exploration modes (${which}), got --explore ${describeValue(mode)} with ${algo}, which explores with its own action noise.`);
  }
  if (!modes.includes(mode as ExploreMode)) throw new InvalidConfig(`Expected --explore to be one of ${modes.join(', ')} for ${algo}, got ${describeValue(mode)}.`);
  return mode as ExploreMode;
}

/** `--explore` split by who handles it: an algorithm with DQN's modes takes it as config; any other hands it to the world-model flags. */
export function splitExplore(algo: string, mode: string | undefined): { dqn: string | undefined; world: string | undefined } {
  return EXPLORE_MODES_BY_ALGORITHM[algo.toLowerCase()] !== undefined ? { dqn: mode, world: undefined } : { dqn: undefined, world: mode };
}

/** The config fields `--explore <mode>` sets for `algo` (none without the flag). */
export function exploreConfig(algo: string, mode: unknown): Record<string, unknown> {
  return mode === undefined ? {} : { explore: checkExploreMode(algo, mode) };
}

/** The preset to use without `--preset`: `<env>:<explore>` when it exists (e.g. DeepSea-v0:bootstrap), else the env's own. */
export function presetFor(presets: Record<string, unknown>, envId: string, explore: unknown): string | null {
  if (typeof explore === 'string' && explore !== 'epsilon' && Object.hasOwn(presets, `${envId}:${explore}`)) return `${envId}:${explore}`;
  return Object.hasOwn(presets, envId) ? envId : null;
}

/** The dqn registry entry with the exploration fields: it builds and restores whichever agent `explore` names. */
export function withExploration(base: AlgorithmEntry): AlgorithmEntry {
  const thompson = (config: object) => (config as ExploringDqnConfig).explore !== 'epsilon';
  return {
    ...base,
    summary: `${base.summary}; --explore bootstrap|mc-dropout|epsilon`,
    configKeys: [...base.configKeys, ...EXPLORE_KEYS],
    defaults: Object.freeze({ ...base.defaults, ...EXPLORE_DEFAULTS }),
    resolveConfig: (partial) => resolveExploringDqnConfig(partial),
    // The Thompson agents always run on the plain engine: no tfjs backend to prepare.
    netSpecs: (env, config) => (thompson(config) ? [] : base.netSpecs(env, dqnFields(config as ExploringDqnConfig))),
    create: (env, config) => (thompson(config) ? thompsonDqn(env as Env<unknown, number>, config as ExploringDqnConfig) : base.create(env, dqnFields(config as ExploringDqnConfig))),
    restore: (saved: LoadedCheckpoint, env, overrides) => {
      const c = resolveExploringDqnConfig({ ...(saved.config as object), ...overrides });
      if (thompson(c)) return restoreThompsonDqn(saved, env as Env<unknown, number>, overrides);
      // An epsilon-greedy checkpoint is plain DQN's: it takes DQN's fields only.
      return base.restore(saved, env, Object.fromEntries(Object.entries(overrides).filter(([k]) => !(EXPLORE_KEYS as string[]).includes(k))));
    },
  };
}
