/**
 * Fault injection for training runs, shared by tests/faults/faults.test.ts and `npm run bench -- faults`. A trial
 * trains one run with the real CLI in child processes and SIGKILLs them: at a random moment of training, or at one
 * exact point of a file write (RXGYM_FAULT_KILL, see core/node/checkpoint/fault.ts). After each kill it checks the run
 * folder (a complete checkpoint is there unless none was ever written; metrics.jsonl has no duplicate, broken or
 * backward rows), then resumes with `train --resume` (or starts over when there was no checkpoint yet) until the
 * run completes, and compares the result with an uninterrupted run of the same command.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../core/rng.js';
import { CorruptFile } from '../../core/errors.js';
import { openCheckpoint } from '../../agents/runs/find.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'cli', 'main.ts');
/** Printed by `train` once the run is set up, just before training starts: random kills are timed from it. */
const READY = /^(Run folder: |Resuming )/m;

/** `--set` pairs of a DQN small and quick enough to train thousands of steps in about a second. */
export const FAULT_DQN = ['learningStarts=200', 'batchSize=16', 'hidden=[16]', 'trainFreq=8', 'bufferSize=5000', 'logInterval=500'];

/** What a trial trains. */
export interface FaultRunSpec {
  steps: number;
  seed: number;
  checkpointEvery: number;
}

/** The kill injected into one process: at a stage's n-th visit, or at a random moment of training. */
export type Kill = { stage: string; n: number } | { random: true };

/** A trial: the kills of its successive processes (the process after the last one runs to the end). */
export interface FaultTrial {
  name: string;
  kills: Kill[];
}

/** What the checks found after one kill. */
export interface KillReport {
  /** The stage as reported: `<stage>:<n>`'s stage, or 'random'. */
  stage: string;
  /** False when the process ended before the kill (a stage never reached, or a random moment after the end). */
  fired: boolean;
  /** The newest complete checkpoint's step afterwards; null when there is none. */
  checkpoint: number | null;
  /** No checkpoint and there had never been one: the run starts over (not a loss). */
  noCheckpointYet: boolean;
  /** A complete checkpoint existed before and none (or an older one) is there now. */
  lost: boolean;
  /** metrics.jsonl problems right after the kill (a cut-off last line is expected and not counted). */
  metrics: MetricsCheck;
  /** The newest checkpoint was unusable and an older one or a previous copy was found instead. */
  fellBack: boolean;
}

/** Problems in a metrics.jsonl. */
export interface MetricsCheck {
  rows: number;
  /** Rows with the same kind, step and episode as an earlier one. */
  duplicates: number;
  /** Lines that do not parse as a JSON object (a cut-off last line is counted in `cutLast` instead). */
  broken: number;
  /** Rows whose step is below the previous step of their kind. */
  backwards: number;
  /** The file ends in a cut-off line (allowed right after a kill; a resume must remove it). */
  cutLast: boolean;
}

/** The outcome of one trial. */
export interface TrialReport {
  name: string;
  kills: KillReport[];
  /** Processes started with `train --resume`. */
  resumes: number;
  /** Processes that started a new run because the killed one had no checkpoint yet. */
  restarts: number;
  /** The run reached its total steps and wrote final/. */
  completed: boolean;
  /** Problems of the completed run's metrics.jsonl (a cut-off line counts as broken here). */
  finalMetrics: MetricsCheck | null;
  /** Episode numbers missing from the completed run's metrics (every episode must have exactly one row). */
  missingEpisodes: number;
  /** Episode rows of metrics.jsonl and final/tensors.bin equal to the uninterrupted run's. */
  identical: boolean;
  /** final/tensors.bin equal to the uninterrupted run's. */
  sameFinal: boolean;
  /** Episode rows that differ from the uninterrupted run's row of the same episode number, or that it does not have. */
  differentRows: number;
  /** Steps of the checkpoints that resumes started from. */
  resumedFrom: number[];
  /** Failures that are not kills (a process that exited non-zero or hung), with its output's tail. */
  errors: string[];
}

/** The uninterrupted run a trial is compared with. */
export interface Baseline {
  episodes: string[];
  finalTensors: Buffer;
  /** Seconds from the READY line to the end of training (random kills fall in about this window). */
  trainSeconds: number;
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Seconds from the READY line to the exit, or NaN when it was never printed. */
  afterReady: number;
}

function trainArgs(spec: FaultRunSpec, out: string): string[] {
  return [
    'train', 'dqn', 'CartPole-v1', '--steps', String(spec.steps), '--seed', String(spec.seed), ...FAULT_DQN.flatMap((s) => ['--set', s]),
    '--checkpoint-every', String(spec.checkpointEvery), '--checkpoint-replay', '--eval-every', '0', '--eval-episodes', '0', '--out', out,
  ];
}

// --eval-episodes again, as config.json does not keep it (a resume would evaluate 10 episodes at the end).
function resumeArgs(run: string): string[] {
  return ['train', '--resume', run, '--eval-every', '0', '--eval-episodes', '0'];
}

/** Runs the CLI; `killAfter` (seconds after the READY line) SIGKILLs it from outside. */
function runCli(args: string[], env: Record<string, string>, killAfter: number | null, timeoutMs: number): Promise<ChildResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env['RXGYM_FAULT_KILL'] === undefined) delete childEnv['RXGYM_FAULT_KILL'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let readyAt = NaN;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (Number.isNaN(readyAt) && READY.test(stdout)) {
        readyAt = performance.now();
        if (killAfter !== null) timer = setTimeout(() => child.kill('SIGKILL'), killAfter * 1000);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    const hang = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(hang);
      resolve({ code, signal, stdout, stderr, afterReady: (performance.now() - readyAt) / 1000 });
    });
  });
}

/** The one run folder under `out` (a new run makes exactly one), or null when the kill came before it. */
function runFolderIn(out: string): string | null {
  if (!existsSync(out)) return null;
  const dirs = readdirSync(out, { withFileTypes: true }).filter((d) => d.isDirectory());
  return dirs.length === 1 ? join(out, dirs[0]!.name) : null;
}

/** Checks metrics.jsonl: rows parse, no duplicates (kind, step, episode), no step going back within a kind. */
export async function checkMetrics(path: string): Promise<MetricsCheck & { episodeRows: string[]; episodeNumbers: number[] }> {
  const result = { rows: 0, duplicates: 0, broken: 0, backwards: 0, cutLast: false, episodeRows: [] as string[], episodeNumbers: [] as number[] };
  // episodeNumbers[i] is episodeRows[i]'s episode (NaN when it has none).
  if (!existsSync(path)) return result;
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop();
  // A file that does not end in '\n' ends in a cut-off line.
  if (last !== '') {
    result.cutLast = true;
  }
  const seen = new Set<string>();
  const lastStep = new Map<string, number>();
  for (const line of lines) {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      row = null;
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      result.broken++;
      continue;
    }
    const r = row as { kind?: unknown; step?: unknown; episode?: unknown };
    if (typeof r.kind !== 'string' || typeof r.step !== 'number') {
      result.broken++;
      continue;
    }
    result.rows++;
    const key = `${r.kind}|${r.step}|${String(r.episode ?? '')}`;
    if (seen.has(key)) result.duplicates++;
    seen.add(key);
    if (r.step < (lastStep.get(r.kind) ?? -Infinity)) result.backwards++;
    lastStep.set(r.kind, r.step);
    if (r.kind === 'episode') {
      result.episodeRows.push(line);
      result.episodeNumbers.push(typeof r.episode === 'number' ? r.episode : NaN);
    }
  }
  return result;
}

/** The newest complete checkpoint of `run` (hashes checked, falling back as a resume would), or null. */
async function newestCheckpoint(run: string | null): Promise<{ step: number; fellBack: boolean } | null> {
  if (run === null || !existsSync(join(run, 'config.json'))) return null;
  try {
    const found = await openCheckpoint(run, 'latest');
    return { step: found.checkpoint.step, fellBack: found.fellBack !== undefined };
  } catch (err) {
    if (err instanceof CorruptFile) return null;
    throw err;
  }
}

/** Trains `spec` without a kill and keeps what trials are compared with. */
export async function baselineRun(spec: FaultRunSpec, dir: string): Promise<Baseline> {
  const out = join(dir, 'baseline');
  const r = await runCli(trainArgs(spec, out), {}, null, 120_000);
  const run = runFolderIn(out);
  if (r.code !== 0 || run === null) throw new Error(`The uninterrupted run failed (exit ${r.code}, ${r.signal}): ${r.stderr}`);
  const metrics = await checkMetrics(join(run, 'metrics.jsonl'));
  return { episodes: metrics.episodeRows, finalTensors: await readFile(join(run, 'final', 'tensors.bin')), trainSeconds: r.afterReady };
}

/** Options of `runTrial`. */
export interface TrialOptions {
  spec: FaultRunSpec;
  /** Awaited only when needed (a random kill, the comparison), so trials start while it still trains. */
  baseline: Baseline | Promise<Baseline>;
  /** A folder for this trial's runs. */
  dir: string;
  /** Draws the random kill moments. */
  rng: Rng;
  /** Per process; a hang counts as an error. Default 120 s. */
  timeoutMs?: number;
}

/** Runs one trial: its kills, the checks after each, resumes until the run completes, and the comparison. */
export async function runTrial(trial: FaultTrial, o: TrialOptions): Promise<TrialReport> {
  const report: TrialReport = { name: trial.name, kills: [], resumes: 0, restarts: 0, completed: false, finalMetrics: null, missingEpisodes: 0, identical: false, sameFinal: false, differentRows: 0, resumedFrom: [], errors: [] };
  let run: string | null = null;
  let newest: number | null = null;
  for (let attempt = 0; attempt <= trial.kills.length; attempt++) {
    const kill = trial.kills[attempt];
    const out = join(o.dir, `new-${attempt}`);
    if (run !== null) {
      report.resumes++;
      report.resumedFrom.push(newest!);
    } else if (attempt > 0) report.restarts++;
    const args = run !== null ? resumeArgs(run) : trainArgs(o.spec, out);
    const env: Record<string, string> = kill && 'stage' in kill ? { RXGYM_FAULT_KILL: `${kill.stage}:${kill.n}` } : {};
    const killAfter = kill && 'random' in kill ? o.rng.float() * (await o.baseline).trainSeconds * 1.2 : null;
    const r = await runCli(args, env, killAfter, o.timeoutMs ?? 120_000);
    run ??= runFolderIn(out);
    const killed = r.signal === 'SIGKILL';
    if (kill !== undefined) {
      const stage = 'stage' in kill ? kill.stage : 'random';
      const found = await newestCheckpoint(run);
      const metrics = run !== null ? await checkMetrics(join(run, 'metrics.jsonl')) : await checkMetrics('');
      const noCheckpointYet = found === null && newest === null;
      report.kills.push({
        stage, fired: killed, checkpoint: found?.step ?? null, noCheckpointYet,
        lost: !noCheckpointYet && (found === null || (newest !== null && found.step < newest)),
        metrics: { rows: metrics.rows, duplicates: metrics.duplicates, broken: metrics.broken, backwards: metrics.backwards, cutLast: metrics.cutLast },
        fellBack: found?.fellBack ?? false,
      });
      if (found !== null) newest = Math.max(newest ?? 0, found.step);
    }
    if (killed) {
      // Without a checkpoint there is nothing to resume: the next process starts a new run.
      if (newest === null) run = null;
      continue;
    }
    if (r.code !== 0 || r.signal !== null) {
      report.errors.push(`${args.join(' ')} ended with ${r.signal ?? `exit ${r.code}`}: ${r.stderr.slice(-1500)}`);
      return report;
    }
    report.completed = true;
    break;
  }
  if (!report.completed) {
    report.errors.push(`the run did not complete after ${trial.kills.length + 1} processes`);
    return report;
  }
  const metrics = await checkMetrics(join(run!, 'metrics.jsonl'));
  report.finalMetrics = { rows: metrics.rows, duplicates: metrics.duplicates, broken: metrics.broken + (metrics.cutLast ? 1 : 0), backwards: metrics.backwards, cutLast: metrics.cutLast };
  const numbered = metrics.episodeNumbers.filter((n) => Number.isInteger(n));
  const numbers = new Set(numbered);
  const count = numbered.length === 0 ? 0 : Math.max(...numbered) + 1;
  report.missingEpisodes = count - numbers.size;
  const tensors = await readFile(join(run!, 'final', 'tensors.bin'));
  const base = await o.baseline;
  report.sameFinal = tensors.equals(base.finalTensors);
  // Baseline rows are episodes 0, 1, ... in order, so an episode number indexes its row.
  report.differentRows = metrics.episodeRows.filter((line, i) => line !== base.episodes[metrics.episodeNumbers[i] ?? -1]).length;
  report.identical = report.sameFinal && report.differentRows === 0 && metrics.episodeRows.length === base.episodes.length;
  return report;
}

/**
 * Trains the uninterrupted run and `trials` in `lanes` processes at a time (default 2: the CI has two cores), the
 * uninterrupted run first; results are in the order of `trials`.
 */
export async function runTrials(trials: FaultTrial[], o: { spec: FaultRunSpec; dir: string; seed: number; lanes?: number; timeoutMs?: number }): Promise<{ baseline: Baseline; reports: TrialReport[] }> {
  const reports: TrialReport[] = new Array(trials.length);
  let resolveBase!: (b: Baseline) => void;
  let rejectBase!: (err: unknown) => void;
  const baseline = new Promise<Baseline>((res, rej) => {
    resolveBase = res;
    rejectBase = rej;
  });
  // -1 is the uninterrupted run; 0.. are the trials.
  let next = -1;
  const lane = async () => {
    for (let i = next++; i < trials.length; i = next++) {
      if (i === -1) await baselineRun(o.spec, o.dir).then(resolveBase, rejectBase);
      else reports[i] = await runTrial(trials[i]!, { spec: o.spec, baseline, dir: join(o.dir, `trial-${i}`), rng: new Rng(o.seed * 1000 + i), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) });
    }
  };
  await Promise.all(Array.from({ length: o.lanes ?? 2 }, lane));
  return { baseline: await baseline, reports };
}

/** Per-stage and overall counts of a set of trials, as the bench prints them. */
export interface FaultSummary {
  kills: number;
  resumes: number;
  restarts: number;
  completed: number;
  identical: number;
  lost: number;
  badRows: number;
  missingEpisodes: number;
  errors: number;
  /** Completed runs that trained on after a resume (from a checkpoint before the last step), and how many of them are identical. */
  resumedMidRun: number;
  identicalResumedMidRun: number;
  stages: Map<string, { planned: number; kills: number; noCheckpointYet: number; fellBack: number; lost: number; badRows: number; identical: number }>;
}

/**
 * Sums trial reports; `badRows` counts duplicate, broken and backward rows after kills and at the end. `steps` is
 * the runs' total, to tell resumes that trained on from those at the last step.
 */
export function summarize(reports: TrialReport[], steps: number): FaultSummary {
  const s: FaultSummary = { kills: 0, resumes: 0, restarts: 0, completed: 0, identical: 0, lost: 0, badRows: 0, missingEpisodes: 0, errors: 0, resumedMidRun: 0, identicalResumedMidRun: 0, stages: new Map() };
  const bad = (m: MetricsCheck) => m.duplicates + m.broken + m.backwards;
  for (const r of reports) {
    s.resumes += r.resumes;
    s.restarts += r.restarts;
    s.completed += Number(r.completed);
    s.identical += Number(r.identical);
    if (r.completed && r.resumedFrom.some((step) => step < steps)) {
      s.resumedMidRun++;
      s.identicalResumedMidRun += Number(r.identical);
    }
    s.missingEpisodes += r.missingEpisodes;
    s.errors += r.errors.length;
    if (r.finalMetrics) s.badRows += bad(r.finalMetrics);
    for (const k of r.kills) {
      const st = s.stages.get(k.stage) ?? { planned: 0, kills: 0, noCheckpointYet: 0, fellBack: 0, lost: 0, badRows: 0, identical: 0 };
      st.planned++;
      st.kills += Number(k.fired);
      st.noCheckpointYet += Number(k.noCheckpointYet);
      st.fellBack += Number(k.fellBack);
      st.lost += Number(k.lost);
      st.badRows += bad(k.metrics);
      st.identical += Number(r.identical);
      s.stages.set(k.stage, st);
      s.kills += Number(k.fired);
      s.lost += Number(k.lost);
      s.badRows += bad(k.metrics);
    }
  }
  return s;
}
