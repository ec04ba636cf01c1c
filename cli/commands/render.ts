import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CorruptFile, InvalidConfig, describeValue } from '../../core/errors.js';
import { readEpisode } from '../../render/recorder.js';
import { shellPath } from '../args.js';

/** Folder that holds a run's recordings: `<run>/episodes`, or `run` itself when it has no such subfolder. */
function episodesDir(run: string): string {
  return existsSync(join(run, 'episodes')) ? join(run, 'episodes') : run;
}

function matching(run: string, pattern: RegExp): Map<number, string> {
  const dir = episodesDir(run);
  const found = new Map<number, string>();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return found;
  for (const name of readdirSync(dir)) {
    const m = pattern.exec(name);
    if (m) found.set(Number(m[1]), join(dir, name));
  }
  return found;
}

/** Recorded training episodes of a run folder (`<run>/episodes/episode-<k>.ndjson`), by episode index. */
export function recordedEpisodes(run: string): Map<number, string> {
  return matching(run, /^episode-(\d+)\.ndjson$/);
}

/** Recorded greedy evaluation episodes (`rxgym eval --record`: `<run>/episodes/eval-<k>.ndjson`), by index. */
export function recordedEvalEpisodes(run: string): Map<number, string> {
  return matching(run, /^eval-(\d+)\.ndjson$/);
}

/** Which recording `--episode` names: a training episode index `K`, or `eval-K` for an evaluation episode. */
export type EpisodeRef = number | `eval-${number}`;

const listOf = (indices: number[], prefix = ''): string =>
  (indices.length > 12 ? [...indices.slice(0, 6), '...', ...indices.slice(-3)] : indices).map((i) => (i === '...' ? i : `${prefix}${i}`)).join(', ');

/**
 * The recording `rxgym render` should draw: a file given directly, or episode `episode` of a run (a number
 * for a training episode, `eval-K` for a greedy evaluation one; default the last training recording, else
 * the last evaluation one).
 */
export function resolveEpisodeFile(target: string, episode: EpisodeRef | undefined): string {
  if (existsSync(target) && statSync(target).isFile()) return target;
  if (!existsSync(target)) throw new InvalidConfig(`Expected a run folder or an episode file, got "${target}", which does not exist.`);
  const train = recordedEpisodes(target);
  const evals = recordedEvalEpisodes(target);
  if (train.size === 0 && evals.size === 0) {
    throw new InvalidConfig(
      `Expected recorded episodes in "${join(target, 'episodes')}", got none. Record some with \`rxgym train ... --record-every N\` or \`rxgym eval <run> --record\`.`,
    );
  }
  const trainIdx = [...train.keys()].sort((a, b) => a - b);
  const evalIdx = [...evals.keys()].sort((a, b) => a - b);
  const known = [listOf(trainIdx), listOf(evalIdx, 'eval-')].filter((x) => x !== '').join('; ');
  if (episode === undefined) return trainIdx.length > 0 ? train.get(trainIdx.at(-1)!)! : evals.get(evalIdx.at(-1)!)!;
  const file = typeof episode === 'number' ? train.get(episode) : evals.get(Number(episode.slice('eval-'.length)));
  if (file === undefined) {
    throw new InvalidConfig(`Expected --episode to be a recorded episode of ${basename(target)} (${known}), got ${episode}.`);
  }
  return file;
}

/**
 * Why the recording `file` cannot be played whole, or null when it can: its `CorruptFile` message (a bad
 * line, a truncated last line, a bad header), or that it ends before the episode does (no last step).
 */
export async function recordingProblem(file: string): Promise<string | null> {
  try {
    const ep = await readEpisode(file, { lenient: true });
    if (ep.error !== null) return ep.error;
    if (!ep.complete) {
      return `Expected ${basename(file)} to end with the episode's last step (terminated or truncated), got ${ep.steps.length} steps without it: the file was cut.`;
    }
    return null;
  } catch (err) {
    if (err instanceof CorruptFile) return err.message;
    throw err;
  }
}

/** The recording `rxgym render` draws, and why it is not whole (null when it is). */
export interface ChosenRecording {
  file: string;
  cut: string | null;
}

/**
 * Like `resolveEpisodeFile`, but without `--episode` on a run folder a truncated or corrupt recording is
 * skipped with one `warn` line and the next newest one is taken (training recordings first, then evaluation
 * ones). A recording named by `--episode` or by its path is taken even when cut; `cut` then says why.
 */
export async function chooseRecording(target: string, episode: EpisodeRef | undefined, warn: (line: string) => void): Promise<ChosenRecording> {
  const file = resolveEpisodeFile(target, episode);
  const named = episode !== undefined || file === target;
  if (named) return { file, cut: await recordingProblem(file) };
  const newestFirst = (m: Map<number, string>): string[] => [...m.keys()].sort((a, b) => b - a).map((k) => m.get(k)!);
  const candidates = [...newestFirst(recordedEpisodes(target)), ...newestFirst(recordedEvalEpisodes(target))];
  for (const candidate of candidates) {
    const problem = await recordingProblem(candidate);
    if (problem === null) return { file: candidate, cut: null };
    warn(`rxgym: skipping ${shellPath(candidate)}: ${problem}`);
  }
  throw new InvalidConfig(
    `Expected a complete recording in "${episodesDir(target)}", got only truncated or corrupt ones. Draw the steps that remain of one with --episode <k>.`,
  );
}

/**
 * Parses `--episode`: a training episode as `K`, `episode-K` or `episode-K.ndjson` (the file's name), or an
 * evaluation one as `eval-K` or `eval-K.ndjson`.
 */
export function parseEpisodeRef(value: string | undefined): EpisodeRef | undefined {
  if (value === undefined) return undefined;
  const m = /^(episode-|eval-)?(\d+)(\.ndjson)?$/.exec(value.trim());
  // A bare number with a .ndjson suffix names no file, so it is refused like any other form.
  if (m === null || (m[1] === undefined && m[3] !== undefined) || !Number.isSafeInteger(Number(m[2]))) {
    throw new InvalidConfig(
      `Expected --episode to be a non-negative integer or eval-<k>, got ${describeValue(value)}. Also accepted: episode-<k>, episode-<k>.ndjson, eval-<k>.ndjson.`,
    );
  }
  const k = Number(m[2]);
  return m[1] === 'eval-' ? `eval-${k}` : k;
}

function positiveInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidConfig(`Expected ${what} to be a non-negative integer, got ${describeValue(value)}.`);
  return n;
}

/** `rxgym render <run | episode.ndjson> [--episode K] --out ep.gif | ep.mp4 | frames/`. */
export function registerRenderCommand(program: Command): void {
  program
    .command('render')
    .description('draw a recorded episode to an animated GIF, an MP4 (needs Debian ffmpeg) or a folder of PNG frames')
    .argument('<target>', 'a run folder (its episodes/ recordings) or one episode-<k>.ndjson / eval-<k>.ndjson file')
    .requiredOption('--out <path>', "ep.gif, ep.mp4, or a folder for PNG frames (no extension, or ending in '/')")
    .option('--episode <k>', 'training episode: <k>, episode-<k> or episode-<k>.ndjson; evaluation: eval-<k> or eval-<k>.ndjson (default: the last training one)')
    .option('--width <px>', 'frame width (default: the scene size)')
    .option('--height <px>', 'frame height (default: the scene size)')
    .option('--fps <n>', 'frames per second (default: the recording)')
    .option('--lenient', 'accepted for older scripts: a recording named by --episode or by its path is always drawn up to its cut')
    .action(async (target: string, opts: { out: string; episode?: string; width?: string; height?: string; fps?: string; lenient?: boolean }) => {
      const { exportEpisode, exportFormatOf } = await import('../../render/export.js');
      // Refuse an unknown extension (x.webm) before reading anything, instead of writing a folder named x.webm.
      exportFormatOf(opts.out, '--out');
      const warn = (line: string): void => void process.stderr.write(`${line}\n`);
      const { file, cut } = await chooseRecording(target, parseEpisodeRef(opts.episode), warn);
      // A cut recording is drawn up to its cut: the steps before it are still worth seeing.
      const exportOptions: Parameters<typeof exportEpisode>[2] = { lenient: true };
      const width = positiveInt(opts.width, '--width');
      const height = positiveInt(opts.height, '--height');
      const fps = positiveInt(opts.fps, '--fps');
      if (width !== undefined) exportOptions.width = width;
      if (height !== undefined) exportOptions.height = height;
      if (fps !== undefined) exportOptions.fps = fps;
      const result = await exportEpisode(file, opts.out, exportOptions);
      process.stdout.write(`wrote ${result.out}: ${result.frames} frames of ${result.width}x${result.height} (${result.format})\n`);
      if (cut !== null) warn(`rxgym: ${shellPath(file)} was cut, so only the ${result.frames} frames before the cut were drawn: ${cut}`);
    });
}
