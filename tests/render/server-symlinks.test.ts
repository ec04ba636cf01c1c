/**
 * The viewer's server reads config.json, metrics.jsonl and episodes/ only through their real paths, which must
 * lie inside the run (itself inside the runs folder): symlinks that point outside are treated as absent in
 * listings and refused (403) when asked for directly, so no byte of an outside file reaches the client.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEpisodes, listRuns, readMetrics, type MetricsResponse, type RunInfo } from '../../render/server-api.js';
import { startServer, type ViewerServer } from '../../render/server.js';
import { ForbiddenPath } from '../../render/server-files.js';
import { episodeText, recordCartPole } from './server-fixtures.js';

let root: string;
let runsDir: string;
let server: ViewerServer;
const SECRET_CONFIG = '{"algo":"TOP-SECRET","env":"TOP-SECRET"}';
const SECRET_METRICS = '{"kind":"episode","step":1,"return":"TOP-SECRET"}\n';

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(path, server.url));
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rxgym-server-links-'));
  runsDir = join(root, 'runs');
  // Files outside the runs folder.
  const outside = join(root, 'outside');
  mkdirSync(join(outside, 'episodes'), { recursive: true });
  writeFileSync(join(outside, 'config.json'), SECRET_CONFIG);
  writeFileSync(join(outside, 'metrics.jsonl'), SECRET_METRICS);
  writeFileSync(join(outside, 'episodes', 'episode-0.ndjson'), episodeText(0, recordCartPole([0, 0, 0.1, 0], 1)));

  // A run with its own recording whose config.json and metrics.jsonl are symlinks out of the runs folder,
  // and one whose episodes/ folder is.
  const linked = join(runsDir, 'linked-files');
  mkdirSync(join(linked, 'episodes'), { recursive: true });
  writeFileSync(join(linked, 'episodes', 'episode-3.ndjson'), episodeText(3, recordCartPole([0, 0, -0.1, 0], 0)));
  symlinkSync(join(outside, 'config.json'), join(linked, 'config.json'));
  symlinkSync(join(outside, 'metrics.jsonl'), join(linked, 'metrics.jsonl'));
  const linkedEpisodes = join(runsDir, 'linked-episodes');
  mkdirSync(linkedEpisodes);
  writeFileSync(join(linkedEpisodes, 'config.json'), '{"algo":"dqn","env":"CartPole-v1"}');
  symlinkSync(join(outside, 'episodes'), join(linkedEpisodes, 'episodes'), 'dir');
  // A run folder that is itself a symlink out.
  symlinkSync(outside, join(runsDir, 'linked-run'), 'dir');
  // A real run and a symlink to it inside the runs folder: that one stays served.
  const real = join(runsDir, 'real-run');
  mkdirSync(real);
  writeFileSync(join(real, 'config.json'), '{"algo":"dqn","env":"CartPole-v1"}');
  writeFileSync(join(real, 'metrics.jsonl'), '{"kind":"episode","step":5,"return":5}\n');
  symlinkSync(real, join(runsDir, 'latest'), 'dir');

  server = await startServer({ runsDir, viewerDir: join(root, 'no-viewer'), build: 'never' });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the viewer API and symlinks out of the runs folder', () => {
  it('/api/runs shows no config, metrics or episodes reached through a symlink out, and no run folder linked out', async () => {
    const res = await get('/api/runs');
    expect(res.status).toBe(200);
    expect(res.body).not.toContain('TOP-SECRET');
    const runs = JSON.parse(res.body) as RunInfo[];
    expect(runs.map((r) => r.name).sort()).toEqual(['latest', 'linked-episodes', 'linked-files', 'real-run']);
    expect(runs.find((r) => r.name === 'linked-files')).toMatchObject({ algo: null, env: null, config: null, hasMetrics: false, episodes: 1 });
    expect(runs.find((r) => r.name === 'linked-episodes')).toMatchObject({ algo: 'dqn', hasMetrics: false, episodes: 0 });
    expect(runs.find((r) => r.name === 'latest')).toMatchObject({ algo: 'dqn', env: 'CartPole-v1', hasMetrics: true });
  });

  it('/api/runs/<run>/metrics refuses a metrics.jsonl symlinked out (403) and serves one linked inside', async () => {
    const refused = await get('/api/runs/linked-files/metrics');
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain('TOP-SECRET');
    const gone = await get('/api/runs/linked-run/metrics');
    expect(gone.status).toBe(404);
    expect(gone.body).not.toContain('TOP-SECRET');
    const ok = await get('/api/runs/latest/metrics');
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as MetricsResponse).rows).toEqual([{ kind: 'episode', step: 5, return: 5 }]);
  });

  it('/api/runs/<run>/episodes lists nothing from an episodes folder symlinked out', async () => {
    const res = await get('/api/runs/linked-episodes/episodes');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual([]);
    expect((await get('/api/runs/linked-episodes/episodes/episode-0.ndjson')).status).toBe(403);
  });

  it('the same checks hold when the served folder is one run whose files are symlinks out', async () => {
    const run = join(runsDir, 'linked-files');
    const [info] = await listRuns(run);
    expect(info).toMatchObject({ name: 'linked-files', config: null, hasMetrics: false, episodes: 1 });
    await expect(readMetrics(run, 'linked-files')).rejects.toBeInstanceOf(ForbiddenPath);
    expect((await listEpisodes(run)).map((e) => e.file)).toEqual(['episode-3.ndjson']);
    expect(await listEpisodes(join(runsDir, 'linked-episodes'))).toEqual([]);
  });
});
