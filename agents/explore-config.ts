/**
 * How a DQN agent explores, as config fields beside DQN's own: `explore` ('epsilon', the default, is DQN's
 * epsilon-greedy; 'bootstrap' is Bootstrapped DQN with randomised priors; 'mc-dropout' is MC-dropout Thompson
 * sampling) and the settings of the two Thompson-sampling modes. Validated with the same table as every config.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { int, num, oneOf, resolveConfig, type FieldRule } from './config.js';
import { resolveDqnConfig, type DqnConfig } from './dqn.js';

/** The exploration modes of DQN. */
export const EXPLORE_MODES = ['epsilon', 'bootstrap', 'mc-dropout'] as const;
export type ExploreMode = (typeof EXPLORE_MODES)[number];

/** The exploration fields. Defaults: bsuite's boot_dqn (20 heads, prior scale 5, mask probability 1). */
export interface ExploreSettings {
  /** 'epsilon' (epsilon-greedy DQN), 'bootstrap' (K heads with priors, one per episode) or 'mc-dropout' (one dropout mask per episode). */ explore: ExploreMode;
  /** Bootstrap: the number of heads K. */ heads: number;
  /** Bootstrap: beta, the scale of each head's fixed random prior network; 0 turns priors off. */ priorScale: number;
  /** Bootstrap: the probability that a head trains on a transition (Bernoulli bootstrap mask); 1 = every head sees every transition. */ maskProb: number;
  /** MC dropout: the probability of dropping a hidden unit, in (0, 1). */ dropout: number;
}

/** A DQN config with exploration fields. */
export type ExploringDqnConfig = DqnConfig & ExploreSettings;

export const EXPLORE_DEFAULTS: Readonly<ExploreSettings> = Object.freeze({ explore: 'epsilon', heads: 20, priorScale: 5, maskProb: 1, dropout: 0.1 });

const RULES: { readonly [K in keyof ExploreSettings]: FieldRule } = {
  explore: [oneOf(...EXPLORE_MODES), `one of ${EXPLORE_MODES.map((m) => `'${m}'`).join(', ')}`],
  heads: [int(1, 1000), 'an integer from 1 to 1000'],
  priorScale: [num(0, 1e6), 'a number >= 0'],
  maskProb: [num(0, 1, true), 'a probability in (0, 1]'],
  dropout: [(v) => num(0, 1, true)(v) && (v as number) < 1, 'a number in (0, 1)'],
};

/** The exploration field names, in documentation order. */
export const EXPLORE_KEYS = Object.keys(RULES) as (keyof ExploreSettings)[];

/** DQN fields that the Thompson-sampling agents do not implement, with the value they need. */
const THOMPSON_NEEDS: readonly [keyof DqnConfig, unknown, string][] = [
  ['dueling', false, 'the heads are plain Q-networks'],
  ['prioritized', false, 'bootstrap masks weight the uniform replay'],
  ['layerNorm', false, 'the heads are plain dense layers'],
  ['clipBootstrap', false, 'each head bootstraps from its own target unclipped'],
  ['torso', 'conv', 'they run on the plain engine, which has no conv torso'],
  ['engine', 'tfjs', 'they run on the plain engine'],
];

/**
 * Splits exploration fields from DQN's, fills defaults, validates both (`InvalidConfig` names the field), and refuses
 * DQN options a Thompson-sampling mode cannot honour, naming the option and the mode.
 */
export function resolveExploringDqnConfig(partial: unknown = {}): ExploringDqnConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) throw new InvalidConfig(`Expected a dqn config object, got ${describeValue(partial)}.`);
  const explore: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(partial)) ((EXPLORE_KEYS as string[]).includes(k) ? explore : rest)[k] = v;
  const e = resolveConfig('dqn', RULES, EXPLORE_DEFAULTS, explore);
  const c = { ...resolveDqnConfig(rest as Partial<DqnConfig>), ...e };
  if (e.explore !== 'epsilon') {
    for (const [key, bad, why] of THOMPSON_NEEDS) {
      const refused = key === 'torso' || key === 'engine' ? c[key] === bad : c[key] !== bad;
      if (refused) throw new InvalidConfig(`Expected dqn.${key} ${key === 'torso' || key === 'engine' ? `other than '${String(bad)}'` : String(bad)} with explore '${e.explore}' (${why}), got ${describeValue(c[key])}.`);
    }
  }
  return c;
}

/** Only the DQN fields of an exploring config (what the epsilon-greedy agent takes). */
export function dqnFields(c: ExploringDqnConfig): DqnConfig {
  const out: Record<string, unknown> = { ...c };
  for (const k of EXPLORE_KEYS) delete out[k];
  return out as unknown as DqnConfig;
}
