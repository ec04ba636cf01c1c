/**
 * Greedy (or epsilon-greedy) evaluation episodes, shared by every agent: the same seeds, the same episode cap,
 * and the same report of episodes the cap cut short.
 */
import type { Env } from '../core/env.js';
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { sample } from '../core/spaces.js';

/** Options of `evaluatePolicy` and of every agent's `evaluate()`. */
export interface EvaluateOptions {
  /** Number of episodes. Default 10. */
  episodes?: number;
  /** Seed of the first reset (later episodes continue the env's random stream, as in Gymnasium). */
  seed?: number;
  /** Evaluate on this environment instead of the agent's own. */
  env?: Env<unknown, unknown>;
  /** Probability of a uniformly random action; default 0 (the agent's deterministic policy). */
  epsilon?: number;
  /** Steps after which an episode is cut (for environments without a time limit). Default 100000. */
  maxEpisodeSteps?: number;
  /** Aborting stops the evaluation after the episode in progress; the result then covers the finished episodes. */
  signal?: AbortSignal;
}

/** What an evaluation measured. */
export interface EvaluateResult {
  /** Mean undiscounted return over the episodes. */
  mean: number;
  /** Population standard deviation of the returns. */
  std: number;
  returns: number[];
  lengths: number[];
  /** Episodes that `maxEpisodeSteps` cut before the environment ended them (their returns are partial). */
  cut: number;
}

/** An agent's evaluation seeds by default: its config seed plus this, apart from training's and selection's. */
export const EVAL_SEED_OFFSET = 1_000_000;

/** The default episode cap of an evaluation, in steps. */
export const DEFAULT_EVAL_EPISODE_STEPS = 100_000;

/** Plays `episodes` episodes of `policy` on `env`; `seed` seeds the first reset and the epsilon draws. */
export async function evaluatePolicy<O, A>(
  env: Env<O, A>,
  policy: (obs: O) => A,
  options: EvaluateOptions & { seed: number },
): Promise<EvaluateResult> {
  const episodes = options.episodes ?? 10;
  if (!Number.isSafeInteger(episodes) || episodes < 1) {
    throw new InvalidConfig(`Expected evaluate({ episodes }) to be a positive integer, got ${describeValue(episodes)}.`);
  }
  const cap = options.maxEpisodeSteps ?? DEFAULT_EVAL_EPISODE_STEPS;
  if (!Number.isSafeInteger(cap) || cap < 1) {
    throw new InvalidConfig(`Expected evaluate({ maxEpisodeSteps }) to be a positive integer, got ${describeValue(cap)}.`);
  }
  const epsilon = options.epsilon ?? 0;
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1)) {
    throw new InvalidConfig(`Expected evaluate({ epsilon }) to be a number in [0, 1], got ${describeValue(epsilon)}.`);
  }
  const rng = new Rng(options.seed);
  const returns: number[] = [];
  const lengths: number[] = [];
  let cut = 0;
  for (let ep = 0; ep < episodes; ep++) {
    if (options.signal?.aborted && ep > 0) break;
    let { obs } = env.reset(ep === 0 ? { seed: options.seed } : undefined);
    let total = 0;
    let length = 0;
    for (;;) {
      const action = epsilon > 0 && rng.float() < epsilon ? sample(env.actionSpace, rng) : policy(obs);
      const r = env.step(action);
      total += r.reward;
      length++;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
      if (length >= cap) {
        cut++;
        break;
      }
    }
    returns.push(total);
    lengths.push(length);
    // Let timers and signals (Ctrl-C, a live viewer) run between episodes.
    if (ep % 4 === 3 || options.signal) await new Promise((r) => setTimeout(r, 0));
  }
  const done = returns.length;
  const mean = returns.reduce((a, b) => a + b, 0) / done;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / done);
  return { mean, std, returns, lengths, cut };
}
