/**
 * What an actor needs to know of a run (the algorithm, the env as the run makes it, the resolved config and the
 * horizon), as the learner hands it to worker threads or publishes it in Redis, and how an actor makes its env.
 */
import type { Env } from '../core/env.js';
import { CorruptFile, describeValue } from '../core/errors.js';
import { loadEnv } from '../envs/load.js';

/** A run as actors see it: the fields of the run folder's config.json that define the experience. */
export interface RunSpec {
  algo: string;
  env: string;
  /** Keyword arguments of the env's constructor (`--env-kwargs`). */
  envKwargs?: Record<string, unknown>;
  /** `--max-episode-steps`: a TimeLimit over the env's registered one; null keeps the registered limit. */
  maxEpisodeSteps?: number | null;
  /** Total environment steps of the run (the schedules' horizon). */
  steps: number;
  config: Record<string, unknown> & { seed: number };
}

/** The env of a run, as `rxgym train` makes it. */
export function makeRunEnv(spec: RunSpec): Promise<Env<unknown, unknown>> {
  return loadEnv(spec.env, spec.envKwargs ?? {}, spec.maxEpisodeSteps != null ? { maxEpisodeSteps: spec.maxEpisodeSteps } : {});
}

/** Checks a run spec read from elsewhere (`where` names it in the error). */
export function checkRunSpec(value: unknown, where: string): RunSpec {
  const v = value as Partial<RunSpec> | null;
  if (v === null || typeof v !== 'object' || typeof v.algo !== 'string' || typeof v.env !== 'string' || typeof v.steps !== 'number' ||
    v.config === null || typeof v.config !== 'object' || typeof (v.config as { seed?: unknown }).seed !== 'number') {
    throw new CorruptFile(where, `Expected the run in ${where} as { algo, env, steps, config: { seed, ... } }, got ${describeValue(value)}.`);
  }
  return v as RunSpec;
}

/** Seed of actor `index` of a run seeded `seed`: far from the learner's and from the other actors' streams. */
export function actorSeed(seed: number, index: number): number {
  return (seed + 100_003 * (index + 1)) % 2 ** 31;
}
