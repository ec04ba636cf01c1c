/**
 * DeepSea figures for the world-models benchmark: episodes until each DQN exploration mode solves DeepSea-v0.
 *
 * Solved follows bsuite's deep_sea analysis (`find_solution`): after episode e, avg_bad = total_bad_episodes / e,
 * where an episode is bad once it leaves the diagonal (misses the treasure); the solve episode is the first e with
 * avg_bad below the threshold. bsuite's code uses 0.8 (its plots are labelled "< 90% bad episodes"), so each run
 * reports both: `episodesToSolve` at 0.8 and `episodesToSolve90` at 0.9. We check every episode, where bsuite only
 * sees its log-spaced logging points. Runs are capped at 10,000 episodes (bsuite's NUM_EPISODES); a run that never
 * solves reports the cap.
 *
 * The agents (config below): 'bootstrap' is bsuite's boot_dqn reference agent; 'epsilon' is bsuite's dqn baseline
 * (epsilon 0.05); 'dropout' is MC-dropout DQN (dropout 0.1) with the dqn baseline's learner settings.
 *
 *   npx tsx bench/world-models-deepsea.ts --seeds 0,1,2,3,4 --sizes 10,14,20 [--methods bootstrap,epsilon,dropout]
 */
import type { Env } from '../core/env.js';
import { DeepSeaEnv } from '../envs/bsuite/deep-sea.js';
import { make } from '../envs/registry.js';
import '../envs/builtin.js';
import { exploringDqn } from '../agents/exploration.js';

/** bsuite's NUM_EPISODES: the cap of every run. */
export const EPISODE_CAP = 10_000;
/** bsuite's `find_solution` threshold on the running fraction of bad episodes. */
export const SOLVED_BELOW = 0.8;

const LEARNER = { hidden: [50, 50], learningRate: 1e-3, bufferSize: 10_000, targetUpdateInterval: 4, trainFreq: 1, gamma: 0.99, loss: 'mse', maxGradNorm: null, engine: 'plain' };
/** The three agents, as config over DQN's defaults. */
export const DEEPSEA_AGENTS: Record<'bootstrap' | 'epsilon' | 'dropout', Record<string, unknown>> = {
  bootstrap: { ...LEARNER, explore: 'bootstrap', heads: 20, priorScale: 5, maskProb: 1, batchSize: 128, learningStarts: 128 },
  epsilon: { ...LEARNER, explore: 'epsilon', batchSize: 32, learningStarts: 100, explorationInitialEps: 0.05, explorationFinalEps: 0.05 },
  dropout: { ...LEARNER, explore: 'mc-dropout', dropout: 0.1, batchSize: 32, learningStarts: 100 },
};
export type DeepSeaMethod = keyof typeof DEEPSEA_AGENTS;

/** One run: episodes until avg_bad < 0.8 and < 0.9 (the cap when never), and the wall time in seconds. */
export async function episodesToSolve(method: DeepSeaMethod, size: number, seed: number, cap = EPISODE_CAP): Promise<{ at80: number; at90: number; seconds: number; episodes: number }> {
  const env = make('DeepSea-v0', { size, mappingSeed: seed }) as Env<Float32Array, number>;
  const sea = env.unwrapped as DeepSeaEnv;
  const agent = exploringDqn(env, { ...DEEPSEA_AGENTS[method], seed, logInterval: 1_000_000 });
  const stop = new AbortController();
  let at80 = cap, at90 = cap, episodes = 0;
  const t0 = performance.now();
  await agent.learn({
    steps: cap * size, signal: stop.signal, log: () => {},
    onEpisode: () => {
      episodes++;
      const avgBad = sea.totalBadEpisodes / episodes;
      if (at90 === cap && avgBad < 0.9) at90 = episodes;
      if (avgBad < SOLVED_BELOW) {
        at80 = episodes;
        stop.abort();
      }
    },
  });
  agent.dispose();
  return { at80, at90, seconds: (performance.now() - t0) / 1000, episodes };
}

const stats = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, values };
};

/** `deepsea.<size>.<method>.episodesToSolve` (and `.episodesToSolve90`) as { mean, std, values } over `seeds`. */
export async function deepSeaFigures(opts: { seeds: number[]; sizes: number[]; log: (s: string) => void; methods?: DeepSeaMethod[] }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const size of opts.sizes) {
    for (const method of opts.methods ?? (['bootstrap', 'epsilon', 'dropout'] as const)) {
      const at80: number[] = [], at90: number[] = [];
      for (const seed of opts.seeds) {
        const r = await episodesToSolve(method, size, seed);
        at80.push(r.at80);
        at90.push(r.at90);
        opts.log(`deepsea size ${size} ${method} seed ${seed}: solved at episode ${r.at80} (avg bad < 0.9 at ${r.at90}), ${r.seconds.toFixed(0)} s`);
      }
      const name = method === 'dropout' ? 'dropout' : method;
      out[`deepsea.${size}.${name}.episodesToSolve`] = stats(at80);
      out[`deepsea.${size}.${name}.episodesToSolve90`] = stats(at90);
    }
  }
  return out;
}

const list = (flag: string, fallback: string) => {
  const i = process.argv.indexOf(flag);
  return (i >= 0 ? process.argv[i + 1]! : fallback).split(',');
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now();
  const figures = await deepSeaFigures({
    seeds: list('--seeds', '0,1,2,3,4').map(Number), sizes: list('--sizes', '10,14,20').map(Number),
    methods: list('--methods', 'bootstrap,epsilon,dropout') as DeepSeaMethod[], log: (s) => console.error(s),
  });
  console.log(JSON.stringify(figures));
  console.error(`wall time ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
