/**
 * REINFORCE results beside the figures peers measured (see the project's BASELINES notes):
 *   npm run bench -- pg-reinforce cartpole     CartPole-v1 preset, seeds 0-4: when the 100-episode running mean of
 *                                              training returns first reaches 475 (steps, seconds), env steps/s
 *                                              (PyTorch REINFORCE here: 38-130 s, median 73 s; 2,300-2,800 steps/s;
 *                                              goal: >= 4 of 5 seeds, median <= 7.3 s, >= 28,000 steps/s)
 *   npm run bench -- pg-reinforce acrobot      Acrobot-v1 preset, seeds 0-4: greedy eval and the final running mean
 * Options: --seeds a,b,c  --steps N (the budget; CartPole stops a seed once solved)  --preset NAME  --set key=value
 *   (repeatable; one config field over the preset, value as JSON else a string: --set baseline=mean).
 * `reinforceRun()` is what the pg bench calls. Prints figures; asserts nothing.
 */
import type { Env } from '../core/env.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { reinforce, type ReinforceConfig } from '../agents/reinforce.js';
import { loadPresets } from '../agents/registry.js';
import { parseSet } from '../cli/args.js';

/** One seed's run: when the running mean first reached the target (null: never), throughput, the greedy eval. */
export interface ReinforceRunResult {
  seed: number;
  /** Global step and wall seconds at which the 100-episode running mean of training returns first reached `target`. */
  solvedStep: number | null;
  solvedSeconds: number | null;
  steps: number;
  seconds: number;
  /** Environment steps per second over the run (acting and learning). */
  fps: number;
  /** Running mean of the last 100 training episodes at the end. */
  finalMean: number;
  evalMean: number;
  evalStd: number;
}

/** Options of `reinforceRun`. */
export interface ReinforceRunOptions {
  env: string;
  config: Partial<ReinforceConfig>;
  seed: number;
  /** Step budget. */
  steps: number;
  /** Running-mean target; the run stops when it is reached (null: never stop early). */
  target: number | null;
  /** Greedy evaluation episodes after training (0: none). */
  evalEpisodes: number;
}

/** Trains one seed of REINFORCE on `env` and measures it (see `ReinforceRunResult`). */
export async function reinforceRun(o: ReinforceRunOptions): Promise<ReinforceRunResult> {
  const agent = reinforce(make(o.env) as unknown as Env<unknown, unknown>, { ...o.config, seed: o.seed });
  const stop = new AbortController();
  const recent: number[] = [];
  let sum = 0;
  let solvedStep: number | null = null;
  let solvedSeconds: number | null = null;
  const started = performance.now();
  const r = await agent.learn({
    steps: o.steps, signal: stop.signal, log: () => {},
    onEpisode: (e) => {
      recent.push(e.return);
      sum += e.return;
      if (recent.length > 100) sum -= recent.shift()!;
      if (solvedStep === null && o.target !== null && recent.length === 100 && sum / 100 >= o.target) {
        solvedStep = e.globalStep;
        solvedSeconds = (performance.now() - started) / 1000;
        stop.abort();
      }
    },
  });
  const e = o.evalEpisodes > 0 ? await agent.evaluate({ episodes: o.evalEpisodes, seed: 1_000_000 + o.seed, env: make(o.env) as unknown as Env<unknown, unknown> }) : { mean: NaN, std: NaN };
  agent.dispose();
  return { seed: o.seed, solvedStep, solvedSeconds, steps: r.step, seconds: r.seconds, fps: r.fps, finalMean: recent.length > 0 ? sum / recent.length : NaN, evalMean: e.mean, evalStd: e.std };
}

const MODES: Record<string, { preset: string; env: string; seeds: number[]; target: number | null; reference: string }> = {
  cartpole: {
    preset: 'CartPole-v1', env: 'CartPole-v1', seeds: [0, 1, 2, 3, 4], target: 475,
    reference: 'PyTorch REINFORCE here: running reward > 475 after 38-130 s (median 73 s), 2,300-2,800 steps/s; goal: >= 4 of 5 seeds, median <= 7.3 s, >= 28,000 steps/s',
  },
  acrobot: { preset: 'Acrobot-v1', env: 'Acrobot-v1', seeds: [0, 1, 2, 3, 4], target: null, reference: 'CleanRL DQN at 500k steps: -91.5 (no REINFORCE reference)' },
};

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Runs one mode (default cartpole) and prints one line per seed plus a summary. */
export async function main(args: string[]): Promise<void> {
  const modeName = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? 'cartpole';
  const mode = MODES[modeName];
  if (!mode) {
    console.error(`Expected a mode, one of: ${Object.keys(MODES).join(', ')}; got "${modeName}".`);
    process.exitCode = 2;
    return;
  }
  const presets = loadPresets('reinforce');
  const presetName = option(args, '--preset') ?? mode.preset;
  const preset = presets[presetName];
  if (!preset) throw new Error(`Expected a preset from presets/reinforce.json (${Object.keys(presets).join(', ')}), got "${presetName}".`);
  const config = { ...preset.config, ...parseSet(args.flatMap((a, i) => (a === '--set' ? [args[i + 1] ?? ''] : []))) } as Partial<ReinforceConfig>;
  const seeds = option(args, '--seeds')?.split(',').map(Number) ?? mode.seeds;
  const steps = Number(option(args, '--steps') ?? preset.steps);
  console.log(`reinforce ${modeName}: ${mode.env}, preset "${presetName}", budget ${steps} steps, seeds ${seeds.join(',')}`);
  console.log(`  config ${JSON.stringify(config)}`);
  console.log(`  reference: ${mode.reference}`);
  const rows: ReinforceRunResult[] = [];
  for (const seed of seeds) {
    const r = await reinforceRun({ env: mode.env, config, seed, steps, target: mode.target, evalEpisodes: 10 });
    rows.push(r);
    const solved = mode.target === null ? '' : r.solvedStep !== null ? `running mean >= ${mode.target} at step ${r.solvedStep} after ${r.solvedSeconds!.toFixed(2)} s, ` : `not solved in ${r.steps} steps, `;
    console.log(`  seed ${seed}: ${solved}${r.seconds.toFixed(2)} s, ${r.fps.toFixed(0)} steps/s, last-100 mean ${r.finalMean.toFixed(1)}, greedy eval ${r.evalMean.toFixed(1)} +- ${r.evalStd.toFixed(1)}`);
  }
  const fps = median(rows.map((r) => r.fps));
  if (mode.target !== null) {
    const solved = rows.filter((r) => r.solvedSeconds !== null);
    // A seed that never solved counts as taking longer than any that did.
    const times = rows.map((r) => r.solvedSeconds ?? Infinity);
    console.log(`  summary: ${solved.length}/${rows.length} seeds reached ${mode.target}; median time to it ${median(times).toFixed(2)} s (median steps ${median(rows.map((r) => r.solvedStep ?? Infinity))}); median ${fps.toFixed(0)} env steps/s`);
  } else {
    console.log(`  summary: greedy eval median ${median(rows.map((r) => r.evalMean)).toFixed(1)}, last-100 mean median ${median(rows.map((r) => r.finalMean)).toFixed(1)}, median ${fps.toFixed(0)} env steps/s`);
  }
}
