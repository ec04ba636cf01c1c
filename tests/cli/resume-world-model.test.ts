// `rxgym train --resume` of a model-based run takes the ensemble saved in its checkpoint back: it plans from its
// first resumed step, and refits when the saved schedule says rather than at once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { td3 } from '../../agents/ddpg.js';
import { withWorldModel, type ModelBasedSettings } from '../../agents/model-based.js';
import { readWorldModel } from '../../agents/model-based-checkpoint.js';
import { createRun } from '../../agents/runs/run-folder.js';
import { trainCommand, type RunConfig } from '../../cli/commands/train.js';
import { sink } from './helpers.js';

const TINY_TD3 = { learningStarts: 50, batchSize: 16, hidden: [16], bufferSize: 5000, seed: 4, logInterval: 1000 };
const SETTINGS: ModelBasedSettings = {
  refitEvery: 50, realRatio: 1, members: 2, elites: 1, hidden: [16], maxEpochs: 3, reward: 'auto',
  planner: { horizon: 3, population: 10, iterations: 1, elites: 2 },
};

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-resume-world-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A run folder as `rxgym train td3 Pendulum-v1 --world-model ensemble --checkpoint-replay` leaves it after 80 of 95 steps. */
async function interruptedRun(): Promise<string> {
  const agent = withWorldModel(td3(make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>, TINY_TD3), SETTINGS);
  await agent.learn({ steps: 80, log: () => {} });
  const runConfig: RunConfig = {
    algo: 'td3', env: 'Pendulum-v1', envKwargs: {}, maxEpisodeSteps: null, steps: 95, config: agent.config as RunConfig['config'],
    checkpointEvery: null, checkpointReplay: true, evalEvery: null, preset: null, worldModel: SETTINGS as Record<string, unknown>, createdAt: new Date().toISOString(),
  };
  const run = await createRun(root, 'td3', 'Pendulum-v1', runConfig);
  await agent.save(join(run.checkpoints, '80'), { replay: true });
  return run.dir;
}

describe('rxgym train --resume of a model-based run', () => {
  it('restores the saved ensemble and says it plans; the resumed steps add no refit before the one due at step 100', async () => {
    const dir = await interruptedRun();
    const stdout = sink();
    const o = await trainCommand(undefined, undefined, { resume: dir, plain: true, evalEpisodes: 0 }, { stdout, stderr: sink() });
    expect(o.step).toBe(95);
    expect(stdout.text()).toMatch(/^World model: plans with CEM through the saved ensemble \(2 members, fit 1\): horizon 3/m);
    const saved = await readWorldModel(join(dir, 'final'), {});
    expect(saved?.schedule).toMatchObject({ fits: 1, lastFitStep: 50, realSeen: 95 });
  }, 60_000);
});
