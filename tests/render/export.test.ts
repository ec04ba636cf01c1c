import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Scene } from '../../core/scene.js';
import { MissingTool, exportEpisode, findOnPath } from '../../render/export.js';
import { EPISODE_FORMAT } from '../../render/recorder.js';
import { decodeGif } from './gif-decode.js';

/** A 5-step recording of a red square moving right over a white 40x20 frame. */
function recording(dir: string): string {
  const scene = (x: number): Scene => ({
    width: 40,
    height: 20,
    viewport: { xMin: 0, xMax: 40, yMin: 0, yMax: 20 },
    background: '#ffffff',
    shapes: [{ type: 'rect', x, y: 10, width: 4, height: 4, fill: '#ff0000' }],
  });
  const lines = [JSON.stringify({ format: EPISODE_FORMAT, version: 1, envId: 'Square-v0', episode: 0, width: 40, height: 20, fps: 10 })];
  for (let t = 0; t < 5; t++) {
    lines.push(JSON.stringify({ t, step: t, action: 1, reward: 1, terminated: t === 4, truncated: false, scene: scene(6 + 7 * t) }));
  }
  const file = join(dir, 'episode-0.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'rxgym-export-'));

describe('exportEpisode', () => {
  it('writes a folder of PNG frames, one per step', async () => {
    const dir = tempDir();
    const result = await exportEpisode(recording(dir), join(dir, 'frames'));
    expect(result).toMatchObject({ format: 'png', frames: 5, width: 40, height: 20 });
    const files = readdirSync(join(dir, 'frames')).sort();
    expect(files).toEqual(['frame-00000.png', 'frame-00001.png', 'frame-00002.png', 'frame-00003.png', 'frame-00004.png']);
    const png = readFileSync(join(dir, 'frames', files[0]!));
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(40); // IHDR width
    expect(png.readUInt32BE(20)).toBe(20); // IHDR height
  });

  it('writes an animated GIF whose frames show the square moving right', async () => {
    const dir = tempDir();
    const out = join(dir, 'ep.gif');
    const result = await exportEpisode(recording(dir), out, { width: 80, height: 40 });
    expect(result).toMatchObject({ format: 'gif', frames: 5, width: 80, height: 40 });
    const gif = decodeGif(readFileSync(out));
    expect(gif).toMatchObject({ signature: 'GIF89a', width: 80, height: 40, loop: 0 });
    expect(gif.frames.length).toBe(5);
    expect(gif.frames.every((f) => f.delayCs === 10)).toBe(true);
    // Mean column of red pixels per frame: columns 8..15 at first, 14 more per step (7 world units at 2x).
    const redColumns = gif.frames.map(({ indices }) => {
      let sum = 0, n = 0;
      indices.forEach((k, i) => {
        const [r, g] = [gif.palette[k * 3]!, gif.palette[k * 3 + 1]!];
        if (r > 200 && g < 60) {
          sum += i % 80;
          n++;
        }
      });
      return sum / n;
    });
    expect(redColumns.map((c) => Math.round(c))).toEqual([12, 26, 40, 54, 68]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('encodes MP4 with ffmpeg when it is on PATH, else names the Debian package', async () => {
    const dir = tempDir();
    const out = join(dir, 'ep.mp4');
    if (findOnPath('ffmpeg') !== null) {
      const result = await exportEpisode(recording(dir), out);
      expect(result).toMatchObject({ format: 'mp4', frames: 5 });
      const mp4 = readFileSync(out);
      expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
    } else {
      await expect(exportEpisode(recording(dir), out)).rejects.toThrow(MissingTool);
    }
  });

  it('throws MissingTool naming the package ffmpeg when PATH has no ffmpeg', async () => {
    const dir = tempDir();
    const saved = process.env.PATH;
    process.env.PATH = dir; // a folder without ffmpeg
    try {
      const err = await exportEpisode(recording(dir), join(dir, 'ep.mp4')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MissingTool);
      expect((err as MissingTool).tool).toBe('ffmpeg');
      expect((err as MissingTool).code).toBe('MISSING_TOOL');
      expect((err as Error).message).toBe(
        "Expected the program ffmpeg on PATH to encode MP4, got none: install Debian's package ffmpeg (apt-get install ffmpeg), or export to .gif or a folder of PNG frames.",
      );
    } finally {
      process.env.PATH = saved;
    }
    expect(readdirSync(dir)).toEqual(['episode-0.ndjson']);
  });
});
