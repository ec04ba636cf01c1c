import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InvalidConfig, describeValue } from '../../core/errors.js';

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
    .option('--lenient', 'draw the valid prefix of a truncated or corrupt recording')
    .action(async (target: string, opts: { out: string; episode?: string; width?: string; height?: string; fps?: string; lenient?: boolean }) => {
      const { exportEpisode, exportFormatOf } = await import('../../render/export.js');
      // Refuse an unknown extension (x.webm) before reading anything, instead of writing a folder named x.webm.
      exportFormatOf(opts.out, '--out');
      const file = resolveEpisodeFile(target, parseEpisodeRef(opts.episode));
      const exportOptions: Parameters<typeof exportEpisode>[2] = { lenient: opts.lenient ?? false };
      const width = positiveInt(opts.width, '--width');
      const height = positiveInt(opts.height, '--height');
      const fps = positiveInt(opts.fps, '--fps');
      if (width !== undefined) exportOptions.width = width;
      if (height !== undefined) exportOptions.height = height;
      if (fps !== undefined) exportOptions.fps = fps;
      const result = await exportEpisode(file, opts.out, exportOptions);
      process.stdout.write(`wrote ${result.out}: ${result.frames} frames of ${result.width}x${result.height} (${result.format})\n`);
    });
}
