import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Rng } from '../../core/rng.js';
import { steps$ } from '../../core/streams.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { EpisodeBatcher, condenseRows, liveViewer, type LiveViewer } from '../../render/live.js';
import type { MetricsRow } from '../../render/server-api.js';
import type { LiveServerMessage } from '../../render/server-ws.js';

let root: string;
let viewer: LiveViewer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rxgym-live-'));
  viewer = await liveViewer({ runsDir: root, build: 'never', maxFps: 30, maxRowsPerBatch: 100_000, envId: 'CartPole-v1' });
});

afterAll(async () => {
  await viewer?.close();
  rmSync(root, { recursive: true, force: true });
});

/** CartPole-v1 run by a seeded uniform random actor for `n` steps through `op`, counting scene() calls. */
async function runCartPole(n: number, watch: boolean): Promise<{ sceneCalls: number; episodes: number; stepsInEpisodes: number }> {
  const env = make('CartPole-v1');
  const rng = new Rng(3);
  let sceneCalls = 0;
  const source = { scene: () => (sceneCalls++, env.scene!()) };
  let episodes = 0;
  let stepsInEpisodes = 0;
  let t = 0;
  const run$ = steps$(env, () => rng.int(2), { seed: 3, maxSteps: n, chunk: 200 });
  const counted = (watch ? run$.pipe(viewer.watch(source)) : run$).pipe(
    tap((x) => {
      t++;
      if (x.terminated || x.truncated) {
        episodes++;
        stepsInEpisodes += t;
        t = 0;
      }
    }),
  );
  await lastValueFrom(counted);
  return { sceneCalls, episodes, stepsInEpisodes };
}

describe('liveViewer', () => {
  it('builds no scene while no viewer is connected', async () => {
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(viewer.viewers).toBe(0);
    const r = await runCartPole(30_000, true);
    expect(r.sceneCalls).toBe(0);
    expect(viewer.wantsScene()).toBe(false);
  });

  it('streams sampled scenes and every finished episode to a connected viewer', async () => {
    const port = new URL(viewer.url).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const messages: LiveServerMessage[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as LiveServerMessage));
    await new Promise((ok) => ws.once('open', ok));
    await new Promise((ok) => setTimeout(ok, 60)); // the sampling timer sees the viewer
    // On connect the viewer got the history: the episodes of the first test's run.
    const history = messages.filter((m) => m.type === 'metrics').flatMap((m) => (m.type === 'metrics' ? m.rows : []));
    expect(history.length).toBeGreaterThan(0);
    const before = messages.length;
    const t0 = performance.now();
    const r = await runCartPole(150_000, true);
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((ok) => setTimeout(ok, 400)); // the next metrics batch
    expect(messages[0]).toEqual({ type: 'hello', protocol: 1, live: true, maxFps: 30 });
    const scenes = messages.filter((m) => m.type === 'scene');
    expect(scenes.length).toBeGreaterThan(0);
    // At most 30 a second (plus one for the first).
    expect(scenes.length).toBeLessThanOrEqual(Math.ceil(seconds * 30) + 1);
    expect(r.sceneCalls).toBe(scenes.length);
    const first = scenes[0]!;
    if (first.type !== 'scene') throw new Error('unreachable');
    expect(first.meta.env).toBe('CartPole-v1');
    expect(first.scene.viewport).toEqual({ xMin: -2.4, xMax: 2.4, yMin: -0.8, yMax: 2.4 });
    const rows = messages.slice(before).flatMap((m) => (m.type === 'metrics' ? m.rows : []));
    expect(rows).toHaveLength(r.episodes);
    expect(rows.reduce((a, row) => a + (row.length as number), 0)).toBe(r.stepsInEpisodes);
    expect(rows.every((row) => row.kind === 'episode' && row.return === row.length)).toBe(true); // +1 per CartPole step
    ws.close();
  });

  it('sample() draws an env between steps by a timer, only while a viewer is connected', async () => {
    const env = make('CartPole-v1');
    env.reset({ options: { state: [0.5, 0, 0.1, 0] } });
    let calls = 0;
    // The previous test's viewer may still be closing.
    for (let i = 0; i < 100 && viewer.viewers > 0; i++) await new Promise((ok) => setTimeout(ok, 10));
    const stop = viewer.sample({ scene: () => (calls++, env.scene!()) });
    await new Promise((ok) => setTimeout(ok, 120));
    expect(calls).toBe(0); // nobody watching
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(viewer.url).port}/ws`);
    const scenes: LiveServerMessage[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as LiveServerMessage;
      if (m.type === 'scene') scenes.push(m);
    });
    await new Promise((ok) => ws.once('open', ok));
    await new Promise((ok) => setTimeout(ok, 300));
    stop();
    const got = scenes.length;
    expect(got).toBeGreaterThanOrEqual(3); // ~9 at 30 a second on a quiet machine
    expect(got).toBeLessThanOrEqual(11);
    const last = scenes[scenes.length - 1]!;
    expect(last.type === 'scene' && last.scene.shapes[1]).toMatchObject({ type: 'rect', x: 0.5 });
    await new Promise((ok) => setTimeout(ok, 150));
    expect(scenes.length).toBeLessThanOrEqual(got + 1); // stopped (one may have been in flight)
    ws.close();
    env.close();
  });

  it('EpisodeBatcher keeps at most capacity rows by averaging neighbours, without losing episodes', () => {
    const b = new EpisodeBatcher(4);
    for (let e = 0; e < 10; e++) b.add((e + 1) * 100, e, e, 10 + e);
    const rows = b.take();
    expect(rows.length).toBeLessThanOrEqual(4);
    const n = (r: MetricsRow): number => (r.episodes as number | undefined) ?? 1;
    expect(rows.reduce((a, r) => a + n(r), 0)).toBe(10);
    expect(rows.reduce((a, r) => a + (r.return as number) * n(r), 0)).toBe(45); // 0 + 1 + ... + 9
    expect(rows[rows.length - 1]).toMatchObject({ kind: 'episode', step: 1000, episode: 9 });
    expect(b.take()).toEqual([]);
    b.add(5, 0, 3, 5);
    expect(b.take()).toEqual([{ kind: 'episode', step: 5, episode: 0, return: 3, length: 5 }]);
  });

  it('condenseRows averages runs of rows into at most max rows, keeping the last step', () => {
    const rows: MetricsRow[] = Array.from({ length: 10 }, (_, i) => ({ kind: 'episode', step: (i + 1) * 10, episode: i, return: i }));
    expect(condenseRows(rows, 20)).toBe(rows);
    expect(condenseRows(rows, 2)).toEqual([
      { kind: 'episode', step: 50, episode: 4, return: 2 },
      { kind: 'episode', step: 100, episode: 9, return: 7 },
    ]);
  });
});
