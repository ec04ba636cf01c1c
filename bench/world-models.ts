/**
 * World models and uncertainty, beside the published figures:
 *   npm run bench -- world-models [--seeds 0,1,2,3,4] [--json] [--only pendulum,deepsea,pixels] [--max-steps N] [--eval-every N]
 *     [--set key=value ...] (world-model settings over the preset's) [--set-td3 key=value ...] (TD3 settings over the
 *     model-based entry's, for the model-based run and its model-free twin) [--kinds modelFree,modelBased,modelFreePreset]
 *
 * pendulum: real env steps until TD3's greedy policy scores >= -200 over 10 episodes on Pendulum-v1, at the same TD3
 *   settings with and without a world model: modelBased is the "Pendulum-v1:ensemble" entry of presets/td3.json (TD3
 *   settings plus the world model), modelFree the same TD3 settings (learningStarts and gradient steps per env step
 *   included) with no model, so the ratio modelFree / modelBased is what the model adds. modelFreePreset, the
 *   "Pendulum-v1" entry (1 update per step, learning from step 1000), is a reference only. Evaluated every
 *   `--eval-every` steps (default 100); each seed's wall and CPU time too. Target: model-based <= 1/2 of model-free
 *   (ratio >= 2); published: MBPO 5-10x fewer steps than SAC, PETS 8x (at their own settings, not equal ones). A run
 *   that never solves within --max-steps (default 20000) counts as that many steps.
 * deepsea, pixels: figures from bench/world-models-deepsea.ts (`deepSeaFigures`) and bench/world-models-pixels.ts
 *   (`pixelFigures`).
 * --json prints one JSON object (keys `pendulum.modelFree.stepsToSolve`, ...) and nothing else on stdout.
 */
import type { Env } from '../core/env.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { td3, type DdpgConfig } from '../agents/ddpg.js';
import { loadPresets } from '../agents/registry.js';
import { withWorldModel, type ModelBasedConfig } from '../agents/model-based.js';
import type { Agent } from '../agents/agent.js';
import { spread, type Spread } from './pg-ddpg.js';
import { deepSeaFigures } from './world-models-deepsea.js';
import { pixelFigures } from './world-models-pixels.js';

/** One seed's run: steps to solve (null: not within the budget), wall and CPU seconds, the last evaluation. */
export interface SolveRow {
  seed: number;
  stepsToSolve: number | null;
  seconds: number;
  /** This process's CPU seconds (user + system) over the run: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  lastEval: number;
  /** Imagined transitions made (model-based only). */
  imagined?: number;
  /** Actions the planner chose, in training and evaluation (model-based with a planner only). */
  planned?: number;
}

/** Options of `stepsToSolve`. */
export interface SolveOptions {
  maxSteps: number;
  evalEvery: number;
  goal: number;
  log: (line: string) => void;
}

/** Trains `agent` in chunks of `evalEvery` steps, evaluating 10 greedy episodes after each, until the goal or maxSteps. */
export async function stepsToSolve(agent: Agent<unknown, unknown>, evalEnv: Env<unknown, unknown>, seed: number, o: SolveOptions): Promise<SolveRow> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const cpu = () => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
  let lastEval = NaN;
  while (agent.step < o.maxSteps) {
    await agent.learn({ steps: o.evalEvery, totalSteps: o.maxSteps, log: () => {} });
    const e = await agent.evaluate({ episodes: 10, env: evalEnv, seed: 1_000_000 + seed });
    lastEval = e.mean;
    if (e.mean >= o.goal) return { seed, stepsToSolve: agent.step, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpu(), lastEval };
  }
  return { seed, stepsToSolve: null, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpu(), lastEval };
}

/** The Pendulum figures of one kind over seeds. */
export interface PendulumKind {
  rows: SolveRow[];
  /** Mean and std over seeds (unsolved seeds count as maxSteps). */
  stepsToSolve: Spread;
  solved: number;
  seconds: Spread;
  cpuSeconds: Spread;
}

/** The Pendulum runs: the model-based entry's TD3 settings without and with the model, and the model-free preset (a reference). */
export const PENDULUM_KINDS = ['modelFree', 'modelBased', 'modelFreePreset'] as const;
export type PendulumKindName = (typeof PENDULUM_KINDS)[number];

/** Model-free and model-based TD3 at the same settings, and the model-free preset, on Pendulum-v1 (those of `kinds`); ratios of model-free steps to model-based. */
export async function pendulumFigures(seeds: number[], o: SolveOptions & { set: Partial<ModelBasedConfig>; setTd3?: Partial<DdpgConfig>; kinds?: readonly PendulumKindName[] }): Promise<{
  kinds: Partial<Record<PendulumKindName, PendulumKind>>; ratio: number; ratioPreset: number; settings: object;
}> {
  const presets = loadPresets('td3');
  const free = presets['Pendulum-v1']!, based = presets['Pendulum-v1:ensemble']!;
  const worldModel = { ...(based.worldModel ?? {}), ...o.set };
  const basedConfig = { ...based.config, ...(o.setTd3 ?? {}) };
  const configs: Record<PendulumKindName, object> = { modelFree: basedConfig, modelBased: basedConfig, modelFreePreset: free.config };
  const settings = { modelFree: basedConfig, modelBased: { config: basedConfig, worldModel }, modelFreePreset: free.config };
  o.log(`pendulum: TD3 steps until greedy eval (10 episodes) >= ${o.goal}, eval every ${o.evalEvery} steps, at most ${o.maxSteps}; seeds ${seeds.join(',')}`);
  o.log(`  model-free: ${JSON.stringify(basedConfig)}`);
  o.log(`  model-based: the same + worldModel ${JSON.stringify(worldModel)}`);
  o.log(`  model-free preset (reference): ${JSON.stringify(free.config)}`);
  const run = async (kind: PendulumKindName): Promise<PendulumKind> => {
    const rows: SolveRow[] = [];
    for (const seed of seeds) {
      const env = make('Pendulum-v1') as Env<unknown, Float32Array>;
      const agent = td3(env, { ...configs[kind], seed } as Partial<DdpgConfig>);
      const wrapped = kind === 'modelBased' ? withWorldModel(agent, worldModel) : agent;
      const row = await stepsToSolve(wrapped as Agent<unknown, unknown>, make('Pendulum-v1') as Env<unknown, unknown>, seed, o);
      if (kind === 'modelBased') {
        const m = (wrapped as ReturnType<typeof withWorldModel>).metrics;
        [row.imagined, row.planned] = [m['imaginedTransitions']!, m['plannedActions']!];
      }
      wrapped.dispose();
      rows.push(row);
      o.log(`  ${kind} seed ${seed}: ${row.stepsToSolve ?? `not solved in ${o.maxSteps}`} steps, ${row.seconds.toFixed(1)} s (${row.cpuSeconds.toFixed(1)} s CPU), last eval ${row.lastEval.toFixed(1)}${row.imagined !== undefined ? `, ${row.imagined} imagined transitions` : ''}${row.planned ? `, ${row.planned} planned actions (${((1000 * row.cpuSeconds) / row.planned).toFixed(1)} ms CPU per planned action, the run's CPU over them)` : ''}`);
    }
    const steps = spread(rows.map((r) => r.stepsToSolve ?? o.maxSteps));
    return { rows, stepsToSolve: steps, solved: rows.filter((r) => r.stepsToSolve !== null).length, seconds: spread(rows.map((r) => r.seconds)), cpuSeconds: spread(rows.map((r) => r.cpuSeconds)) };
  };
  const kinds: Partial<Record<PendulumKindName, PendulumKind>> = {};
  for (const kind of o.kinds ?? PENDULUM_KINDS) kinds[kind] = await run(kind);
  const over = (k: PendulumKindName) => (kinds[k]?.stepsToSolve.mean ?? NaN) / (kinds.modelBased?.stepsToSolve.mean ?? NaN);
  return { kinds, ratio: over('modelFree'), ratioPreset: over('modelFreePreset'), settings };
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `flag key=value` pairs (`--set`: world-model settings; `--set-td3`: TD3 settings) with numbers, booleans and JSON arrays parsed. */
function parseSets(args: string[], flag: '--set' | '--set-td3'): Partial<ModelBasedConfig> {
  const out: Record<string, unknown> = {};
  args.forEach((a, i) => {
    if (a !== flag) return;
    const [k, ...rest] = (args[i + 1] ?? '').split('=');
    const v = rest.join('=');
    try { out[k!] = JSON.parse(v); } catch { out[k!] = v; }
  });
  return out as Partial<ModelBasedConfig>;
}

const fmt = (s: Spread) => `${s.mean.toFixed(0)} ± ${s.std.toFixed(0)} (median ${s.median.toFixed(0)}, ${s.min.toFixed(0)}-${s.max.toFixed(0)})`;

/** `npm run bench -- world-models [--seeds a,b] [--json] [--only pendulum,deepsea,pixels] [--sizes 10,14,20]` (DeepSea sizes). */
export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const seeds = (option(args, '--seeds') ?? '0,1,2,3,4').split(',').map(Number);
  if (!seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new Error(`Expected --seeds as non-negative integers a,b,c, got "${option(args, '--seeds')}".`);
  const only = (option(args, '--only') ?? 'pendulum,deepsea,pixels').split(',');
  const log = json ? (l: string) => void process.stderr.write(`${l}\n`) : (l: string) => console.log(l);
  const report: Record<string, unknown> = {};
  if (only.includes('pendulum')) {
    const kinds = (option(args, '--kinds') ?? PENDULUM_KINDS.join(',')).split(',') as PendulumKindName[];
    if (!kinds.every((k) => PENDULUM_KINDS.includes(k))) throw new Error(`Expected --kinds from ${PENDULUM_KINDS.join(',')}, got "${option(args, '--kinds')}".`);
    const o = { maxSteps: Number(option(args, '--max-steps') ?? 20000), evalEvery: Number(option(args, '--eval-every') ?? 100), goal: -200, log, set: parseSets(args, '--set'), setTd3: parseSets(args, '--set-td3') as Partial<DdpgConfig>, kinds };
    const p = await pendulumFigures(seeds, o);
    for (const kind of kinds) {
      const k = p.kinds[kind]!;
      report[`pendulum.${kind}.stepsToSolve`] = { mean: k.stepsToSolve.mean, std: k.stepsToSolve.std, solved: k.solved, seeds: seeds.length, perSeed: k.rows.map((r) => r.stepsToSolve) };
      report[`pendulum.${kind}.seconds`] = { median: k.seconds.median, perSeed: k.rows.map((r) => Number(r.seconds.toFixed(1))) };
      report[`pendulum.${kind}.cpuSeconds`] = { median: k.cpuSeconds.median, perSeed: k.rows.map((r) => Number(r.cpuSeconds.toFixed(1))) };
      log(`pendulum.${kind}.stepsToSolve ${fmt(k.stepsToSolve)}, solved ${k.solved}/${seeds.length}; seconds median ${k.seconds.median.toFixed(1)} (CPU ${k.cpuSeconds.median.toFixed(1)})`);
    }
    report['pendulum.ratio'] = p.ratio;
    report['pendulum.ratioPreset'] = p.ratioPreset;
    report['pendulum.target'] = 'model-based <= 1/2 of model-free at the same TD3 settings (ratio >= 2); published 5-10x (MBPO vs SAC; PETS 8x vs SAC)';
    report['pendulum.settings'] = p.settings;
    log(`  ratio model-free / model-based at the same TD3 settings: ${p.ratio.toFixed(2)}x (target >= 2x; published 5-10x: MBPO vs SAC, PETS 8x); the model-free preset / model-based: ${p.ratioPreset.toFixed(2)}x`);
  }
  for (const [section, figures] of [['deepsea', deepSeaFigures], ['pixels', pixelFigures]] as const) {
    if (!only.includes(section)) continue;
    const sizes = (option(args, '--sizes') ?? '10,14,20').split(',').map(Number);
    const out = await figures({ seeds, sizes, log });
    for (const [k, v] of Object.entries(out)) report[k.startsWith(`${section}.`) ? k : `${section}.${k}`] = v;
    if (!json) for (const [k, v] of Object.entries(out)) log(`${k} ${JSON.stringify(v)}`);
  }
  if (json) console.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
}
