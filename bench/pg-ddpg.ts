/**
 * DDPG and TD3 results beside the figures peers measured (see the project's BASELINES notes); `npm run bench -- pg`
 * calls `benchDdpg` and `benchDdpgMemory`. Each seed runs `rxgym train <algo> <env> --seed S` through the CLI's own
 * `trainCommand` (its preset, best-model selection if the preset has one, checkpoints, the final 10-episode greedy
 * evaluation), so the figures are the ones a user gets from the command line:
 *   npm run bench -- pg-ddpg td3-pendulum        TD3, Pendulum-v1 preset, 20k steps, seeds 0-4 (rl-zoo: -151.9 +- 90.2,
 *                                                149-167 s here; goal: eval >= -200 in >= 4 of 5 seeds, <= 1/5 of the time)
 *   npm run bench -- pg-ddpg ddpg-pendulum       DDPG, Pendulum-v1 preset (rl-zoo: -152.1 +- 94.3; goal: >= -200 in 3 of 5)
 *   npm run bench -- pg-ddpg td3-mountaincar     TD3, MountainCarContinuous-v0 preset (rl-zoo at 300k: 93.5; goal: >= 90 in 3 of 5)
 *   npm run bench -- pg-ddpg ddpg-mountaincar    DDPG, MountainCarContinuous-v0 preset (rl-zoo at 300k: 93.5)
 *   npm run bench -- pg-ddpg memory              replay bytes per transition, and heap, buffers and tfjs tensors across updates
 * Options: --seeds a,b,c  --steps N  --preset NAME (another entry of presets/<algo>.json)  --set key=value (repeatable,
 *   as `rxgym train --set`)  --updates N (memory: default 100000).
 * Prints figures; asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import type { Env } from '../core/env.js';
import { Rng } from '../core/rng.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { td3, type DdpgAgent } from '../agents/ddpg.js';
import { loadPresets } from '../agents/registry.js';
import { initBackend } from '../nn/backend.js';
import { trainCommand } from '../cli/commands/train.js';

/** One benchmark: an algorithm, an env, its preset, the seeds, and the figure it is compared with. */
export interface DdpgBenchMode {
  algo: 'ddpg' | 'td3';
  env: string;
  preset: string;
  seeds: number[];
  /** A seed passes when its greedy eval mean is at least this. */
  goal: number;
  /** Seeds that must pass, of five. */
  need: number;
  reference: string;
}

export const DDPG_BENCH_MODES: Readonly<Record<string, DdpgBenchMode>> = {
  'td3-pendulum': { algo: 'td3', env: 'Pendulum-v1', preset: 'Pendulum-v1', seeds: [0, 1, 2, 3, 4], goal: -200, need: 4, reference: 'rl-zoo TD3 at 20k: -151.9 +- 90.2 (one run), 149-167 s whole command (SB3 here); goal: >= -200 in >= 4 of 5 seeds, median <= 1/5 of that (30-33 s)' },
  'ddpg-pendulum': { algo: 'ddpg', env: 'Pendulum-v1', preset: 'Pendulum-v1', seeds: [0, 1, 2, 3, 4], goal: -200, need: 3, reference: 'rl-zoo DDPG at 20k: -152.1 +- 94.3 (one run); goal: >= -200 in >= 3 of 5 seeds' },
  'td3-mountaincar': { algo: 'td3', env: 'MountainCarContinuous-v0', preset: 'MountainCarContinuous-v0', seeds: [0, 1, 2, 3, 4], goal: 90, need: 3, reference: 'rl-zoo TD3 at 300k: 93.48 (one run; OU noise 0.5, batch 256, [400, 300]); goal: >= 90 in >= 3 of 5 seeds within 300k steps' },
  'ddpg-mountaincar': { algo: 'ddpg', env: 'MountainCarContinuous-v0', preset: 'MountainCarContinuous-v0', seeds: [0, 1, 2, 3, 4], goal: 90, need: 3, reference: 'rl-zoo DDPG at 300k: 93.51 (one run; OU noise 0.5, batch 256, [400, 300]); goal: >= 90 in >= 3 of 5 seeds within 300k steps' },
};

/** What one seed measured: the command's wall and CPU time, what it printed, and its final greedy evaluation. */
export interface DdpgBenchRow {
  seed: number;
  /** The command this row ran, as a user types it. */
  command: string;
  /** Wall seconds of trainCommand (agent built, trained, selected, saved and evaluated), without process start-up. */
  seconds: number;
  /** CPU seconds (user + system) of the same span: the figure to compare on a shared, busy machine. */
  cpuSeconds: number;
  steps: number;
  /** From the command's "Trained ..." line (null if it changed its wording). */
  trainSeconds: number | null;
  fps: number | null;
  updates: number | null;
  /** The final greedy evaluation the command printed (10 episodes). */
  mean: number;
  std: number;
  /** The command's "Kept ..." line when the preset selects a best model, else null. */
  kept: string | null;
}

/** Median, range and mean +- std over seeds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  mean: number;
  std: number;
}

export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  return {
    median: n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2,
    min: s[0]!, max: s[n - 1]!, mean, std: Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / n),
  };
}

/** One mode's result: the rows, how many seeds passed, and the spreads over seeds. */
export interface DdpgBenchResult {
  algo: string;
  env: string;
  preset: string;
  reference: string;
  goal: number;
  need: number;
  passed: number;
  seeds: number;
  wallSeconds: Spread;
  cpuSeconds: Spread;
  eval: Spread;
  rows: DdpgBenchRow[];
}

/** Options of `benchDdpg`. */
export interface DdpgBenchOptions {
  seeds?: number[];
  steps?: number;
  preset?: string;
  /** `--set key=value` pairs over the preset's config, as the CLI takes them. */
  set?: string[];
  /** Where lines go; default console.log. */
  log?: (line: string) => void;
}

/** A stream that keeps whole lines (the command's stdout) or drops everything (its progress on stderr). */
function lineSink(lines: string[] | null): Writable & { isTTY: boolean } {
  let rest = '';
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      if (lines !== null) {
        const parts = (rest + chunk.toString()).split('\n');
        rest = parts.pop()!;
        lines.push(...parts);
      }
      done();
    },
  });
  return Object.assign(w, { isTTY: false });
}

const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s.replace(/,/g, '')));

/** Runs `rxgym train <algo> <env> --seed S` once per seed through `trainCommand`; prints a line per seed and a summary. */
export async function benchDdpg(mode: DdpgBenchMode, options: DdpgBenchOptions = {}): Promise<DdpgBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const presetName = options.preset ?? mode.preset;
  const preset = loadPresets(mode.algo)[presetName];
  if (!preset) throw new Error(`Expected a preset from presets/${mode.algo}.json, got "${presetName}".`);
  const seeds = options.seeds ?? mode.seeds;
  const set = options.set ?? [];
  const extra = [
    ...(presetName !== mode.env ? [`--preset ${presetName}`] : []), ...(options.steps !== undefined ? [`--steps ${options.steps}`] : []), ...set.map((s) => `--set ${s}`),
  ].join(' ');
  log(`${mode.algo} ${mode.env}: rxgym train ${mode.algo} ${mode.env} --seed S${extra ? ` ${extra}` : ''}, seeds ${seeds.join(',')}`);
  log(`  preset "${presetName}": ${options.steps ?? preset.steps} steps, evalEvery ${preset.evalEvery ?? 'none (keeps the last parameters)'}, config ${JSON.stringify(preset.config)}`);
  log(`  reference: ${mode.reference}`);
  const out = await mkdtemp(join(tmpdir(), 'rxgym-bench-pg-'));
  const rows: DdpgBenchRow[] = [];
  try {
    for (const seed of seeds) {
      const lines: string[] = [];
      const started = performance.now();
      const cpu = process.cpuUsage();
      const outcome = await trainCommand(mode.algo, mode.env, {
        seed, out, set, ...(options.steps !== undefined ? { steps: options.steps } : {}), ...(presetName !== mode.env ? { preset: presetName } : {}),
      }, { stdout: lineSink(lines), stderr: lineSink(null) });
      const used = process.cpuUsage(cpu);
      const seconds = (performance.now() - started) / 1000;
      const trained = lines.map((l) => /^Trained .*? in ([\d.]+) s \(([\d.]+) steps\/s, ([\d,]+) gradient steps?/.exec(l)).find((m) => m !== null);
      const kept = lines.find((l) => l.startsWith('Kept ')) ?? null;
      const row: DdpgBenchRow = {
        seed, command: `rxgym train ${mode.algo} ${mode.env} --seed ${seed}${extra ? ` ${extra}` : ''}`, seconds, cpuSeconds: (used.user + used.system) / 1e6, steps: outcome.step,
        trainSeconds: num(trained?.[1]), fps: num(trained?.[2]), updates: num(trained?.[3]), mean: outcome.eval?.mean ?? NaN, std: outcome.eval?.std ?? NaN, kept,
      };
      rows.push(row);
      log(`  seed ${seed}: ${seconds.toFixed(1)} s wall, ${row.cpuSeconds.toFixed(1)} s CPU (training ${row.trainSeconds?.toFixed(1) ?? '?'} s, ${row.fps?.toFixed(0) ?? '?'} steps/s), greedy eval ${row.mean.toFixed(1)} +- ${row.std.toFixed(1)}${row.mean >= mode.goal ? '' : `  < ${mode.goal}`}${kept ? `; ${kept.replace(/; the last parameters are in .*$/, '')}` : ''}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  const result: DdpgBenchResult = {
    algo: mode.algo, env: mode.env, preset: presetName, reference: mode.reference, goal: mode.goal, need: mode.need,
    passed: rows.filter((r) => r.mean >= mode.goal).length, seeds: rows.length,
    wallSeconds: spread(rows.map((r) => r.seconds)), cpuSeconds: spread(rows.map((r) => r.cpuSeconds)), eval: spread(rows.map((r) => r.mean)), rows,
  };
  const w = result.wallSeconds, c = result.cpuSeconds, e = result.eval;
  log(`  summary: ${result.passed}/${result.seeds} seeds >= ${mode.goal} (goal ${mode.need} of 5); eval median ${e.median.toFixed(1)} (${e.min.toFixed(1)} to ${e.max.toFixed(1)}), mean over seeds ${e.mean.toFixed(1)} +- ${e.std.toFixed(1)}; wall median ${w.median.toFixed(1)} s (${w.min.toFixed(1)}-${w.max.toFixed(1)}), CPU median ${c.median.toFixed(1)} s (${c.min.toFixed(1)}-${c.max.toFixed(1)})`);
  return result;
}

/** What `benchDdpgMemory` measured. */
export interface DdpgMemoryResult {
  replay: { bytes: number; capacity: number; bytesPerTransition: number; rawBytesPerTransition: number; ratio: number };
  /** The default engine (plain) over `updates` updates: heap after a full GC, array buffers, agent-owned bytes, tfjs tensors. */
  plain: GrowthRecord;
  /** The tfjs engine over fewer updates (~15x slower at this size): tfjs tensors and bytes before and after. */
  tfjs: GrowthRecord;
}
export interface GrowthRecord {
  updates: number;
  seconds: number;
  heapBefore: number; heapAfter: number;
  arrayBuffersBefore: number; arrayBuffersAfter: number;
  agentBytesBefore: number; agentBytesAfter: number;
  tensorsBefore: number; tensorsAfter: number;
  tensorBytesBefore: number; tensorBytesAfter: number;
}

let gcFn: (() => void) | null = null;
/** A full garbage collection (node's gc, exposed at run time), so heap figures compare live objects only. */
function fullGc(): void {
  if (gcFn === null) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

function agentBytes(agent: DdpgAgent<Float32Array>): number {
  return agent.replay.byteLength + [agent.actor, agent.actorTarget, ...agent.critics, ...agent.criticTargets].reduce((a, n) => a + n.params.byteLength + n.grads.byteLength, 0);
}

async function growth(engine: 'plain' | 'tfjs', updates: number, log: (line: string) => void): Promise<{ record: GrowthRecord; agent: DdpgAgent<Float32Array> }> {
  const env = make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>;
  const agent = td3(env, { hidden: [64, 64], batchSize: 64, bufferSize: 10_000, learningStarts: 1000, engine });
  await agent.learn({ steps: 1200, log: () => {} }); // warm-up: every scratch buffer and optimiser slot exists
  const batch = agent.replay.createBatch(64);
  const rng = new Rng(0);
  for (let i = 0; i < 200; i++) {
    agent.replay.sampleInto(batch, rng);
    agent.update(batch);
  }
  const snap = () => {
    fullGc();
    const m = process.memoryUsage(), t = tf.memory();
    return { heap: m.heapUsed, ab: m.arrayBuffers, agent: agentBytes(agent), tensors: t.numTensors, tensorBytes: t.numBytes };
  };
  const before = snap();
  const started = performance.now();
  const quarter = Math.max(1, Math.floor(updates / 4));
  for (let i = 0; i < updates; i++) {
    agent.replay.sampleInto(batch, rng);
    agent.update(batch);
    if ((i + 1) % quarter === 0 && i + 1 < updates) {
      const s = snap();
      log(`    ${engine}: after ${i + 1} updates: heap ${(s.heap / 1e6).toFixed(2)} MB, array buffers ${(s.ab / 1e6).toFixed(2)} MB, agent ${s.agent} bytes, ${s.tensors} tensors`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const after = snap();
  return {
    agent,
    record: {
      updates, seconds, heapBefore: before.heap, heapAfter: after.heap, arrayBuffersBefore: before.ab, arrayBuffersAfter: after.ab,
      agentBytesBefore: before.agent, agentBytesAfter: after.agent, tensorsBefore: before.tensors, tensorsAfter: after.tensors,
      tensorBytesBefore: before.tensorBytes, tensorBytesAfter: after.tensorBytes,
    },
  };
}

/** Replay bytes per transition against the raw bytes; heap, buffers and tfjs tensors before and after `updates` updates. */
export async function benchDdpgMemory(updates: number, tfjsUpdates: number, log: (line: string) => void = (l) => console.log(l)): Promise<DdpgMemoryResult> {
  log(`memory: TD3 on Pendulum-v1, [64, 64], batch 64; ${updates} updates on the plain engine, ${tfjsUpdates} on tfjs`);
  log('  reference: goal replay <= 1.1x the raw bytes per transition; no growth of tensors or buffers over 100k updates');
  const plain = await growth('plain', updates, log);
  const r = plain.agent.replay;
  const raw = 2 * r.obsDim * 4 + r.actionDim * 4 + 4 + 2; // obs, nextObs, action, reward, terminated + truncated
  const replay = { bytes: r.byteLength, capacity: r.capacity, bytesPerTransition: r.byteLength / r.capacity, rawBytesPerTransition: raw, ratio: r.byteLength / r.capacity / raw };
  plain.agent.dispose();
  await initBackend('auto');
  const tfjs = await growth('tfjs', tfjsUpdates, log);
  tfjs.agent.dispose();
  const line = (g: GrowthRecord, engine: string) =>
    `  ${engine}, ${g.updates} updates in ${g.seconds.toFixed(1)} s: heap ${(g.heapBefore / 1e6).toFixed(2)} -> ${(g.heapAfter / 1e6).toFixed(2)} MB (${fmtDelta(g.heapAfter - g.heapBefore)}), ` +
    `array buffers ${fmtDelta(g.arrayBuffersAfter - g.arrayBuffersBefore)}, agent buffers ${g.agentBytesBefore} -> ${g.agentBytesAfter} bytes, tfjs tensors ${g.tensorsBefore} -> ${g.tensorsAfter} (${fmtDelta(g.tensorBytesAfter - g.tensorBytesBefore)})`;
  log(`  replay: ${replay.bytes} bytes for ${replay.capacity} transitions = ${replay.bytesPerTransition.toFixed(2)} bytes each; raw ${raw} (${replay.ratio.toFixed(3)}x)`);
  log(line(plain.record, 'plain engine'));
  log(line(tfjs.record, 'tfjs engine'));
  return { replay, plain: plain.record, tfjs: tfjs.record };
}

function fmtDelta(bytes: number): string {
  return `${bytes >= 0 ? '+' : '-'}${Math.abs(bytes) >= 1e4 ? `${(Math.abs(bytes) / 1e3).toFixed(0)} kB` : `${Math.abs(bytes)} bytes`}`;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `npm run bench -- pg-ddpg <mode> [options]`: runs one mode (default td3-pendulum). */
export async function main(args: string[]): Promise<void> {
  const name = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'td3-pendulum';
  if (name === 'memory') {
    const updates = Number(option(args, '--updates') ?? 100_000);
    await benchDdpgMemory(updates, Math.min(updates, 2000));
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
  const preset = option(args, '--preset');
  await benchDdpg(mode, {
    ...(seeds ? { seeds } : {}), ...(steps ? { steps: Number(steps) } : {}), ...(preset ? { preset } : {}),
    set: args.flatMap((a, i) => (a === '--set' ? [args[i + 1] ?? ''] : [])),
  });
}
