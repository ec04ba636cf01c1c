/**
 * DQN results beside the figures peers measured (see the project's BASELINES notes):
 *   npm run bench -- dqn cartpole-zoo   CartPole-v1 preset, 50k steps, 5 seeds: greedy eval and wall time per seed
 *                                       (SB3 rl-zoo: 40.8-45.4 s, eval 500 +- 0)
 *   npm run bench -- dqn cartpole-sb3   SB3's default settings, 50k steps: steps/s (SB3: ~2,750 steps/s, eval ~180)
 *   npm run bench -- dqn acrobot        Acrobot-v1 preset (CleanRL at 500k steps: -91.5)
 *   npm run bench -- dqn mountaincar    MountainCar-v0 preset (CleanRL at 500k steps: -195)
 * Options: --seeds a,b,c  --steps N  --episodes N (greedy eval episodes, default 10)  --preset NAME (another
 *   presets/dqn.json entry)  --set key=value (repeatable; overrides one config field without editing the preset;
 *   value is JSON, else a string: --set tau=0.01 --set hidden=[128,128] --set double=true --set loss=mse).
 * Prints figures; asserts nothing.
 */
import type { Env } from '../core/env.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { bestModelTracker } from '../agents/runs/best-model.js';
import { dqn } from '../agents/dqn.js';
import type { DqnConfig } from '../agents/dqn.js';
import { loadPresets } from '../agents/registry.js';
import { parseSet } from '../cli/args.js';

const MODES: Record<string, { preset: string; env: string; seeds: number[]; reference: string }> = {
  'cartpole-zoo': { preset: 'CartPole-v1', env: 'CartPole-v1', seeds: [0, 1, 2, 3, 4], reference: 'SB3 rl-zoo DQN: 40.8-45.4 s, eval 500.0 +- 0; goal: eval >= 475 in >= 4 of 5 seeds, wall time <= 1/3 of SB3' },
  'cartpole-sb3': { preset: 'CartPole-v1:sb3', env: 'CartPole-v1', seeds: [0], reference: 'SB3 defaults: 17.9-18.6 s, 2,690-2,800 steps/s, eval 179.9 +- 29; goal: >= 2x steps/s' },
  acrobot: { preset: 'Acrobot-v1', env: 'Acrobot-v1', seeds: [0], reference: 'CleanRL dqn.py at 500k steps: -91.5' },
  mountaincar: { preset: 'MountainCar-v0', env: 'MountainCar-v0', seeds: [0], reference: 'CleanRL dqn.py at 500k steps: -195.0' },
};

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Every `--set key=value` pair as config fields; values parse as JSON, else stay strings. */
function overrides(args: string[]): Record<string, unknown> {
  return parseSet(args.flatMap((a, i) => (a === '--set' ? [args[i + 1] ?? ''] : [])));
}

/** Runs one mode (default cartpole-zoo) and prints one line per seed plus a summary. */
export async function main(args: string[]): Promise<void> {
  const modeName = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--') && !/^[\d,]+$/.test(a)) ?? 'cartpole-zoo';
  const mode = MODES[modeName];
  if (!mode) {
    console.error(`Expected a mode, one of: ${Object.keys(MODES).join(', ')}; got "${modeName}".`);
    process.exitCode = 2;
    return;
  }
  const presetName = option(args, '--preset') ?? mode.preset;
  const loaded = loadPresets('dqn')[presetName];
  if (!loaded) throw new Error(`Expected a preset from presets/dqn.json (${Object.keys(loadPresets('dqn')).join(', ')}), got "${presetName}".`);
  // Unknown keys or bad values are caught by dqn()'s own config validation.
  const preset = { ...loaded, config: { ...loaded.config, ...overrides(args) } as Partial<DqnConfig> };
  const seeds = option(args, '--seeds')?.split(',').map(Number) ?? mode.seeds;
  const steps = Number(option(args, '--steps') ?? preset.steps);
  const episodes = Number(option(args, '--episodes') ?? 10);
  console.log(`dqn ${modeName}: ${mode.env}, preset "${presetName}", ${steps} steps, seeds ${seeds.join(',')}`);
  console.log(`  config ${JSON.stringify(preset.config)}`);
  console.log(`  reference: ${mode.reference}`);
  const rows: { seed: number; seconds: number; fps: number; mean: number; std: number }[] = [];
  for (const seed of seeds) {
    const env = make(mode.env) as unknown as Env<Float32Array, number>;
    const agent = dqn(env, { ...preset.config, seed });
    // Presets with evalEvery keep the best evaluated policy, as `rxgym train` does for final/.
    const selectionEnv = preset.evalEvery != null ? (make(mode.env) as unknown as Env<Float32Array, number>) : null;
    const tracker = selectionEnv !== null
      ? bestModelTracker({
          every: preset.evalEvery!,
          evaluate: async (step, n) => (await agent.evaluate({ episodes: n, seed: seed + 2_000_000 + step, env: selectionEnv })).mean,
          snapshot: () => agent.snapshot(),
          restore: (nets) => agent.restoreSnapshot(nets),
        })
      : null;
    const r = await agent.learn({ steps, log: seed === seeds[0] ? (l) => console.log(`  ${l}`) : () => {}, ...(tracker !== null ? { periodic: [tracker.hook] } : {}) });
    const best = tracker !== null ? await tracker.finish(agent.step) : null;
    const e = await agent.evaluate({ episodes, seed: 1_000_000 + seed, env: make(mode.env) as unknown as Env<Float32Array, number> });
    rows.push({ seed, seconds: r.seconds, fps: r.fps, mean: e.mean, std: e.std });
    console.log(
      `  seed ${seed}: ${r.seconds.toFixed(1)} s, ${r.fps.toFixed(0)} steps/s, ${r.updates} gradient steps, greedy eval ${e.mean.toFixed(1)} +- ${e.std.toFixed(1)} (${episodes} episodes)` +
        (best !== null ? `, policy of step ${best.step}` : ''),
    );
    agent.dispose();
  }
  const solved = rows.filter((r) => r.mean >= 475).length;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `  summary: wall time ${Math.min(...rows.map((r) => r.seconds)).toFixed(1)}-${Math.max(...rows.map((r) => r.seconds)).toFixed(1)} s (mean ${mean(rows.map((r) => r.seconds)).toFixed(1)}), ` +
      `${mean(rows.map((r) => r.fps)).toFixed(0)} steps/s, eval mean ${mean(rows.map((r) => r.mean)).toFixed(1)}` +
      (mode.env === 'CartPole-v1' ? `, ${solved}/${rows.length} seeds >= 475` : ''),
  );
}
