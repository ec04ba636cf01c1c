/**
 * The viewer's JSON API over a runs folder, as plain async functions (the HTTP layer is render/server.ts).
 * A runs folder holds run folders (`<algo>-<env>-<timestamp>/` with config.json, metrics.jsonl, episodes/);
 * a single run folder may be served on its own. Broken lines and corrupt episodes are reported, never thrown
 * to the client: a live run's last line is often half-written.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CorruptFile } from '../core/errors.js';
import type { Scene } from '../core/scene.js';
import { loadEpisodeFile } from './server-episodes.js';
import { resolveFileInside, resolveInside } from './server-files.js';

/** One run as `/api/runs` lists it. */
export interface RunInfo {
  /** Folder name, used in every other API path. */
  name: string;
  /** Algorithm and env id from config.json when it names them. */
  algo: string | null;
  env: string | null;
  hasMetrics: boolean;
  /** Number of `*.ndjson` files in episodes/. */
  episodes: number;
  /** Last modification of the run (ms since the epoch), newest first in the list. */
  modified: number;
  /** config.json, or `null` when missing or unreadable. */
  config: Record<string, unknown> | null;
}

/** One metrics.jsonl line: `kind` ('episode' | 'log' | 'eval'), `step`, and numbers such as return, loss, epsilon. */
export interface MetricsRow {
  kind?: string;
  step: number;
  [key: string]: number | string | boolean | null | undefined;
}

/** A line the reader skipped, 1-based. */
export interface SkippedLine {
  line: number;
  reason: string;
}

/** `/api/runs/<run>/metrics`. */
export interface MetricsResponse {
  run: string;
  rows: MetricsRow[];
  skipped: SkippedLine[];
}

/** One recording as `/api/runs/<run>/episodes` lists it. */
export interface EpisodeListing {
  file: string;
  ok: boolean;
  /** Episode index in the run, when the header says it. */
  episode: number | null;
  /** Sum of the recorded rewards and number of recorded steps (null for a corrupt file). */
  return: number | null;
  length: number | null;
  /** Why the file cannot be played (corrupt or truncated), for a corrupt file. */
  error: string | null;
}

/** One recorded step: the scene after the step, its reward, and optional value estimates. */
export interface EpisodeFrame {
  scene: Scene;
  reward: number;
  /** A value estimate V(s) or max Q(s, .), when the recording has one. */
  value: number | null;
  /** Per-action values Q(s, .), when the recording has them. */
  q: number[] | null;
  /** The agent's uncertainty: the spread of Q over its posterior (std over heads or dropout masks), when recorded. */
  qSpread: number | null;
  action: unknown;
  /** True for the scene right after reset (frame 0, before any step), with reward 0 and action null. */
  reset: boolean;
}

/** `/api/runs/<run>/episodes/<file>`: the header and every frame (frame 0 is the reset scene when recorded). */
export interface EpisodeData {
  file: string;
  header: Record<string, unknown>;
  /** Frames per second for real-time playback. */
  fps: number;
  frames: EpisodeFrame[];
}

const EPISODE_FILE = /^[\w.+-]+\.ndjson$/;
const RUN_MARKERS = ['config.json', 'metrics.jsonl', 'episodes'];

/** Whether `dir` is itself a run folder (it holds config.json, metrics.jsonl or episodes/, not symlinked out of it). */
export async function isRunFolder(dir: string): Promise<boolean> {
  for (const m of RUN_MARKERS) {
    try {
      if ((await insideRun(dir, [m], 'any')) !== null) return true;
    } catch {
      // not this marker
    }
  }
  return false;
}

/** The runs a root serves: itself when it is a run folder, else its sub-folders that are runs. */
async function runFolders(runsDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (await isRunFolder(runsDir)) {
    out.set(basename(runsDir), runsDir);
    return out;
  }
  let entries: string[];
  try {
    entries = await readdir(runsDir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const dir = join(runsDir, name);
    try {
      // A symlinked run that leaves the folder is not served, so it is not listed either.
      if ((await resolveInside(runsDir, [name])) !== null && (await isRunFolder(dir))) out.set(name, dir);
    } catch {
      // outside the runs folder
    }
  }
  return out;
}

/** The folder of run `name` (inside `runsDir`, symlinks checked), or `null` when there is no such run. */
export async function runDir(runsDir: string, name: string): Promise<string | null> {
  const dir = (await runFolders(runsDir)).get(name);
  if (dir === undefined) return null;
  // A run named by the root itself resolves to the root; any other must stay inside it.
  return dir === runsDir ? resolveInside(runsDir, []) : resolveInside(runsDir, [name]);
}

/**
 * The real path of `dir/...segments` when it lies inside `dir` (whose real path the caller has already checked
 * to lie inside the runs folder), else `null`: a config.json or metrics.jsonl symlinked out of the run is
 * treated as absent, and an episode file symlinked out is not listed (see `resolveInside`).
 */
async function insideRun(dir: string, segments: readonly string[], kind: 'file' | 'any' = 'file'): Promise<string | null> {
  try {
    return kind === 'file' ? await resolveFileInside(dir, segments) : await resolveInside(dir, segments);
  } catch {
    return null; // outside the run (ForbiddenPath), or the run folder itself is gone
  }
}

async function readJson(dir: string, name: string): Promise<Record<string, unknown> | null> {
  const path = await insideRun(dir, [name]);
  if (path === null) return null;
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Modification time of `dir/name` (0 when absent or outside the run: an outside file must not leak even its date). */
async function mtime(dir: string, name?: string): Promise<number> {
  const path = name === undefined ? dir : await insideRun(dir, [name], 'any');
  if (path === null) return 0;
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

/** `/api/runs`: every run, newest first. */
export async function listRuns(runsDir: string): Promise<RunInfo[]> {
  const runs: RunInfo[] = [];
  for (const [name, dir] of await runFolders(runsDir)) {
    const config = await readJson(dir, 'config.json');
    const files = await episodeFiles(dir);
    const modified = Math.max(await mtime(dir), await mtime(dir, 'metrics.jsonl'), await mtime(dir, 'episodes'));
    const str = (k: string): string | null => (typeof config?.[k] === 'string' ? (config[k] as string) : null);
    runs.push({
      name,
      algo: str('algo') ?? str('algorithm'),
      env: str('env') ?? str('envId'),
      hasMetrics: (await insideRun(dir, ['metrics.jsonl'])) !== null,
      episodes: files.length,
      modified,
      config,
    });
  }
  return runs.sort((a, b) => b.modified - a.modified || a.name.localeCompare(b.name));
}

/** Parses metrics.jsonl text: objects with a numeric `step` are kept, anything else is reported by line. */
export function parseMetrics(text: string): { rows: MetricsRow[]; skipped: SkippedLine[] } {
  const rows: MetricsRow[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skipped.push({ line: i + 1, reason: i === lines.length - 1 ? 'Expected a JSON object, got a truncated last line.' : 'Expected a JSON object, got text that is not JSON.' });
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof (v as MetricsRow).step !== 'number') {
      skipped.push({ line: i + 1, reason: 'Expected an object with a numeric "step", got something else.' });
      continue;
    }
    rows.push(v as MetricsRow);
  }
  return { rows, skipped };
}

/**
 * `/api/runs/<run>/metrics`. A missing metrics.jsonl gives no rows; one symlinked out of the run throws
 * `ForbiddenPath` (answered 403), as an episode file does.
 */
export async function readMetrics(dir: string, run: string): Promise<MetricsResponse> {
  let text = '';
  const path = await resolveFileInside(dir, ['metrics.jsonl']);
  if (path !== null) {
    try {
      text = await readFile(path, 'utf8');
    } catch {
      // removed or unreadable since it was resolved
    }
  }
  return { run, ...parseMetrics(text) };
}

async function episodeFiles(dir: string): Promise<string[]> {
  // An episodes/ folder symlinked out of the run is not listed (not even its file count).
  const episodes = await insideRun(dir, ['episodes'], 'any');
  if (episodes === null) return [];
  try {
    const names = (await readdir(episodes)).filter((n) => EPISODE_FILE.test(n));
    // episode-2 before episode-10
    return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

/** Parsed episodes keyed by real path, reused while size and mtime are unchanged. */
const listingCache = new Map<string, { size: number; mtime: number; listing: EpisodeListing }>();

/** `/api/runs/<run>/episodes`: every recording with its return and length; corrupt ones carry `error`. */
export async function listEpisodes(dir: string): Promise<EpisodeListing[]> {
  const out: EpisodeListing[] = [];
  for (const file of await episodeFiles(dir)) {
    let path: string | null;
    try {
      path = await resolveFileInside(dir, ['episodes', file]);
    } catch {
      continue; // a symlink out of the run is not listed
    }
    if (path === null) continue;
    const s = await stat(path);
    const cached = listingCache.get(path);
    if (cached && cached.size === s.size && cached.mtime === s.mtimeMs) {
      out.push(cached.listing);
      continue;
    }
    let listing: EpisodeListing;
    try {
      const ep = await loadEpisodeFile(path, file);
      let ret = 0;
      for (const f of ep.frames) ret += f.reward;
      const idx = ep.header.episode;
      // Length counts steps: the reset frame (when recorded) is not one.
      const length = ep.frames.filter((f) => !f.reset).length;
      listing = { file, ok: true, episode: typeof idx === 'number' ? idx : null, return: ret, length, error: null };
    } catch (err) {
      listing = { file, ok: false, episode: null, return: null, length: null, error: err instanceof CorruptFile ? err.message : String(err) };
    }
    listingCache.set(path, { size: s.size, mtime: s.mtimeMs, listing });
    out.push(listing);
  }
  return out;
}

/**
 * `/api/runs/<run>/episodes/<file>`: the episode, `null` when there is no such file. Throws `CorruptFile`
 * for a truncated or corrupt recording and `ForbiddenPath` for a name or symlink that leaves the run.
 */
export async function readEpisodeData(dir: string, file: string): Promise<EpisodeData | null> {
  if (!EPISODE_FILE.test(file)) return null;
  const path = await resolveFileInside(dir, ['episodes', file]);
  if (path === null) return null;
  return loadEpisodeFile(path, file);
}
