// `rxgym eval` of a model-based run with a planner evaluates the policy the run trained and reported: it plans
// through the ensemble saved in final/world/, with the same returns as the in-process `evaluate` for the same seed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { CorruptFile } from '../../core/errors.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { td3 } from '../../agents/ddpg.js';
import { withWorldModel, type ModelBasedAgent, type ModelBasedSettings } from '../../agents/model-based.js';
import { createRun, type RunDir } from '../../agents/runs/run-folder.js';
import { evalCommand } from '../../cli/commands/eval.js';
import type { RunConfig } from '../../cli/commands/train.js';
import { sink } from './helpers.js';

const TINY_TD3 = { learningStarts: 50, batchSize: 16, hidden: [16], bufferSize: 5000, seed: 3, logInterval: 1000 };
const SETTINGS: ModelBasedSettings = {
  refitEvery: 50, realRatio: 1, members: 2, elites: 1, hidden: [16], maxEpochs: 3, reward: 'auto',
  planner: { horizon: 3, population: 10, iterations: 1, elites: 2 },
};
const pendulum = () => make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>;

let root: string;
let agent: ModelBasedAgent<Float32Array, Float32Array>;

/** A run folder as `rxgym train td3 Pendulum-v1 --world-model ensemble` leaves it, holding the trained agent in final/. */
async function runFolder(): Promise<RunDir> {
  const runConfig: RunConfig = {
    algo: 'td3', env: 'Pendulum-v1', envKwargs: {}, maxEpisodeSteps: null, steps: 80, config: agent.config as RunConfig['config'],
    checkpointEvery: null, checkpointReplay: false, evalEvery: null, preset: null, worldModel: SETTINGS as Record<string, unknown>, createdAt: new Date().toISOString(),
  };
  const run = await createRun(root, 'td3', 'Pendulum-v1', runConfig);
  await agent.save(run.final);
  return run;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-eval-world-'));
  agent = withWorldModel(td3(pendulum(), TINY_TD3), SETTINGS);
  await agent.learn({ steps: 80, log: () => {} });
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rxgym eval of a model-based run', () => {
  it('plans through the saved ensemble: the same returns as the in-process evaluate with the same seed, and says so', async () => {
    const run = await runFolder();
    const stdout = sink(), stderr = sink();
    // The default seed is the run's seed + 1000000, as the final evaluation of `rxgym train`.
    const report = await evalCommand(run.dir, { episodes: 2 }, { stdout, stderr });
    const want = await agent.evaluate({ episodes: 2 });
    expect(report.seed).toBe(3 + 1_000_000);
    expect(report.returns).toEqual(want.returns);
    expect(report.mean).toBe(want.mean);
    expect(report.worldModel).toMatchObject({ plans: true, restored: true });
    expect(stdout.text()).toMatch(/^World model: plans with CEM through the saved ensemble \(2 members, fit 1\): horizon 3, population 10, 1 iterations, 2 elites$/m);
    expect(stderr.text()).toBe('');
    // The TD3 actor alone scores otherwise: the test tells the two policies apart.
    const inner = (agent as unknown as { inner: { evaluate: typeof agent.evaluate } }).inner;
    expect((await inner.evaluate({ episodes: 2 })).returns).not.toEqual(want.returns);
    const json = sink();
    const again = await evalCommand(run.dir, { episodes: 2, seed: 11, json: true }, { stdout: json, stderr: sink() });
    expect((JSON.parse(json.text()) as { returns: number[] }).returns).toEqual((await agent.evaluate({ episodes: 2, seed: 11 })).returns);
    expect(again.worldModel?.plans).toBe(true);
  }, 60_000);

  it('--record: the recorded episodes plan as evaluate does (same returns for the same seed)', async () => {
    const run = await runFolder();
    const report = await evalCommand(run.dir, { episodes: 2, seed: 13, record: true }, { stdout: sink(), stderr: sink() });
    expect(report.recorded).toHaveLength(2);
    expect(report.returns).toEqual((await agent.evaluate({ episodes: 2, seed: 13 })).returns);
  }, 60_000);

  it('without a saved ensemble (a checkpoint from before), evaluates the agent\'s own policy and says so in one line', async () => {
    const run = await runFolder();
    await rm(join(run.final, 'world'), { recursive: true });
    const stderr = sink();
    const report = await evalCommand(run.dir, { episodes: 1, seed: 5 }, { stdout: sink(), stderr });
    const inner = (agent as unknown as { inner: { evaluate: typeof agent.evaluate } }).inner;
    expect(report.returns).toEqual((await inner.evaluate({ episodes: 1, seed: 5 })).returns);
    expect(report.worldModel).toMatchObject({ plans: false, restored: false });
    expect(stderr.text()).toMatch(/^rxgym: world model: no saved ensemble in .*final.*: td3 acts with its own policy, not the planner\n$/);
  }, 60_000);

  it('a corrupted or missing ensemble file is a CorruptFile naming it', async () => {
    const run = await runFolder();
    const tensors = join(run.final, 'world', 'tensors.bin');
    const bytes = await readFile(tensors);
    bytes[4] = bytes[4]! ^ 0xff;
    await writeFile(tensors, bytes);
    const flipped = await evalCommand(run.dir, { episodes: 1 }, { stdout: sink(), stderr: sink() }).catch((e: unknown) => e);
    expect(flipped).toBeInstanceOf(CorruptFile);
    expect((flipped as CorruptFile).path).toBe(tensors);
    await rm(tensors);
    const missing = await evalCommand(run.dir, { episodes: 1 }, { stdout: sink(), stderr: sink() }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CorruptFile);
    expect((missing as CorruptFile).message).toContain(tensors);
  }, 60_000);
});
