/**
 * Keeps the best greedy policy seen during training, like Stable-Baselines3's EvalCallback with a best-model
 * path: every `every` steps the agent plays `episodes` greedy episodes on a separate environment, and at the
 * end the parameters that scored best are put back. DQN's greedy return on CartPole swings from 500 to ~50 and
 * back during training, so the last parameters are a lottery; the best evaluated ones are not.
 * Selection uses its own seeds (seed + step); report the final score on other seeds to keep it unbiased.
 */
import type { Env } from '../core/env.js';
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { DqnAgent, PeriodicHook } from './dqn.js';
import type { NetworkState } from './nn/q-network.js';

/** Options of `bestModelTracker`. */
export interface BestModelOptions {
  /** Steps between selection evaluations. */
  every: number;
  /** Greedy episodes per selection evaluation. Default 5. */
  episodes?: number;
  /** Base seed of the selection episodes (each evaluation resets with seed + step). */
  seed: number;
  /** Environment the selection episodes run on (not the training env). */
  env: Env<unknown, number>;
  /** Called after each selection evaluation (for metrics). */
  onEval?: (step: number, mean: number, std: number) => void;
}

/** What `finish()` reports. */
export interface BestModel {
  /** Step whose parameters were kept. */
  step: number;
  /** Their mean greedy return over the selection episodes. */
  mean: number;
  /** False when the last parameters were the best (nothing was restored). */
  restored: boolean;
}

/** A periodic hook for `learn({ periodic })` and `finish()`, which scores the last parameters and restores the best. */
export function bestModelTracker<O>(agent: DqnAgent<O>, options: BestModelOptions): { hook: PeriodicHook; finish(): Promise<BestModel> } {
  if (!Number.isSafeInteger(options.every) || options.every < 1) {
    throw new InvalidConfig(`Expected the best-model evaluation interval to be a positive integer, got ${describeValue(options.every)}.`);
  }
  const episodes = options.episodes ?? 5;
  let best: { step: number; mean: number; state: NetworkState | null } = { step: -1, mean: -Infinity, state: null };
  const score = async (step: number): Promise<boolean> => {
    const e = await agent.evaluate({ episodes, seed: options.seed + step, env: options.env as unknown as Env<O, number> });
    options.onEval?.(step, e.mean, e.std);
    if (e.mean < best.mean) return false;
    best = { step, mean: e.mean, state: agent.q.getState() };
    return true;
  };
  return {
    hook: { every: options.every, run: async (step) => void (await score(step)) },
    async finish() {
      const lastIsBest = await score(agent.step);
      if (!lastIsBest && best.state !== null) agent.q.setState(best.state);
      return { step: best.step, mean: best.mean, restored: !lastIsBest };
    },
  };
}
