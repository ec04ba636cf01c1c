/**
 * DDPG and TD3 as the algorithm registry sees them. TD3 is DDPG with three options on (agents/ddpg.ts holds both
 * algorithms, `ddpg()` and `td3()`); these entries tell the CLI and the benches how to build, restore and report
 * either one, and which networks they run (to pick an engine before building).
 */
import type { Env } from '../core/env.js';
import { flatdim, type AnySpace } from '../core/spaces.js';
import { ObservationEncoder } from './common.js';
import { DDPG_CONFIG_KEYS, DDPG_DEFAULTS, TD3_DEFAULTS, actorSpec, criticSpec, ddpg, resolveDdpgConfig, restoreDdpg, td3, type DdpgConfig } from './ddpg.js';
import type { AlgorithmEntry } from './registry.js';

function entry(algo: 'ddpg' | 'td3', summary: string): AlgorithmEntry {
  return {
    name: algo,
    summary,
    actionSpaces: ['box'],
    configKeys: DDPG_CONFIG_KEYS,
    defaults: algo === 'td3' ? TD3_DEFAULTS : DDPG_DEFAULTS,
    resolveConfig: (partial) => resolveDdpgConfig(partial as Partial<DdpgConfig>, algo),
    netSpecs: (env, config) => {
      const c = config as DdpgConfig;
      const obs = new ObservationEncoder(env.observationSpace);
      const d = flatdim(env.actionSpace as AnySpace);
      const critics = (c.twinCritics ? [0, 1] : [0]).map((k) => criticSpec(obs.dim, d, c, k));
      return [actorSpec(obs.shape, d, c), ...critics].map((spec) => ({ spec, batchSize: c.batchSize }));
    },
    create: (env, config) => (algo === 'td3' ? td3 : ddpg)(env as Env<unknown, Float32Array>, config as DdpgConfig),
    restore: (saved, env, overrides) => restoreDdpg(saved, env as Env<unknown, Float32Array>, overrides as Partial<DdpgConfig>),
    progressFields: [
      { key: 'criticLoss', label: 'critic', digits: 4 },
      { key: 'actorLoss', label: 'actor', digits: 3 },
      { key: 'noiseStd', label: 'noise', digits: 2 },
    ],
    episodeFields: ['noiseStd'],
  };
}

/** The registry entry of DDPG: one critic, a policy update per critic update, no target smoothing. */
export const DDPG_ENTRY: AlgorithmEntry = entry('ddpg', 'DDPG (deterministic actor, Q critic, Gaussian or OU noise) for Box actions');
/** The registry entry of TD3: twin critics, delayed policy updates and target policy smoothing. */
export const TD3_ENTRY: AlgorithmEntry = entry('td3', 'TD3 (twin critics, delayed policy updates, target smoothing) for Box actions');
