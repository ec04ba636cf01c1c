/**
 * Run folders: `runs/<algo>-<env>-<timestamp>/` with config.json, metrics.jsonl (one JSON object a line),
 * run.lock while a process trains into it, checkpoints/<step>/ and final/. The lock is in lock.ts, the metrics
 * writer in metrics.ts, checkpoints in checkpoint.ts and find.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InvalidConfig } from '../../core/errors.js';
import { tempPathFor, writeFileAtomic } from '../../core/node/files.js';
import { faultHit, killNow } from '../../core/node/checkpoint/fault.js';
import { errnoCode, rethrowFsError, withFsErrors } from '../../core/node/checkpoint/fs-errors.js';

/** A run folder and the paths inside it. */
export interface RunDir {
  /** Absolute path of the run folder. */
  dir: string;
  /** Its folder name, e.g. `dqn-CartPole-v1-20261123-221700`. */
  name: string;
  config: string;
  metrics: string;
  lock: string;
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
    lock: join(abs, 'run.lock'),
    checkpoints: join(abs, 'checkpoints'),
    final: join(abs, 'final'),
  };
}

/** `YYYYMMDD-HHMMSS` in UTC, for run folder names. */
export function timestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

/** A short folder-safe name for an env target: the id, or for `./dir/my-env.ts:MyEnv` the export (else file) name. */
export function runLabel(envId: string): string {
  const m = /([^\\/]+?)\.(?:m?[jt]s|cjs|cts|mts)(?::([\w$]+))?$/.exec(envId);
  const label = m ? (m[2] ?? m[1]!) : envId;
  return label.replace(/[^\w.-]+/g, '_');
}

/**
 * Creates `<root>/<algo>-<label>-<timestamp>/` (with `-2`, `-3`, ... when taken; the folder is created
 * exclusively, so two runs started in the same second never share one), its checkpoints/, and writes
 * config.json atomically. Throws `InvalidConfig` in one line when `root` is a file or not writable.
 */
export async function createRun(root: string, algo: string, envId: string, config: unknown, date = new Date()): Promise<RunDir> {
  await withFsErrors('the runs folder', root, () => mkdir(root, { recursive: true }));
  if (!(await stat(root)).isDirectory()) rethrowFsError(Object.assign(new Error('not a folder'), { code: 'ENOTDIR' }), 'the runs folder', root);
  const base = `${algo}-${runLabel(envId)}-${timestamp(date)}`;
  for (let i = 1; ; i++) {
    const run = runPaths(join(root, i === 1 ? base : `${base}-${i}`));
    try {
      await mkdir(run.dir);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue;
      rethrowFsError(err, 'the runs folder', root);
    }
    await withFsErrors('the run folder', run.dir, async () => {
      await mkdir(run.checkpoints, { recursive: true });
      const text = `${JSON.stringify(config, null, 2)}\n`;
      if (faultHit('config')) {
        // Fault-injection tests: killed inside writeFileAtomic, with its temp file half written and not renamed.
        await writeFile(tempPathFor(run.config), text.slice(0, text.length >> 1));
        killNow();
      }
      await writeFileAtomic(run.config, text);
    });
    return run;
  }
}

/**
 * Resolves what a user typed for a run (`runs/dqn-...`, a bare folder name under `root`, or a path to the run's
 * final/ or a checkpoint inside it) to the run folder. Throws `InvalidConfig` listing recent runs.
 */
export async function resolveRun(input: string, root = 'runs'): Promise<RunDir> {
  const candidates = [input, join(root, input)];
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    for (const up of [c, join(c, '..'), join(c, '..', '..')]) {
      if (existsSync(join(up, 'config.json')) && (up === c || existsSync(join(up, 'checkpoints')))) return runPaths(up);
    }
  }
  let recent = '';
  try {
    const names = (await readdir(root)).filter((n) => !n.startsWith('.')).sort().slice(-5);
    if (names.length > 0) recent = ` Recent runs in ${root}/: ${names.join(', ')}.`;
  } catch {
    // No runs folder: nothing to list.
  }
  throw new InvalidConfig(`Expected a run folder (with config.json), got "${input}".${recent}`);
}
