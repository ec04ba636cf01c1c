import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InvalidConfig, describeValue } from '../../core/errors.js';

/** Recorded episode files of a run folder (`<run>/episodes/episode-<k>.ndjson`), by episode index. */
export function recordedEpisodes(run: string): Map<number, string> {
  const dir = existsSync(join(run, 'episodes')) ? join(run, 'episodes') : run;
  const found = new Map<number, string>();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return found;
  for (const name of readdirSync(dir)) {
    const m = /^episode-(\d+)\.ndjson$/.exec(name);
    if (m) found.set(Number(m[1]), join(dir, name));
  }
  return found;
}

/** The recording `rxgym render` should draw: a file given directly, or episode `k` (default the last) of a run. */
export function resolveEpisodeFile(target: string, episode: number | undefined): string {
  if (existsSync(target) && statSync(target).isFile()) return target;
  if (!existsSync(target)) throw new InvalidConfig(`Expected a run folder or an episode file, got "${target}", which does not exist.`);
  const episodes = recordedEpisodes(target);
  if (episodes.size === 0) {
    throw new InvalidConfig(
      `Expected recorded episodes in "${join(target, 'episodes')}", got none. Record some with \`rxgym train ... --record-every N\` or \`rxgym eval <run> --record\`.`,
    );
  }
  const indices = [...episodes.keys()].sort((a, b) => a - b);
  const k = episode ?? indices.at(-1)!;
  const file = episodes.get(k);
  if (file === undefined) {
    const list = indices.length > 12 ? `${indices.slice(0, 6).join(', ')}, ..., ${indices.slice(-3).join(', ')}` : indices.join(', ');
    throw new InvalidConfig(`Expected --episode to be a recorded episode of ${basename(target)} (${list}), got ${k}.`);
  }
  return file;
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
    .argument('<target>', 'a run folder (its episodes/ recordings) or one episode-<k>.ndjson file')
    .requiredOption('--out <path>', 'ep.gif, ep.mp4, or a folder for PNG frames')
    .option('--episode <k>', 'episode index in the run (default: the last recorded)')
    .option('--width <px>', 'frame width (default: the scene size)')
    .option('--height <px>', 'frame height (default: the scene size)')
    .option('--fps <n>', 'frames per second (default: the recording)')
    .option('--lenient', 'draw the valid prefix of a truncated or corrupt recording')
    .action(async (target: string, opts: { out: string; episode?: string; width?: string; height?: string; fps?: string; lenient?: boolean }) => {
      const file = resolveEpisodeFile(target, positiveInt(opts.episode, '--episode'));
      const { exportEpisode } = await import('../../render/export.js');
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
