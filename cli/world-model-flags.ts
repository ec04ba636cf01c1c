/**
 * `rxgym train`'s world-model flags, parsed in one place: `--world-model ensemble` (model-based training, MBPO-style;
 * the preset `<env>:ensemble` when there is one) and `--explore disagreement[=scale]` (the ensemble-disagreement
 * bonus for td3 and ddpg). Their settings go into the run's config.json, so a resumed run trains the same way.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { Agent } from '../agents/agent.js';
import type { Preset } from '../agents/registry.js';
import { withWorldModel, type ModelBasedConfig } from '../agents/model-based.js';

/** The world-model kinds `--world-model` takes. */
export const WORLD_MODELS = ['ensemble'] as const;
/** The exploration modes this module parses (others belong to the DQN side of `--explore`). */
export const WORLD_EXPLORE_MODES = ['disagreement'] as const;

/** The preset `--world-model` picks when no `--preset` is given: `<env>:<kind>` if presets/<algo>.json has it. */
export function worldPresetName(presets: Record<string, Preset>, envId: string, worldModel: string | undefined): string | null {
  if (worldModel === undefined) return null;
  const name = `${envId}:${worldModel}`;
  return Object.hasOwn(presets, name) ? name : null;
}

/**
 * The model-based settings of a run from `--world-model`, `--explore` and the preset's `worldModel` block, or null
 * when neither flag is given. `--explore disagreement` alone fits the ensemble for its bonus and imagines nothing
 * (realRatio 1). Throws `InvalidConfig` for an unknown kind or mode, or one the algorithm cannot use.
 */
export function worldModelSettings(opts: { worldModel?: string; explore?: string }, algo: string, preset: Preset | undefined): Partial<ModelBasedConfig> | null {
  const { worldModel, explore } = opts;
  if (worldModel === undefined && explore === undefined) return null;
  if (worldModel !== undefined && !(WORLD_MODELS as readonly string[]).includes(worldModel)) {
    throw new InvalidConfig(`Expected --world-model to be one of ${WORLD_MODELS.join(', ')}, got ${describeValue(worldModel)}.`);
  }
  const settings: Record<string, unknown> = { ...(preset?.worldModel ?? {}) };
  if (explore !== undefined) {
    const [mode, scaleText] = explore.split('=');
    if (mode !== 'disagreement') {
      throw new InvalidConfig(`Expected --explore to be disagreement[=scale] for ${algo} (td3 and ddpg explore with an ensemble's disagreement bonus), got ${describeValue(explore)}.`);
    }
    if (algo !== 'td3' && algo !== 'ddpg') {
      throw new InvalidConfig(`Expected --explore disagreement with td3 or ddpg (a bonus for continuous agents), got ${algo}; DQN explores with epsilon or bootstrapped heads.`);
    }
    const scale = scaleText === undefined ? 1 : Number(scaleText);
    if (!(Number.isFinite(scale) && scale > 0)) throw new InvalidConfig(`Expected --explore disagreement=<scale> with a positive scale, got ${describeValue(scaleText)}.`);
    settings['disagreementScale'] = scale;
    if (worldModel === undefined) settings['realRatio'] = 1;
  }
  return settings as Partial<ModelBasedConfig>;
}

/** `agent` wrapped in model-based training when `settings` is not null (shapes and agent checked there). */
export function applyWorldModel(agent: Agent, settings: Partial<ModelBasedConfig> | null | undefined): Agent {
  return settings ? (withWorldModel(agent, settings) as Agent) : agent;
}
