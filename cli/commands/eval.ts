/**
 * `rxgym eval <run> [--episodes 10] [--seed S] [--json] [--record [--record-dir dir]]`: greedy return mean +- std
 * of a trained run. `--record` also writes each greedy episode to `<run>/episodes/eval-<k>.ndjson` (scenes,
 * Q-values as `q`, max Q as `value`), where `rxgym watch` and `rxgym render <run> --episode eval-<k>` find them.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import type { Env } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { episodeStats } from '../../core/operators/episode-stats.js';
import { steps$ } from '../../core/streams.js';
import { recordEpisodes } from '../../render/recorder.js';
import { loadEnv } from '../../envs/load.js';
import { readJsonFile } from '../../agents/checkpoint.js';
import { findCheckpoint, loadDqn, readDqnState, type DqnAgent } from '../../agents/dqn.js';
import { resolveRun } from '../../agents/run.js';
import { sceneReader, type RunConfig } from './train.js';
import { fmtReturn } from '../progress.js';

/** Options of `rxgym eval`. */
export interface EvalOptions {
  episodes?: string | number;
  seed?: string | number;
  json?: boolean;
  /** Evaluate the newest checkpoint instead of final/. */
  latest?: boolean;
  /** Folder that holds run folders (to resolve a bare run name). */
  runs?: string;
  /** Record the greedy episodes (scenes and Q-values) as `eval-<k>.ndjson`. */
  record?: boolean;
  /** Where recordings go (default `<run>/episodes`). */
  recordDir?: string;
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
  /** The recordings written with `record` (eval-0 first), else empty. */
  recorded: string[];
}

/** File name of greedy evaluation episode `k` in an episodes folder. */
export const evalEpisodeName = (k: number): string => `eval-${k}.ndjson`;
const EVAL_FILE = /^eval-\d+\.ndjson$/;

/**
 * Greedy episodes of `agent` on `env` recorded to `dir/eval-<k>.ndjson`, with the same returns as
 * `agent.evaluate({ episodes, seed })` (first reset seeded, later ones continue the env's stream). Earlier
 * eval-*.ndjson files in `dir` are replaced: the folder holds one evaluation at a time.
 */
export async function recordGreedyEpisodes(
  agent: DqnAgent<unknown>,
  env: Env<unknown, number>,
  dir: string,
  o: { envId: string; episodes: number; seed: number; header?: Record<string, unknown> },
): Promise<{ returns: number[]; lengths: number[]; files: string[] }> {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (EVAL_FILE.test(name)) rmSync(join(dir, name), { force: true });
  // The recorder names files episode-<k>: it writes into a hidden folder, and each finished episode is
  // renamed into place (a rename, so readers never see half an episode).
  const staging = join(dir, `.eval-${process.pid}-${Date.now()}`);
  const files: string[] = [];
  try {
    const summaries = await lastValueFrom(
      steps$(env, (obs: unknown) => agent.act(obs), { seed: o.seed, maxEpisodes: o.episodes, closeEnv: false }).pipe(
        recordEpisodes<unknown, number>(staging, {
          envId: o.envId,
          sceneOf: sceneReader(env as Env<unknown, unknown>),
          valuesOf: (tr) => {
            const q = agent.qValues(tr.obs);
            let value = q[0]!;
            for (let a = 1; a < q.length; a++) if (q[a]! > value) value = q[a]!;
            return { q, value };
          },
          fps: env.metadata?.renderFps ?? 50,
          header: { kind: 'eval', seed: o.seed, ...o.header },
          onEpisode: (path, header) => {
            const to = join(dir, evalEpisodeName(header.episode));
            renameSync(path, to);
            files.push(to);
          },
        }),
        episodeStats(),
        toArray(),
      ),
    );
    return { returns: summaries.map((e) => e.return), lengths: summaries.map((e) => e.length), files };
  } finally {
    if (existsSync(staging)) rmSync(staging, { recursive: true, force: true });
  }
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
    let r: { mean: number; std: number; returns: number[]; lengths: number[] };
    let recorded: string[] = [];
    if (opts.record || opts.recordDir !== undefined) {
      const dirOut = opts.recordDir ?? join(run.dir, 'episodes');
      const rec = await recordGreedyEpisodes(agent as DqnAgent<unknown>, agent.env, dirOut, {
        envId: runConfig.env,
        episodes,
        seed,
        header: { algo: 'dqn', run: run.name, checkpointStep: state.counters.step },
      });
      const mean = rec.returns.reduce((a, b) => a + b, 0) / episodes;
      const std = Math.sqrt(rec.returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
      r = { mean, std, returns: rec.returns, lengths: rec.lengths };
      recorded = rec.files;
    } else {
      r = await agent.evaluate({ episodes, seed });
    }
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
      recorded,
    };
    if (opts.json) stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const where = relative(process.cwd(), dir) || dir;
      stdout.write(`${runConfig.env}: greedy return ${fmtReturn(r.mean)} +- ${fmtReturn(r.std)} over ${episodes} episodes (seed ${seed}, ${where}, step ${state.counters.step})\n`);
      if (recorded.length > 0) {
        const folder = relative(process.cwd(), join(recorded[0]!, '..')) || '.';
        stdout.write(`Recorded ${recorded.length} episodes to ${folder}/eval-<k>.ndjson. Replay with: rxgym watch ${relative(process.cwd(), run.dir) || run.dir}; export with: rxgym render ${relative(process.cwd(), run.dir) || run.dir} --episode eval-0 --out eval-0.gif\n`);
      }
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
    .option('--record', 'record the greedy episodes (scenes, Q-values) to <run>/episodes/eval-<k>.ndjson')
    .option('--record-dir <dir>', 'record them to this folder instead (implies --record)')
    .action(async (runArg: string, opts: EvalOptions) => {
      await evalCommand(runArg, opts);
    });
}
