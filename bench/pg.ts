/**
 * The policy-gradient benchmarks in one run, each printed beside the reference figures peers measured on this kind
 * of machine (the project's BASELINES notes) with medians and spreads over seeds:
 *   npm run bench -- pg [--seeds 0,1,2,3,4] [--json] [--only reinforce,td3,ddpg,mountaincar,memory]
 * Sections:
 *   reinforce     REINFORCE, CartPole-v1 preset: when the 100-episode running mean of training returns first reaches
 *                 475 (steps, seconds), env steps/s (PyTorch REINFORCE here: 38-130 s, 2,300-2,800 steps/s)
 *   td3, ddpg     `rxgym train td3|ddpg Pendulum-v1 --seed S` through the CLI's trainCommand (preset, selection,
 *                 checkpoints, the final 10-episode greedy evaluation): wall and CPU time per seed, eval mean +- std
 *                 (rl-zoo at 20k: TD3 -151.9 +- 90.2, DDPG -152.1 +- 94.3; SB3 TD3 149-167 s here)
 *   mountaincar   `rxgym train td3 MountainCarContinuous-v0 --seed S` the same way (rl-zoo at 300k: 93.5). Long: its
 *                 preset trains 5 x its steps; leave it out with --only when short of time.
 *   memory        replay bytes per transition against the raw bytes; heap (after a full GC), array buffers, agent
 *                 buffers and tfjs tensors before and after 100k TD3 updates (plain engine) and 2k (tfjs engine, ~15x slower)
 * --json prints one JSON object with the same figures (and nothing else on stdout). Other options: --updates N
 * (memory). Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPresets } from '../agents/registry.js';
import type { ReinforceConfig } from '../agents/reinforce.js';
import { DDPG_BENCH_MODES, benchDdpg, benchDdpgMemory, spread, type DdpgBenchResult, type DdpgMemoryResult, type Spread } from './pg-ddpg.js';
import { reinforceRun, type ReinforceRunResult } from './pg-reinforce.js';

const SECTIONS = ['reinforce', 'td3', 'ddpg', 'mountaincar', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

/** What the REINFORCE section measured. */
export interface ReinforceSection {
  env: string;
  reference: string;
  target: number;
  solved: number;
  seeds: number;
  /** Seconds to the target over the seeds that reached it. */
  solvedSeconds: Spread | null;
  /** Median steps to the target; a seed that never reached it counts as the largest. */
  solvedStepsMedian: number;
  fps: Spread;
  rows: ReinforceRunResult[];
}

/** The whole report; `--json` prints it. */
export interface PgReport {
  machine: { node: string; cpus: number; loadAverage: number[] };
  seeds: number[];
  /** Seconds to start `node bin/rxgym.js` and run a 1-step `train` (module loading, engine, run folder): add it to each command's in-process wall time. */
  startupSeconds: number | null;
  reinforce?: ReinforceSection;
  td3?: DdpgBenchResult;
  ddpg?: DdpgBenchResult;
  mountaincar?: DdpgBenchResult;
  memory?: DdpgMemoryResult;
}

const REINFORCE_REFERENCE = 'PyTorch REINFORCE (pytorch/examples) here: running reward > 475 after 38-130 s (median 73 s), 2,300-2,800 steps/s; goal: >= 4 of 5 seeds, median <= 7.3 s, >= 28,000 steps/s';

async function reinforceSection(seeds: number[], log: (l: string) => void): Promise<ReinforceSection> {
  const preset = loadPresets('reinforce')['CartPole-v1'];
  if (!preset) throw new Error('Expected a CartPole-v1 entry in presets/reinforce.json.');
  log(`reinforce CartPole-v1: preset "CartPole-v1", budget ${preset.steps} steps (a seed stops once its running mean reaches 475), seeds ${seeds.join(',')}`);
  log(`  reference: ${REINFORCE_REFERENCE}`);
  const rows: ReinforceRunResult[] = [];
  for (const seed of seeds) {
    const r = await reinforceRun({ env: 'CartPole-v1', config: preset.config as Partial<ReinforceConfig>, seed, steps: preset.steps, target: 475, evalEpisodes: 10 });
    rows.push(r);
    const solved = r.solvedStep !== null ? `running mean >= 475 at step ${r.solvedStep} after ${r.solvedSeconds!.toFixed(2)} s` : `not solved in ${r.steps} steps`;
    log(`  seed ${seed}: ${solved}, ${r.fps.toFixed(0)} steps/s, greedy eval ${r.evalMean.toFixed(1)} +- ${r.evalStd.toFixed(1)}`);
  }
  const times = rows.flatMap((r) => (r.solvedSeconds !== null ? [r.solvedSeconds] : []));
  const steps = rows.map((r) => r.solvedStep ?? Infinity);
  const s: ReinforceSection = {
    env: 'CartPole-v1', reference: REINFORCE_REFERENCE, target: 475, solved: times.length, seeds: rows.length,
    solvedSeconds: times.length > 0 ? spread(times) : null, solvedStepsMedian: spread(steps).median, fps: spread(rows.map((r) => r.fps)), rows,
  };
  // Unsolved seeds count as slower than any solved one, so the median over all seeds is the one to compare.
  const medianAll = spread(rows.map((r) => r.solvedSeconds ?? Infinity)).median;
  log(`  summary: ${s.solved}/${s.seeds} seeds reached 475; median time to it ${medianAll.toFixed(2)} s over all seeds${s.solvedSeconds ? ` (${s.solvedSeconds.min.toFixed(2)}-${s.solvedSeconds.max.toFixed(2)} s)` : ''}, median steps ${s.solvedStepsMedian}; env steps/s median ${s.fps.median.toFixed(0)} (${s.fps.min.toFixed(0)}-${s.fps.max.toFixed(0)})`);
  return s;
}

/** Wall seconds of `node bin/rxgym.js train td3 Pendulum-v1 --steps 1` with no evaluation: the command's fixed cost. */
function startupSeconds(log: (l: string) => void): number | null {
  const bin = fileURLToPath(new URL('../bin/rxgym.js', import.meta.url));
  const out = mkdtempSync(join(tmpdir(), 'rxgym-bench-pg-'));
  try {
    const started = performance.now();
    const r = spawnSync(process.execPath, [bin, 'train', 'td3', 'Pendulum-v1', '--steps', '1', '--eval-episodes', '0', '--eval-every', '0', '--out', out], { encoding: 'utf8' });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) {
      log(`  start-up: the 1-step command failed (${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}`);
      return null;
    }
    log(`start-up: \`rxgym train td3 Pendulum-v1 --steps 1 --eval-episodes 0\` takes ${seconds.toFixed(1)} s (node, tsx, modules, run folder); a whole command is that plus the in-process wall time below`);
    return seconds;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `npm run bench -- pg [--seeds a,b] [--json] [--only a,b] [--updates N]`. */
export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const seeds = (option(args, '--seeds') ?? '0,1,2,3,4').split(',').map(Number);
  if (!seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new Error(`Expected --seeds as non-negative integers a,b,c, got "${option(args, '--seeds')}".`);
  const only = option(args, '--only')?.split(',') ?? [...SECTIONS];
  const bad = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (bad.length > 0) {
    console.error(`Expected --only to name sections among ${SECTIONS.join(', ')}; got "${bad.join(',')}".`);
    process.exitCode = 2;
    return;
  }
  const wants = (s: Section) => only.includes(s);
  const updates = Number(option(args, '--updates') ?? 100_000);
  // With --json, stdout gets the JSON object only; the running commentary goes to stderr.
  const log = json ? (l: string) => void process.stderr.write(`${l}\n`) : (l: string) => console.log(l);
  const report: PgReport = { machine: { node: process.version, cpus: cpus().length, loadAverage: loadavg().map((x) => Number(x.toFixed(2))) }, seeds, startupSeconds: null };
  log(`pg: node ${process.version}, ${report.machine.cpus} CPUs, load average ${report.machine.loadAverage.join(' ')}; seeds ${seeds.join(',')}; sections ${only.join(', ')}`);
  if (wants('mountaincar')) {
    const mc = loadPresets('td3')['MountainCarContinuous-v0'];
    log(`  mountaincar is long: ${seeds.length} x ${mc?.steps ?? '?'} steps (tens of minutes on 2 shared cores); --only reinforce,td3,ddpg,memory leaves it out`);
  }
  if (wants('reinforce')) {
    log('');
    report.reinforce = await reinforceSection(seeds, log);
  }
  if (wants('td3') || wants('ddpg') || wants('mountaincar')) {
    log('');
    report.startupSeconds = startupSeconds(log);
  }
  if (wants('memory')) {
    log('');
    report.memory = await benchDdpgMemory(updates, Math.min(updates, 2000), log);
  }
  // MountainCar last: it is the long one.
  for (const [section, mode] of [['td3', 'td3-pendulum'], ['ddpg', 'ddpg-pendulum'], ['mountaincar', 'td3-mountaincar']] as const) {
    if (!wants(section)) continue;
    log('');
    const r = await benchDdpg(DDPG_BENCH_MODES[mode]!, { seeds, log });
    if (report.startupSeconds !== null) {
      const whole = spread(r.rows.map((row) => row.seconds + report.startupSeconds!));
      log(`  whole command (start-up + in-process): median ${whole.median.toFixed(1)} s (${whole.min.toFixed(1)}-${whole.max.toFixed(1)})${section === 'td3' ? `; SB3 rl-zoo TD3 here 149-167 s, so ${(158 / whole.median).toFixed(1)}x faster than its midpoint (goal >= 5x)` : ''}`);
    }
    report[section] = r;
  }
  if (json) console.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
}
