import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Rng } from '../../core/rng.js';
import { steps$ } from '../../core/streams.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { recordEpisodes } from '../../render/recorder.js';
import { startServer, type ViewerServer } from '../../render/server.js';
import type { EpisodeData, EpisodeListing, MetricsResponse, RunInfo } from '../../render/server-api.js';
import { pathSegments } from '../../render/server-files.js';
import type { LiveServerMessage } from '../../render/server-ws.js';
import { headerLine, recordCartPole, writeRun } from './server-fixtures.js';

const RUN = 'dqn-CartPole-v1-20261123-220000';
let root: string;
let runsDir: string;
let server: ViewerServer;

/** A GET with the path sent byte for byte (no client-side normalisation of `..`). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', fail);
    req.end();
  });
}
const json = async <T>(path: string): Promise<T> => JSON.parse((await get(path)).body) as T;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rxgym-server-'));
  runsDir = join(root, 'runs');
  const dir = writeRun(runsDir, RUN, [recordCartPole([-1.2, 0, 0.12, 0], 0), recordCartPole([1, 0, -0.12, 0], 1)]);
  writeFileSync(join(dir, 'episodes', 'episode-2.ndjson'), `${headerLine(2)}\n{"t":0,"scene":{"wid`);
  writeFileSync(join(dir, 'episodes', 'episode-3.ndjson'), `${headerLine(3)}\n{"t":0,"reward":1,"scene":{"width":-1}}\n`);
  writeFileSync(join(dir, 'metrics.jsonl'), '{"kind":"episode","step":10,"return":10}\nnot json\n{"kind":"log","step":20,"loss":0.5}\n{"kind":"episode","st');
  // Secrets outside the runs folder, reachable only through symlinks.
  writeFileSync(join(root, 'secret.ndjson'), '{"secret":"TOP-SECRET"}\n');
  mkdirSync(join(root, 'outside-run', 'episodes'), { recursive: true });
  writeFileSync(join(root, 'outside-run', 'config.json'), '{"secret":"TOP-SECRET"}');
  symlinkSync(join(root, 'secret.ndjson'), join(dir, 'episodes', 'episode-9.ndjson'));
  symlinkSync(join(root, 'outside-run'), join(runsDir, 'linked-run'));
  const viewerDir = join(root, 'viewer');
  mkdirSync(join(viewerDir, 'assets'), { recursive: true });
  writeFileSync(join(viewerDir, 'index.html'), '<!doctype html><title>rxgym viewer</title>');
  writeFileSync(join(viewerDir, 'assets', 'app.js'), 'console.log(1)');
  server = await startServer({ runsDir, viewerDir, build: 'never', maxFps: 30 });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('startServer', () => {
  it('binds the loopback address and refuses any other host', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    await expect(startServer({ runsDir, host: '0.0.0.0' })).rejects.toThrow(
      'Expected a loopback host (127.0.0.1, ::1 or localhost), got "0.0.0.0": the viewer serves your run files and must not be reachable from the network.',
    );
    await expect(startServer({ runsDir, port: server.port, build: 'never' })).rejects.toThrow(
      `Expected port ${server.port} on 127.0.0.1 to be free, got one in use: pass another port, or 0 for any free one.`,
    );
    await expect(startServer({ runsDir: join(root, 'nope') })).rejects.toThrow(/^Expected a runs folder or a run folder, got ".*nope", which is not a folder\./);
  });

  it('serves the built viewer and its assets', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.type).toContain('text/html');
    expect(index.body).toContain('rxgym viewer');
    const js = await get('/assets/app.js');
    expect(js.type).toContain('text/javascript');
    expect((await get('/assets/missing.js')).status).toBe(404);
  });

  it('lists runs, metrics (skipping broken lines) and episodes with their return and length', async () => {
    const runs = await json<RunInfo[]>('/api/runs');
    expect(runs.map((r) => r.name)).toContain(RUN);
    expect(runs.map((r) => r.name)).not.toContain('linked-run'); // a symlinked run outside the folder is not listed
    expect(runs.find((r) => r.name === RUN)).toMatchObject({ algo: 'dqn', env: 'CartPole-v1', hasMetrics: true, episodes: 5 });
    const metrics = await json<MetricsResponse>(`/api/runs/${RUN}/metrics`);
    expect(metrics.rows).toEqual([{ kind: 'episode', step: 10, return: 10 }, { kind: 'log', step: 20, loss: 0.5 }]);
    expect(metrics.skipped).toEqual([
      { line: 2, reason: 'Expected a JSON object, got text that is not JSON.' },
      { line: 4, reason: 'Expected a JSON object, got a truncated last line.' },
    ]);
    const eps = await json<EpisodeListing[]>(`/api/runs/${RUN}/episodes`);
    expect(eps.map((e) => e.file)).toEqual(['episode-0.ndjson', 'episode-1.ndjson', 'episode-2.ndjson', 'episode-3.ndjson']);
    const rec = recordCartPole([-1.2, 0, 0.12, 0], 0);
    expect(eps[0]).toEqual({ file: 'episode-0.ndjson', ok: true, episode: 0, return: rec.length, length: rec.length, error: null });
    expect(eps[2]).toMatchObject({ ok: false, return: null, error: 'Expected JSON on line 2 of episode-2.ndjson, got a truncated last line.' });
    expect(eps[3]!.error).toMatch(/^Expected a valid scene on line 2 of episode-3\.ndjson: Expected scene width and height to be positive numbers/);
  });

  it('serves an episode and reports a corrupt one with 422 and the reason', async () => {
    const ep = await json<EpisodeData>(`/api/runs/${RUN}/episodes/episode-1.ndjson`);
    const rec = recordCartPole([1, 0, -0.12, 0], 1);
    expect(ep.fps).toBe(50);
    expect(ep.frames).toHaveLength(rec.length);
    expect(ep.frames[3]!.scene).toEqual(rec[3]!.scene);
    expect(ep.frames[3]).toMatchObject({ reward: 1, value: rec[3]!.value, action: 1 });
    const bad = await get(`/api/runs/${RUN}/episodes/episode-2.ndjson`);
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.body)).toEqual({ error: 'Expected JSON on line 2 of episode-2.ndjson, got a truncated last line.', file: 'episode-2.ndjson' });
    expect((await get(`/api/runs/${RUN}/episodes/episode-7.ndjson`)).status).toBe(404);
    expect((await get('/api/runs/no-such-run/episodes')).status).toBe(404);
  });

  it('plays what the recorder writes: a recordEpisodes run of CartPole is listed and served frame for frame', async () => {
    const dir = join(runsDir, 'dqn-CartPole-v1-20261123-221500');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{"algo":"dqn","env":"CartPole-v1"}');
    const env = make('CartPole-v1');
    const rng = new Rng(5);
    const lengths: number[] = [];
    await lastValueFrom(
      steps$(env, () => rng.int(2), { seed: 5, maxEpisodes: 3 }).pipe(
        recordEpisodes(join(dir, 'episodes'), { envId: 'CartPole-v1', every: 2, sceneOf: () => env.scene!(), valuesOf: (x) => ({ q: [x.t, -x.t] }) }),
        tap((x) => (x.terminated || x.truncated ? lengths.push(x.t + 1) : undefined)),
      ),
    );
    const name = 'dqn-CartPole-v1-20261123-221500';
    const eps = await json<EpisodeListing[]>(`/api/runs/${name}/episodes`);
    expect(eps.map((e) => [e.file, e.episode, e.length, e.return])).toEqual([
      ['episode-0.ndjson', 0, lengths[0], lengths[0]],
      ['episode-2.ndjson', 2, lengths[2], lengths[2]],
    ]);
    const ep = await json<EpisodeData>(`/api/runs/${name}/episodes/episode-2.ndjson`);
    expect(ep.fps).toBe(50);
    expect(ep.header).toMatchObject({ format: 'rxgym-episode', envId: 'CartPole-v1', episode: 2 });
    expect(ep.frames[4]).toMatchObject({ reward: 1, q: [4, -4], value: 4 }); // value falls back to max Q
    expect(ep.frames[ep.frames.length - 1]!.scene.viewport.xMax).toBe(2.4);
  });

  it('rejects path traversal: .., encoded dots and slashes, absolute paths and symlinks out of the folder', async () => {
    const attempts = [
      '/../secret.ndjson',
      '/assets/../../secret.ndjson',
      '/%2e%2e/secret.ndjson',
      '/%2E%2E%2Fsecret.ndjson',
      '/..%5csecret.ndjson',
      `/api/runs/${RUN}/episodes/..%2f..%2f..%2fsecret.ndjson`,
      `/api/runs/${RUN}/episodes/%2e%2e`,
      '/api/runs/..%2f..%2fsecret.ndjson/metrics',
      '/api/runs/%2Fetc%2Fpasswd/metrics',
      '/%2Fetc%2Fpasswd',
      '//etc/passwd',
      '/api/runs/linked-run/episodes',
      `/api/runs/${RUN}/episodes/episode-9.ndjson`,
      '/%00index.html',
      '/%E0%A4%A',
    ];
    for (const path of attempts) {
      const res = await get(path);
      expect([403, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain('TOP-SECRET');
    }
    expect((await get('/%2e%2e/secret.ndjson')).status).toBe(403);
    expect((await get(`/api/runs/${RUN}/episodes/episode-9.ndjson`)).status).toBe(403);
    expect(() => pathSegments('/a/%2e%2e/b')).toThrow('Expected a plain file or folder name in the path, got "..".');
    expect(pathSegments('/api/runs/a%20b/')).toEqual(['api', 'runs', 'a b']);
  });

  it('refuses requests that name another host (DNS rebinding) and methods other than GET', async () => {
    const res = await get('/api/runs', { host: 'evil.example:80' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error).toBe('Expected a request to this machine\'s viewer, got Host "evil.example:80".');
    expect((await get('/api/runs', { host: `localhost:${server.port}` })).status).toBe(200);
    const post = await new Promise<number>((ok) => request({ host: '127.0.0.1', port: server.port, path: '/api/runs', method: 'POST' }, (r) => ok(r.statusCode ?? 0)).end());
    expect(post).toBe(405);
  });

  it('answers "not built" with the build command when the viewer is missing', async () => {
    const bare = await startServer({ runsDir, viewerDir: join(root, 'no-viewer'), build: 'never' });
    try {
      const res = await new Promise<string>((ok) => request({ host: '127.0.0.1', port: bare.port, path: '/' }, (r) => {
        let b = '';
        r.on('data', (c: Buffer) => (b += c.toString()));
        r.on('end', () => ok(b));
      }).end());
      expect(bare.viewerReady).toBe(false);
      expect(res).toContain('npm run build:viewer');
    } finally {
      await bare.close();
    }
  });
});

/** A connected client that collects messages. */
async function connect(origin?: string): Promise<{ ws: WebSocket; messages: LiveServerMessage[]; next: (type: string) => Promise<LiveServerMessage> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, origin ? { origin } : {});
  const messages: LiveServerMessage[] = [];
  const waiters: { type: string; ok: (m: LiveServerMessage) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as LiveServerMessage;
    const w = waiters.findIndex((x) => x.type === m.type);
    if (w >= 0) waiters.splice(w, 1)[0]!.ok(m);
    else messages.push(m);
  });
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  const next = (type: string): Promise<LiveServerMessage> => {
    const seen = messages.findIndex((m) => m.type === type);
    if (seen >= 0) return Promise.resolve(messages.splice(seen, 1)[0]!);
    return new Promise((ok) => waiters.push({ type, ok }));
  };
  return { ws, messages, next };
}

describe('the live WebSocket', () => {
  it('greets, answers ping, and rejects malformed or unknown commands without dropping the client', async () => {
    const c = await connect();
    expect(await c.next('hello')).toEqual({ type: 'hello', protocol: 1, live: false, maxFps: 30 });
    c.ws.send('{"type":"ping"}');
    expect(await c.next('pong')).toEqual({ type: 'pong' });
    c.ws.send('{not json');
    expect(await c.next('error')).toEqual({ type: 'error', message: 'Expected a JSON command, got text that is not JSON.' });
    c.ws.send('{"type":"launch"}');
    expect(await c.next('error')).toEqual({ type: 'error', message: 'Expected a command type ping, rate or pause, got "launch".' });
    c.ws.send('{"type":"rate","fps":1000}');
    expect(await c.next('error')).toEqual({ type: 'error', message: 'Expected rate.fps to be a number from 1 to 60.' });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next('error')).toEqual({ type: 'error', message: 'Expected a text JSON command, got a binary message.' });
    c.ws.send('{"type":"ping"}');
    expect(await c.next('pong')).toEqual({ type: 'pong' });
    c.ws.close();
  });

  it('closes a client that sends an oversized message with 1009 and keeps serving others', async () => {
    const c = await connect();
    const closed = new Promise<number>((ok) => c.ws.on('close', (code) => ok(code)));
    c.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(4096) }));
    expect(await closed).toBe(1009);
    const d = await connect();
    await d.next('hello');
    d.ws.send('{"type":"ping"}');
    expect(await d.next('pong')).toEqual({ type: 'pong' });
    expect((await get('/api/runs')).status).toBe(200);
    d.ws.close();
  });

  it('disconnects a client after 20 malformed commands (1008)', async () => {
    const c = await connect();
    const closed = new Promise<number>((ok) => c.ws.on('close', (code) => ok(code)));
    for (let i = 0; i < 20; i++) c.ws.send('[]');
    expect(await closed).toBe(1008);
  });

  it('pushes scenes at most maxFps per client, honours pause, and replays metrics history to late viewers', async () => {
    const c = await connect();
    await c.next('hello');
    const scene = recordCartPole([0, 0, 0, 0], 1, 1)[0]!.scene;
    const t0 = 1_000_000;
    for (let i = 0; i < 100; i++) server.hub.publishScene(scene, { step: i }, t0 + i); // 100 scenes in 100 ms
    c.ws.send('{"type":"pause","paused":true}');
    c.ws.send('{"type":"ping"}');
    await c.next('pong');
    // One scene per 1000/30 ms after the last one sent: at t0, t0 + 34 and t0 + 68.
    const scenes = c.messages.filter((m) => m.type === 'scene');
    expect(scenes.map((m) => (m.type === 'scene' ? m.meta.step : -1))).toEqual([0, 34, 68]);
    expect(scenes[0]).toEqual({ type: 'scene', scene: JSON.parse(JSON.stringify(scene)), meta: { step: 0 } });
    server.hub.publishScene(scene, { step: 200 }, t0 + 10_000);
    server.hub.publishMetrics([{ kind: 'episode', step: 20, return: 20 }]);
    const late = await connect();
    await late.next('hello');
    expect(await late.next('metrics')).toEqual({ type: 'metrics', rows: [{ kind: 'episode', step: 20, return: 20 }] });
    // The newest scene any viewer got (step 200 went to nobody: the only viewer was paused).
    expect(await late.next('scene')).toMatchObject({ type: 'scene', meta: { step: 68 } });
    c.ws.send('{"type":"ping"}');
    await c.next('pong');
    expect(c.messages.filter((m) => m.type === 'scene')).toHaveLength(3); // paused: step 200 never reached it
    c.ws.close();
    late.ws.close();
  });

  it('refuses upgrades from another origin or on another path', async () => {
    await expect(connect('http://evil.example')).rejects.toThrow(/403/);
    const wrongPath = new WebSocket(`ws://127.0.0.1:${server.port}/api/runs`);
    await expect(new Promise((ok, fail) => (wrongPath.once('open', ok), wrongPath.once('error', fail)))).rejects.toThrow(/403/);
  });
});
