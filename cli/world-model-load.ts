/**
 * Loading a model-based run's agent as it trained: the agent restored from a checkpoint, wrapped in model-based
 * training with the ensemble and refit schedule saved in the checkpoint's world/ folder, so that `rxgym eval` plans
 * exactly as training and the bench did, and `rxgym train --resume` plans from its first step.
 */
import type { Agent } from '../agents/agent.js';
import { ModelBasedAgent, resolveModelBasedConfig, terminationFor } from '../agents/model-based.js';
import { readWorldModel } from '../agents/model-based-checkpoint.js';
import { shellPath } from './args.js';

/** What `restoreWorldModel` did: the agent to use, and one line saying which policy it acts with. */
export interface RestoredWorldModel {
  agent: Agent;
  /** Whether the saved ensemble was found and restored (false: none in the checkpoint, a new unfitted one). */
  restored: boolean;
  /** Whether the agent acts by planning through the ensemble (a planner is set and the ensemble is fitted). */
  plans: boolean;
  /** One line for the user: what the agent acts with and why. */
  description: string;
}

/**
 * `agent` (restored from the checkpoint folder `checkpointDir`) wrapped with the run's model-based `settings` and
 * the ensemble saved in `<checkpointDir>/world/` when there is one. Throws `CorruptFile` naming the file when the
 * saved ensemble is damaged, `InvalidConfig` when the settings do not fit the agent.
 */
export async function restoreWorldModel(agent: Agent, settings: Record<string, unknown>, checkpointDir: string): Promise<RestoredWorldModel> {
  const c = resolveModelBasedConfig(settings);
  const saved = await readWorldModel(checkpointDir, terminationFor(agent.env.spec?.id ?? null, c).fns);
  const wrapped = new ModelBasedAgent(agent, c, saved?.model);
  if (saved) wrapped.adoptSchedule(saved.schedule, saved.rolloutRng);
  const plans = c.planner !== null && saved !== null;
  const p = c.planner;
  const description = !saved
    ? `no saved ensemble in ${shellPath(checkpointDir)} (written before ensembles were saved, or before the first fit): ${agent.algo} acts with its own policy${p ? ', not the planner' : ''}`
    : p
      ? `plans with CEM through the saved ensemble (${saved.model.config.members} members, fit ${saved.schedule.fits}): horizon ${p.horizon}, population ${p.population}, ${p.iterations} iterations, ${p.elites} elites${p.terminalValue ? `, critic terminal value${p.terminalValueFrom > 0 ? ` from ${p.terminalValueFrom} updates` : ''}` : ''}${p.actorCandidate ? ', the actor as a candidate' : ''}`
      : `saved ensemble restored (${saved.model.config.members} members, fit ${saved.schedule.fits}); ${agent.algo} acts with its own policy (no planner)`;
  return { agent: wrapped, restored: saved !== null, plans, description };
}
