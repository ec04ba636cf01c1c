/**
 * DDPG and TD3 results beside the figures peers measured (see the project's BASELINES notes); the deterministic
 * policy-gradient part of `npm run bench -- pg`, which calls `benchDdpg`:
 *   npm run bench -- pg-ddpg td3-pendulum        TD3, Pendulum-v1 preset, 20k steps, seeds 0-4 (rl-zoo: -151.9 +- 90.2,
 *                                                149-167 s here; goal: eval >= -200 in >= 4 of 5 seeds, <= ~30 s)
 *   npm run bench -- pg-ddpg ddpg-pendulum       DDPG, Pendulum-v1 preset (rl-zoo: -152.1 +- 94.3; goal: >= -200 in 3 of 5)
 *   npm run bench -- pg-ddpg td3-mountaincar     TD3, MountainCarContinuous-v0 preset (rl-zoo at 300k: 93.5; goal: >= 90 in 3 of 5)
 *   npm run bench -- pg-ddpg ddpg-mountaincar    DDPG, MountainCarContinuous-v0 preset (rl-zoo at 300k: 93.5)
 *   npm run bench -- pg-ddpg memory              replay bytes per transition, and heap and buffers across 100k updates
 * Options: --seeds a,b,c  --steps N  --episodes N (greedy eval episodes, default 10)  --preset NAME (another entry of
 *   presets/<algo>.json)  --set key=value (repeatable; one config field over the preset, value JSON else a string).
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import type { Env } from '../core/env.js';
import { Rng } from '../core/rng.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { ddpg, td3, type DdpgConfig } from '../agents/ddpg.js';
import { loadPresets } from '../agents/registry.js';
import { bestModelTracker } from '../agents/runs/best-model.js';
import { parseSet } from '../cli/args.js';

/** One benchmark: an algorithm, an env, its preset, the seeds, and the figure it is compared with. */
export interface DdpgBenchMode {
  algo: 'ddpg' | 'td3';
  env: string;
  preset: string;
  seeds: number[];
  /** A seed passes when its greedy eval mean is at least this. */
  goal: number;
  reference: string;
}

export const DDPG_BENCH_MODES: Readonly<Record<string, DdpgBenchMode>> = {
  'td3-pendulum': { algo: 'td3', env: 'Pendulum-v1', preset: 'Pendulum-v1', seeds: [0, 1, 2, 3, 4], goal: -200, reference: 'rl-zoo TD3 at 20k: -151.9 +- 90.2, 149-167 s (SB3, this machine); goal: >= -200 in >= 4 of 5 seeds, median <= ~30 s' },
  'ddpg-pendulum': { algo: 'ddpg', env: 'Pendulum-v1', preset: 'Pendulum-v1', seeds: [0, 1, 2, 3, 4], goal: -200, reference: 'rl-zoo DDPG at 20k: -152.1 +- 94.3; goal: >= -200 in >= 3 of 5 seeds' },
  'td3-mountaincar': { algo: 'td3', env: 'MountainCarContinuous-v0', preset: 'MountainCarContinuous-v0', seeds: [0, 1, 2, 3, 4], goal: 90, reference: 'rl-zoo TD3 at 300k: 93.48 (OU noise 0.5, batch 256); goal: >= 90 in >= 3 of 5 seeds' },
  'ddpg-mountaincar': { algo: 'ddpg', env: 'MountainCarContinuous-v0', preset: 'MountainCarContinuous-v0', seeds: [0, 1, 2, 3, 4], goal: 90, reference: 'rl-zoo DDPG at 300k: 93.51 (OU noise 0.5, batch 256); goal: >= 90 in >= 3 of 5 seeds' },
};

/** What one seed measured: whole-run wall time (agent built, trained, selected and evaluated), and the greedy eval. */
export interface DdpgBenchRow {
  seed: number;
  seconds: number;
  /** CPU seconds (user + system) of the same span: the figure to compare on a shared, busy machine. */
  cpuSeconds: number;
  trainSeconds: number;
  fps: number;
  updates: number;
  mean: number;
  std: number;
  /** The step whose policy was kept (best-model selection), or the last step. */
  policyStep: number;
}

/** Options of `benchDdpg`. */
export interface DdpgBenchOptions {
  seeds?: number[];
  steps?: number;
  /** Greedy evaluation episodes per seed; default 10. */
  episodes?: number;
  preset?: string;
  /** Config fields over the preset's. */
  overrides?: Partial<DdpgConfig>;
  /** Where lines go; default console.log. */
  log?: (line: string) => void;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Trains and evaluates `mode` once per seed, printing a line per seed and a summary; returns the rows. */
export async function benchDdpg(mode: DdpgBenchMode, options: DdpgBenchOptions = {}): Promise<DdpgBenchRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const presetName = options.preset ?? mode.preset;
  const presets = loadPresets(mode.algo);
  const loaded = presets[presetName];
  if (!loaded) throw new Error(`Expected a preset from presets/${mode.algo}.json (${Object.keys(presets).join(', ')}), got "${presetName}".`);
  const config = { ...loaded.config, ...options.overrides } as Partial<DdpgConfig>;
  const seeds = options.seeds ?? mode.seeds;
  const steps = options.steps ?? loaded.steps;
  const episodes = options.episodes ?? 10;
  log(`${mode.algo} ${mode.env}: preset "${presetName}", ${steps} steps, seeds ${seeds.join(',')}`);
  log(`  config ${JSON.stringify(config)}${loaded.evalEvery != null ? `, evalEvery ${loaded.evalEvery}` : ''}`);
  log(`  reference: ${mode.reference}`);
  const makeEnv = () => make(mode.env) as unknown as Env<Float32Array, Float32Array>;
  const rows: DdpgBenchRow[] = [];
  for (const seed of seeds) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const agent = (mode.algo === 'td3' ? td3 : ddpg)(makeEnv(), { ...config, seed });
    // Presets with evalEvery keep the best evaluated policy, as `rxgym train` does for final/.
    const selectionEnv = loaded.evalEvery != null ? makeEnv() : null;
    const tracker = selectionEnv !== null
      ? bestModelTracker({
          every: loaded.evalEvery!,
          evaluate: async (step, n) => (await agent.evaluate({ episodes: n, seed: seed + 2_000_000 + step, env: selectionEnv })).mean,
          snapshot: () => agent.snapshot(),
          restore: (nets) => agent.restoreSnapshot(nets),
        })
      : null;
    const r = await agent.learn({ steps, log: seed === seeds[0] ? (l) => log(`  ${l}`) : () => {}, ...(tracker !== null ? { periodic: [tracker.hook] } : {}) });
    const best = tracker !== null ? await tracker.finish(agent.step) : null;
    const e = await agent.evaluate({ episodes, seed: 1_000_000 + seed, env: makeEnv() });
    const used = process.cpuUsage(cpu);
    const row = { seed, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, trainSeconds: r.seconds, fps: r.fps, updates: r.updates, mean: e.mean, std: e.std, policyStep: best?.step ?? agent.step };
    rows.push(row);
    log(`  seed ${seed}: ${row.seconds.toFixed(1)} s wall, ${row.cpuSeconds.toFixed(1)} s CPU (training ${r.seconds.toFixed(1)} s, ${r.fps.toFixed(0)} steps/s, ${r.updates} updates), greedy eval ${e.mean.toFixed(1)} +- ${e.std.toFixed(1)} (${episodes} episodes), policy of step ${row.policyStep}`);
    agent.dispose();
  }
  const pass = rows.filter((r) => r.mean >= mode.goal).length;
  const means = rows.map((r) => r.mean);
  const mean = means.reduce((a, b) => a + b, 0) / means.length;
  const std = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / means.length);
  const secs = rows.map((r) => r.seconds);
  const cpus = rows.map((r) => r.cpuSeconds);
  log(`  summary: wall time per seed ${Math.min(...secs).toFixed(1)}-${Math.max(...secs).toFixed(1)} s (median ${median(secs).toFixed(1)}), CPU median ${median(cpus).toFixed(1)} s, eval over seeds ${mean.toFixed(1)} +- ${std.toFixed(1)}, ${pass}/${rows.length} seeds >= ${mode.goal}`);
  return rows;
}

/** Replay bytes per transition against the raw bytes, and heap and buffer sizes across `updates` updates. */
export async function benchDdpgMemory(updates: number, log: (line: string) => void = (l) => console.log(l)): Promise<void> {
  const env = make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>;
  const agent = td3(env, { hidden: [64, 64], batchSize: 128, bufferSize: 10_000, learningStarts: 1000 });
  await agent.learn({ steps: 2000, log: () => {} });
  const r = agent.replay;
  const raw = 2 * r.obsDim * 4 + r.actionDim * 4 + 4 + 2; // obs, nextObs, action, reward, terminated + truncated
  log(`  replay: ${r.byteLength} bytes for ${r.capacity} transitions = ${(r.byteLength / r.capacity).toFixed(2)} bytes each; raw ${raw} (${(r.byteLength / r.capacity / raw).toFixed(3)}x)`);
  const batch = r.createBatch(128);
  const rng = new Rng(0);
  const heap = () => process.memoryUsage().heapUsed;
  const bytes = () => r.byteLength + [agent.actor, agent.actorTarget, ...agent.critics, ...agent.criticTargets].reduce((a, n) => a + n.params.byteLength + n.grads.byteLength, 0);
  const before = { heap: heap(), bytes: bytes() };
  const started = performance.now();
  for (let i = 0; i < updates; i++) {
    r.sampleInto(batch, rng);
    agent.update(batch);
    if ((i + 1) % (updates / 4) === 0) log(`  after ${i + 1} updates: heap ${(heap() / 1e6).toFixed(1)} MB (start ${(before.heap / 1e6).toFixed(1)}), buffers ${bytes()} bytes (start ${before.bytes}), ${((i + 1) / ((performance.now() - started) / 1000)).toFixed(0)} updates/s`);
  }
  agent.dispose();
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `npm run bench -- pg-ddpg <mode> [options]`: runs one mode (default td3-pendulum). */
export async function main(args: string[]): Promise<void> {
  const name = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'td3-pendulum';
  if (name === 'memory') {
    await benchDdpgMemory(Number(option(args, '--updates') ?? 100_000));
    return;
  }
  const mode = DDPG_BENCH_MODES[name];
  if (!mode) {
    console.error(`Expected a mode, one of: ${[...Object.keys(DDPG_BENCH_MODES), 'memory'].join(', ')}; got "${name}".`);
    process.exitCode = 2;
    return;
  }
  const seeds = option(args, '--seeds')?.split(',').map(Number);
  const steps = option(args, '--steps');
  const episodes = option(args, '--episodes');
  const preset = option(args, '--preset');
  await benchDdpg(mode, {
    ...(seeds ? { seeds } : {}), ...(steps ? { steps: Number(steps) } : {}), ...(episodes ? { episodes: Number(episodes) } : {}), ...(preset ? { preset } : {}),
    overrides: parseSet(args.flatMap((a, i) => (a === '--set' ? [args[i + 1] ?? ''] : []))) as Partial<DdpgConfig>,
  });
}
