/**
 * The settings of model-based training (`withWorldModel`, agents/model-based.ts): their defaults, validation, and the
 * rollout horizon schedule they define.
 */
import { InvalidConfig } from '../core/errors.js';
import { bool, int, num, oneOf, resolveConfig, type FieldRule } from './config.js';
import { resolvePlannerConfig, type PlannerConfig } from './planner.js';

/** Everything that defines model-based training around an agent. */
export interface ModelBasedConfig {
  /** The world model: 'ensemble' (EnsembleDynamics). */ model: 'ensemble';
  /** Env steps between model refits (MBPO: 250). */ refitEvery: number;
  /** Env step of the first fit (random-action data before it); 0: the agent's learningStarts. */ firstFit: number;
  /** Imagined rollouts branched from real states in each round of rollouts. */ rolloutBatch: number;
  /** Env steps between rounds of rollouts from the last fitted model (0: one round right after each refit only). */ rolloutEvery: number;
  /** Rollout horizon at and before `horizonFrom` env steps. */ horizonStart: number;
  /** Rollout horizon at and after `horizonTo` env steps (linear between, rounded down, as mbrl-lib's truncated_linear). */ horizonEnd: number;
  horizonFrom: number;
  horizonTo: number;
  /** Fraction of each update batch drawn from real transitions (MBPO: 0.05); 1 imagines nothing. */ realRatio: number;
  /** Refits' worth of imagined transitions the model replay keeps (MBPO: one epoch, 4 refits); with rolloutEvery, rounds of rollouts count in refitEvery / rolloutEvery per refit. */ retainRefits: number;
  /** Rollout exploration: Gaussian std in half action ranges (Box), or epsilon (Discrete). */ rolloutNoise: number;
  /** Scale of the ensemble-disagreement bonus added to rewards (0: none; Box actions only). */ disagreementScale: number;
  /** Real transitions kept for fitting the model. */ realBufferSize: number;
  /** Termination in imagined steps: 'auto' (a known rule for built-in envs, else learned), 'never', or 'learned'. */ termination: 'auto' | 'never' | 'learned';
  /** Reward of imagined steps: 'auto' (a known function for built-in envs, as PETS, else the model's) or 'learned'. */ reward: 'auto' | 'learned';
  /** Ensemble members, elites, hidden widths and the most epochs of a refit. */
  members: number;
  elites: number;
  hidden: number[];
  maxEpochs: number;
  /** Fewest minibatch steps per member in a refit (more epochs on little data; 0: epochs alone decide). */ minFitSteps: number;
  /** 'random-member' (a random elite per row and step) or 'fixed-member' (one elite per rollout). */ propagation: 'random-member' | 'fixed-member';
  /**
   * Act by model-predictive control once the model is fitted (CEM over action sequences, agents/planner.ts), in
   * training and in `evaluate`; null: act with the agent's own policy (Dyna only). Partial objects take the planner's
   * defaults for the missing fields.
   */
  planner: PlannerConfig | null;
  /**
   * Run a refit due at `learn`'s last step before it returns (the loop runs no hooks at its end), so that `act`,
   * `evaluate` and `save` after it use a model of every real step; training is unchanged (the next call would run it first).
   */
  refitAtEnd: boolean;
  /** Print one line per refit through `learn`'s log. */ verbose: boolean;
}

/** Model-based settings as a caller gives them: any subset, the planner's fields included. */
export type ModelBasedSettings = Partial<Omit<ModelBasedConfig, 'planner'>> & { planner?: Partial<PlannerConfig> | null };

/** Defaults: mbrl-lib's MBPO where it applies (refit every 250 steps, 7 members, 5 elites), smaller batches for JS. */
export const MODEL_BASED_DEFAULTS: Readonly<ModelBasedConfig> = Object.freeze({
  model: 'ensemble', refitEvery: 250, firstFit: 0, rolloutBatch: 1000, rolloutEvery: 0, horizonStart: 1, horizonEnd: 1, horizonFrom: 0, horizonTo: 1,
  realRatio: 0.05, retainRefits: 4, rolloutNoise: 0.1, disagreementScale: 0, realBufferSize: 1_000_000, termination: 'auto', reward: 'learned',
  members: 7, elites: 5, hidden: [200, 200], maxEpochs: 100, minFitSteps: 0, propagation: 'random-member', planner: null, refitAtEnd: false, verbose: false,
} satisfies ModelBasedConfig) as Readonly<ModelBasedConfig>;

const RULES: { readonly [K in keyof ModelBasedConfig]: FieldRule } = {
  model: [oneOf('ensemble'), "'ensemble'"], refitEvery: [int(1), 'a positive integer'], firstFit: [int(0), 'a non-negative integer'],
  rolloutBatch: [int(1, 1e7), 'an integer from 1 to 1e7'], rolloutEvery: [int(0), 'a non-negative integer'], horizonStart: [int(1, 1000), 'an integer from 1 to 1000'], horizonEnd: [int(1, 1000), 'an integer from 1 to 1000'],
  horizonFrom: [int(0), 'a non-negative integer'], horizonTo: [int(1), 'a positive integer'], realRatio: [num(0, 1), 'a number in [0, 1]'],
  retainRefits: [int(1, 1000), 'an integer from 1 to 1000'], rolloutNoise: [num(0, 10), 'a number in [0, 10]'], disagreementScale: [num(0, 1e6), 'a number >= 0'],
  realBufferSize: [int(1, 1e9), 'an integer from 1 to 1e9'], termination: [oneOf('auto', 'never', 'learned'), "'auto', 'never' or 'learned'"], reward: [oneOf('auto', 'learned'), "'auto' or 'learned'"],
  members: [int(1, 100), 'an integer from 1 to 100'], elites: [int(1, 100), 'an integer from 1 to 100'], hidden: [(v) => Array.isArray(v) && v.length > 0 && v.every(int(1)), 'a non-empty array of positive integers'],
  maxEpochs: [int(1), 'a positive integer'], minFitSteps: [int(0), 'a non-negative integer'], propagation: [oneOf('random-member', 'fixed-member'), "'random-member' or 'fixed-member'"],
  planner: [(v) => v === null || (typeof v === 'object' && !Array.isArray(v)), 'null or an object { horizon, population, iterations, elites, alpha, terminalValue, terminalValueFrom, actorCandidate, noise, transitions }'], refitAtEnd: [bool, 'a boolean'], verbose: [bool, 'a boolean'],
};

/** The config fields, in documentation order. */
export const MODEL_BASED_CONFIG_KEYS = Object.keys(RULES) as (keyof ModelBasedConfig)[];

/** Fills the defaults and validates every field; `InvalidConfig` names the first bad one. */
export function resolveModelBasedConfig(partial: ModelBasedSettings = {}): ModelBasedConfig {
  const c = resolveConfig('worldModel', RULES, MODEL_BASED_DEFAULTS, partial);
  if (c.planner !== null) c.planner = resolvePlannerConfig(c.planner);
  if (c.elites > c.members) throw new InvalidConfig(`Expected worldModel.elites <= members (${c.members}), got ${c.elites}.`);
  if (c.horizonTo <= c.horizonFrom) throw new InvalidConfig(`Expected worldModel.horizonTo > horizonFrom (${c.horizonFrom}), got ${c.horizonTo}.`);
  return c;
}

/** The rollout horizon at env step `step`: horizonStart before horizonFrom, horizonEnd after horizonTo, linear between (floored). */
export function horizonAt(c: Pick<ModelBasedConfig, 'horizonStart' | 'horizonEnd' | 'horizonFrom' | 'horizonTo'>, step: number): number {
  const f = Math.min(1, Math.max(0, (step - c.horizonFrom) / (c.horizonTo - c.horizonFrom)));
  return Math.floor(c.horizonStart + f * (c.horizonEnd - c.horizonStart));
}
