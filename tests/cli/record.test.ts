import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_DQN } from './helpers.js';
import { buildProgram } from '../../cli/main.js';
import { trainCommand, type TrainOutcome } from '../../cli/commands/train.js';
import { readEpisode, type EpisodeStep } from '../../render/recorder.js';
import { decodeGif } from '../render/gif-decode.js';

const quiet = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

/** CartPole's state as the scene draws it: cart x from the cart rect, pole angle from the pole's rotation. */
function cartPole(step: EpisodeStep): { x: number; theta: number } {
  const [, cart, pole] = step.scene.shapes as { x: number; rotation?: number }[];
  return { x: cart!.x, theta: -(pole!.rotation ?? 0) };
}

let root: string;
let outcome: TrainOutcome;
let stdout = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-record-'));
  const out = new Writable({
    write(chunk, _e, cb) {
      stdout += String(chunk);
      cb();
    },
  });
  outcome = await trainCommand(
    'dqn',
    'CartPole-v1',
    { steps: 2500, seed: 4, set: TINY_DQN, out: join(root, 'runs'), recordEvery: 7, plain: true, evalEpisodes: 0 },
    { stdout: out, stderr: quiet() },
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rxgym train --record-every', () => {
  it('records every 7th episode as a readable recording whose scenes follow the env, with Q-values', async () => {
    expect(stdout).toContain('Recording episodes 0, 7, 14, ... to');
    const dir = join(outcome.run.dir, 'episodes');
    const names = readdirSync(dir);
    expect(names.every((n) => /^episode-\d+\.ndjson$/.test(n))).toBe(true); // no temp files left behind
    const indices = names.map((n) => Number(/\d+/.exec(n)![0])).sort((a, b) => a - b);
    expect(indices.length).toBeGreaterThanOrEqual(5);
    expect(indices[0]).toBe(0);
    for (const k of indices) expect(k % 7).toBe(0);

    // Every finished episode of the run is in metrics.jsonl: the recorded lengths are the logged lengths.
    const logged = new Map<number, number>();
    for (const line of readFileSync(outcome.run.metrics, 'utf8').trim().split('\n')) {
      const row = JSON.parse(line) as { kind: string; episode?: number; length?: number };
      if (row.kind === 'episode') logged.set(row.episode!, row.length!);
    }

    let lastGlobalStep = -1;
    for (const k of indices) {
      const ep = await readEpisode(join(dir, `episode-${k}.ndjson`));
      // Frame 0 is the scene right after the episode's reset, before its first step.
      const first = JSON.parse(readFileSync(join(dir, `episode-${k}.ndjson`), 'utf8').split('\n')[1]!) as { reset?: boolean; t: number; scene: unknown };
      expect(first).toMatchObject({ reset: true, t: 0, action: null });
      const reset = cartPole(first as never);
      expect(Math.abs(reset.x)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(reset.theta)).toBeLessThanOrEqual(0.05);
      expect(ep.header).toMatchObject({ format: 'rxgym-episode', envId: 'CartPole-v1', episode: k, kind: 'train', algo: 'dqn', fps: 50, width: 600, height: 400 });
      const steps = ep.steps.filter((x) => !x.reset);
      expect(ep.steps[0]!.reset).toBe(true);
      expect(ep.complete).toBe(true);
      expect(steps.length).toBe(logged.get(k));
      expect(steps.map((s) => s.t)).toEqual(steps.map((_, i) => i));
      // Run-wide step numbers, increasing across recordings.
      expect(steps[0]!.step).toBeGreaterThan(lastGlobalStep);
      for (let i = 1; i < steps.length; i++) expect(steps[i]!.step).toBe(steps[0]!.step + i);
      lastGlobalStep = steps.at(-1)!.step;

      for (const s of steps) {
        expect(s.reward).toBe(1);
        expect(s.action === 0 || s.action === 1).toBe(true);
        const q = s.q as number[];
        expect(q).toHaveLength(2);
        expect(q.every(Number.isFinite)).toBe(true);
      }
      // The scene is the state after each step: the first one is near the reset state (|x|, |theta| <= 0.05 plus
      // one step of motion), consecutive ones move by at most one step (tau 0.02 s), and the scene of a
      // terminating step shows the pole past 12 degrees or the cart past 2.4.
      const states = steps.map(cartPole);
      expect(Math.abs(states[0]!.x)).toBeLessThan(0.06);
      expect(Math.abs(states[0]!.theta)).toBeLessThan(0.08);
      for (let i = 1; i < states.length; i++) expect(Math.abs(states[i]!.x - states[i - 1]!.x)).toBeLessThan(0.1);
      expect(new Set(states.map((s) => s.theta)).size).toBe(states.length);
      const last = steps.at(-1)!;
      if (last.terminated) {
        const { x, theta } = states.at(-1)!;
        expect(Math.abs(x) > 2.4 || Math.abs(theta) > (12 * 2 * Math.PI) / 360).toBe(true);
      }
      for (const s of states.slice(0, -1)) expect(Math.abs(s.theta)).toBeLessThanOrEqual((12 * 2 * Math.PI) / 360);
    }
  });

  it('rxgym render draws a recorded training episode to a GIF with one frame per step', async () => {
    const dir = join(outcome.run.dir, 'episodes');
    const k = readdirSync(dir).map((n) => Number(/\d+/.exec(n)![0])).sort((a, b) => a - b)[1]!;
    const ep = await readEpisode(join(dir, `episode-${k}.ndjson`));
    const gif = join(root, 'ep.gif');
    const write = process.stdout.write;
    let said = '';
    process.stdout.write = ((chunk: string) => ((said += chunk), true)) as typeof process.stdout.write;
    try {
      await buildProgram().parseAsync(['node', 'rxgym', 'render', outcome.run.dir, '--episode', String(k), '--out', gif, '--width', '150', '--height', '100']);
    } finally {
      process.stdout.write = write;
    }
    expect(said).toMatch(new RegExp(`wrote .*ep\\.gif: ${ep.steps.length} frames of 150x100 \\(gif\\)`));
    const decoded = decodeGif(new Uint8Array(readFileSync(gif)));
    expect(decoded.signature).toBe('GIF89a');
    expect([decoded.width, decoded.height]).toEqual([150, 100]);
    expect(decoded.frames).toHaveLength(ep.steps.length);
    // 50 fps recording: 2 centiseconds a frame.
    expect(decoded.frames[0]!.delayCs).toBe(2);
  });

  it('rejects a bad --record-every with the expected message', async () => {
    await expect(trainCommand('dqn', 'CartPole-v1', { steps: 10, recordEvery: 0, out: join(root, 'runs2') }, { stdout: quiet(), stderr: quiet() })).rejects.toThrow(
      'Expected --record-every to be a whole number >= 1, got 0.',
    );
  });
});
