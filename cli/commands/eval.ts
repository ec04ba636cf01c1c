/**
 * `rxgym eval <run> [--episodes 10] [--seed S] [--json] [--record [--record-dir dir]]`: greedy return mean +- std
 * of a trained run. `--record` also writes each greedy episode to `<run>/episodes/eval-<k>.ndjson` (scenes,
 * Q-values as `q`, max Q as `value`), where `rxgym watch` and `rxgym render <run> --episode eval-<k>` find them.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import type { Env } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { episodeStats } from '../../core/operators/episode-stats.js';
import { steps$ } from '../../core/streams.js';
import { recordEpisodes, resetSceneTracker } from '../../render/recorder.js';
import { loadEnv } from '../../envs/load.js';
import type { Agent } from '../../agents/agent.js';
import { parseIntFlag } from '../../agents/config.js';
import { DEFAULT_EVAL_EPISODE_STEPS } from '../../agents/evaluate.js';
import { loadAgent } from '../../agents/registry.js';
import { resolveRun } from '../../agents/runs/run-folder.js';
import { parseJsonObject, readJsonObject, shellPath } from '../args.js';
import { sceneReader } from '../live-consumers.js';
import { runEnv, type RunConfig } from './train.js';
import { restoreWorldModel } from '../world-model-load.js';
import { ModelBasedAgent } from '../../agents/model-based.js';
import { fmtMeanStd, plural } from '../progress.js';

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
  /** Keyword arguments of the env (default: the run's). */
  envKwargs?: string;
  /** Steps after which an evaluation episode is cut (default: the run's limit, else 100000). */
  maxEpisodeSteps?: string | number;
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
  /** Episodes the episode cap cut before the env ended them. */
  cut: number;
  /** Set when the preferred checkpoint was damaged and an older one was evaluated. */
  fellBack?: { from: string; reason: string };
  /** For a model-based run: whether the evaluated policy planned through the saved ensemble, and how. */
  worldModel?: { plans: boolean; restored: boolean; description: string };
}

/** File name of greedy evaluation episode `k` in an episodes folder. */
export const evalEpisodeName = (k: number): string => `eval-${k}.ndjson`;
const EVAL_FILE = /^eval-\d+\.ndjson$/;

/**
 * Makes `dir` (and its parents) unless it is already a folder; throws `InvalidConfig` naming `what` when a
 * file is in the way (a raw EEXIST or ENOTDIR otherwise).
 */
function ensureFolder(dir: string, what: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new InvalidConfig(`Expected ${what} to be a folder, got ${describeValue(dir)}, which is a file.`);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InvalidConfig(`Expected ${what} to be a folder that can be created, got ${describeValue(dir)} (${e.code ?? e.message}: a file in its path, or no permission).`);
  }
}

/**
 * Greedy episodes of `agent` on `env` recorded to `dir/eval-<k>.ndjson`, with the same returns as
 * `agent.evaluate({ episodes, seed })` (first reset seeded, later ones continue the env's stream). Each
 * recording starts with the scene after reset (frame 0). Earlier eval-*.ndjson files in `dir` are replaced:
 * the folder holds one evaluation at a time. `what` names `dir` in the error when a file is in its way.
 */
export async function recordGreedyEpisodes(
  agent: Agent,
  env: Env<unknown, unknown>,
  dir: string,
  o: { envId: string; episodes: number; seed: number; header?: Record<string, unknown>; what?: string },
): Promise<{ returns: number[]; lengths: number[]; files: string[] }> {
  ensureFolder(dir, o.what ?? 'the recording folder');
  for (const name of readdirSync(dir)) if (EVAL_FILE.test(name)) rmSync(join(dir, name), { force: true });
  // The recorder names files episode-<k>: it writes into a hidden folder, and each finished episode is
  // renamed into place (a rename, so readers never see half an episode).
  const staging = join(dir, `.eval-${process.pid}-${Date.now()}`);
  const files: string[] = [];
  const sceneOf = sceneReader(env);
  const resets = resetSceneTracker<unknown, unknown>(sceneOf);
  // A planning agent's episodes start as in its `evaluate`: planner seeded once, warm start fresh at each reset.
  const planning = agent instanceof ModelBasedAgent ? agent : null;
  planning?.resetPlanning(o.seed);
  try {
    const summaries = await lastValueFrom(
      steps$(env, (obs: unknown) => agent.act(obs), { seed: o.seed, maxEpisodes: o.episodes, closeEnv: false, onReset: (obs, ctx) => { planning?.resetPlanning(); resets.onReset(obs, ctx); } }).pipe(
        recordEpisodes<unknown, unknown>(staging, {
          envId: o.envId,
          sceneOf,
          resetSceneOf: resets.sceneOf,
          valuesOf: (tr) => {
            const q = agent.values(tr.obs);
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
export async function evalCommand(runArg: string, opts: EvalOptions = {}, io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<EvalReport> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const episodes = parseIntFlag(opts.episodes ?? 10, '--episodes', 1, 100_000);
  const run = await resolveRun(runArg, opts.runs ?? 'runs');
  const recording = opts.record === true || opts.recordDir !== undefined;
  const recordDir = opts.recordDir ?? join(run.dir, 'episodes');
  const recordWhat = opts.recordDir !== undefined ? '--record-dir' : 'the run\'s episodes folder';
  // Before loading anything: a file in the way is a one-line mistake, not an EEXIST after the evaluation.
  if (recording) ensureFolder(recordDir, recordWhat);
  const runConfig = readJsonObject<RunConfig>(run.config, 'a run config');
  const seed = opts.seed !== undefined ? parseIntFlag(opts.seed, '--seed', 0, 2 ** 31 - 1) : (runConfig.config?.seed ?? 0) + 1_000_000;
  const envConfig = {
    env: runConfig.env,
    envKwargs: opts.envKwargs !== undefined ? parseJsonObject(opts.envKwargs, '--env-kwargs') : (runConfig.envKwargs ?? {}),
    maxEpisodeSteps: opts.maxEpisodeSteps !== undefined ? parseIntFlag(opts.maxEpisodeSteps, '--max-episode-steps', 1) : (runConfig.maxEpisodeSteps ?? null),
  };
  const env = await runEnv(envConfig);
  const loaded = await loadAgent(run.dir, env, { prefer: opts.latest ? 'latest' : 'final' });
  const { checkpoint, fellBack } = loaded;
  if (fellBack) stderr.write(`rxgym: evaluating ${shellPath(checkpoint.dir)} instead of ${shellPath(fellBack.from)}: ${fellBack.reason}\n`);
  // A model-based run is evaluated with the policy it trained and reported: planning through its saved ensemble.
  const world = runConfig.worldModel ? await restoreWorldModel(loaded.agent, runConfig.worldModel, checkpoint.dir).catch((err: unknown) => {
    loaded.agent.dispose();
    env.close();
    throw err;
  }) : null;
  const agent = world?.agent ?? loaded.agent;
  if (world && !world.restored) stderr.write(`rxgym: world model: ${world.description}\n`);
  else if (world && !opts.json) stdout.write(`World model: ${world.description}\n`);
  const cap = envConfig.maxEpisodeSteps ?? DEFAULT_EVAL_EPISODE_STEPS;
  try {
    let r: { mean: number; std: number; returns: number[]; lengths: number[]; cut: number };
    let recorded: string[] = [];
    if (recording) {
      const rec = await recordGreedyEpisodes(agent, agent.env, recordDir, {
        envId: runConfig.env,
        episodes,
        seed,
        header: { algo: checkpoint.algo, run: run.name, checkpointStep: checkpoint.step },
        what: recordWhat,
      });
      const mean = rec.returns.reduce((a, b) => a + b, 0) / episodes;
      const std = Math.sqrt(rec.returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
      r = { mean, std, returns: rec.returns, lengths: rec.lengths, cut: 0 };
      recorded = rec.files;
    } else {
      r = await agent.evaluate({ episodes, seed, maxEpisodeSteps: cap });
    }
    const report: EvalReport = {
      run: run.dir, env: runConfig.env, checkpoint: checkpoint.dir, step: checkpoint.step, episodes, seed,
      mean: r.mean, std: r.std, returns: r.returns, lengths: r.lengths, recorded, cut: r.cut,
      ...(fellBack ? { fellBack: { from: fellBack.from, reason: fellBack.reason } } : {}),
      ...(world ? { worldModel: { plans: world.plans, restored: world.restored, description: world.description } } : {}),
    };
    if (opts.json) stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      stdout.write(`${runConfig.env}: greedy return ${fmtMeanStd(r.mean, r.std)} over ${plural(episodes, 'episode')} (seed ${seed}, ${shellPath(checkpoint.dir)}, step ${checkpoint.step})\n`);
      if (r.cut > 0) stdout.write(`${plural(r.cut, 'episode')} reached the cap of ${cap} steps and ${r.cut === 1 ? 'was' : 'were'} cut: ${r.cut === 1 ? 'its return is' : 'their returns are'} partial (--max-episode-steps changes the cap).\n`);
      if (recorded.length > 0) {
        const folder = shellPath(join(recorded[0]!, '..'));
        stdout.write(`Recorded ${plural(recorded.length, 'episode')} to ${folder}/eval-<k>.ndjson. Replay with: rxgym watch ${shellPath(run.dir)}; export with: rxgym render ${shellPath(run.dir)} --episode eval-0 --out eval-0.gif\n`);
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
    .option('--env-kwargs <json>', "keyword arguments of the env (default: the run's)")
    .option('--max-episode-steps <n>', "cut episodes after n steps (default: the run's limit)")
    .action(async (runArg: string, opts: EvalOptions) => {
      await evalCommand(runArg, opts);
    });
}
