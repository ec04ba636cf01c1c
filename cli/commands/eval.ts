/** `rxgym eval <run> [--episodes 10] [--seed S] [--json]`: greedy return mean +- std of a trained run. */
import type { Command } from 'commander';
import { relative } from 'node:path';
import type { Env } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { loadEnv } from '../../envs/load.js';
import { readJsonFile } from '../../agents/checkpoint.js';
import { findCheckpoint, loadDqn, readDqnState } from '../../agents/dqn.js';
import { resolveRun } from '../../agents/run.js';
import type { RunConfig } from './train.js';

/** Options of `rxgym eval`. */
export interface EvalOptions {
  episodes?: string | number;
  seed?: string | number;
  json?: boolean;
  /** Evaluate the newest checkpoint instead of final/. */
  latest?: boolean;
  /** Folder that holds run folders (to resolve a bare run name). */
  runs?: string;
}

/** What `rxgym eval` measures. */
export interface EvalReport {
  run: string;
  env: string;
  checkpoint: string;
  /** Training step of the evaluated weights. */
  step: number;
  episodes: number;
  seed: number;
  mean: number;
  std: number;
  returns: number[];
  lengths: number[];
}

/** Evaluates a run's final (or newest) weights greedily; exported for tests and scripts. */
export async function evalCommand(runArg: string, opts: EvalOptions = {}, io: { stdout?: NodeJS.WritableStream } = {}): Promise<EvalReport> {
  const stdout = io.stdout ?? process.stdout;
  const episodes = Number(opts.episodes ?? 10);
  if (!Number.isSafeInteger(episodes) || episodes < 1) {
    throw new InvalidConfig(`Expected --episodes to be a positive integer, got ${describeValue(opts.episodes)}.`);
  }
  const run = await resolveRun(runArg, opts.runs ?? 'runs');
  const runConfig = await readJsonFile<RunConfig>(run.config);
  const seed = opts.seed !== undefined ? Number(opts.seed) : runConfig.config.seed + 1_000_000;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidConfig(`Expected --seed to be a non-negative integer, got ${describeValue(opts.seed)}.`);
  const dir = await findCheckpoint(run.dir, opts.latest ? 'latest' : 'final');
  const state = await readDqnState(dir);
  const env = (await loadEnv(runConfig.env)) as Env<unknown, number>;
  const agent = await loadDqn(dir, env);
  try {
    const r = await agent.evaluate({ episodes, seed });
    const report: EvalReport = {
      run: run.dir,
      env: runConfig.env,
      checkpoint: dir,
      step: state.counters.step,
      episodes,
      seed,
      mean: r.mean,
      std: r.std,
      returns: r.returns,
      lengths: r.lengths,
    };
    if (opts.json) stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const where = relative(process.cwd(), dir) || dir;
      stdout.write(`${runConfig.env}: greedy return ${r.mean.toFixed(1)} +- ${r.std.toFixed(1)} over ${episodes} episodes (seed ${seed}, ${where}, step ${state.counters.step})\n`);
    }
    return report;
  } finally {
    env.close();
    agent.dispose();
  }
}

/** Registers `rxgym eval`. */
export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('greedy evaluation of a trained run: return mean +- std')
    .argument('<run>', 'run folder (runs/dqn-CartPole-v1-...) or its name')
    .option('--episodes <n>', 'episodes', '10')
    .option('--seed <s>', 'seed of the first reset (default: the run seed + 1000000)')
    .option('--latest', 'evaluate the newest checkpoint instead of final/')
    .option('--json', 'print JSON')
    .action(async (runArg: string, opts: EvalOptions) => {
      await evalCommand(runArg, opts);
    });
}
