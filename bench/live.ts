/**
 * The cost of watching training live (`rxgym train dqn CartPole-v1 --watch`):
 *   npm run bench -- live [--steps 20000] [--pairs 5] [--seed 0] [--preset CartPole-v1]
 * Trains DQN on CartPole-v1 with the preset, once with no viewer and once as `--watch` does (liveViewer,
 * `sampleScenes`, every metrics row published) with a WebSocket client connected and subscribed as the browser
 * viewer is (unpaused). Same seed each run, so both do the same work; the two alternate, and the medians are
 * printed: steps per wall second and per CPU-second of the process (the client runs in it too, so that
 * figure includes receiving), the slowdown, and the scenes a second the client received. Target: < 5%.
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Env } from '../core/env.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { dqn, type DqnConfig } from '../agents/dqn.js';
import { MetricsWriter } from '../agents/runs/metrics.js';
import { loadPresets } from '../agents/registry.js';
import { keepLatest, sampleScenes, sceneReader, type LatestStep } from '../cli/live-consumers.js';
import { liveViewer } from '../render/live.js';
import type { MetricsRow } from '../render/server-api.js';
import type { LiveServerMessage } from '../render/server-ws.js';

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface RunFigures {
  fps: number;
  /** Steps per CPU-second of this process (user + system): less sensitive to other processes than wall fps. */
  cpuFps: number;
  scenes: number;
  scenesPerSecond: number;
  metricsRows: number;
  /** Milliseconds spent reading scenes, queueing metrics rows and handling the client's messages (a part of the viewer's cost). */
  accountedMs: number;
  /** Milliseconds of the learn() call. */
  runMs: number;
}

/** One training run as `rxgym train` does it (metrics rows built and written), optionally with the live viewer. */
async function trainOnce(config: Partial<DqnConfig>, steps: number, watch: boolean, dir: string): Promise<RunFigures> {
  const env = make('CartPole-v1') as Env<unknown, number>;
  const agent = dqn(env, config);
  const file = new MetricsWriter(join(dir, `metrics-${watch ? 'watch' : 'plain'}.jsonl`));
  let publish = (_row: MetricsRow): void => {};
  let accounted = 0;
  const timed = <T>(f: () => T): T => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      accounted += performance.now() - t0;
    }
  };
  let scenes = 0;
  let metricsRows = 0;
  let viewer: Awaited<ReturnType<typeof liveViewer>> | null = null;
  let ws: WebSocket | null = null;
  let stop = (): void => {};
  // The same per-step consumer as `rxgym train --watch`: the latest step's t, reward and obs for the caption.
  const latest: LatestStep = { numbers: new Float64Array(2), obs: undefined, seen: false, value: (obs) => Math.max(...agent.qValues(obs as Float32Array)) };
  if (watch) {
    viewer = await liveViewer({ port: 0, runsDir: dir, envId: 'CartPole-v1', build: 'never' });
    const v = viewer;
    publish = (row) => timed(() => v.publishMetrics(row));
    const read = sceneReader(agent.env as Env<unknown, unknown>);
    stop = sampleScenes(viewer, () => timed(read), agent, 30, latest);
    const socket = new WebSocket(`${viewer.url.replace(/^http/, 'ws')}ws`);
    ws = socket;
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => timed(() => {
        const msg = JSON.parse(String(data)) as LiveServerMessage;
        if (msg.type === 'hello') {
          // What the viewer sends on opening its live view.
          socket.send(JSON.stringify({ type: 'pause', paused: false }));
          resolve();
        } else if (msg.type === 'scene') scenes++;
        else if (msg.type === 'metrics') metricsRows += msg.rows.length;
      }));
      socket.on('error', reject);
    });
  }
  const write = (row: MetricsRow): void => {
    file.write(row as Parameters<MetricsWriter['write']>[0]);
    publish(row);
  };
  const cpu0 = process.cpuUsage();
  const result = await agent.learn({
    steps,
    log: () => {},
    ...(watch ? { consumers: [keepLatest(latest)] } : {}),
    onEpisode: (e) =>
      write({ kind: 'episode', step: e.globalStep, episode: e.episode, return: e.return, length: e.length, terminated: e.terminated, truncated: e.truncated, epsilon: e.metrics['epsilon'] ?? null }),
    onLog: (r) => write({ kind: 'log', step: r.step, loss: r.metrics['loss'] ?? null, epsilon: r.metrics['epsilon'] ?? null, fps: r.fps, meanReturn: r.meanReturn, episodes: r.episodes, updates: r.updates }),
  });
  const cpu = process.cpuUsage(cpu0);
  await file.flush();
  stop();
  if (viewer) {
    // Let the last messages arrive before counting.
    await new Promise((r) => setTimeout(r, 50));
    const counted = scenes;
    await viewer.close();
    ws?.close();
    scenes = counted;
  }
  agent.dispose();
  return { fps: result.fps, cpuFps: (steps * 1e6) / (cpu.user + cpu.system), scenes, scenesPerSecond: scenes / result.seconds, metricsRows, accountedMs: accounted, runMs: result.seconds * 1000 };
}

/** Runs the benchmark (`npm run bench -- live`). */
export async function main(args: string[]): Promise<void> {
  const steps = Number(option(args, '--steps', '20000'));
  const pairs = Number(option(args, '--pairs', '5'));
  const seed = Number(option(args, '--seed', '0'));
  const presetName = option(args, '--preset', 'CartPole-v1');
  const preset = loadPresets('dqn')[presetName];
  if (!preset) throw new Error(`Expected a preset from presets/dqn.json, got "${presetName}".`);
  const config: Partial<DqnConfig> = { ...preset.config, seed };
  const dir = mkdtempSync(join(tmpdir(), 'rxgym-bench-live-'));
  console.log(`live viewer cost: DQN CartPole-v1 (preset ${presetName}), ${steps} steps, seed ${seed}, ${pairs} pairs (alternating; the order flips each pair)`);
  const plain: RunFigures[] = [];
  const watched: RunFigures[] = [];
  try {
    // Warm-up (JIT, module loading, the server's first start), not counted.
    await trainOnce(config, Math.min(steps, 3000), true, dir);
    await trainOnce(config, Math.min(steps, 3000), false, dir);
    for (let p = 0; p < pairs; p++) {
      const order = p % 2 === 0 ? [false, true] : [true, false];
      for (const watch of order) {
        const r = await trainOnce(config, steps, watch, dir);
        if (watch) watched.push(r);
        else plain.push(r);
        console.log(
          `  pair ${p + 1} ${watch ? 'watch ' : 'plain '} ${r.fps.toFixed(0).padStart(6)} steps/s, ${r.cpuFps.toFixed(0).padStart(6)} steps/CPU-s` +
            (watch ? `  (client got ${r.scenes} scenes, ${r.scenesPerSecond.toFixed(1)}/s, ${r.metricsRows} metrics rows; viewer work timed ${r.accountedMs.toFixed(1)} ms of ${r.runMs.toFixed(0)} ms)` : ''),
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = (what: string, of: (r: RunFigures) => number): void => {
    const a = median(plain.map(of));
    const b = median(watched.map(of));
    const perPair = plain.map((x, i) => ((of(x) - of(watched[i]!)) / of(x)) * 100);
    console.log(
      `${what}: no viewer ${a.toFixed(0)}, --watch + client ${b.toFixed(0)} (medians): ${(((a - b) / a) * 100).toFixed(1)}% slower; ` +
        `median of the pairs' slowdowns ${median(perPair).toFixed(1)}% (each: ${perPair.map((x) => x.toFixed(1)).join('%, ')}%)`,
    );
  };
  report('steps/s (wall)', (r) => r.fps);
  report('steps/CPU-s   ', (r) => r.cpuFps);
  console.log(`scenes delivered to the client: ${median(watched.map((r) => r.scenesPerSecond)).toFixed(1)}/s (median); target: under 5% slower`);
  console.log(
    `viewer work timed in-process (scene reads, metrics queueing, the client's message handling; not the server's JSON and socket writes): ` +
      `${median(watched.map((r) => (r.accountedMs / r.runMs) * 100)).toFixed(2)}% of the run (median)`,
  );
}
