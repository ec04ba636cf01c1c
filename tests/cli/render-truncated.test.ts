/**
 * `rxgym render` and truncated recordings (a killed disk write, a copy cut short): without --episode they
 * are skipped with one warning line each and the newest whole recording is drawn; named with --episode
 * they are drawn up to the cut, which a warning line reports.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRecording, recordingProblem } from '../../cli/commands/render.js';
import { buildProgram } from '../../cli/main.js';
import { InvalidConfig } from '../../core/errors.js';
import type { Scene } from '../../core/scene.js';
import { EPISODE_FORMAT } from '../../render/recorder.js';

let run: string;

const scene = (x: number): Scene => ({
  width: 40,
  height: 20,
  viewport: { xMin: 0, xMax: 40, yMin: 0, yMax: 20 },
  shapes: [{ type: 'rect', x, y: 10, width: 4, height: 4, fill: '#ff0000' }],
});

/** The lines of a whole 4-step recording of episode `episode`. */
function lines(episode: number): string[] {
  const out = [JSON.stringify({ format: EPISODE_FORMAT, version: 1, envId: 'Square-v0', episode, width: 40, height: 20, fps: 10 })];
  for (let t = 0; t < 4; t++) out.push(JSON.stringify({ t, step: t, action: 1, reward: 1, terminated: t === 3, truncated: false, scene: scene(6 + 7 * t) }));
  return out;
}

/** Runs `rxgym <args>` in this process, returning what it printed. */
async function rxgym(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'rxgym', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return { stdout, stderr };
}

beforeAll(() => {
  run = mkdtempSync(join(tmpdir(), 'rxgym-render-cut-'));
  mkdirSync(join(run, 'episodes'));
  const ep = (name: string, text: string): void => writeFileSync(join(run, 'episodes', name), text);
  ep('episode-5.ndjson', `${lines(5).join('\n')}\n`);
  // Cut inside its fourth line: three frames parse.
  const cut = lines(9);
  ep('episode-9.ndjson', `${cut.slice(0, 4).join('\n')}\n${cut[4]!.slice(0, 30)}`);
  // Cut at a line boundary: every line parses, but the episode's last step is missing.
  ep('episode-12.ndjson', `${lines(12).slice(0, 3).join('\n')}\n`);
});
afterAll(() => rmSync(run, { recursive: true, force: true }));

describe('rxgym render and truncated recordings', () => {
  it('recordingProblem says why a recording is not whole, and null when it is', async () => {
    expect(await recordingProblem(join(run, 'episodes', 'episode-5.ndjson'))).toBeNull();
    expect(await recordingProblem(join(run, 'episodes', 'episode-9.ndjson'))).toBe('Expected JSON on line 5 of episode-9.ndjson, got a truncated last line.');
    expect(await recordingProblem(join(run, 'episodes', 'episode-12.ndjson'))).toBe(
      "Expected episode-12.ndjson to end with the episode's last step (terminated or truncated), got 2 steps without it: the file was cut.",
    );
  });

  it('without --episode skips the truncated ones with one warning line each and draws the newest whole one', async () => {
    const out = join(run, 'default');
    const { stdout, stderr } = await rxgym('render', run, '--out', `${out}/`);
    expect(stdout).toContain('4 frames of 40x20 (png)');
    const warnings = stderr.trim().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^rxgym: skipping .*episode-12\.ndjson: Expected episode-12\.ndjson to end with the episode's last step/);
    expect(warnings[1]).toMatch(/^rxgym: skipping .*episode-9\.ndjson: Expected JSON on line 5 of episode-9\.ndjson, got a truncated last line\.$/);
    expect(readdirSync(out)).toHaveLength(4);
  });

  it('--episode of a truncated one draws the frames that parse and says it was cut', async () => {
    const out = join(run, 'cut');
    const { stdout, stderr } = await rxgym('render', run, '--episode', '9', '--out', `${out}/`);
    expect(stdout).toContain('3 frames of 40x20 (png)');
    expect(readdirSync(out)).toEqual(['frame-00000.png', 'frame-00001.png', 'frame-00002.png']);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^rxgym: .*episode-9\.ndjson was cut, so only the 3 frames before the cut were drawn: Expected JSON on line 5/);
  });

  it('refuses in one line when every recording is cut', async () => {
    const only = mkdtempSync(join(tmpdir(), 'rxgym-render-allcut-'));
    try {
      mkdirSync(join(only, 'episodes'));
      writeFileSync(join(only, 'episodes', 'episode-0.ndjson'), `${lines(0).slice(0, 2).join('\n')}\n`);
      const warned: string[] = [];
      const chosen = chooseRecording(only, undefined, (l) => warned.push(l));
      await expect(chosen).rejects.toBeInstanceOf(InvalidConfig);
      await expect(chosen).rejects.toThrow(/^Expected a complete recording in ".*episodes", got only truncated or corrupt ones\. Draw the steps that remain of one with --episode <k>\.$/);
      expect(warned).toHaveLength(1);
    } finally {
      rmSync(only, { recursive: true, force: true });
    }
  });
});
