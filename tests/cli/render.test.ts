/** `rxgym render`: which --out paths it accepts, and which names --episode understands. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEpisodeRef, resolveEpisodeFile } from '../../cli/commands/render.js';
import { buildProgram } from '../../cli/main.js';
import { InvalidConfig } from '../../core/errors.js';
import type { Scene } from '../../core/scene.js';
import { exportFormatOf } from '../../render/export.js';
import { EPISODE_FORMAT } from '../../render/recorder.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let run: string;

/** A 3-step recording of a square, as `<run>/episodes/<name>`. */
function writeRecording(name: string, episode: number): string {
  const scene = (x: number): Scene => ({
    width: 40,
    height: 20,
    viewport: { xMin: 0, xMax: 40, yMin: 0, yMax: 20 },
    shapes: [{ type: 'rect', x, y: 10, width: 4, height: 4, fill: '#ff0000' }],
  });
  const lines = [JSON.stringify({ format: EPISODE_FORMAT, version: 1, envId: 'Square-v0', episode, width: 40, height: 20, fps: 10 })];
  for (let t = 0; t < 3; t++) lines.push(JSON.stringify({ t, step: t, action: 1, reward: 1, terminated: t === 2, truncated: false, scene: scene(6 + 7 * t) }));
  const file = join(run, 'episodes', name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

let episode400 = '';
let eval0 = '';
beforeAll(() => {
  run = mkdtempSync(join(tmpdir(), 'rxgym-render-'));
  mkdirSync(join(run, 'episodes'));
  writeRecording('episode-7.ndjson', 7);
  episode400 = writeRecording('episode-400.ndjson', 400);
  eval0 = writeRecording('eval-0.ndjson', 0);
});
afterAll(() => rmSync(run, { recursive: true, force: true }));

describe('rxgym render --out', () => {
  it('knows .gif, .mp4 and folders (no extension, or a trailing slash)', () => {
    expect(exportFormatOf('ep.gif')).toBe('gif');
    expect(exportFormatOf('out/EP.MP4')).toBe('mp4');
    expect(exportFormatOf('frames')).toBe('png');
    expect(exportFormatOf('frames.d/')).toBe('png');
  });

  it.each(['x.webm', 'x.png', 'frames.d'])('refuses %s with one line naming the supported forms', (out) => {
    expect(() => exportFormatOf(out, '--out')).toThrow(InvalidConfig);
    expect(() => exportFormatOf(out, '--out')).toThrow(
      `Expected --out to end in .gif or .mp4, or to be a folder for PNG frames (no extension, or ending in '/'), got "${out}".`,
    );
  });

  it('the command exits 1 with that line and writes nothing', () => {
    const out = join(run, 'x.webm');
    const res = spawnSync(process.execPath, ['bin/rxgym.js', 'render', run, '--out', out], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      `rxgym: InvalidConfig: Expected --out to end in .gif or .mp4, or to be a folder for PNG frames (no extension, or ending in '/'), got "${out}".`,
    ]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('rxgym render --episode', () => {
  it.each([
    ['400', 400],
    ['episode-400', 400],
    ['episode-400.ndjson', 400],
    ['eval-0', 'eval-0'],
    ['eval-0.ndjson', 'eval-0'],
  ] as const)('reads %s', (value, ref) => {
    expect(parseEpisodeRef(value)).toBe(ref);
    expect(resolveEpisodeFile(run, parseEpisodeRef(value))).toBe(ref === 'eval-0' ? eval0 : episode400);
  });

  it.each(['last', '-1', '400.ndjson', 'episode-', 'eval-x'])('refuses %s, listing the accepted forms', (value) => {
    expect(() => parseEpisodeRef(value)).toThrow(
      `Expected --episode to be a non-negative integer or eval-<k>, got "${value}". Also accepted: episode-<k>, episode-<k>.ndjson, eval-<k>.ndjson.`,
    );
  });

  it('renders the episode named by its file name to a folder of frames', async () => {
    const out = join(run, 'frames');
    const write = process.stdout.write.bind(process.stdout);
    let printed = '';
    process.stdout.write = ((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      await buildProgram().parseAsync(['node', 'rxgym', 'render', run, '--episode', 'episode-400.ndjson', '--out', `${out}/`]);
    } finally {
      process.stdout.write = write;
    }
    expect(printed).toContain('3 frames of 40x20 (png)');
    expect(readdirSync(out)).toEqual(['frame-00000.png', 'frame-00001.png', 'frame-00002.png']);
  });
});
