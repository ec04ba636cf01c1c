/**
 * One training session of a run, for any algorithm: the loop with its progress bar and metrics, best-model
 * selection, periodic checkpoints (kept to the newest few), and signals. Ctrl-C or SIGTERM stops at the next step
 * boundary and writes a checkpoint; a signal during a save lets the save finish (a kill at any moment still leaves
 * the previous checkpoint whole); every way out says in one line which checkpoint is complete.
 */
import { join } from 'node:path';
import type { OperatorFunction } from 'rxjs';
import type { Env, Transition } from '../core/env.js';
import type { ActorContext } from '../core/streams.js';
import type { Agent } from '../agents/agent.js';
import { parseIntFlag } from '../agents/config.js';
import type { AlgorithmEntry } from '../agents/registry.js';
import { bestModelTracker, type BestModelTracker } from '../agents/runs/best-model.js';
import type { SelectionState } from '../core/node/checkpoint/checkpoint.js';
import { pruneCheckpoints } from '../agents/runs/find.js';
import type { MetricsRecord, MetricsWriter } from '../agents/runs/metrics.js';
import type { RunDir } from '../agents/runs/run-folder.js';
import { CheckpointSchedule, DEFAULT_CHECKPOINT_SECONDS, defaultCheckpointEvery } from '../agents/runs/schedule.js';
import { shellPath } from './args.js';
import { fmtMeanStd, plural, progressBar } from './progress.js';
import type { RunConfig, TrainOutcome } from './commands/train.js';

/** Base of the selection episodes' seeds (each evaluation resets with base + step), apart from the final evaluation's. */
const SELECTION_SEED_OFFSET = 2_000_000;
const EVAL_SEED_OFFSET = 1_000_000;

/** What `runSession` needs. */
export interface SessionInput {
  entry: AlgorithmEntry;
  run: RunDir;
  runConfig: RunConfig;
  agent: Agent;
  metrics: MetricsWriter;
  /** Best-model state of a resumed run. */
  selection: SelectionState | null;
  consumers: OperatorFunction<Transition<unknown, unknown>, unknown>[];
  /** Called after each env reset (a recorder's reset scenes). */
  onReset?: (obs: unknown, ctx: ActorContext) => void;
  opts: { evalEvery?: string | number | undefined; checkpointEvery?: string | number | undefined; checkpointReplay?: boolean | undefined; plain?: boolean | undefined };
  evalEpisodes: number;
  keepCheckpoints: number;
  makeEnv: () => Promise<Env<unknown, unknown>>;
  /** Receives the session's checkpoint function (a learner saves when its actors' link goes down). */
  onSaver?: (save: (step: number) => Promise<string>) => void;
  publish: (row: MetricsRecord) => void;
  stdout: (line: string) => void;
  warn: (line: string) => void;
  stderr: NodeJS.WriteStream;
  signal?: AbortSignal;
}

/** Trains the run to its total steps (or until a signal), saving as it goes; see the file comment. */
export async function runSession(s: SessionInput): Promise<TrainOutcome> {
  const { entry, run, runConfig, agent } = s;
  const seed = runConfig.config.seed;
  const metrics = {
    write(row: MetricsRecord): void {
      s.metrics.write(row);
      s.publish(row);
    },
    flush: () => s.metrics.flush(),
  };
  const everySteps = s.opts.checkpointEvery !== undefined
    ? parseIntFlag(s.opts.checkpointEvery, '--checkpoint-every', 1)
    : (runConfig.checkpointEvery ?? defaultCheckpointEvery(runConfig.steps));
  const schedule = new CheckpointSchedule({ everySteps, everySeconds: DEFAULT_CHECKPOINT_SECONDS, startStep: agent.step });
  const withReplay = s.opts.checkpointReplay ?? runConfig.checkpointReplay;
  const evalEvery = s.opts.evalEvery !== undefined ? parseIntFlag(s.opts.evalEvery, '--eval-every', 0) || null : (runConfig.evalEvery ?? null);
  const selectionEnv = evalEvery !== null ? await s.makeEnv() : null;
  const tracker: BestModelTracker | null =
    evalEvery !== null && selectionEnv !== null
      ? bestModelTracker({
          every: evalEvery,
          episodes: 5,
          evaluate: async (step, episodes) => (await agent.evaluate({ episodes, seed: seed + SELECTION_SEED_OFFSET + step, env: selectionEnv })).mean,
          snapshot: () => agent.snapshot(),
          restore: (nets) => agent.restoreSnapshot(nets),
          initial: s.selection,
          onEval: (step, mean, best) => metrics.write({ kind: 'eval', step, mean, episodes: 5, selection: true, best }),
        })
      : null;

  // ---- saving: one save at a time; a signal during a save waits for it --------------------------------------
  let saving: Promise<string> | null = null;
  let lastSaved: string | null = null;
  const save = (step: number): Promise<string> => {
    const dir = join(run.checkpoints, String(step));
    saving = (async () => {
      // Rows first: a kill after the checkpoint is complete must not lose rows logged before its step (a kill
      // before it is complete leaves rows past the previous checkpoint, which a resume drops and logs again).
      await metrics.flush();
      await agent.save(dir, { replay: withReplay, selection: tracker?.state() ?? s.selection });
      schedule.markDone(step);
      await pruneCheckpoints(run.dir, s.keepCheckpoints);
      lastSaved = dir;
      return dir;
    })().finally(() => {
      saving = null;
    });
    return saving;
  };
  s.onSaver?.(save);

  // ---- signals ----------------------------------------------------------------------------------------------
  const bar = progressBar({ stream: s.stderr, tty: s.opts.plain ? false : Boolean(s.stderr.isTTY), label: `${entry.name} ${runConfig.env}` });
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  s.signal?.addEventListener('abort', onOuterAbort);
  let interrupted: string | null = s.signal?.aborted ? 'abort' : null;
  let exitAfterSave = false;
  const onSignal = (name: NodeJS.Signals) => {
    const what = name === 'SIGINT' ? 'Ctrl-C' : name;
    if (interrupted === null) {
      interrupted = name;
      bar.log(`rxgym: ${what}: finishing the current step and writing a checkpoint (${what} again quits without waiting for training)...`);
      controller.abort();
      return;
    }
    const current = saving;
    if (current !== null) {
      if (!exitAfterSave) bar.log(`rxgym: ${what}: a checkpoint is being written; exiting as soon as it is complete.`);
      exitAfterSave = true;
      void (current as Promise<string>).then((dir) => {
        s.warn(`exiting: the checkpoint ${shellPath(dir)} is complete.`);
        process.exit(130);
      }, () => process.exit(130));
      return;
    }
    s.warn(`${what} again: exiting now. ${lastSaved ? `The newest complete checkpoint is ${shellPath(lastSaved)}.` : 'No checkpoint was written in this session; the previous ones are intact.'}`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const checkpointHook = {
    every: Math.max(1, Math.min(everySteps, 1000)),
    run: async (step: number) => {
      if (schedule.shouldCheckpoint(step)) await save(step);
    },
  };
  const fromStep = agent.step;
  const started = performance.now();
  const fields = entry.progressFields;
  const barUpdate = (p: { step: number; totalSteps: number; startStep: number; fps: number; meanReturn: number; episodes: number; metrics: Record<string, number> }) =>
    bar.update({
      step: p.step, total: p.totalSteps, startStep: p.startStep, seconds: (performance.now() - started) / 1000, meanReturn: p.meanReturn, episodes: p.episodes,
      fields: fields.map((f) => ({ label: f.label, value: p.metrics[f.key], digits: f.digits })),
    });
  try {
    let result;
    try {
      result = await agent.learn({
        steps: Math.max(0, runConfig.steps - agent.step),
        totalSteps: runConfig.steps,
        signal: controller.signal,
        log: (line) => bar.log(line),
        onProgress: barUpdate,
        onEpisode: (e) => metrics.write({
          kind: 'episode', step: e.globalStep, episode: e.episode, return: e.return, length: e.length, terminated: e.terminated, truncated: e.truncated,
          ...Object.fromEntries(entry.episodeFields.map((k) => [k, finite(e.metrics[k])])),
        }),
        onLog: (r) => {
          metrics.write({
            kind: 'log', step: r.step, fps: r.fps, meanReturn: finite(r.meanReturn), episodes: r.episodes, updates: r.updates,
            ...Object.fromEntries(fields.map((f) => [f.key, finite(r.metrics[f.key])])),
          });
          barUpdate(r);
        },
        consumers: s.consumers,
        ...(s.onReset ? { onReset: s.onReset } : {}),
        periodic: tracker !== null ? [tracker.hook, checkpointHook] : [checkpointHook],
      });
    } finally {
      bar.done();
      await metrics.flush();
    }

    if (result.stopped === 'aborted') {
      const dir = await save(agent.step);
      s.stdout(`Interrupted at step ${agent.step}/${runConfig.steps}: checkpoint written to ${shellPath(dir)}.`);
      s.stdout(`Resume with: rxgym train --resume ${shellPath(run.dir)}`);
      return { run, step: agent.step, stopped: 'aborted', eval: null, interrupted: true };
    }
    // The last parameters stay resumable in checkpoints/<step>/; final/ gets the best evaluated ones.
    const last = await save(agent.step);
    if (tracker !== null) {
      const best = await tracker.finish(agent.step, { evaluateLast: interrupted === null });
      s.stdout(best.kept === 'best' ? `Kept ${best.message}; the last parameters are in ${shellPath(last)}.` : `Kept ${best.message}.`);
    }
    await agent.save(run.final, { selection: tracker?.state() ?? null });
    const span = fromStep > 0 ? `steps ${fromStep}-${result.step}` : `${result.step} steps`;
    s.stdout(`Trained ${span} in ${result.seconds.toFixed(1)} s (${result.fps.toFixed(0)} steps/s, ${plural(result.updates, 'gradient step')} in all, engine ${result.engine}).`);
    let evaluation: TrainOutcome['eval'] = null;
    if (s.evalEpisodes > 0 && interrupted === null) {
      const evalEnv = await s.makeEnv();
      try {
        // A signal during the evaluation stops it after the episode in progress: final/ is already complete.
        const e = await agent.evaluate({ episodes: s.evalEpisodes, seed: seed + EVAL_SEED_OFFSET, env: evalEnv, signal: controller.signal });
        if (interrupted !== null) throw new EvaluationInterrupted();
        evaluation = { mean: e.mean, std: e.std };
        metrics.write({ kind: 'eval', step: agent.step, mean: e.mean, std: e.std, episodes: s.evalEpisodes });
        await metrics.flush();
        s.stdout(`Greedy evaluation: ${fmtMeanStd(e.mean, e.std)} over ${plural(s.evalEpisodes, 'episode')}.${e.cut > 0 ? ` ${plural(e.cut, 'episode')} hit the cap of 100000 steps and count partial returns.` : ''}`);
      } catch (err) {
        if (!(err instanceof EvaluationInterrupted)) throw err;
      } finally {
        evalEnv.close();
      }
    }
    if (interrupted !== null) s.stdout(`Interrupted as training ended: ${shellPath(run.final)} is complete; the final evaluation was skipped.`);
    s.stdout(`Saved ${shellPath(run.final)}. Evaluate with: rxgym eval ${shellPath(run.dir)}`);
    return { run, step: agent.step, stopped: 'done', eval: evaluation, interrupted: interrupted !== null };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    s.signal?.removeEventListener('abort', onOuterAbort);
    selectionEnv?.close();
    agent.env.close();
    agent.dispose();
  }
}

/** A signal stopped the final evaluation (its partial figures are not reported). */
class EvaluationInterrupted extends Error {}

function finite(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}
