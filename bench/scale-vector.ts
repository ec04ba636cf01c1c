/**
 * Vector-env figures for `npm run bench -- scale` (issue 13): DQN on CartPole-v1 and TD3 on Pendulum-v1, each with
 * its preset (presets/<algo>.json) on N = 1, 4 and 16 envs in this thread (`numEnvs`), per seed:
 * - stepsPerSecond: env transitions per second of training (evaluations excluded), until solved or the budget ends;
 * - stepsToSolve and secondsToSolve: the env step and the training seconds at the first greedy evaluation (5 episodes,
 *   every `evalEvery` env steps) that reaches the goal (CartPole 475, its reward threshold; Pendulum -200, the pg bench's).
 * The preset's update schedule is kept as it is, so N envs make N times fewer gradient steps per env step (trainFreq
 * counts vector steps, as SB3's); the budget is the preset's steps times N, i.e. the same number of vector steps and
 * gradient steps as with one env. A seed that does not solve within it counts in `solved` and not in the times.
 * Standalone: `npm run bench -- scale-vector [--seeds 0,1,2] [--ns 1,4,16] [--json]`.
 */
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { algorithm, loadPresets, prepareEngines } from '../agents/registry.js';
import type { Agent } from '../agents/agent.js';

/** One benchmarked learner: its algorithm, env, goal and evaluation interval. */
interface VectorCase {
  algo: 'dqn' | 'td3';
  env: string;
  /** Greedy mean return over 5 episodes that counts as solved. */
  goal: number;
  /** Env steps between greedy evaluations. */
  evalEvery: number;
}

const CASES: readonly VectorCase[] = [
  { algo: 'dqn', env: 'CartPole-v1', goal: 475, evalEvery: 2500 },
  { algo: 'td3', env: 'Pendulum-v1', goal: -200, evalEvery: 1000 },
];

/** What one seed measured. */
interface VectorRun { stepsPerSecond: number; stepsToSolve: number | null; secondsToSolve: number | null; steps: number }

/** Trains one case on `n` envs with `seed` until solved or the budget ends; evaluation time is not counted. */
async function runCase(c: VectorCase, n: number, seed: number): Promise<VectorRun> {
  const entry = algorithm(c.algo);
  const preset = loadPresets(c.algo)[c.env]!;
  const env = make(c.env);
  const config = entry.resolveConfig({ ...preset.config, numEnvs: n, seed });
  await prepareEngines(entry, env, config);
  const agent: Agent = entry.create(env, config);
  const evalEnv = make(c.env);
  const controller = new AbortController();
  let evalMs = 0;
  let solved: { step: number; ms: number } | null = null;
  const started = performance.now();
  const hook = {
    every: c.evalEvery,
    run: async (step: number) => {
      const t = performance.now();
      const trainedMs = t - started - evalMs; // training time so far: the evaluations before this one excluded
      const { mean } = await agent.evaluate({ episodes: 5, seed: 10_000 + step, env: evalEnv });
      evalMs += performance.now() - t;
      if (mean >= c.goal && solved === null) {
        solved = { step, ms: trainedMs };
        controller.abort();
      }
    },
  };
  const r = await agent.learn({ steps: preset.steps * n, periodic: [hook], signal: controller.signal, log: () => {} });
  const trainMs = performance.now() - started - evalMs;
  agent.dispose();
  evalEnv.close();
  const s = solved as { step: number; ms: number } | null;
  return { stepsPerSecond: r.step / (trainMs / 1000), stepsToSolve: s?.step ?? null, secondsToSolve: s ? s.ms / 1000 : null, steps: r.step };
}

/** Mean, standard deviation and the values themselves. */
function spread(values: number[]): { mean: number | null; std: number | null; values: number[] } {
  if (values.length === 0) return { mean: null, std: null, values };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, values };
}

/**
 * `vector.<algo>.<N>.stepsPerSecond`, `.stepsToSolve`, `.secondsToSolve` (each { mean, std, values } over the seeds,
 * the solve figures over the seeds that solved) and `.solved` ("k/n") for DQN CartPole-v1 and TD3 Pendulum-v1.
 */
export async function vectorFigures(opts: { seeds: number[]; ns: number[]; log: (s: string) => void }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const c of CASES) {
    for (const n of opts.ns) {
      const runs: VectorRun[] = [];
      for (const seed of opts.seeds) {
        const r = await runCase(c, n, seed);
        runs.push(r);
        const solve = r.stepsToSolve === null ? `not solved in ${r.steps} steps` : `solved at step ${r.stepsToSolve} after ${r.secondsToSolve!.toFixed(1)} s`;
        opts.log(`vector ${c.algo} ${c.env} N=${n} seed ${seed}: ${r.stepsPerSecond.toFixed(0)} steps/s, ${solve}`);
      }
      const solvedRuns = runs.filter((r) => r.stepsToSolve !== null);
      const key = `vector.${c.algo}.${n}`;
      out[`${key}.stepsPerSecond`] = spread(runs.map((r) => r.stepsPerSecond));
      out[`${key}.stepsToSolve`] = spread(solvedRuns.map((r) => r.stepsToSolve!));
      out[`${key}.secondsToSolve`] = spread(solvedRuns.map((r) => r.secondsToSolve!));
      out[`${key}.solved`] = `${solvedRuns.length}/${runs.length}`;
    }
  }
  return out;
}

/** A list flag such as `--seeds 0,1,2`. */
export function listFlag(args: string[], flag: string, fallback: number[]): number[] {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const v = (args[i + 1] ?? '').split(',').map(Number);
  if (v.length === 0 || !v.every((x) => Number.isSafeInteger(x) && x >= 0)) throw new Error(`Expected ${flag} a,b,c (whole numbers), got ${args[i + 1] ?? 'nothing'}.`);
  return v;
}

/** `npm run bench -- scale-vector`: the vector figures alone. */
export async function main(args: string[]): Promise<void> {
  const figures = await vectorFigures({ seeds: listFlag(args, '--seeds', [0, 1, 2]), ns: listFlag(args, '--ns', [1, 4, 16]), log: (s) => console.error(s) });
  console.log(JSON.stringify(figures, null, args.includes('--json') ? 0 : 2));
}
