// A model-based checkpoint holds the fitted ensemble (world/) next to the agent's own files: read back, it predicts
// bit-equal, the restored agent plans and evaluates as the saved one did, a resumed run plans without a refit, and
// a damaged or incomplete world/ is a CorruptFile naming the file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { CorruptFile } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { worldStepOut } from '../../models/world/contract.js';
import { EnsembleDynamics } from '../../models/world/dynamics.js';
import { sha256 } from '../../core/node/files.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { td3 } from '../../agents/ddpg.js';
import { loadAgent } from '../../agents/registry.js';
import { withWorldModel, type ModelBasedAgent, type ModelBasedSettings } from '../../agents/model-based.js';
import { readWorldModel, WORLD_DIR } from '../../agents/model-based-checkpoint.js';
import { restoreWorldModel } from '../../cli/world-model-load.js';

const TINY_TD3 = { learningStarts: 50, batchSize: 16, hidden: [16], bufferSize: 5000, seed: 0, logInterval: 1000 };
const SETTINGS: ModelBasedSettings = {
  refitEvery: 50, realRatio: 0.5, rolloutBatch: 10, members: 3, elites: 2, hidden: [16], maxEpochs: 3, reward: 'auto',
  planner: { horizon: 3, population: 10, iterations: 1, elites: 2 },
};
const pendulum = () => make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>;

let root: string;
let agent: ModelBasedAgent<Float32Array, Float32Array>;
let saved: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-mb-ckpt-'));
  agent = withWorldModel(td3(pendulum(), TINY_TD3), SETTINGS);
  await agent.learn({ steps: 80, log: () => {} });
  saved = join(root, 'saved');
  await agent.save(saved, { replay: true });
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of the saved checkpoint to damage. */
async function copyOfSaved(name: string): Promise<string> {
  const dir = join(root, name);
  await agent.save(dir, { replay: true });
  return dir;
}

/** Loads the checkpoint at `dir` as `rxgym eval` does: the agent, then the ensemble. */
async function restored(dir: string) {
  const { agent: inner } = await loadAgent(dir, pendulum() as Env<unknown, unknown>);
  return { inner, ...(await restoreWorldModel(inner, SETTINGS as Record<string, unknown>, dir)) };
}

describe('model-based checkpoints', () => {
  it('save writes the fitted ensemble to world/, and reading it back predicts bit-equal', async () => {
    const model = agent.model as EnsembleDynamics;
    const back = await readWorldModel(saved, {});
    expect(back).not.toBeNull();
    const m = back!.model;
    expect(m.config).toEqual(model.config);
    expect(m.elites).toEqual(model.elites);
    expect(m.standardisation).toEqual(model.standardisation);
    expect(m.startStates).toBe(model.startStates);
    m.members.forEach((member, k) => expect(member.getParams()).toEqual(model.members[k]!.getParams()));
    const rng = new Rng(1), n = 16;
    const states = Float32Array.from({ length: n * 3 }, () => rng.normal()), actions = Float32Array.from({ length: n }, () => 2 * rng.float() - 1);
    expect(m.predictMean(states, actions, n)).toEqual(model.predictMean(states, actions, n));
    expect(m.disagreement(states, actions, n)).toEqual(model.disagreement(states, actions, n));
    const step = (w: EnsembleDynamics) => w.step(states, actions, n, w.startRollouts(n, new Rng(2)), new Rng(3), worldStepOut(n, 3));
    expect(step(m)).toEqual(step(model));
    expect(m.initialStates(5, new Rng(4))).toEqual(model.initialStates(5, new Rng(4)));
    expect(back!.schedule).toMatchObject({ fits: 1, lastFitStep: 50, lastRolloutStep: 50, realSeen: 80, horizon: agent.metrics['horizon'] });
  }, 30_000);

  it('the restored agent plans and evaluates exactly as the saved one (same seed); its own policy differs', async () => {
    const r = await restored(saved);
    expect(r.restored).toBe(true);
    expect(r.plans).toBe(true);
    expect(r.description).toMatch(/plans with CEM through the saved ensemble \(3 members, fit 1\): horizon 3, population 10, 1 iterations, 2 elites/);
    const want = await agent.evaluate({ episodes: 2, seed: 7 });
    expect((await r.agent.evaluate({ episodes: 2, seed: 7 })).returns).toEqual(want.returns);
    expect((r.agent as ModelBasedAgent).metrics['plannedActions']).toBe(400);
    expect((await r.inner.evaluate({ episodes: 2, seed: 7 })).returns).not.toEqual(want.returns);
  }, 30_000);

  it('a resumed run plans from its first step and refits when the saved schedule says (not at once); its model replay is refilled', async () => {
    const r = await restored(saved);
    const resumed = r.agent as ModelBasedAgent;
    await resumed.learn({ steps: 15, log: () => {} });
    expect(resumed.metrics['modelFits']).toBe(1); // the saved fit at step 50; the next is due at 100
    // No refit on resuming: the last fit's error and time are the saved ones.
    expect(resumed.metrics['modelMse']).toBe(agent.metrics['modelMse']);
    expect(resumed.metrics['modelSeconds']).toBe(agent.metrics['modelSeconds']);
    expect(resumed.metrics['plannedActions']).toBe(15);
    expect(resumed.metrics['modelReplay']).toBeGreaterThan(0);
    expect(resumed.metrics['realTransitions']).toBe(80 + 15);
  }, 30_000);

  it('a checkpoint without world/ (an old one) restores a new ensemble and the agent acts with its own policy, saying so', async () => {
    const dir = await copyOfSaved('old');
    await rm(join(dir, WORLD_DIR), { recursive: true });
    expect(await readWorldModel(dir, {})).toBeNull();
    const r = await restored(dir);
    expect(r.restored).toBe(false);
    expect(r.plans).toBe(false);
    expect(r.description).toMatch(/no saved ensemble in .*: td3 acts with its own policy, not the planner/);
    expect((await r.agent.evaluate({ episodes: 1, seed: 7 })).returns).toEqual((await r.inner.evaluate({ episodes: 1, seed: 7 })).returns);
  }, 30_000);

  it('a corrupted ensemble file is a CorruptFile naming it', async () => {
    const dir = await copyOfSaved('flipped');
    const file = join(dir, WORLD_DIR, 'tensors.bin');
    const bytes = await readFile(file);
    bytes[8] = bytes[8]! ^ 0xff;
    await writeFile(file, bytes);
    const err = await restored(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as CorruptFile).path).toBe(file);
    expect((err as CorruptFile).message).toContain(file);
  }, 30_000);

  it('a missing ensemble file is a CorruptFile naming it', async () => {
    const dir = await copyOfSaved('missing');
    const file = join(dir, WORLD_DIR, 'state.json');
    await rm(file);
    const err = await restored(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFile);
    expect((err as CorruptFile).path).toBe(file);
    expect((err as CorruptFile).message).toContain(file);
  }, 30_000);

  it('an ensemble whose saved content does not fit its config (hashes intact) is a CorruptFile naming state.json', async () => {
    for (const [what, edit] of [
      ['scaling', (s: { counters: Record<string, unknown> }) => { s.counters['scaling'] = { xMean: [0] }; }],
      ['elites', (s: { counters: Record<string, unknown> }) => { s.counters['elites'] = [0, 9]; }],
      ['schedule', (s: { counters: Record<string, unknown> }) => { (s.counters['host'] as Record<string, unknown>)['lastFitStep'] = 'soon'; }],
    ] as const) {
      const dir = await copyOfSaved(`bad-${what}`);
      const file = join(dir, WORLD_DIR, 'state.json');
      const state = JSON.parse(await readFile(file, 'utf8')) as { counters: Record<string, unknown> };
      edit(state);
      const text = `${JSON.stringify(state)}\n`;
      await writeFile(file, text);
      // Re-hash so that only the content is wrong, not the file's integrity.
      const manifestPath = join(dir, WORLD_DIR, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: { path: string; bytes: number; sha256: string }[] };
      const entry = manifest.files.find((f) => f.path === 'state.json')!;
      entry.bytes = Buffer.byteLength(text);
      entry.sha256 = sha256(Buffer.from(text));
      await writeFile(manifestPath, JSON.stringify(manifest));
      const err = await restored(dir).catch((e: unknown) => e);
      expect(err, what).toBeInstanceOf(CorruptFile);
      expect((err as CorruptFile).path, what).toBe(file);
    }
  }, 30_000);
});
