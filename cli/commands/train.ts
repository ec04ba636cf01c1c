/**
 * `rxgym train dqn <env> [--steps N] [--seed S] [--config file.json] [--set key=value ...] [--out dir]
 *  [--backend auto|wasm|cpu|tensorflow] [--checkpoint-every N] [--checkpoint-replay] [--resume <run>]
 *  [--record-every N] [--watch [--port N]]`
 *
 * Trains into a run folder (runs/dqn-<env>-<timestamp>/: config.json, metrics.jsonl, checkpoints/<step>/,
 * final/, episodes/), with a progress bar on stderr. Ctrl-C writes a checkpoint and says how to resume.
 * `--record-every N` writes every Nth training episode to episodes/episode-<k>.ndjson (scenes and Q-values);
 * `--watch` serves the live viewer (sampled scenes and the learning curve) while training runs headless.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { filter, map, tap, type OperatorFunction } from 'rxjs';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { Env, Transition } from '../../core/env.js';
import type { Scene } from '../../core/scene.js';
import { recordEpisodes } from '../../render/recorder.js';
import type { LiveViewer } from '../../render/live.js';
import type { MetricsRow } from '../../render/server-api.js';
import { loadEnv } from '../../envs/load.js';
import { latestCheckpoint, readJsonFile } from '../../agents/checkpoint.js';
import { initBackend } from '../../agents/nn/backend.js';
import { chooseEngine } from '../../agents/nn/engine-choice.js';
import { resolveQNetworkConfig } from '../../agents/nn/q-network.js';
import { DQN_CONFIG_KEYS, dqn, loadDqn, readDqnState, resolveDqnConfig, type DqnAgent, type DqnConfig } from '../../agents/dqn.js';
import { bestModelTracker } from '../../agents/best-model.js';
import { MetricsWriter, createRun, resolveRun, type RunDir } from '../../agents/run.js';
import { fmtReturn, progressBar, type ProgressBar } from '../progress.js';

/** One entry of presets/dqn.json. */
export interface DqnPreset {
  /** Environment steps to train for. */
  steps: number;
  /** Config fields over DQN_DEFAULTS. */
  config: Partial<DqnConfig>;
  /** Steps between greedy evaluations that choose the parameters saved in final/ (see agents/best-model.ts). */
  evalEvery?: number;
  /** Where the numbers come from and what was changed. */
  source?: string;
}

/** The presets file: env id (or `<env id>:<variant>`) to preset. Keys starting with `_` are comments. */
export type DqnPresets = Record<string, DqnPreset>;

/** Reads presets/dqn.json (from a checkout or an installed package). */
export function loadDqnPresets(): DqnPresets {
  for (const rel of ['../../presets/dqn.json', '../../../presets/dqn.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) {
      const json = JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(json).filter(([k]) => !k.startsWith('_'))) as DqnPresets;
    }
  }
  return {};
}

/** What `rxgym train` accepts (commander's parsed options). */
export interface TrainOptions {
  steps?: string | number;
  seed?: string | number;
  config?: string;
  set?: string[];
  out?: string;
  backend?: string;
  checkpointEvery?: string | number;
  checkpointReplay?: boolean;
  resume?: string;
  preset?: string;
  /** Force plain progress lines (tests); default: a bar when stderr is a terminal. */
  plain?: boolean;
  /** Greedy evaluation episodes after training (0 to skip). */
  evalEpisodes?: string | number;
  /** Steps between best-model evaluations (0: final/ holds the last parameters); default the preset's. */
  evalEvery?: string | number;
  /** Record every Nth training episode (run-wide index) to `<run>/episodes/episode-<k>.ndjson`. */
  recordEvery?: string | number;
  /** Serve the live viewer while training. */
  watch?: boolean;
  /** Port of the live viewer on 127.0.0.1 (0 picks a free one). */
  port?: string | number;
}

/** What `trainCommand` takes besides the options (tests and scripts). */
export interface TrainIo {
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stdout?: NodeJS.WritableStream;
  /** Aborts like Ctrl-C (checkpoint, then resolve with stopped 'aborted'). */
  signal?: AbortSignal;
  /** Whether `--watch` may build the viewer with Vite when it is missing or stale (default 'build'). */
  viewerBuild?: 'build' | 'never';
  /** Called with the live viewer once it listens; training starts when the returned promise settles (tests connect first). */
  onViewer?: (viewer: LiveViewer) => void | Promise<void>;
}

/** The scene of `env` after its latest step: wrappers forward `scene()`; else the innermost env's. */
export function sceneReader(env: Env<unknown, unknown>): () => Scene {
  const source = typeof env.scene === 'function' ? env : env.unwrapped;
  if (typeof source.scene !== 'function') {
    throw new InvalidConfig(`Expected an environment with scene() to record or watch, got ${env.spec?.id ?? 'an env'} without one. Implement scene() to make it drawable.`);
  }
  return () => source.scene!();
}

/**
 * Sends the training env's scene to the live viewer by a timer, as `viewer.sample(env)` does (between steps,
 * at most the viewer's scene rate, only while a browser is connected: no per-step cost), captioned with the
 * agent's step and episode counters, which cost nothing to read. Returns a function that stops it.
 */
export function sampleScenes(
  viewer: LiveViewer,
  scene: () => Scene,
  agent: { readonly step: number; readonly episodes: number },
  maxFps = 30,
  latest?: LatestStep,
): () => void {
  const timer = setInterval(() => {
    if (!viewer.wantsScene()) return;
    let s: Scene;
    try {
      s = scene();
    } catch {
      return; // not drawable right now (before the first reset, or closed)
    }
    // The scene after the latest step: run step agent.step - 1, in the episode that agent.episodes counts to.
    const meta: Parameters<LiveViewer['publishScene']>[1] = { step: Math.max(0, agent.step - 1), episode: agent.episodes };
    if (latest !== undefined && latest.seen) {
      meta.t = latest.numbers[0]!;
      meta.reward = latest.numbers[1]!;
      if (latest.value !== undefined && latest.obs !== undefined) meta.value = latest.value(latest.obs);
    }
    viewer.publishScene(s, meta);
  }, Math.max(5, Math.floor(1000 / maxFps / 2)));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The latest transition as the live viewer's caption and plots need it, kept by `keepLatest` at one typed-array
 * write and one reference per step; the value (max Q) is computed only when a scene is sent.
 */
export interface LatestStep {
  /** [t + 1 (steps so far in the episode), reward of the step]. */
  numbers: Float64Array;
  /** The observation after the step. */
  obs: unknown;
  seen: boolean;
  /** A value estimate of an observation (max Q), when the agent has one. */
  value?: (obs: unknown) => number;
}

/** A `learn({ consumers })` entry that keeps `latest` up to date. */
export function keepLatest<O>(latest: LatestStep): OperatorFunction<Transition<O, number>, unknown> {
  return (source) =>
    source.pipe(
      tap((tr) => {
        latest.numbers[0] = tr.t + 1;
        latest.numbers[1] = tr.reward;
        latest.obs = tr.nextObs;
        latest.seen = true;
      }),
    );
}

/** Options of `recordTraining`. */
export interface RecordTrainingOptions<O> {
  envId: string;
  /** Record run-wide episodes whose index is a multiple of this. */
  every: number;
  /** Episodes and steps the run had before this `learn()` call (its transitions count from 0). */
  baseEpisode: number;
  baseStep: number;
  /** The scene after a step (read synchronously when the transition arrives). */
  scene: () => Scene;
  /** Q-values of an observation, recorded as `q` (the viewer plots max Q); omit to record scenes only. */
  qValues?: (obs: O) => Float32Array;
  /** Playback frames per second. */
  fps: number;
  header?: Record<string, unknown>;
}

/**
 * A `learn({ consumers })` entry that records every `every`-th episode of the run to `dir`: transitions of
 * other episodes are dropped before any copy, so unrecorded steps cost one comparison.
 */
export function recordTraining<O>(dir: string, o: RecordTrainingOptions<O>): OperatorFunction<Transition<O, number>, unknown> {
  const { every, baseEpisode, baseStep } = o;
  const qValues = o.qValues;
  return (source) =>
    source.pipe(
      filter((tr) => (baseEpisode + tr.episode) % every === 0),
      map((tr) => ({ ...tr, episode: baseEpisode + tr.episode, step: baseStep + tr.step })),
      recordEpisodes<O, number>(dir, {
        envId: o.envId,
        sceneOf: o.scene,
        ...(qValues ? { valuesOf: (tr: Transition<O, number>) => ({ q: qValues(tr.obs) }) } : {}),
        fps: o.fps,
        header: { kind: 'train', ...o.header },
      }),
    );
}

/** What a run's config.json holds. */
export interface RunConfig {
  algo: 'dqn';
  env: string;
  /** Total environment steps of the run. */
  steps: number;
  config: DqnConfig;
  checkpointEvery: number | null;
  checkpointReplay: boolean;
  /** Steps between best-model evaluations; null keeps the last parameters in final/. */
  evalEvery?: number | null;
  preset: string | null;
  createdAt: string;
}

/** What `trainCommand` resolves to. */
export interface TrainOutcome {
  run: RunDir;
  step: number;
  stopped: 'done' | 'aborted';
  eval: { mean: number; std: number } | null;
}

function intOption(value: unknown, flag: string, min: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new InvalidConfig(`Expected ${flag} to be an integer >= ${min}, got ${describeValue(value)}.`);
  }
  return n;
}

/** Parses `key=value` (value as JSON when it parses: numbers, booleans, arrays, null; else a string). */
export function parseSet(pairs: readonly string[]): Partial<DqnConfig> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidConfig(`Expected --set key=value (e.g. --set learningRate=0.001), got ${describeValue(pair)}.`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare string such as relu
    }
    out[key] = value;
  }
  return out as Partial<DqnConfig>;
}

function readConfigFile(path: string): Partial<DqnConfig> {
  if (!existsSync(path)) throw new InvalidConfig(`Expected a config file at ${path}, got no such file.`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidConfig(`Expected ${path} to hold a JSON object of DQN config fields, got invalid JSON (${(err as Error).message}).`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidConfig(`Expected ${path} to hold a JSON object of DQN config fields, got ${describeValue(json)}.`);
  }
  // Accept a preset-shaped file too: { steps, config }.
  const obj = json as Record<string, unknown>;
  return ('config' in obj && typeof obj['config'] === 'object' ? obj['config'] : obj) as Partial<DqnConfig>;
}

/**
 * Trains DQN on `envId` as `rxgym train dqn` does; exported so tests and scripts call it directly.
 * `signal` aborts like Ctrl-C (checkpoint, then resolve with stopped 'aborted').
 */
export async function trainCommand(
  algo: string,
  envId: string | undefined,
  opts: TrainOptions,
  io: TrainIo = {},
): Promise<TrainOutcome> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = (io.stderr ?? process.stderr) as NodeJS.WriteStream;
  const say = (line: string) => stdout.write(`${line}\n`);
  if (algo !== 'dqn') throw new InvalidConfig(`Expected an algorithm name, one of: dqn; got ${describeValue(algo)}.`);
  const recordEvery = opts.recordEvery !== undefined ? intOption(opts.recordEvery, '--record-every', 1) : null;
  const port = opts.port !== undefined ? intOption(opts.port, '--port', 0) : 0;
  if (port > 65535) throw new InvalidConfig(`Expected --port to be an integer from 0 to 65535, got ${describeValue(opts.port)}.`);

  let run: RunDir;
  let runConfig: RunConfig;
  let agent: DqnAgent<unknown>;
  let env: Env<unknown, number>;
  if (opts.resume !== undefined) {
    // ---- resume: the run's own config, the newest complete checkpoint -----------------------------------
    run = await resolveRun(opts.resume, opts.out ?? 'runs');
    runConfig = await readJsonFile<RunConfig>(run.config);
    if (envId !== undefined && envId !== runConfig.env) {
      throw new InvalidConfig(`Expected the environment of the resumed run (${runConfig.env}), got ${describeValue(envId)}.`);
    }
    if (opts.steps !== undefined) runConfig.steps = intOption(opts.steps, '--steps', 1);
    const found = await latestCheckpoint(run.checkpoints, (dir, err) => {
      stderr.write(`rxgym: skipping incomplete checkpoint ${relative(process.cwd(), dir) || dir}: ${err.message}\n`);
    });
    if (!found) {
      throw new InvalidConfig(`Expected a complete checkpoint in ${run.checkpoints} to resume from, got none. Start a new run instead.`);
    }
    env = (await loadEnv(runConfig.env)) as Env<unknown, number>;
    const overrides: Partial<DqnConfig> = opts.backend !== undefined ? { backend: opts.backend as DqnConfig['backend'] } : {};
    const saved = await readDqnState(found.dir);
    if (willUseTfjs({ ...saved.config, ...overrides })) await initBackend(overrides.backend ?? saved.config.backend);
    agent = await loadDqn(found.dir, env, overrides);
    say(`Resuming ${run.name} from step ${found.step} (${relative(process.cwd(), found.dir) || found.dir}).`);
  } else {
    // ---- a new run: preset, then config file, then --set, then flags --------------------------------------
    if (envId === undefined) throw new InvalidConfig('Expected an environment id (e.g. CartPole-v1), got none.');
    const presets = loadDqnPresets();
    const presetName = opts.preset ?? (presets[envId] ? envId : null);
    if (opts.preset !== undefined && !presets[opts.preset]) {
      throw new InvalidConfig(`Expected a preset from presets/dqn.json (${Object.keys(presets).join(', ')}), got ${describeValue(opts.preset)}.`);
    }
    const preset = presetName ? presets[presetName]! : undefined;
    const partial: Partial<DqnConfig> = {
      ...(preset?.config ?? {}),
      ...(opts.config !== undefined ? readConfigFile(opts.config) : {}),
      ...parseSet(opts.set ?? []),
      ...(opts.seed !== undefined ? { seed: intOption(opts.seed, '--seed', 0) } : {}),
      ...(opts.backend !== undefined ? { backend: opts.backend as DqnConfig['backend'] } : {}),
    };
    const config = resolveDqnConfig(partial);
    const steps = opts.steps !== undefined ? intOption(opts.steps, '--steps', 1) : (preset?.steps ?? 100_000);
    const every = opts.checkpointEvery !== undefined ? intOption(opts.checkpointEvery, '--checkpoint-every', 1) : null;
    env = (await loadEnv(envId)) as Env<unknown, number>;
    // Networks are built on the active tfjs backend: pick it before building a tfjs-engine agent.
    if (willUseTfjs(config)) await initBackend(config.backend);
    agent = dqn(env, config);
    runConfig = {
      algo: 'dqn',
      env: envId,
      steps,
      config,
      checkpointEvery: every,
      checkpointReplay: opts.checkpointReplay === true,
      evalEvery: preset?.evalEvery ?? null,
      preset: presetName,
      createdAt: new Date().toISOString(),
    };
    run = await createRun(opts.out ?? 'runs', 'dqn', envId, runConfig);
    say(`Run folder: ${relative(process.cwd(), run.dir) || run.dir}${presetName ? ` (preset ${presetName})` : ''}`);
  }

  // ---- optional: the recorder and the live viewer, consumers of the same run ------------------------------
  const consumers: OperatorFunction<Transition<unknown, number>, unknown>[] = [];
  if (recordEvery !== null) {
    consumers.push(
      recordTraining(join(run.dir, 'episodes'), {
        envId: runConfig.env,
        every: recordEvery,
        baseEpisode: agent.episodes,
        baseStep: agent.step,
        scene: sceneReader(agent.env as Env<unknown, unknown>),
        qValues: (obs) => agent.qValues(obs),
        fps: agent.env.metadata?.renderFps ?? 50,
        header: { algo: 'dqn', run: run.name },
      }),
    );
    say(`Recording every ${recordEvery === 1 ? '' : `${recordEvery}th `}episode to ${relative(process.cwd(), join(run.dir, 'episodes')) || 'episodes'}/.`);
  }
  let viewer: LiveViewer | null = null;
  let stopSampling = (): void => {};
  if (opts.watch) {
    const { liveViewer } = await import('../../render/live.js');
    try {
      viewer = await liveViewer({
        port,
        runsDir: resolve(run.dir, '..'),
        envId: runConfig.env,
        log: (line) => stderr.write(`rxgym: ${line}\n`),
        build: io.viewerBuild ?? 'build',
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new InvalidConfig(`Expected a free port for --watch, got ${port}, which is in use. Pass another with --port (0 picks a free one).`);
      }
      throw err;
    }
    const latest: LatestStep = {
      numbers: new Float64Array(2),
      obs: undefined,
      seen: false,
      value: (obs) => Math.max(...agent.qValues(obs as Parameters<typeof agent.qValues>[0])),
    };
    consumers.push(keepLatest(latest));
    stopSampling = sampleScenes(viewer, sceneReader(agent.env as Env<unknown, unknown>), agent, 30, latest);
    say(`Live viewer: ${viewer.url}?live (127.0.0.1 only; training runs headless, scenes are sampled while a browser is open)`);
  }
  const closeViewer = async (): Promise<void> => {
    stopSampling();
    if (viewer) await viewer.close();
    viewer = null;
  };

  try {
    if (viewer) await io.onViewer?.(viewer);
    // ---- the training loop, with metrics, progress, checkpoints and Ctrl-C ---------------------------------
    const metricsFile = new MetricsWriter(run.metrics);
    // Every metrics.jsonl row also goes to the live viewer's learning curve.
    const metrics = {
      write(row: Parameters<MetricsWriter['write']>[0]): void {
        metricsFile.write(row);
        viewer?.publishMetrics(row as MetricsRow);
      },
      flush: () => metricsFile.flush(),
    };
    const bar: ProgressBar = progressBar({ stream: stderr, tty: opts.plain ? false : Boolean(stderr.isTTY), label: `dqn ${runConfig.env}` });
    const every = opts.checkpointEvery !== undefined ? intOption(opts.checkpointEvery, '--checkpoint-every', 1) : runConfig.checkpointEvery;
    const replayInCheckpoints = opts.checkpointReplay ?? runConfig.checkpointReplay;
    const controller = new AbortController();
    io.signal?.addEventListener('abort', () => controller.abort());
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) {
        stderr.write('\nrxgym: second Ctrl-C: exiting without a checkpoint.\n');
        process.exit(130);
      }
      bar.log('rxgym: Ctrl-C: finishing the current step and writing a checkpoint (Ctrl-C again to quit at once)...');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    const saveCheckpoint = async (step: number): Promise<string> => {
      const dir = join(run.checkpoints, String(step));
      await agent.save(dir, { replay: replayInCheckpoints });
      await metrics.flush();
      return dir;
    };
    // Best model (like SB3's EvalCallback): greedy evaluations on their own env and seeds pick what final/ holds.
    const evalEvery = opts.evalEvery !== undefined ? intOption(opts.evalEvery, '--eval-every', 0) || null : (runConfig.evalEvery ?? null);
    const selectionEnv = evalEvery !== null ? ((await loadEnv(runConfig.env)) as Env<unknown, number>) : null;
    const tracker =
      selectionEnv !== null && evalEvery !== null
        ? bestModelTracker(agent, {
            every: evalEvery,
            seed: runConfig.config.seed + 2_000_000,
            env: selectionEnv,
            onEval: (step, mean, std) => metrics.write({ kind: 'eval', step, mean, std, episodes: 5, selection: true }),
          })
        : null;
    const fromStep = agent.step;
    let result;
    try {
      result = await agent.learn({
        steps: Math.max(0, runConfig.steps - agent.step),
        totalSteps: runConfig.steps,
        signal: controller.signal,
        log: (line) => bar.log(line),
        onProgress: (p) =>
          bar.update({ step: p.step, total: p.totalSteps, fps: p.fps, meanReturn: p.meanReturn, epsilon: p.epsilon, loss: Number.isNaN(p.loss) ? undefined : p.loss, episodes: p.episodes }),
        onEpisode: (e) =>
          metrics.write({ kind: 'episode', step: e.globalStep, episode: e.episode, return: e.return, length: e.length, terminated: e.terminated, truncated: e.truncated, epsilon: e.epsilon }),
        onLog: (r) => {
          metrics.write({ kind: 'log', step: r.step, loss: finite(r.loss), epsilon: r.epsilon, fps: r.fps, meanReturn: finite(r.meanReturn), episodes: r.episodes, updates: r.updates });
          bar.update({ step: r.step, total: r.totalSteps, fps: r.fps, meanReturn: r.meanReturn, epsilon: r.epsilon, loss: Number.isNaN(r.loss) ? undefined : r.loss, episodes: r.episodes });
        },
        ...(every !== null && every !== undefined ? { checkpointEvery: every, onCheckpoint: async (s: number) => void (await saveCheckpoint(s)) } : {}),
        ...(consumers.length > 0 ? { consumers } : {}),
        ...(tracker !== null ? { periodic: [tracker.hook] } : {}),
      });
    } finally {
      process.off('SIGINT', onSigint);
      bar.done();
      await metrics.flush();
    }

    if (result.stopped === 'aborted') {
      selectionEnv?.close();
      const dir = await saveCheckpoint(agent.step);
      const where = relative(process.cwd(), run.dir) || run.dir;
      say(`Interrupted at step ${agent.step}/${runConfig.steps}: checkpoint written to ${relative(process.cwd(), dir) || dir}.`);
      say(`Resume with: rxgym train dqn ${runConfig.env} --resume ${where}`);
      env.close();
      agent.dispose();
      return { run, step: agent.step, stopped: 'aborted', eval: null };
    }

    if (tracker !== null) {
      // The last parameters stay resumable in checkpoints/<step>/; final/ gets the best evaluated ones.
      const last = await saveCheckpoint(agent.step);
      const best = await tracker.finish();
      selectionEnv?.close();
      say(
        best.restored
          ? `Kept the best greedy policy, from step ${best.step} (${fmtReturn(best.mean)} over 5 selection episodes); the last parameters are in ${relative(process.cwd(), last) || last}.`
          : `The last parameters scored best in selection (${fmtReturn(best.mean)} over 5 episodes).`,
      );
    }
    await agent.save(run.final);
    const episodes = opts.evalEpisodes !== undefined ? intOption(opts.evalEpisodes, '--eval-episodes', 0) : 10;
    let evaluation: TrainOutcome['eval'] = null;
    const span = fromStep > 0 ? `steps ${fromStep}-${result.step}` : `${result.step} steps`;
    say(`Trained ${span} in ${result.seconds.toFixed(1)} s (${result.fps.toFixed(0)} steps/s, ${result.updates} gradient steps in all, engine ${result.engine}).`);
    if (episodes > 0) {
      const evalEnv = (await loadEnv(runConfig.env)) as Env<unknown, number>;
      const e = await agent.evaluate({ episodes, seed: runConfig.config.seed + 1_000_000, env: evalEnv });
      evalEnv.close();
      evaluation = { mean: e.mean, std: e.std };
      metrics.write({ kind: 'eval', step: agent.step, mean: e.mean, std: e.std, episodes });
      await metrics.flush();
      say(`Greedy evaluation: ${fmtReturn(e.mean)} +- ${fmtReturn(e.std)} over ${episodes} episodes.`);
    }
    say(`Saved ${relative(process.cwd(), run.final) || run.final}. Evaluate with: rxgym eval ${relative(process.cwd(), run.dir) || run.dir}`);
    env.close();
    agent.dispose();
    return { run, step: agent.step, stopped: 'done', eval: evaluation };
  } finally {
    await closeViewer();
  }
}

/** True when `config` runs on the tfjs engine (as `qNetwork`'s 'auto' decides). */
function willUseTfjs(config: DqnConfig): boolean {
  if (config.engine !== 'auto') return config.engine === 'tfjs';
  return chooseEngine(resolveQNetworkConfig({ obsDim: 1, numActions: 2, hidden: config.hidden, layerNorm: config.layerNorm })) === 'tfjs';
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Registers `rxgym train`. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train an agent on an environment into a run folder (runs/<algo>-<env>-<timestamp>/)')
    .argument('<algo>', 'algorithm: dqn')
    .argument('[env]', 'environment id (e.g. CartPole-v1) or ./module.ts:Export; omit with --resume')
    .option('--steps <n>', 'total environment steps (default: the preset\'s)')
    .option('--seed <s>', 'seed of weights, exploration and resets')
    .option('--config <file.json>', 'JSON object of config fields over the preset')
    .option('--set <key=value>', `override one config field (repeatable); fields: ${DQN_CONFIG_KEYS.join(', ')}`, collect)
    .option('--preset <name>', 'preset from presets/dqn.json (default: the env id\'s, if any)')
    .option('--out <dir>', 'folder that holds run folders', 'runs')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu or tensorflow')
    .option('--checkpoint-every <n>', 'write checkpoints/<step>/ every n steps')
    .option('--checkpoint-replay', 'include the replay buffer in checkpoints (larger, exact resume)')
    .option('--resume <run>', 'continue a run from its newest complete checkpoint')
    .option('--eval-episodes <n>', 'greedy evaluation episodes after training (0 skips)', '10')
    .option('--eval-every <n>', "steps between greedy evaluations that pick the best policy for final/ (0: keep the last; default: the preset's)")
    .option('--record-every <n>', 'record every nth training episode (scenes, Q-values) to <run>/episodes/')
    .option('--watch', 'serve the live viewer (scenes and learning curve) on 127.0.0.1 while training')
    .option('--port <n>', 'port of the live viewer (0 picks a free one)', '8080')
    .action(async (algo: string, envId: string | undefined, opts: TrainOptions) => {
      const outcome = await trainCommand(algo, envId, opts);
      if (outcome.stopped === 'aborted') process.exitCode = 130;
    });
}
