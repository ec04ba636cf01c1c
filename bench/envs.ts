/**
 * Steps per second of every built-in environment, through `make()` (OrderEnforcing, TimeLimit and the
 * passive checker) and bare (the env class alone), beside Gymnasium's figures on the same kind of machine.
 *
 * Usage: `npm run bench -- envs [--seconds S] [--runs N] [--only CartPole-v1,Acrobot-v1] [--no-isolate]`
 *
 * Random actions are drawn before timing (a ring of 65536 actions), so the random stream is not in the loop;
 * resets at episode ends are in it (as in a training loop). Each figure is the median of N timed runs after a
 * warm-up. By default every (env, mode) runs in its own child process, so the JIT sees one env type, as in a
 * training process; `--no-isolate` runs them all in this process. Besides wall-clock steps/s it prints steps
 * per CPU-second of the process (robust when other work shares the cores). Bytes per step are the heap
 * allocated over a run of 1M steps (heap growth plus what each GC in between collected).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import '../envs/builtin.js';
import { allocatedBytes } from './_alloc.js';
import type { AnyEnv } from '../core/env.js';
import { InvalidConfig } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { sample, type Space } from '../core/spaces.js';
import { AcrobotEnv } from '../envs/classic-control/acrobot.js';
import { CartPoleEnv } from '../envs/classic-control/cartpole.js';
import { ContinuousMountainCarEnv } from '../envs/classic-control/continuous-mountain-car.js';
import { MountainCarEnv } from '../envs/classic-control/mountain-car.js';
import { PendulumEnv } from '../envs/classic-control/pendulum.js';
import { make } from '../envs/registry.js';
import { BlackjackEnv, CliffWalkingEnv, FrozenLakeEnv, TaxiEnv } from '../envs/toy-text/index.js';

/** Gymnasium 1.4, one process, random actions, 2 shared cores (steps/s); null where no figure was measured. */
const gymnasium: Record<string, number | null> = {
  'CartPole-v1': 100_000,
  'MountainCar-v0': 70_000,
  'MountainCarContinuous-v0': 300_000,
  'Pendulum-v1': 65_000,
  'Acrobot-v1': 20_000,
  'FrozenLake-v1': null,
  'FrozenLake8x8-v1': null,
  'CliffWalking-v1': null,
  'Taxi-v4': null,
  'Blackjack-v1': null,
};

const bare: Record<string, () => AnyEnv> = {
  'CartPole-v1': () => new CartPoleEnv(),
  'MountainCar-v0': () => new MountainCarEnv(),
  'MountainCarContinuous-v0': () => new ContinuousMountainCarEnv(),
  'Pendulum-v1': () => new PendulumEnv(),
  'Acrobot-v1': () => new AcrobotEnv(),
  'FrozenLake-v1': () => new FrozenLakeEnv(),
  'FrozenLake8x8-v1': () => new FrozenLakeEnv({ mapName: '8x8' }),
  'CliffWalking-v1': () => new CliffWalkingEnv(),
  'Taxi-v4': () => new TaxiEnv(),
  'Blackjack-v1': () => new BlackjackEnv({ sab: true }),
};

type Mode = 'make' | 'bare';

interface Measurement {
  id: string;
  mode: Mode;
  /** Median steps per wall-clock second. */
  stepsPerSecond: number;
  /** Median steps per second of this process's CPU time (user + system, GC threads included). */
  stepsPerCpuSecond: number;
  bytesPerStep: number;
}

function build(id: string, mode: Mode): AnyEnv {
  return mode === 'make' ? make(id) : bare[id]!();
}

function actionsFor(space: Space<unknown>, n: number): unknown[] {
  const rng = new Rng(12345);
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = sample(space, rng);
  return out;
}

/** Where each step's result goes, so that the observation escapes as it does in a real loop. */
const sink: { last: unknown } = { last: null };

/** Steps `env` `steps` times with actions from the ring, resetting at episode ends; returns a checksum. */
function run(env: AnyEnv, actions: unknown[], steps: number, offset: number): number {
  const mask = actions.length - 1;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const r = env.step(actions[(i + offset) & mask]);
    sum += r.reward;
    sink.last = r;
    if (r.terminated || r.truncated) env.reset();
  }
  return sum;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function measure(id: string, mode: Mode, seconds: number, runs: number): Measurement {
  const env = build(id, mode);
  env.reset({ seed: 0 });
  const actions = actionsFor(env.actionSpace, 1 << 16);
  // Warm-up and calibration: find a step count that takes about `seconds`.
  let steps = 10_000;
  for (;;) {
    const t0 = performance.now();
    run(env, actions, steps, 0);
    const ms = performance.now() - t0;
    if (ms > 100) {
      steps = Math.max(10_000, Math.round((steps * seconds * 1000) / ms));
      break;
    }
    steps *= 4;
  }
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let checksum = 0;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    checksum += run(env, actions, steps, r * 7919);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    rates.push(steps / wall);
    cpuRates.push(steps / ((cpu.user + cpu.system) / 1e6));
  }
  // Allocation over 1M steps (the measurement's own ~10 kB is then noise).
  const n = 1_000_000;
  const allocated = allocatedBytes(() => {
    checksum += run(env, actions, n, 0);
  });
  if (Number.isNaN(checksum)) console.error('checksum is NaN');
  return { id, mode, stepsPerSecond: median(rates), stepsPerCpuSecond: median(cpuRates), bytesPerStep: Math.max(0, allocated / n) };
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`;
}

/** Runs the benchmark (see the file comment for the arguments). */
export async function main(args: string[]): Promise<void> {
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seconds = Number(opt('--seconds') ?? 0.5);
  const runs = Number(opt('--runs') ?? 5);
  const ids = (opt('--only') ?? Object.keys(gymnasium).join(',')).split(',');
  const child = opt('--child');
  if (child !== undefined) {
    // Child mode: one (env, mode), result as one JSON line.
    const [id, mode] = child.split('|') as [string, Mode];
    console.log(JSON.stringify(measure(id, mode, seconds, runs)));
    return;
  }
  const isolate = !args.includes('--no-isolate');
  console.log(`built-in environments, steps/s, median of ${runs} runs of ~${seconds}s, pre-drawn random actions, resets included`);
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`node ${process.version}, ${cpus().length} cores, load average ${load}, ${isolate ? 'one child process per row' : 'all rows in one process'}`);
  console.log('');
  const header = ['env', 'mode', 'Gymnasium', 'steps/s', 'x Gymnasium', 'steps/cpu-s', 'x Gymnasium', 'bytes/step'];
  const rows: string[][] = [];
  for (const id of ids) {
    if (!(id in gymnasium)) throw new InvalidConfig(`Expected an env id among ${Object.keys(gymnasium).join(', ')}, got "${id}".`);
    for (const mode of ['make', 'bare'] as const) {
      let m: Measurement;
      if (isolate) {
        const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
        const res = spawnSync(process.execPath, [...process.execArgv, entry, 'envs', '--child', `${id}|${mode}`, '--seconds', String(seconds), '--runs', String(runs)], {
          encoding: 'utf8',
        });
        const line = res.stdout.trim().split('\n').pop() ?? '';
        if (res.status !== 0 || !line.startsWith('{')) throw new InvalidConfig(`Expected a result from the child for ${id} ${mode}, got: ${res.stderr || res.stdout}`);
        m = JSON.parse(line) as Measurement;
      } else {
        m = measure(id, mode, seconds, runs);
      }
      const ref = gymnasium[id] ?? null;
      const ratio = (x: number): string => (ref === null ? '-' : `${(x / ref).toFixed(0)}x`);
      rows.push([
        id,
        mode,
        ref === null ? '-' : fmtRate(ref),
        fmtRate(m.stepsPerSecond),
        ratio(m.stepsPerSecond),
        fmtRate(m.stepsPerCpuSecond),
        ratio(m.stepsPerCpuSecond),
        m.bytesPerStep.toFixed(0),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log('steps/cpu-s divides by the CPU time of the process (GC threads included): it stays put when other work shares the cores.');
  console.log("Project targets on a 2-core machine: CartPole-v1 through make() >= 5M steps/s, Acrobot-v1 >= 1M steps/s.");
  if (args.includes('--only')) return;
  // The vector path in its own process too (16 x CartPole, env-steps/s and bytes allocated per env-step).
  console.log('');
  const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
  const res = spawnSync(process.execPath, [...process.execArgv, entry, 'vector', '--seconds', String(seconds)], { encoding: 'utf8' });
  process.stdout.write(res.stdout);
  if (res.status !== 0) throw new InvalidConfig(`Expected the vector benchmark to finish, got exit ${res.status}: ${res.stderr}`);
  console.log('Project target: 16 x CartPole vector >= 5M env-steps/s with no allocation per step.');
}
