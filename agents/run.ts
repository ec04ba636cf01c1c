/**
 * Run folders: `runs/<algo>-<env>-<timestamp>/` with config.json, metrics.jsonl (one JSON object a line),
 * checkpoints/<step>/ and final/. Metrics are appended line by line so a killed run keeps what it logged.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InvalidConfig } from '../core/errors.js';
import { writeFileAtomic } from './checkpoint.js';

/** A run folder and the paths inside it. */
export interface RunDir {
  /** Absolute path of the run folder. */
  dir: string;
  /** Its folder name, e.g. `dqn-CartPole-v1-20261123-221700`. */
  name: string;
  config: string;
  metrics: string;
  checkpoints: string;
  final: string;
}

/** The paths of an existing or planned run folder. */
export function runPaths(dir: string): RunDir {
  const abs = resolve(dir);
  return {
    dir: abs,
    name: basename(abs),
    config: join(abs, 'config.json'),
    metrics: join(abs, 'metrics.jsonl'),
    checkpoints: join(abs, 'checkpoints'),
    final: join(abs, 'final'),
  };
}

/** `YYYYMMDD-HHMMSS` in UTC, for run folder names. */
export function timestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

/**
 * Creates `<root>/<algo>-<envId>-<timestamp>/` (with a numeric suffix if that exists) and writes config.json.
 * An env id's `/` (namespaces) becomes `_` in the folder name.
 */
/** A short folder-safe name for an env target: the id, or for `./dir/my-env.ts:MyEnv` the export (else file) name. */
export function runLabel(envId: string): string {
  const m = /([^\\/]+?)\.(?:m?[jt]s|cjs|cts|mts)(?::([\w$]+))?$/.exec(envId);
  const label = m ? (m[2] ?? m[1]!) : envId;
  return label.replace(/[^\w.-]+/g, '_');
}

export async function createRun(root: string, algo: string, envId: string, config: unknown): Promise<RunDir> {
  const base = `${algo}-${runLabel(envId)}-${timestamp()}`;
  let name = base;
  for (let i = 2; existsSync(join(root, name)); i++) name = `${base}-${i}`;
  const run = runPaths(join(root, name));
  await mkdir(run.checkpoints, { recursive: true });
  await writeFileAtomic(run.config, `${JSON.stringify(config, null, 2)}\n`);
  return run;
}

/** One line of metrics.jsonl: `kind` 'episode' per finished episode, 'log' per log interval, 'eval' per evaluation. */
export interface MetricsRecord {
  kind: 'episode' | 'log' | 'eval';
  /** Global environment step. */
  step: number;
  [key: string]: number | string | boolean | null;
}

/** Appends records to metrics.jsonl, buffered and flushed in order (one write in flight at a time). */
export class MetricsWriter {
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  constructor(readonly path: string) {}

  /** Queues one record; it reaches the file at the next `flush()` (or within the same tick's flush). */
  write(record: MetricsRecord): void {
    this.pending.push(JSON.stringify(record));
    if (this.pending.length >= 64) void this.flush();
  }

  /** Writes every queued record; resolves once they are on disk. */
  flush(): Promise<void> {
    if (this.pending.length > 0) {
      const text = `${this.pending.join('\n')}\n`;
      this.pending = [];
      this.writing = this.writing.then(() => appendFile(this.path, text));
    }
    return this.writing;
  }
}

/**
 * Resolves what a user typed for a run (`runs/dqn-...`, a bare folder name under `root`, or a path to the
 * run's final/ or a checkpoint inside it) to the run folder. Throws `InvalidConfig` listing recent runs.
 */
export async function resolveRun(input: string, root = 'runs'): Promise<RunDir> {
  const candidates = [input, join(root, input)];
  for (const c of candidates) {
    if (existsSync(join(c, 'config.json'))) return runPaths(c);
  }
  let recent = '';
  if (existsSync(root)) {
    const names = (await readdir(root)).sort().slice(-5);
    if (names.length > 0) recent = ` Recent runs in ${root}/: ${names.join(', ')}.`;
  }
  throw new InvalidConfig(`Expected a run folder (with config.json), got "${input}".${recent}`);
}

/** Makes sure a directory exists. */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
