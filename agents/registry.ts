/**
 * The algorithm registry the CLI and the benchmarks use: each algorithm's config (keys, defaults, validation),
 * how to build an agent and how to restore one from a checkpoint, its presets, and the metrics its progress bar
 * shows. `loadAgent(dir, env)` reads a checkpoint once and returns the right algorithm.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Env } from '../core/env.js';
import { InvalidConfig, describeValue } from '../core/errors.js';
import { flatdim, type AnySpace } from '../core/spaces.js';
import { initBackend, selectedBackend } from '../nn/backend.js';
import { chooseEngine } from '../nn/engine-choice.js';
import type { NetSpec } from '../nn/types.js';
import type { Agent } from './agent.js';
import { DQN_CONFIG_KEYS, DQN_DEFAULTS, dqn, qNetSpec, resolveDqnConfig, restoreDqn, type DqnConfig } from './dqn.js';
import { openCheckpoint, type FallBack } from './runs/find.js';
import { withExploration } from './exploration.js';
import { REINFORCE_ENTRY } from './reinforce.js';
import { DDPG_ENTRY, TD3_ENTRY } from './td3.js';
import type { LoadedCheckpoint } from '../core/node/checkpoint/checkpoint.js';

/** One preset: how long to train, the config over the defaults, and the best-model evaluation interval. */
export interface Preset {
  /** Environment steps to train for. */
  steps: number;
  /** Config fields over the algorithm's defaults. */
  config: Record<string, unknown>;
  /** Steps between greedy evaluations that choose the parameters saved in final/ (null or absent: the last). */
  evalEvery?: number | null;
  /** Model-based training settings (`--world-model`; agents/model-based.ts), for presets such as `Pendulum-v1:ensemble`. */
  worldModel?: Record<string, unknown>;
}

/** A metric the progress bar shows: its key in `LearnProgress.metrics` and a short label. */
export interface ProgressField {
  key: string;
  label: string;
  digits: number;
}

/** What the registry knows of one algorithm. */
export interface AlgorithmEntry {
  name: string;
  /** One line for `rxgym train --help`. */
  summary: string;
  /** Action-space kinds it takes (`Space.kind`). */
  actionSpaces: readonly string[];
  /** Config keys, in documentation order, and their defaults. */
  configKeys: readonly string[];
  defaults: Readonly<object>;
  /** Fills defaults and validates; `InvalidConfig` names the bad field. */
  resolveConfig(partial: unknown): { seed: number; backend: string } & object;
  /** The networks the agent will build for `env` (to pick an engine and a tfjs backend before building). */
  netSpecs(env: Env<unknown, unknown>, config: object): { spec: NetSpec; batchSize: number }[];
  /** A new agent. */
  create(env: Env<unknown, unknown>, config: object): Agent;
  /** An agent from a checkpoint already read (`overrides` change fields that keep the networks' shapes). */
  restore(saved: LoadedCheckpoint, env: Env<unknown, unknown>, overrides: Record<string, unknown>): Promise<Agent>;
  /** Fields of `LearnProgress.metrics` the progress bar shows. */
  progressFields: readonly ProgressField[];
  /** Metric fields written on each metrics.jsonl episode row. */
  episodeFields: readonly string[];
}

const dqnEntry: AlgorithmEntry = {
  name: 'dqn',
  summary: 'DQN (Double, dueling, PER, n-step) for discrete actions',
  actionSpaces: ['discrete'],
  configKeys: DQN_CONFIG_KEYS,
  defaults: DQN_DEFAULTS,
  resolveConfig: (partial) => resolveDqnConfig(partial as Partial<DqnConfig>),
  netSpecs: (env, config) => {
    const c = config as DqnConfig;
    const space = env.observationSpace as AnySpace;
    const shape = space.kind === 'box' ? space.shape : [flatdim(space)];
    const n = (env.actionSpace as AnySpace).kind === 'discrete' ? (env.actionSpace as { n: number }).n : 1;
    return [{ spec: qNetSpec(shape, n, c), batchSize: c.batchSize }];
  },
  create: (env, config) => dqn(env as Env<unknown, number>, config as DqnConfig),
  restore: (saved, env, overrides) => restoreDqn(saved, env as Env<unknown, number>, overrides as Partial<DqnConfig>),
  progressFields: [
    { key: 'epsilon', label: 'eps', digits: 3 },
    { key: 'loss', label: 'loss', digits: 4 },
  ],
  episodeFields: ['epsilon'],
};

/** Every registered algorithm, by name. */
export const ALGORITHMS: Readonly<Record<string, AlgorithmEntry>> = { dqn: withExploration(dqnEntry), reinforce: REINFORCE_ENTRY, ddpg: DDPG_ENTRY, td3: TD3_ENTRY };

/** The registry entry of `name`; `InvalidConfig` lists the algorithms (with a suggestion for a near miss). */
export function algorithm(name: unknown): AlgorithmEntry {
  const entry = typeof name === 'string' ? ALGORITHMS[name.toLowerCase()] : undefined;
  if (entry !== undefined && Object.hasOwn(ALGORITHMS, String(name).toLowerCase())) return entry;
  const names = Object.keys(ALGORITHMS);
  throw new InvalidConfig(`Expected an algorithm, one of ${names.join(', ')}; got ${describeValue(name)}.`);
}

/**
 * Chooses the tfjs backend when any of the agent's networks would run on tfjs (engine 'auto' decides for the
 * real batch size once the backend is known). Returns the engine each network will use.
 */
export async function prepareEngines(entry: AlgorithmEntry, env: Env<unknown, unknown>, config: object): Promise<('plain' | 'tfjs')[]> {
  const c = config as { engine?: string; backend: string };
  const specs = entry.netSpecs(env, config);
  const wants = (backend: string) =>
    specs.map(({ spec, batchSize }) => (c.engine === 'plain' || c.engine === 'tfjs' ? c.engine : chooseEngine(spec, batchSize, backend)));
  if (wants(selectedBackend() ?? 'wasm').includes('tfjs')) {
    const info = await initBackend(c.backend as 'auto');
    return wants(info.name);
  }
  return wants(selectedBackend() ?? 'wasm');
}

/** What `loadAgent` returns: the agent, the checkpoint it came from, and a fall-back to report, if any. */
export interface LoadedAgent {
  agent: Agent;
  checkpoint: LoadedCheckpoint;
  /** Set when the preferred checkpoint was damaged or incomplete and an older one was loaded instead. */
  fellBack?: FallBack;
}

/**
 * Loads the agent saved under `path` (a checkpoint folder, or a run folder's final/ or newest checkpoint) for
 * `env`, whatever its algorithm: the checkpoint is read and verified once and restored by its algorithm's entry.
 */
export async function loadAgent(
  path: string,
  env: Env<unknown, unknown>,
  options: { prefer?: 'final' | 'latest'; overrides?: Record<string, unknown> } = {},
): Promise<LoadedAgent> {
  const { checkpoint, fellBack } = await openCheckpoint(path, options.prefer ?? 'final');
  const entry = algorithm(checkpoint.algo);
  const config = entry.resolveConfig({ ...(checkpoint.config as object), ...(options.overrides ?? {}) });
  await prepareEngines(entry, env, config);
  const agent = await entry.restore(checkpoint, env, options.overrides ?? {});
  return fellBack ? { agent, checkpoint, fellBack } : { agent, checkpoint };
}

/** The presets of `algo` from presets/<algo>.json (a checkout or an installed package); keys starting with `_` are comments. */
export function loadPresets(algo: string): Record<string, Preset> {
  for (const rel of [`../presets/${algo}.json`, `../../presets/${algo}.json`]) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) {
      const json = JSON.parse(readFileSync(url, 'utf8')) as Record<string, Preset>;
      return Object.fromEntries(Object.entries(json).filter(([k]) => !k.startsWith('_')));
    }
  }
  return {};
}
