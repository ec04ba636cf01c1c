import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CorruptFile } from '../../core/errors.js';
import { steps$ } from '../../core/streams.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { readEpisode, recordEpisodes, resetSceneTracker } from '../../render/recorder.js';
import { listEpisodes } from '../../render/server-api.js';
import { loadEpisodeFile } from '../../render/server-episodes.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'rxgym-rec-'));

/** Records a seeded CartPole run of `episodes` episodes (alternating actions) into `dir`. */
async function recordRun(dir: string, options: { every: number; maxEpisodes?: number; maxSteps?: number }): Promise<number[]> {
  const env = make('CartPole-v1');
  const done: string[] = [];
  const run = steps$(env, (_obs, ctx) => ctx.t % 2, { seed: 3, maxEpisodes: options.maxEpisodes, maxSteps: options.maxSteps }).pipe(
    recordEpisodes(dir, {
      envId: 'CartPole-v1',
      every: options.every,
      sceneOf: () => env.scene!(),
      valuesOf: (tr) => ({ value: tr.reward / 2, q: new Float32Array([0.25, 0.5]) }),
      onEpisode: (path) => done.push(path),
    }),
  );
  const transitions = await lastValueFrom(run.pipe(toArray()));
  const lengths: number[] = [];
  for (const tr of transitions) lengths[tr.episode] = tr.t + 1;
  expect(done.map((p) => p.slice(dir.length + 1))).toEqual(readdirSync(dir).filter((f) => !f.startsWith('.')).sort());
  return lengths;
}

describe('recordEpisodes and readEpisode', () => {
  it('writes every Nth episode as a header plus one line per step, and reads it back', async () => {
    const dir = tempDir();
    const lengths = await recordRun(dir, { every: 2, maxEpisodes: 5 });
    expect(readdirSync(dir).sort()).toEqual(['episode-0.ndjson', 'episode-2.ndjson', 'episode-4.ndjson']);
    const text = readFileSync(join(dir, 'episode-2.ndjson'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n').length).toBe(lengths[2]! + 1);
    const ep = await readEpisode(join(dir, 'episode-2.ndjson'));
    expect(ep.header).toMatchObject({ format: 'rxgym-episode', version: 1, envId: 'CartPole-v1', episode: 2, width: 600, height: 400, fps: 50 });
    expect(ep.steps.length).toBe(lengths[2]);
    expect(ep.complete).toBe(true);
    expect(ep.error).toBeNull();
    expect(ep.steps.map((s) => s.t)).toEqual(Array.from({ length: lengths[2]! }, (_, i) => i));
    expect(ep.steps[0]).toMatchObject({ t: 0, action: 0, reward: 1, terminated: false, value: 0.5, q: [0.25, 0.5] });
    expect(ep.steps[1]!.action).toBe(1);
    expect(ep.steps[ep.steps.length - 1]!.terminated).toBe(true);
    expect(ep.steps[0]!.scene.shapes.length).toBeGreaterThan(2);
  });

  it('deletes an episode the stream cut short and leaves no temp file', async () => {
    const dir = tempDir();
    await recordRun(dir, { every: 1, maxSteps: 5 });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a truncated file with CorruptFile naming file and line; lenient mode returns the valid prefix', async () => {
    const dir = tempDir();
    await recordRun(dir, { every: 1, maxEpisodes: 1 });
    const file = join(dir, 'episode-0.ndjson');
    const text = readFileSync(file, 'utf8');
    const lines = text.trim().split('\n');
    // Cut the file in the middle of line 4 (header + 2 whole steps before it).
    const cut = join(dir, 'cut.ndjson');
    writeFileSync(cut, `${lines.slice(0, 3).join('\n')}\n${lines[3]!.slice(0, 40)}`);
    const err = await readEpisode(cut).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as CorruptFile).path).toBe(cut);
    expect((err as Error).message).toBe('Expected JSON on line 4 of cut.ndjson, got a truncated last line.');
    const prefix = await readEpisode(cut, { lenient: true });
    expect(prefix.steps.length).toBe(2);
    expect(prefix.complete).toBe(false);
    expect(prefix.error).toBe('Expected JSON on line 4 of cut.ndjson, got a truncated last line.');
    // A bad scene in the middle is named too.
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, `${lines[0]}\n${lines[1]}\n${JSON.stringify({ ...JSON.parse(lines[2]!), scene: { width: 1 } })}\n`);
    await expect(readEpisode(bad)).rejects.toThrow('Expected a valid scene on line 3 of bad.ndjson: Expected scene width and height to be positive numbers, got 1 x undefined.');
    appendFileSync(bad, 'garbage\n');
    expect((await readEpisode(bad, { lenient: true })).steps.length).toBe(1);
    // A file that is no recording at all, and a missing file.
    const other = join(dir, 'other.ndjson');
    writeFileSync(other, '{"hello":1}\n');
    await expect(readEpisode(other, { lenient: true })).rejects.toThrow('Expected a header {"format":"rxgym-episode", "episode": ...} on line 1 of other.ndjson, got {"hello":1}.');
    await expect(readEpisode(join(dir, 'missing.ndjson'))).rejects.toThrow(CorruptFile);
  });

  it('records the scene after reset as frame 0 of each recorded episode, with resetSceneTracker', async () => {
    const dir = tempDir();
    const env = make('CartPole-v1');
    const resets = resetSceneTracker<Float32Array, number>(() => env.scene!(), { wanted: (episode) => episode % 2 === 0 });
    const asked: number[] = [];
    const actor = (_obs: Float32Array, ctx: { t: number; episode: number }): number => {
      if (ctx.t === 0) asked.push(ctx.episode);
      return ctx.t % 2;
    };
    const run = steps$(env, resets.wrap(actor), { seed: 3, maxEpisodes: 3 }).pipe(
      recordEpisodes(dir, { envId: 'CartPole-v1', every: 2, sceneOf: () => env.scene!(), resetSceneOf: resets.sceneOf }),
    );
    const transitions = await lastValueFrom(run.pipe(toArray()));
    expect(asked).toEqual([0, 1, 2]); // the wrapped actor still acts

    // The reset scenes as a fresh CartPole draws them: reset(3) for episode 0, then the env's own stream.
    const ref = make('CartPole-v1');
    ref.reset({ seed: 3 });
    const firstReset = ref.scene!();
    for (const name of ['episode-0.ndjson', 'episode-2.ndjson']) {
      const ep = await readEpisode(join(dir, name));
      const episode = ep.header.episode;
      const steps = transitions.filter((tr) => tr.episode === episode);
      expect(ep.steps.length).toBe(steps.length + 1);
      expect(ep.steps[0]).toMatchObject({ t: 0, step: steps[0]!.step, reset: true, action: null, reward: 0, terminated: false, truncated: false });
      expect(ep.steps[1]).toMatchObject({ t: 0, action: 0, reward: 1 });
      expect(ep.steps[1]!.reset).toBeUndefined();
      expect(ep.steps.slice(1).map((x) => x.t)).toEqual(steps.map((tr) => tr.t));
      // Frame 0 is the scene before the first step, not after it.
      expect(ep.steps[0]!.scene).not.toEqual(ep.steps[1]!.scene);
      if (episode === 0) expect(ep.steps[0]!.scene).toEqual(firstReset);
    }
    // The cart of the reset frame sits where the reset observation puts it.
    const ep2 = await readEpisode(join(dir, 'episode-2.ndjson'));
    const cart = ep2.steps[0]!.scene.shapes[1] as { x: number };
    expect(cart.x).toBeCloseTo(transitions.find((tr) => tr.episode === 2)!.obs[0]!, 5);
  });

  it('the listing counts steps, not the reset frame; the viewer gets it as frame 0', async () => {
    const dir = tempDir();
    const env = make('CartPole-v1');
    const resets = resetSceneTracker<Float32Array, number>(() => env.scene!());
    await lastValueFrom(
      steps$(env, resets.wrap((_obs, ctx) => ctx.t % 2), { seed: 5, maxEpisodes: 1 }).pipe(
        recordEpisodes(join(dir, 'episodes'), { envId: 'CartPole-v1', sceneOf: () => env.scene!(), resetSceneOf: resets.sceneOf }),
        toArray(),
      ),
    );
    const data = await loadEpisodeFile(join(dir, 'episodes', 'episode-0.ndjson'), 'episode-0.ndjson');
    expect(data.frames[0]).toMatchObject({ reset: true, reward: 0, action: null });
    expect(data.frames.slice(1).every((f) => !f.reset)).toBe(true);
    const [listing] = await listEpisodes(dir);
    expect(listing!.length).toBe(data.frames.length - 1);
    expect(listing!.return).toBe(data.frames.length - 1); // CartPole: +1 per step, 0 for the reset frame
  });

  it('checks its options', () => {
    expect(() => recordEpisodes('x', { envId: 'CartPole-v1', every: 0, sceneOf: () => ({}) as never })).toThrow(
      'Expected recordEpisodes every to be an integer >= 1, got 0.',
    );
  });
});
