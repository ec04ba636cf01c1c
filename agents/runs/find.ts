/**
 * Finding, listing and pruning checkpoints. A path is either a checkpoint folder or a run folder
 * (config.json, checkpoints/<step>/, final/). Every name is also looked up as `.<name>.previous`, where a re-save
 * keeps the old copy while it swaps, so a kill during a save never hides the last complete checkpoint.
 * When the preferred checkpoint is missing, incomplete or damaged, the finders fall back to the next one and say
 * why, for the caller to print in one line.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../../core/errors.js';
import { cleanLeftovers, readCheckpoint, type LoadedCheckpoint } from '../../core/node/checkpoint/checkpoint.js';
import { BACKUP_SUFFIX, MANIFEST, STATE, TENSORS, backupPathFor, checkpointStatus, removeCheckpointDir } from '../../core/node/checkpoint/manifest.js';

/** Why the preferred checkpoint was not used. */
export interface FallBack {
  /** The preferred checkpoint folder. */
  from: string;
  /** What was wrong with it ("Expected ..., got ..."). */
  reason: string;
}

/** A checkpoint that `findCheckpoint` chose. */
export interface FoundCheckpoint {
  dir: string;
  /** Present when the preferred one was unusable. */
  fellBack?: FallBack;
  /** Every candidate passed over before `dir`, with its reason (the first is the preferred one). */
  skipped: { dir: string; reason: string }[];
}

/** One folder under a run's checkpoints/. */
export interface CheckpointEntry {
  step: number;
  dir: string;
  /** True for a `.<step>.previous` copy left by a re-save. */
  backup: boolean;
  /** Manifest valid and every file at its recorded size (no hashing). */
  complete: boolean;
  /** Why it is not complete. */
  reason?: string;
}

const STEP_NAME = /^(\d+)$/;
const BACKUP_STEP_NAME = new RegExp(`^\\.(\\d+)${BACKUP_SUFFIX.replace('.', '\\.')}$`);

/**
 * Finds the checkpoint to load under `path` (a checkpoint folder, or a run folder: `final/` or its newest
 * complete `checkpoints/<step>/`, as `prefer` says, then the other). Checks manifests and sizes only; pass the
 * result to `readCheckpoint`, or use `openCheckpoint` to also fall back on a hash mismatch.
 */
export async function findCheckpoint(path: string, prefer: 'final' | 'latest' = 'final'): Promise<FoundCheckpoint> {
  return pick(path, prefer, async (dir) => {
    const status = await checkpointStatus(dir);
    if (!status.ok) throw new CorruptFile(status.path, status.reason);
    return dir;
  }).then(({ value, fellBack, skipped }) => (fellBack ? { dir: value, fellBack, skipped } : { dir: value, skipped }));
}

/**
 * Like `findCheckpoint`, then reads the chosen checkpoint (sizes and hashes checked once), falling back to the
 * next candidate on any `CorruptFile`. Throws `CorruptFile` when no candidate is intact.
 */
export async function openCheckpoint(
  path: string,
  prefer: 'final' | 'latest' = 'final',
): Promise<{ checkpoint: LoadedCheckpoint; fellBack?: FallBack; skipped: { dir: string; reason: string }[] }> {
  const { value, fellBack, skipped } = await pick(path, prefer, async (dir) => {
    const status = await checkpointStatus(dir);
    if (!status.ok) throw new CorruptFile(status.path, status.reason);
    return readCheckpoint(dir);
  });
  return fellBack ? { checkpoint: value, fellBack, skipped } : { checkpoint: value, skipped };
}

async function pick<T>(
  path: string,
  prefer: 'final' | 'latest',
  accept: (dir: string) => Promise<T>,
): Promise<{ value: T; fellBack?: FallBack; skipped: { dir: string; reason: string }[] }> {
  if (prefer !== 'final' && prefer !== 'latest') throw new InvalidConfig(`Expected prefer to be "final" or "latest", got ${describeValue(prefer)}.`);
  const { preferred, candidates, missingReason } = await candidatesFor(path, prefer);
  const skipped: { dir: string; reason: string }[] = [];
  if (missingReason !== undefined) skipped.push({ dir: preferred, reason: missingReason });
  for (const dir of candidates) {
    try {
      const value = await accept(dir);
      const first = skipped[0];
      return first ? { value, fellBack: { from: first.dir, reason: first.reason }, skipped } : { value, skipped };
    } catch (err) {
      if (!(err instanceof CorruptFile)) throw err;
      skipped.push({ dir, reason: err.message });
    }
  }
  const reasons = skipped.map((s) => s.reason).join(' ');
  throw new CorruptFile(preferred, `Expected a complete checkpoint under ${path}, got none. ${reasons}`.trim());
}

/** The folders to try, best first; `missingReason` is set when the preferred one does not exist at all. */
async function candidatesFor(path: string, prefer: 'final' | 'latest'): Promise<{ preferred: string; candidates: string[]; missingReason?: string }> {
  const kind = await pathKind(path);
  if (kind === 'missing' && !existsSync(backupPathFor(path))) {
    throw new InvalidConfig(`Expected a checkpoint folder or a run folder, got "${path}" (no such folder).`);
  }
  if (kind === 'file') throw new InvalidConfig(`Expected a checkpoint folder or a run folder at ${path}, got a file.`);
  const isCheckpoint = kind === 'missing' || [MANIFEST, STATE, TENSORS].some((f) => existsSync(join(path, f)));
  const isRun = ['config.json', 'checkpoints', 'final', `.final${BACKUP_SUFFIX}`].some((f) => existsSync(join(path, f)));
  if (isCheckpoint || !isRun) return withMissing(path, existing([path, backupPathFor(path)]), prefer);

  const final = join(path, 'final');
  const finals = existing([final, backupPathFor(final)]);
  // Newest step first; at one step the real name before its previous copy.
  const steps = (await listCheckpoints(path)).sort((a, b) => b.step - a.step || Number(a.backup) - Number(b.backup));
  const latest = steps.map((e) => e.dir);
  if (prefer === 'final') return withMissing(final, [...finals, ...latest], prefer);
  const newest = steps[0] ? join(path, 'checkpoints', String(steps[0].step)) : join(path, 'checkpoints');
  return withMissing(newest, [...latest, ...finals], prefer);
}

function withMissing(preferred: string, candidates: string[], prefer: 'final' | 'latest'): { preferred: string; candidates: string[]; missingReason?: string } {
  if (candidates[0] === preferred) return { preferred, candidates };
  const what = prefer === 'latest' && !STEP_NAME.test(preferred.split(/[\\/]/).pop() ?? '') ? 'a checkpoint in' : 'a checkpoint at';
  const hint = existsSync(backupPathFor(preferred)) ? ` (a re-save was interrupted; its previous copy is ${backupPathFor(preferred)})` : '';
  return { preferred, candidates, missingReason: `Expected ${what} ${preferred}, got none${hint}.` };
}

function existing(paths: string[]): string[] {
  return paths.filter((p) => existsSync(p));
}

async function pathKind(path: string): Promise<'dir' | 'file' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/**
 * The folders under `runDir/checkpoints/`, oldest step first (at one step the real name before its previous
 * copy), each with its cheap completeness check. A missing checkpoints/ gives [].
 */
export async function listCheckpoints(runDir: string): Promise<CheckpointEntry[]> {
  const root = join(runDir, 'checkpoints');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const entries: CheckpointEntry[] = [];
  for (const name of names) {
    const real = STEP_NAME.exec(name);
    const backup = BACKUP_STEP_NAME.exec(name);
    const m = real ?? backup;
    if (!m) continue;
    const dir = join(root, name);
    const status = await checkpointStatus(dir);
    if (status.exists && (await pathKind(dir)) !== 'dir') continue;
    const entry: CheckpointEntry = { step: Number(m[1]), dir, backup: backup !== null, complete: status.ok };
    if (!status.ok) entry.reason = status.reason;
    entries.push(entry);
  }
  return entries.sort((a, b) => a.step - b.step || Number(a.backup) - Number(b.backup));
}

/**
 * Keeps the newest `keep` steps that have a complete checkpoint (manifest and sizes checked, not hashes) and
 * deletes every checkpoint folder of an older step, complete or not, plus previous copies made redundant and
 * leftovers of interrupted saves. The newest complete checkpoint is never deleted. Returns the removed paths.
 */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<{ removed: string[] }> {
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new InvalidConfig(`Expected the number of checkpoints to keep to be a positive integer, got ${describeValue(keep)}.`);
  }
  const { removed } = await cleanLeftovers(join(runDir, 'checkpoints'));
  const entries = await listCheckpoints(runDir);
  const completeSteps = [...new Set(entries.filter((e) => e.complete).map((e) => e.step))].sort((a, b) => b - a);
  if (completeSteps.length === 0) return { removed };
  const cutoff = completeSteps[Math.min(keep, completeSteps.length) - 1]!;
  const completeReal = new Set(entries.filter((e) => e.complete && !e.backup).map((e) => e.step));
  for (const e of entries) {
    const redundantBackup = e.backup && completeReal.has(e.step);
    if (e.step < cutoff || redundantBackup) {
      await removeCheckpointDir(e.dir);
      removed.push(e.dir);
    }
  }
  return { removed };
}
