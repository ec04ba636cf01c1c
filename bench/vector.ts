/**
 * 16 x CartPole-v1 in a SyncVectorEnv: env-steps per second (median of 5 timed runs after a warm-up) and heap
 * bytes allocated per env-step, beside Gymnasium's SyncVectorEnv (~81k env-steps/s) and numpy-vectorised
 * CartPole (~200k) on the same kind of machine. Also measures the fallback path (each env's own `step()`,
 * no `stepInto`), so the gain of the `VectorizableEnv` fast path is visible.
 *
 * Usage: `npm run bench -- vector [--envs N] [--seconds S] [--async]`
 *
 * Random actions are drawn before timing (a ring of 256 action batches); autoresets are inside the loop.
 * Bytes per env-step: bytes allocated on the JS heap over 5000 vector steps (heap growth plus everything the
 * GCs during the run freed, from v8's GCProfiler), median of 5.
 */
import { allocatedBytes } from './_alloc.js';
import { Wrapper, type AnyEnv } from '../core/env.js';
import { Rng } from '../core/rng.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { SyncVectorEnv } from '../envs/vector.js';
import { AsyncVectorEnv } from '../envs/node/async-vector.js';

/** Gymnasium 1.x figures for 16 x CartPole-v1 on 2 shared cores (env-steps/s). */
const GYMNASIUM_SYNC_VECTOR = 81_000;
const NUMPY_VECTORISED = 200_000;


function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function actionRing(numEnvs: number, seed = 0): Int32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: 256 }, () => Int32Array.from({ length: numEnvs }, () => rng.int(2)));
}

interface Measure {
  envStepsPerSec: number;
  bytesPerStep: number;
  fastPath: boolean;
}

function measureSync(vec: SyncVectorEnv, seconds: number): Measure {
  const ring = actionRing(vec.numEnvs);
  vec.reset({ seed: 0 });
  let k = 0;
  const run = (steps: number): void => {
    // A local counter: incrementing the captured `k` each step would box it (a heap number per step).
    let j = k;
    for (let t = 0; t < steps; t++) vec.step(ring[j++ & 255]!);
    k = j;
  };
  // Warm-up, then size the timed runs to ~seconds each.
  let t0 = performance.now();
  run(20_000);
  const perStep = (performance.now() - t0) / 20_000;
  const steps = Math.max(1000, Math.round((seconds * 1000) / perStep));
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    t0 = performance.now();
    run(steps);
    rates.push((steps * vec.numEnvs) / ((performance.now() - t0) / 1000));
  }
  const bytes: number[] = [];
  // Long runs: the measurement itself allocates ~10 kB, which 5000 steps would report as ~2 bytes per step.
  for (let r = 0; r < 5; r++) bytes.push(allocatedBytes(() => run(100_000)) / (100_000 * vec.numEnvs));
  vec.close();
  return { envStepsPerSec: median(rates), bytesPerStep: median(bytes), fastPath: vec.fastPath };
}

/** Hides any `stepInto` of the env below, forcing the vector's `step()` fallback. */
class PlainStep<E extends AnyEnv> extends Wrapper<unknown, unknown, E> {}

/** 16 x CartPole-v1 SyncVectorEnv (fast path when CartPole implements `stepInto`): env-steps/s and heap bytes per env-step. */
export async function benchVectorCartPole(numEnvs = 16, seconds = 0.5): Promise<{ envStepsPerSec: number; bytesPerStep: number }> {
  const { envStepsPerSec, bytesPerStep } = measureSync(SyncVectorEnv.make('CartPole-v1', numEnvs), seconds);
  return { envStepsPerSec, bytesPerStep };
}

async function measureAsync(numEnvs: number, seconds: number): Promise<number> {
  const vec = await AsyncVectorEnv.create({ id: 'CartPole-v1' }, numEnvs);
  try {
    const ring = actionRing(numEnvs);
    await vec.reset({ seed: 0 });
    let k = 0;
    for (let t = 0; t < 500; t++) await vec.step(ring[k++ & 255]!);
    const rates: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      let steps = 0;
      while (performance.now() - t0 < seconds * 1000) {
        await vec.step(ring[k++ & 255]!);
        steps++;
      }
      rates.push((steps * numEnvs) / ((performance.now() - t0) / 1000));
    }
    return median(rates);
  } finally {
    await vec.close();
  }
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

export async function main(args: string[]): Promise<void> {
  const arg = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const numEnvs = arg('--envs', 16);
  const seconds = arg('--seconds', 0.5);

  const fast = measureSync(SyncVectorEnv.make('CartPole-v1', numEnvs), seconds);
  const fallback = measureSync(
    new SyncVectorEnv(
      () => new PlainStep(make('CartPole-v1', {}, { disableEnvChecker: true, disableOrderEnforcing: true, maxEpisodeSteps: null })),
      numEnvs,
      { maxEpisodeSteps: 500 },
    ),
    seconds,
  );
  console.log(`${numEnvs} x CartPole-v1, SyncVectorEnv, random actions, median of 5 runs of ~${seconds}s`);
  for (const [name, m] of [
    [`SyncVectorEnv.make (${fast.fastPath ? 'stepInto fast path' : 'no stepInto on CartPole: step() path'})`, fast],
    ['step() fallback path', fallback],
  ] as const) {
    console.log(
      `  ${name.padEnd(52)} ${fmt(m.envStepsPerSec).padStart(12)} env-steps/s  ${m.bytesPerStep.toFixed(1).padStart(6)} bytes/env-step  ` +
        `x${(m.envStepsPerSec / GYMNASIUM_SYNC_VECTOR).toFixed(1)} Gymnasium SyncVectorEnv (~81k)  x${(m.envStepsPerSec / NUMPY_VECTORISED).toFixed(1)} numpy CartPole (~200k)`,
    );
  }
  if (args.includes('--async')) {
    const rate = await measureAsync(numEnvs, seconds);
    console.log(`  ${'AsyncVectorEnv (worker threads, message per step)'.padEnd(52)} ${fmt(rate).padStart(12)} env-steps/s`);
  }
}
