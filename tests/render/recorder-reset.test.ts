/**
 * The scene after reset as frame 0 of a recording when the actor cannot be wrapped (a training loop's):
 * `resetSceneTracker(...).onReset` as steps$'s `onReset`, and `recordTraining({ resetScenes })`.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { recordTraining } from '../../cli/live-consumers.js';
import type { Scene } from '../../core/scene.js';
import { steps$ } from '../../core/streams.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { readEpisode, resetSceneTracker } from '../../render/recorder.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** CartPole's scene for a state (x, x_dot, theta, theta_dot). */
function sceneAt(state: ArrayLike<number>): Scene {
  const env = make('CartPole-v1');
  env.reset({ options: { state: Array.from(state) } });
  const s = env.scene!();
  env.close();
  return s;
}

/** JSON replacer rounding numbers to 1e-5: the reset obs is a float32 copy of the float64 state. */
const round = (_k: string, v: unknown): unknown => (typeof v === 'number' ? Math.round(v * 1e5) / 1e5 : v);

describe('recordTraining with resetScenes', () => {
  it('starts each recorded episode with the scene after its reset, taken through steps$ onReset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxgym-reset-scenes-'));
    dirs.push(dir);
    const env = make('CartPole-v1');
    const scene = (): Scene => env.scene!();
    const baseEpisode = 1;
    const every = 2;
    let scenesTaken = 0;
    const resets = resetSceneTracker<Float32Array, unknown>(
      () => {
        scenesTaken++;
        return scene();
      },
      { wanted: (e) => (baseEpisode + e) % every === 0 },
    );
    // What a reset's scene must be: CartPole drawn at the reset observation (the first transition's obs).
    const firstObs = new Map<number, Float32Array>();
    await lastValueFrom(
      steps$(env, (obs) => (obs[2]! > 0 ? 1 : 0), { seed: 3, maxEpisodes: 4, onReset: resets.onReset }).pipe(
        tap((tr) => {
          if (tr.t === 0) firstObs.set(baseEpisode + tr.episode, tr.obs);
        }),
        recordTraining<Float32Array>(dir, { envId: 'CartPole-v1', every, baseEpisode, baseStep: 100, scene, fps: 50, resetScenes: resets }),
      ),
    );
    expect(readdirSync(dir).sort()).toEqual(['episode-2.ndjson', 'episode-4.ndjson']);
    expect(scenesTaken).toBe(2); // unrecorded episodes cost no scene
    for (const k of [2, 4]) {
      const ep = await readEpisode(join(dir, `episode-${k}.ndjson`));
      expect(ep.header).toMatchObject({ episode: k, kind: 'train' });
      expect(ep.steps[0]).toMatchObject({ t: 0, reset: true, action: null, reward: 0 });
      // The reset scene is the one of the state the first action was chosen from.
      expect(JSON.stringify(ep.steps[0]!.scene, round)).toBe(JSON.stringify(sceneAt(firstObs.get(k)!), round));
      expect(JSON.stringify(ep.steps[0]!.scene, round)).not.toBe(JSON.stringify(ep.steps[1]!.scene, round));
      expect(ep.steps.slice(1).every((s) => s.reset === undefined)).toBe(true);
    }
  });

  it('without resetScenes records the steps only, as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxgym-reset-scenes-'));
    dirs.push(dir);
    const env = make('CartPole-v1');
    await lastValueFrom(
      steps$(env, () => 1, { seed: 3, maxEpisodes: 1 }).pipe(
        recordTraining<Float32Array>(dir, { envId: 'CartPole-v1', every: 1, baseEpisode: 0, baseStep: 0, scene: () => env.scene!(), fps: 50 }),
      ),
    );
    const ep = await readEpisode(join(dir, 'episode-0.ndjson'));
    expect(ep.steps[0]!.reset).toBeUndefined();
  });
});
