/**
 * Recorded episodes to pictures in Node: a folder of PNG frames, an animated GIF (rxgym's own encoder), or
 * an MP4 through Debian's `ffmpeg` when it is on PATH. Frames are drawn by the Node rasterizer, the same
 * drawing path as pixel observations and the viewer.
 */
import { commitFile, tempPathFor, writeFileAtomic } from '../core/node/files.js';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { delimiter, dirname, extname, join } from 'node:path';
import { InvalidConfig, RxgymError, describeValue } from '../core/errors.js';
import { GifEncoder, fixedPalette, medianCutPalette } from './gif.js';
import { createNodeRasterizer } from './node-rasterizer.js';
import { readEpisode } from './recorder.js';

/** A program rxgym needs is not installed (the message names the package that provides it). */
export class MissingTool extends RxgymError {
  /** The program that was not found, e.g. `ffmpeg`. */
  readonly tool: string;
  constructor(tool: string, message: string) {
    super('MISSING_TOOL', message);
    this.tool = tool;
  }
}

/**
 * Resolves on a later turn of the event loop. @napi-rs/canvas frees each pixel readback's native memory only
 * then, so a loop over many large frames yields now and then or its memory grows by a frame per step.
 */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Frames drawn between two `breathe()` calls (16 frames of 600x400 RGBA are ~15 MB). */
const FRAMES_PER_BREATH = 16;

/** What `exportEpisode` writes. */
export type ExportFormat = 'png' | 'gif' | 'mp4';

/** Options of `exportEpisode`. */
export interface ExportOptions {
  /** Default: from `out` (see `exportFormatOf`): .gif, .mp4, or a folder of frame-00000.png, ... */
  format?: ExportFormat;
  /** Frame size in pixels; default the recording's nominal size (scenes scale to any size). */
  width?: number;
  height?: number;
  /** Frames per second; default the recording's `fps`. */
  fps?: number;
  /** GIF palette: 'median-cut' (default, from up to 16 sample frames) or 'fixed' (a colour cube). */
  palette?: 'median-cut' | 'fixed';
  /** Export the valid prefix of a truncated or corrupt recording instead of throwing. Default false. */
  lenient?: boolean;
}

/** What `exportEpisode` wrote. */
export interface ExportResult {
  format: ExportFormat;
  /** The file (gif, mp4) or folder (png) written. */
  out: string;
  frames: number;
  width: number;
  height: number;
}

/** The path of `name` on PATH (`env.PATH`), or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function checkPositiveInt(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new InvalidConfig(`Expected export ${what} to be a positive integer, got ${describeValue(value)}.`);
  return value as number;
}

/**
 * The format an output path asks for: `.gif`, `.mp4`, or a folder of PNG frames (a path without an extension,
 * or ending in '/'). Any other extension (`x.webm`, `x.png`) throws rather than silently writing a folder.
 */
export function exportFormatOf(out: string, what = 'the export path'): ExportFormat {
  if (/[\\/]$/.test(out)) return 'png';
  const ext = extname(out).toLowerCase();
  if (ext === '.gif') return 'gif';
  if (ext === '.mp4') return 'mp4';
  if (ext === '') return 'png';
  throw new InvalidConfig(
    `Expected ${what} to end in .gif or .mp4, or to be a folder for PNG frames (no extension, or ending in '/'), got ${describeValue(out)}.`,
  );
}

/**
 * Draws every step of the recording `file` and writes it to `out` as PNG frames, a GIF or an MP4 (see
 * `ExportOptions`). Files are written to a temp name and renamed when complete. Throws `CorruptFile` for a
 * bad recording (unless lenient) and `MissingTool` naming the Debian package when MP4 needs ffmpeg.
 */
export async function exportEpisode(file: string, out: string, options: ExportOptions = {}): Promise<ExportResult> {
  const format: ExportFormat = options.format ?? exportFormatOf(out);
  if (format !== 'png' && format !== 'gif' && format !== 'mp4') {
    throw new InvalidConfig(`Expected export format 'png', 'gif' or 'mp4', got ${describeValue(format)}.`);
  }
  // Look for ffmpeg before reading and drawing anything.
  const ffmpeg = format === 'mp4' ? findOnPath('ffmpeg') : null;
  if (format === 'mp4' && ffmpeg === null) {
    throw new MissingTool(
      'ffmpeg',
      "Expected the program ffmpeg on PATH to encode MP4, got none: install Debian's package ffmpeg (apt-get install ffmpeg), or export to .gif or a folder of PNG frames.",
    );
  }
  const episode = await readEpisode(file, { lenient: options.lenient ?? false });
  const width = checkPositiveInt(options.width ?? episode.header.width, 'width');
  const height = checkPositiveInt(options.height ?? episode.header.height, 'height');
  const fps = options.fps ?? (typeof episode.header.fps === 'number' && episode.header.fps > 0 ? episode.header.fps : 50);
  if (!(fps > 0 && fps <= 1000)) throw new InvalidConfig(`Expected export fps in (0, 1000], got ${describeValue(fps)}.`);
  const scenes = episode.steps.map((s) => s.scene);
  if (scenes.length === 0) throw new InvalidConfig(`Expected at least one step in ${file} to export, got none.`);
  const raster = createNodeRasterizer({ width, height });
  try {
    if (format === 'png') {
      mkdirSync(out, { recursive: true });
      for (let i = 0; i < scenes.length; i++) {
        raster.render(scenes[i]!);
        const name = join(out, `frame-${String(i).padStart(5, '0')}.png`);
        await writeFileAtomic(name, raster.png());
      }
    } else if (format === 'gif') {
      let palette = fixedPalette();
      if ((options.palette ?? 'median-cut') === 'median-cut') {
        const sample: Uint8Array[] = [];
        const stride = Math.max(1, Math.floor(scenes.length / 16));
        for (let i = 0; i < scenes.length; i += stride) {
          sample.push(raster.render(scenes[i]!));
          if (sample.length % FRAMES_PER_BREATH === 0) await breathe();
        }
        palette = medianCutPalette(sample);
      }
      const gif = new GifEncoder({ width, height, palette });
      const frame = new Uint8Array(width * height * 3);
      for (let i = 0; i < scenes.length; i++) {
        gif.addFrame(raster.render(scenes[i]!, frame), 1000 / fps);
        if (i % FRAMES_PER_BREATH === FRAMES_PER_BREATH - 1) await breathe();
      }
      mkdirSync(dirname(out), { recursive: true });
      await writeFileAtomic(out, gif.finish());
    } else {
      await encodeMp4(ffmpeg!, out, width, height, fps, (i, buf) => (i < scenes.length ? raster.render(scenes[i]!, buf) : null));
    }
  } finally {
    raster.close();
  }
  return { format, out, frames: scenes.length, width, height };
}

/** Pipes raw RGB frames from `frameAt` (null at the end) into ffmpeg, writing an H.264 MP4 to `out`. */
async function encodeMp4(
  ffmpeg: string,
  out: string,
  width: number,
  height: number,
  fps: number,
  frameAt: (i: number, buf: Uint8Array) => Uint8Array | null,
): Promise<void> {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${tempPathFor(out)}.mp4`; // ffmpeg picks the container from -f; the suffix keeps the name readable
  // yuv420p (what players expect) needs even sizes: pad by one pixel when odd.
  const args = ['-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0'];
  args.push('-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', tmp);
  const child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  // A broken pipe (ffmpeg exited early) is reported through the exit code and stderr below.
  child.stdin.on('error', () => {});
  const buf = new Uint8Array(width * height * 3);
  for (let i = 0; ; i++) {
    const frame = frameAt(i, buf);
    if (frame === null || child.exitCode !== null) break;
    // Copy: the buffer is reused for the next frame while this write may still be queued.
    if (!child.stdin.write(Buffer.from(frame))) {
      await Promise.race([new Promise<void>((resolve) => child.stdin.once('drain', resolve)), exited.catch(() => null)]);
    } else if (i % FRAMES_PER_BREATH === FRAMES_PER_BREATH - 1) {
      await breathe();
    }
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0) {
    rmSync(tmp, { force: true });
    throw new RxgymError('FFMPEG_FAILED', `Expected ffmpeg to exit with code 0, got ${code}: ${stderr.trim() || 'no message'}.`);
  }
  await commitFile(tmp, out);
}
