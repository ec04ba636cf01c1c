import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sink } from './helpers.js';
import { trainCommand } from '../../cli/commands/train.js';
import { readEpisode, type EpisodeStep } from '../../render/recorder.js';

/** CartPole's state as the scene draws it: cart x from the cart rect, pole angle from the pole's rotation. */
function cartPole(step: EpisodeStep): { x: number; theta: number } {
  const [, cart, pole] = step.scene.shapes as { x: number; rotation?: number }[];
  return { x: cart!.x, theta: -(pole!.rotation ?? 0) };
}
const TWELVE_DEGREES = (12 * 2 * Math.PI) / 360;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-record-reinforce-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rxgym train reinforce --record-every', () => {
  // One env collecting whole episodes; two envs (env 0 recorded, the other a copy) in fixed rollouts.
  const cases = [
    { numEnvs: 1, set: ['hidden=[16]', 'logInterval=500'] },
    { numEnvs: 2, set: ['hidden=[16]', 'logInterval=500', 'numEnvs=2', 'rolloutLength=32', 'baseline=value'] },
  ];
  for (const { numEnvs, set } of cases) {
    it(`${numEnvs} env(s): records every 3rd episode, each as logged, reset frame first, scenes of the env as it steps`, async () => {
      const stdout = sink();
      const stderr = sink();
      const outcome = await trainCommand(
        'reinforce',
        'CartPole-v1',
        { steps: 1500, seed: 5, set, out: join(root, `runs-${numEnvs}`), recordEvery: 3, plain: true, evalEpisodes: 0 },
        { stdout, stderr },
      );
      expect(stdout.text()).toContain('Recording episodes 0, 3, 6, ... to');
      expect(stderr.text()).not.toContain('runs no transition consumers');

      // Every finished episode of the run is in metrics.jsonl (with the global step after its last step).
      const logged = new Map<number, { length: number; step: number }>();
      for (const line of readFileSync(outcome.run.metrics, 'utf8').trim().split('\n')) {
        const row = JSON.parse(line) as { kind: string; episode?: number; length?: number; step: number };
        if (row.kind === 'episode') {
          expect(logged.has(row.episode!), `episode ${row.episode} logged once`).toBe(false);
          logged.set(row.episode!, { length: row.length!, step: row.step });
        }
      }
      const dir = join(outcome.run.dir, 'episodes');
      const names = readdirSync(dir);
      expect(names.every((n) => /^episode-\d+\.ndjson$/.test(n))).toBe(true); // no temp files left behind
      const indices = names.map((n) => Number(/\d+/.exec(n)![0])).sort((a, b) => a - b);
      expect(indices.length).toBeGreaterThanOrEqual(4);
      expect(indices[0]).toBe(0);
      for (const k of indices) expect(k % 3).toBe(0);
      // Every logged episode of env 0 whose index is a multiple of 3 was recorded: with one env, all of them.
      if (numEnvs === 1) expect(indices).toEqual([...logged.keys()].filter((k) => k % 3 === 0).sort((a, b) => a - b));

      let lastGlobalStep = -1;
      for (const k of indices) {
        const ep = await readEpisode(join(dir, `episode-${k}.ndjson`));
        expect(ep.header).toMatchObject({ format: 'rxgym-episode', envId: 'CartPole-v1', episode: k, kind: 'train', algo: 'reinforce', fps: 50 });
        expect(ep.complete).toBe(true);
        // Frame 0 is the scene right after the episode's reset, before its first step.
        expect(ep.steps[0]).toMatchObject({ reset: true, t: 0, action: null });
        const reset = cartPole(ep.steps[0]!);
        expect(Math.abs(reset.x)).toBeLessThanOrEqual(0.05);
        expect(Math.abs(reset.theta)).toBeLessThanOrEqual(0.05);
        const steps = ep.steps.slice(1);
        expect(steps.every((s) => !s.reset)).toBe(true);
        // The recording is the logged episode k: its length, and its last step just before the logged global step.
        expect(logged.get(k), `episode ${k} logged`).toBeDefined();
        expect(steps.length).toBe(logged.get(k)!.length);
        expect(steps.map((s) => s.t)).toEqual(steps.map((_, i) => i));
        expect(steps[0]!.step).toBeGreaterThan(lastGlobalStep);
        // Env 0 takes every numEnvs-th global step; the episode row's step is the count after the vector step.
        for (let i = 1; i < steps.length; i++) expect(steps[i]!.step).toBe(steps[0]!.step + numEnvs * i);
        expect(steps.at(-1)!.step + numEnvs).toBe(logged.get(k)!.step);
        lastGlobalStep = steps.at(-1)!.step;
        for (const s of steps) {
          expect(s.reward).toBe(1);
          expect(s.action === 0 || s.action === 1).toBe(true);
        }
        // The scene after each step, not after the autoreset that ends an episode: the first near the reset state,
        // consecutive ones a step of motion apart, and the last one past the bounds when the pole fell.
        const states = steps.map(cartPole);
        expect(Math.abs(states[0]!.x - reset.x)).toBeLessThan(0.01);
        for (let i = 1; i < states.length; i++) expect(Math.abs(states[i]!.x - states[i - 1]!.x)).toBeLessThan(0.1);
        expect(new Set(states.map((s) => s.theta)).size).toBe(states.length);
        for (const s of states.slice(0, -1)) expect(Math.abs(s.theta)).toBeLessThanOrEqual(TWELVE_DEGREES);
        const last = steps.at(-1)!;
        expect(last.terminated || last.truncated).toBe(true);
        if (last.terminated) expect(Math.abs(states.at(-1)!.x) > 2.4 || Math.abs(states.at(-1)!.theta) > TWELVE_DEGREES).toBe(true);
      }
    });
  }
});
