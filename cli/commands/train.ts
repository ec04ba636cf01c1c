/**
 * `rxgym train <algo> <env> [options]` and `rxgym train --resume <run>`: trains any registered algorithm into a run
 * folder (runs/<algo>-<env>-<timestamp>/: config.json, metrics.jsonl, checkpoints/<step>/, final/, episodes/) with a
 * progress bar on stderr. The run folder is locked while a process writes it; checkpoints are written at a default
 * interval and on Ctrl-C or SIGTERM; best-model selection state goes into every checkpoint.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import type { OperatorFunction } from 'rxjs';
import type { Env, Transition } from '../../core/env.js';
import { CorruptFile, InvalidConfig, describeValue } from '../../core/errors.js';
import type { LiveViewer } from '../../render/live.js';
import { resetSceneTracker } from '../../render/recorder.js';
import type { ActorContext } from '../../core/streams.js';
import type { MetricsRow } from '../../render/server-api.js';
import { loadEnv } from '../../envs/load.js';
import type { Agent } from '../../agents/agent.js';
import { parseIntFlag } from '../../agents/config.js';
import { ALGORITHMS, algorithm, loadPresets, prepareEngines, type AlgorithmEntry } from '../../agents/registry.js';
import { openCheckpoint } from '../../agents/runs/find.js';
import { exploreConfig, presetFor, splitExplore } from '../../agents/exploration.js';
import { createRun, resolveRun, type RunDir } from '../../agents/runs/run-folder.js';
import { lockRun, type RunLock } from '../../agents/runs/lock.js';
import { MetricsWriter } from '../../agents/runs/metrics.js';
import { parseJsonObject, parseSet, readConfigFile, readJsonObject, shellPath } from '../args.js';
import { writeFileAtomic } from '../../core/node/files.js';
import { keepLatest, recordTraining, sampleScenes, sceneReader, type LatestStep } from '../live-consumers.js';
import { runSession } from '../session.js';
import { applyWorldModel, worldModelSettings, worldPresetName } from '../world-model-flags.js';
import { restoreWorldModel } from '../world-model-load.js';
import type { DistributedAgent } from '../../scale/learner.js';
import type { DistributedSetup } from '../../scale/setup.js';
import type { RunSpec } from '../../scale/run-spec.js';

export { parseSet } from '../args.js';
export { keepLatest, recordTraining, sampleScenes, sceneReader, type LatestStep } from '../live-consumers.js';

/**
 * What a run's config.json holds (every algorithm): the experience actors read (`RunSpec`: algo, env, its kwargs and
 * episode limit, steps, config) and the training session's own settings.
 */
export interface RunConfig extends RunSpec {
  /** Steps between checkpoints (null: the default, a tenth of the run or five minutes). */
  checkpointEvery: number | null;
  checkpointReplay: boolean;
  /** Steps between best-model evaluations; null keeps the last parameters in final/. */
  evalEvery?: number | null;
  /** `--record-every`: record every Nth training episode (kept for resumed sessions); null or absent: none. */
  recordEvery?: number | null;
  preset: string | null;
  /** Model-based training settings (`--world-model`, `--explore disagreement`); null or absent: none. */
  worldModel?: Record<string, unknown> | null;
  createdAt: string;
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
  keepCheckpoints?: string | number;
  resume?: string;
  preset?: string;
  /** Force plain progress lines (tests); default: a bar when stderr is a terminal. */
  plain?: boolean;
  evalEpisodes?: string | number;
  evalEvery?: string | number;
  recordEvery?: string | number;
  watch?: boolean;
  port?: string | number;
  envKwargs?: string;
  maxEpisodeSteps?: string | number;
  /** `--envs N`: env copies stepped side by side (the config's numEnvs). */
  envs?: string | number;
  /** `--async`: step them in worker threads (the config's asyncEnvs). */
  async?: boolean;
  /** `--world-model ensemble` and `--explore disagreement[=scale]` (cli/world-model-flags.ts). */
  worldModel?: string;
  /** `--explore`: dqn's epsilon|bootstrap|mc-dropout (agents/exploration.ts), td3 and ddpg's disagreement[=scale]. */
  explore?: string;
  /** `--actors K`: K actor threads (each stepping --envs N envs) send experience to this process, which learns (scale/threads.ts). */
  actors?: string | number;
}

/** What `trainCommand` takes besides the options (tests and scripts). */
export interface TrainIo {
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stdout?: NodeJS.WritableStream;
  /** Aborts like Ctrl-C (checkpoint, then resolve with stopped 'aborted'). */
  signal?: AbortSignal;
  /** Whether `--watch` may build the viewer with Vite when it is missing or stale (default 'build'). */
  viewerBuild?: 'build' | 'never';
  /** Called with the live viewer once it listens; training starts when the returned promise settles. */
  onViewer?: (viewer: LiveViewer) => void | Promise<void>;
  /** Resolves once the watch server should close (default: the first Ctrl-C after training ends). */
  keepServing?: (viewer: LiveViewer) => Promise<void>;
  /** Learn from actors elsewhere (`rxgym learner`): the env the agent is built on, the agent the session drives. */
  distributed?: DistributedSetup;
}

/** What `trainCommand` resolves to. */
export interface TrainOutcome {
  run: RunDir;
  step: number;
  stopped: 'done' | 'aborted';
  eval: { mean: number; std: number } | null;
  /** A signal (Ctrl-C, SIGTERM) or the caller's abort stopped training or the final evaluation. */
  interrupted: boolean;
}

/** The agent, env and run a session trains, new or resumed. */
interface Prepared {
  entry: AlgorithmEntry;
  run: RunDir;
  runConfig: RunConfig;
  agent: Agent;
  lock: RunLock;
  metrics: MetricsWriter;
  selection: import('../../core/node/checkpoint/checkpoint.js').SelectionState | null;
}

/** The env of a run, as config.json describes it. */
export function runEnv(rc: Pick<RunConfig, 'env' | 'envKwargs' | 'maxEpisodeSteps'>): Promise<Env<unknown, unknown>> {
  return loadEnv(rc.env, rc.envKwargs ?? {}, rc.maxEpisodeSteps != null ? { maxEpisodeSteps: rc.maxEpisodeSteps } : {});
}

async function prepareNew(algo: string | undefined, envId: string | undefined, opts: TrainOptions, say: (l: string) => void, d?: DistributedSetup): Promise<Prepared> {
  const entry = algorithm(algo);
  if (envId === undefined) throw new InvalidConfig(`Expected an environment id (e.g. CartPole-v1) after ${entry.name}, got none.`);
  const presets = loadPresets(entry.name);
  if (opts.preset !== undefined && !Object.hasOwn(presets, opts.preset)) {
    throw new InvalidConfig(`Expected a preset from presets/${entry.name}.json (${Object.keys(presets).join(', ')}), got ${describeValue(opts.preset)}.`);
  }
  // --explore: dqn's modes are config fields (refused, naming both, when unknown); td3 and ddpg's go to the world-model flags.
  const { dqn: dqnExplore, world: worldExplore } = splitExplore(entry.name, opts.explore);
  const explore = exploreConfig(entry.name, dqnExplore);
  const presetName = opts.preset ?? worldPresetName(presets, envId, opts.worldModel) ?? presetFor(presets, envId, dqnExplore);
  const preset = presetName ? presets[presetName]! : undefined;
  const config = entry.resolveConfig({
    ...(preset?.config ?? {}),
    ...(opts.config !== undefined ? readConfigFile(opts.config) : {}),
    ...parseSet(opts.set ?? []),
    ...explore,
    ...(opts.seed !== undefined ? { seed: parseIntFlag(opts.seed, '--seed', 0, 2 ** 31 - 1) } : {}),
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.envs !== undefined ? { numEnvs: parseIntFlag(opts.envs, '--envs', 1, 4096) } : {}),
    ...(opts.async ? { asyncEnvs: true } : {}),
  });
  const runConfig: RunConfig = {
    algo: entry.name,
    env: envId,
    envKwargs: opts.envKwargs !== undefined ? parseJsonObject(opts.envKwargs, '--env-kwargs') : {},
    maxEpisodeSteps: opts.maxEpisodeSteps !== undefined ? parseIntFlag(opts.maxEpisodeSteps, '--max-episode-steps', 1) : null,
    steps: opts.steps !== undefined ? parseIntFlag(opts.steps, '--steps', 1) : (preset?.steps ?? 100_000),
    config: config as RunConfig['config'],
    checkpointEvery: opts.checkpointEvery !== undefined ? parseIntFlag(opts.checkpointEvery, '--checkpoint-every', 1) : null,
    checkpointReplay: opts.checkpointReplay === true,
    evalEvery: opts.evalEvery !== undefined ? parseIntFlag(opts.evalEvery, '--eval-every', 0) || null : (preset?.evalEvery ?? null),
    preset: presetName,
    worldModel: worldModelSettings({ ...(opts.worldModel !== undefined ? { worldModel: opts.worldModel } : {}), ...(worldExplore !== undefined ? { explore: worldExplore } : {}) }, entry.name, preset),
    createdAt: new Date().toISOString(),
  };
  const realEnv = await runEnv(runConfig);
  const env = d ? d.wrapEnv(realEnv, { entry, config, run: null, step: 0 }) : realEnv;
  await prepareEngines(entry, env, config);
  const agent = applyWorldModel(entry.create(env, config), runConfig.worldModel);
  const run = d?.createRun ? await d.createRun(opts.out ?? 'runs', runConfig) : await createRun(opts.out ?? 'runs', entry.name, envId, runConfig);
  const lock = await lockRun(run.dir);
  say(`Run folder: ${shellPath(run.dir)}${presetName ? ` (preset ${presetName})` : ''}`);
  return { entry, run, runConfig, agent, lock, metrics: new MetricsWriter(run.metrics), selection: null };
}

async function prepareResume(algo: string | undefined, envId: string | undefined, opts: TrainOptions, say: (l: string) => void, warn: (l: string) => void, d?: DistributedSetup): Promise<Prepared> {
  const run = await resolveRun(opts.resume!, opts.out ?? 'runs');
  const runConfig = readJsonObject<RunConfig>(run.config, 'a run config');
  if (typeof runConfig.algo !== 'string' || typeof runConfig.env !== 'string' || typeof runConfig.config !== 'object' || runConfig.config === null) {
    throw new CorruptFile(run.config, `Expected ${run.config} to hold { algo, env, steps, config }, got ${describeValue(runConfig)}.`);
  }
  const entry = algorithm(runConfig.algo);
  if (algo !== undefined && algorithm(algo).name !== entry.name) throw new InvalidConfig(`Expected the algorithm of the resumed run (${entry.name}), got ${describeValue(algo)}.`);
  if (envId !== undefined && envId !== runConfig.env) throw new InvalidConfig(`Expected the environment of the resumed run (${runConfig.env}), got ${describeValue(envId)}.`);
  if (opts.steps !== undefined) runConfig.steps = parseIntFlag(opts.steps, '--steps', 1);
  if (opts.envs !== undefined || opts.async) throw new InvalidConfig(`Expected no --envs or --async with --resume, got ${opts.envs !== undefined ? `--envs ${opts.envs}` : '--async'}: a run keeps the envs its config.json names.`);
  const lock = await lockRun(run.dir);
  try {
    if (lock.note) warn(lock.note);
    const { checkpoint, fellBack, skipped } = await openCheckpoint(run.dir, 'latest').catch((err: unknown) => {
      throw err instanceof CorruptFile
        ? new InvalidConfig(`Expected a complete checkpoint in ${shellPath(run.checkpoints)} to resume from, got none (${err.message}). Start a new run instead.`)
        : err;
    });
    for (const s of skipped) warn(`skipping damaged checkpoint ${shellPath(s.dir)}: ${s.reason}`);
    if (fellBack) warn(`fell back from ${shellPath(fellBack.from)}: ${fellBack.reason}`);
    if (checkpoint.algo !== entry.name) throw new CorruptFile(checkpoint.dir, `Expected a ${entry.name} checkpoint in ${checkpoint.dir}, got '${checkpoint.algo}'.`);
    const overrides = opts.backend !== undefined ? { backend: opts.backend } : {};
    const config = entry.resolveConfig({ ...(checkpoint.config as object), ...overrides });
    const realEnv = await runEnv(runConfig);
    const env = d ? d.wrapEnv(realEnv, { entry, config, run, step: checkpoint.step }) : realEnv;
    await prepareEngines(entry, env, config);
    const restored = await entry.restore(checkpoint, env, overrides);
    // A model-based run takes its saved ensemble back, so it plans from its first resumed step instead of after a refit.
    const world = runConfig.worldModel ? await restoreWorldModel(restored, runConfig.worldModel, checkpoint.dir) : null;
    if (world) say(`World model: ${world.description}.`);
    const agent = world?.agent ?? restored;
    const { writer, summary } = await MetricsWriter.openForResume(run.metrics, checkpoint.step);
    if (summary.droppedRows > 0) say(`metrics.jsonl: dropped ${summary.droppedRows} rows logged after step ${checkpoint.step} (they are logged again from there).`);
    if (summary.repairedLastLine || summary.brokenLines > 0) warn(`metrics.jsonl: removed ${summary.brokenLines + (summary.repairedLastLine ? 1 : 0)} cut-off line(s) left by an interrupted run.`);
    say(`Resuming ${run.name} from step ${checkpoint.step} (${shellPath(checkpoint.dir)}).`);
    return { entry, run, runConfig, agent, lock, metrics: writer, selection: checkpoint.selection };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * Trains as `rxgym train` does; exported so tests and scripts call it directly. `io.signal` aborts like Ctrl-C
 * (a checkpoint, then `stopped: 'aborted'`).
 */
export async function trainCommand(algo: string | undefined, envId: string | undefined, opts: TrainOptions, io: TrainIo = {}): Promise<TrainOutcome> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = (io.stderr ?? process.stderr) as NodeJS.WriteStream;
  const say = (line: string) => void stdout.write(`${line}\n`);
  const warn = (line: string) => void stderr.write(`rxgym: ${line}\n`);
  const recordFlag = opts.recordEvery !== undefined ? parseIntFlag(opts.recordEvery, '--record-every', 1) : null;
  const port = opts.port !== undefined ? parseIntFlag(opts.port, '--port', 0, 65_535) : 0;
  const evalEpisodes = opts.evalEpisodes !== undefined ? parseIntFlag(opts.evalEpisodes, '--eval-episodes', 0, 10_000) : 10;
  const keep = opts.keepCheckpoints !== undefined ? parseIntFlag(opts.keepCheckpoints, '--keep-checkpoints', 1) : 3;
  if (opts.async && (recordFlag !== null || opts.watch)) {
    throw new InvalidConfig(`Expected --async without ${opts.watch ? '--watch' : '--record-every'}, got both: recording and watching draw env 0, which --async puts in a worker thread.`);
  }
  const d = io.distributed ?? (opts.actors !== undefined ? await threadLearner(opts, warn) : undefined);
  // With actors, --envs is each actor's: the learner's agent steps no env of its own.
  const learnerOpts = opts.actors !== undefined ? { ...opts, envs: undefined, async: undefined } : opts;
  const p = opts.resume !== undefined ? await prepareResume(algo, envId, learnerOpts, say, warn, d) : await prepareNew(algo, envId, learnerOpts, say, d);
  if (d && p.runConfig.worldModel) {
    await p.lock.release();
    throw new InvalidConfig('Expected no world model with actors, got one: a world model learns from the env the learner steps, and actors step it elsewhere.');
  }
  if (d) p.agent = await d.wrapAgent(p.agent, p.runConfig, p.run);
  const { agent, run, runConfig } = p;
  // A resumed run keeps recording as it did unless told otherwise.
  const recordEvery = recordFlag ?? runConfig.recordEvery ?? null;
  if (recordFlag !== null && recordFlag !== runConfig.recordEvery) {
    runConfig.recordEvery = recordFlag;
    await writeFileAtomic(run.config, `${JSON.stringify(runConfig, null, 2)}\n`);
  }

  let viewer: LiveViewer | null = null;
  let stopSampling = (): void => {};
  try {
    // ---- optional consumers of the same run: the recorder and the live viewer ---------------------------------
    const consumers: OperatorFunction<Transition<unknown, unknown>, unknown>[] = [];
    let onReset: ((obs: unknown, ctx: ActorContext) => void) | undefined;
    if (recordEvery !== null) {
      const every = recordEvery;
      const base = agent.episodes;
      // Each recorded episode starts with the scene after its reset (frame 0).
      const resetScenes = resetSceneTracker<unknown, unknown>(sceneReader(agent.env), { wanted: (e) => (base + e) % every === 0 });
      onReset = resetScenes.onReset;
      consumers.push(recordTraining(join(run.dir, 'episodes'), {
        envId: runConfig.env, every, baseEpisode: base, baseStep: agent.step, resetScenes,
        scene: sceneReader(agent.env), qValues: (obs) => agent.values(obs), ...spreadOf(agent, 'uncertainty'), fps: agent.env.metadata?.renderFps ?? 50,
        header: { algo: runConfig.algo, run: run.name },
      }));
      say(`Recording ${recordEvery === 1 ? 'every episode' : `episodes 0, ${recordEvery}, ${2 * recordEvery}, ...`} to ${shellPath(join(run.dir, 'episodes'))}/.`);
    }
    if (opts.watch) {
      const { liveViewer } = await import('../../render/live.js');
      try {
        viewer = await liveViewer({ port, runsDir: resolve(run.dir, '..'), envId: runConfig.env, log: warn, build: io.viewerBuild ?? 'build' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new InvalidConfig(`Expected a free port for --watch, got ${port}, which is in use. Pass another with --port (0 picks a free one).`);
        }
        throw err;
      }
      const latest: LatestStep = { numbers: new Float64Array(2), obs: undefined, seen: false, value: (obs) => maxOf(agent.values(obs)), ...spreadOf(agent, 'spread') };
      consumers.push(keepLatest(latest));
      stopSampling = sampleScenes(viewer, sceneReader(agent.env), agent, 30, latest);
      say(`Live viewer: ${viewer.url}?live (127.0.0.1 only; training runs headless, scenes are sampled while a browser is open)`);
      await io.onViewer?.(viewer);
    }
    const live = viewer;
    const outcome = await runSession({
      ...p,
      consumers,
      ...(onReset ? { onReset } : {}),
      opts: { evalEvery: opts.evalEvery, checkpointEvery: opts.checkpointEvery, checkpointReplay: opts.checkpointReplay, plain: opts.plain },
      evalEpisodes,
      keepCheckpoints: keep,
      makeEnv: () => runEnv(runConfig),
      ...(d ? { onSaver: (save: (step: number) => Promise<string>) => (agent as DistributedAgent).setSaver(save) } : {}),
      publish: (row) => live?.publishMetrics(row as MetricsRow),
      stdout: say,
      warn,
      stderr,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    if (viewer !== null && outcome.stopped === 'done') {
      // The run is over but the viewer stays up (its curves and episodes) until Ctrl-C.
      stopSampling();
      say(`Training finished; the viewer keeps serving ${viewer.url} until Ctrl-C.`);
      await (io.keepServing ?? waitForInterrupt)(viewer);
    }
    return outcome;
  } finally {
    stopSampling();
    if (viewer) await viewer.close();
    await d?.close();
    await p.lock.release();
  }
}

/** `--actors K`: a learner fed by K actor threads (the recorder and the viewer need the env in this process). */
async function threadLearner(opts: TrainOptions, warn: (line: string) => void): Promise<DistributedSetup> {
  const k = parseIntFlag(opts.actors, '--actors', 1, 256);
  if (opts.recordEvery !== undefined || opts.watch) throw new InvalidConfig(`Expected no --record-every or --watch with --actors ${k}: the envs run in the actor threads.`);
  if (opts.async) throw new InvalidConfig(`Expected no --async with --actors ${k}: the actors are worker threads already.`);
  const lanes = opts.envs !== undefined ? parseIntFlag(opts.envs, '--envs', 1, 4096) : 1;
  const { threadLearnerSetup } = await import('../../scale/threads.js');
  return threadLearnerSetup(k, (line) => warn(line), { lanes });
}

/** The largest of `values` (max Q, or V), NaN for an agent without values: the caption then shows none. */
function maxOf(values: Float32Array): number {
  let best = NaN;
  for (const v of values) if (!(v <= best)) best = v;
  return best;
}

/** `{ [key]: agent.uncertainty }` for an agent that has one (Thompson-sampling DQN), else nothing. */
function spreadOf<K extends string>(agent: Agent, key: K): Partial<Record<K, (obs: unknown) => number>> {
  const u = agent.uncertainty;
  return u ? ({ [key]: (obs: unknown) => u.call(agent, obs) } as Record<K, (obs: unknown) => number>) : {};
}

/** Resolves at the next SIGINT or SIGTERM. */
function waitForInterrupt(): Promise<void> {
  return new Promise((resolveWait) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolveWait();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Registers `rxgym train`. */
export function registerTrainCommand(program: Command): void {
  const algos = Object.values(ALGORITHMS).map((a) => `${a.name} (${a.summary})`).join('; ');
  program
    .command('train')
    .description('train an agent on an environment into a run folder (runs/<algo>-<env>-<timestamp>/)')
    .argument('[algo]', `algorithm: ${algos}; omit with --resume`)
    .argument('[env]', 'environment id (e.g. CartPole-v1) or ./module.ts:Export; omit with --resume')
    .option('--steps <n>', "total environment steps (default: the preset's)")
    .option('--seed <s>', 'seed of weights, exploration and resets')
    .option('--config <file.json>', 'JSON object of config fields over the preset')
    .option('--set <key=value>', 'override one config field (repeatable); `rxgym info <algo>` lists them', collect)
    .option('--preset <name>', "preset from presets/<algo>.json (default: the env id's, if any)")
    .option('--world-model <kind>', "train with a world model (MBPO-style): ensemble; picks the preset <env>:ensemble if there is one")
    .option('--explore <mode>', 'dqn: epsilon (default), bootstrap (Bootstrapped DQN with priors) or mc-dropout; td3, ddpg: disagreement[=scale] (the dynamics ensemble\'s disagreement bonus)')
    .option('--env-kwargs <json>', "keyword arguments of the env, e.g. '{\"length\": 6}'")
    .option('--max-episode-steps <n>', "cut episodes after n steps (a TimeLimit over the env's own)")
    .option('--envs <n>', 'env copies stepped side by side (1 to 4096; --steps counts the transitions of all of them)')
    .option('--async', 'step the --envs copies in worker threads (AsyncVectorEnv) instead of this thread')
    .option('--out <dir>', 'folder that holds run folders', 'runs')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu or tensorflow')
    .option('--checkpoint-every <n>', 'write checkpoints/<step>/ every n steps (default: a tenth of the run, or every 5 minutes)')
    .option('--keep-checkpoints <n>', 'keep the newest n checkpoints', '3')
    .option('--checkpoint-replay', 'include the replay buffer in checkpoints (larger; exact resume)')
    .option('--resume <run>', 'continue a run from its newest complete checkpoint')
    .option('--eval-episodes <n>', 'greedy evaluation episodes after training (0 skips)', '10')
    .option('--eval-every <n>', "steps between greedy evaluations that pick the best policy for final/ (0: keep the last; default: the preset's)")
    .option('--record-every <n>', 'record every nth training episode (scenes, values) to <run>/episodes/')
    .option('--watch', 'serve the live viewer on 127.0.0.1 while training, and after it until Ctrl-C')
    .option('--port <n>', 'port of the live viewer (0 picks a free one)', '8080')
    .option('--actors <k>', 'collect experience in k worker threads, each with its own envs, for one learner (this process)')
    .action(async (algo: string | undefined, envId: string | undefined, opts: TrainOptions) => {
      if (algo !== undefined && opts.resume !== undefined && envId === undefined && !Object.hasOwn(ALGORITHMS, algo.toLowerCase())) {
        throw new InvalidConfig(`Expected an algorithm (${Object.keys(ALGORITHMS).join(', ')}) or nothing before --resume, got ${describeValue(algo)}.`);
      }
      const outcome = await trainCommand(algo, envId, opts);
      if (outcome.interrupted) process.exitCode = 130;
    });
}
