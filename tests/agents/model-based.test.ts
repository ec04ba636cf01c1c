import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { ReplayBuffer } from '../../replay/replay-buffer.js';
import { loadDdpg, td3 } from '../../agents/ddpg.js';
import { dqn } from '../../agents/dqn.js';
import { reinforce } from '../../agents/reinforce.js';
import type { LearnProgress } from '../../agents/agent.js';
import { horizonAt, resolveModelBasedConfig, withWorldModel } from '../../agents/model-based.js';
import { MixedBatches } from '../../agents/mixed-batches.js';
import { EnsembleDynamics } from '../../models/world/dynamics.js';
import type { WorldModel } from '../../models/world/contract.js';
import { pendulumReward } from '../../models/world/known-rewards.js';
import { trainCommand } from '../../cli/commands/train.js';
import { worldModelSettings } from '../../cli/world-model-flags.js';
import { sink } from '../cli/helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rxgym-mb-'));
  dirs.push(d);
  return d;
}

const TINY_TD3 = { learningStarts: 200, batchSize: 16, hidden: [16], bufferSize: 5000, seed: 0, logInterval: 100 };
const TINY_WORLD = { refitEvery: 100, rolloutBatch: 40, horizonStart: 1, horizonEnd: 3, horizonFrom: 200, horizonTo: 400, realRatio: 0.25, members: 3, elites: 2, hidden: [16], maxEpochs: 3 };

function filled(reward: number, n: number): ReplayBuffer<'continuous', unknown> {
  const b = new ReplayBuffer<'continuous', unknown>({ capacity: n, obsDim: 2, actionKind: 'continuous', actionDim: 1 });
  for (let i = 0; i < n; i++) b.add([i, reward], [reward], reward, [i + 1, reward], false, false);
  return b;
}

describe('MixedBatches', () => {
  it('draws round(realRatio B) real rows and the rest imagined, counting both', () => {
    const mix = new MixedBatches(filled(1, 30), filled(-1, 30), { realRatio: 0.25, gamma: 0.9, bonusScale: 0, model: null });
    const batch = filled(1, 30).createBatch(20);
    mix.sampleInto(batch, new Rng(0));
    expect([...batch.rewards].filter((r) => r === 1)).toHaveLength(5);
    expect([...batch.rewards].filter((r) => r === -1)).toHaveLength(15);
    // Each row is one whole transition: its obs, action and next obs come from the same buffer and row.
    for (let i = 0; i < 20; i++) {
      expect(batch.actions[i]).toBe(batch.rewards[i]);
      expect(batch.nextObs[2 * i]).toBe(batch.obs[2 * i]! + 1);
    }
    expect(mix.counts).toMatchObject({ realRows: 5, imaginedRows: 15 });
  });

  it('takes every row from the real replay while the model replay is empty', () => {
    const empty = new ReplayBuffer<'continuous', unknown>({ capacity: 10, obsDim: 2, actionKind: 'continuous', actionDim: 1 });
    const mix = new MixedBatches(filled(1, 30), empty, { realRatio: 0.25, gamma: 0.9, bonusScale: 0, model: null });
    const batch = filled(1, 30).createBatch(8);
    mix.sampleInto(batch, new Rng(0));
    expect([...batch.rewards]).toEqual(Array(8).fill(1));
  });

  it('adds bonusScale times the model disagreement to every reward', () => {
    const model = { ready: true, disagreement: (_s: Float32Array, _a: Float32Array, n: number, out = new Float32Array(n)) => out.fill(2) } as unknown as WorldModel;
    const mix = new MixedBatches(filled(1, 30), filled(-1, 30), { realRatio: 0.5, gamma: 0.9, bonusScale: 0.25, model });
    const batch = filled(1, 30).createBatch(10);
    mix.sampleInto(batch, new Rng(0));
    expect([...batch.rewards].sort()).toEqual([...Array(5).fill(-0.5), ...Array(5).fill(1.5)]);
    expect(mix.counts.lastBonus).toBeCloseTo(0.5);
  });
});

describe('model-based training (MBPO-style)', () => {
  it('grows the rollout horizon linearly between horizonFrom and horizonTo (floored)', () => {
    const c = resolveModelBasedConfig({ horizonStart: 1, horizonEnd: 5, horizonFrom: 1000, horizonTo: 5000 });
    expect([0, 1000, 1999, 2000, 3000, 4999, 5000, 9000].map((s) => horizonAt(c, s))).toEqual([1, 1, 1, 2, 3, 4, 5, 5]);
  });

  it('TD3 on Pendulum: refits every K steps, imagines rollouts, and keeps real and imagined counts in the metrics', async () => {
    const agent = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), TINY_WORLD);
    const logs: LearnProgress[] = [];
    const r = await agent.learn({ steps: 500, log: () => {}, onLog: (p) => logs.push(p) });
    expect(r.step).toBe(500);
    const m = agent.metrics;
    expect(m['realTransitions']).toBe(500);
    expect(m['modelFits']).toBe(3); // at steps 200, 300 and 400 (the loop's last boundary runs no hook)
    // 40 rollouts per refit, horizon 1 at 200, 2 at 300 and 3 at 400: Pendulum never terminates.
    expect(m['imaginedTransitions']).toBe(40 + 80 + 120);
    expect(m['modelReplay']).toBe(240);
    // Batches of 16: 4 real and 12 imagined; the first refit (at the boundary of step 200) comes before the first update.
    expect(agent.updates).toBe(300);
    expect(m['realRows']! + m['imaginedRows']!).toBe(16 * agent.updates);
    expect(m['imaginedRows']).toBe(12 * agent.updates);
    expect(m['horizon']).toBe(3);
    expect(Number.isFinite(m['modelMse'])).toBe(true);
    const last = logs[logs.length - 1]!;
    expect(last.metrics['realTransitions']).toBeGreaterThan(0);
    expect(last.metrics['imaginedTransitions']).toBeGreaterThan(0);
    expect(last.metrics).toHaveProperty('criticLoss');
  }, 60_000);

  it('acts in rollouts with the policy in one batched pass: the same actions as act() row by row, no act() calls', async () => {
    const agent = td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3);
    // A model that records what it is asked to step and moves nowhere, so every rollout row is a real state.
    const seen: { actions: Float32Array; expected: number[]; n: number }[] = [];
    let actCalls = 0;
    const act = agent.act.bind(agent);
    const model = {
      kind: 'spy', stateDim: 3, action: { kind: 'continuous', dim: 1 }, ready: true,
      fit: async () => ({ epochs: 1, steps: 1, seconds: 0, losses: [], holdoutMse: [0], elites: [0] }),
      observeStarts: () => {},
      initialStates: (n: number) => new Float32Array(n * 3),
      startRollouts: (n: number) => new Int32Array(n).fill(-1),
      step: (states: Float32Array, actions: Float32Array, n: number, _m: Int32Array, _r: Rng, out: { nextStates: Float32Array; rewards: Float32Array; terminated: Uint8Array }) => {
        // The policy as it is now (training goes on after the rollouts), one row at a time.
        const expected = Array.from({ length: n }, (_, i) => act(states.slice(i * 3, i * 3 + 3))[0]!);
        seen.push({ actions: actions.slice(0, n), expected, n });
        out.nextStates.set(states.subarray(0, n * 3));
        out.rewards.fill(0, 0, n);
        out.terminated.fill(0, 0, n);
        return out;
      },
    } as unknown as EnsembleDynamics;
    (agent as { act: typeof agent.act }).act = (obs) => { actCalls++; return act(obs); };
    const wrapped = withWorldModel(agent, { ...TINY_WORLD, rolloutNoise: 0, rolloutBatch: 50, horizonEnd: 1 }, model);
    await wrapped.learn({ steps: 300, log: () => {} });
    expect(seen.length).toBeGreaterThan(0);
    expect(actCalls).toBe(0);
    for (const s of seen) {
      expect(s.n).toBe(50);
      for (let i = 0; i < s.n; i++) expect(s.actions[i]).toBeCloseTo(s.expected[i]!, 5);
    }
  }, 60_000);

  it("reward 'auto' gives imagined Pendulum steps the known reward of (state, action); 'learned' keeps the model's", async () => {
    // A model that stays put and predicts reward 0: every imagined reward that is not 0 came from the known function.
    const still = {
      kind: 'still', stateDim: 3, action: { kind: 'continuous', dim: 1 }, ready: true,
      fit: async () => ({ epochs: 1, steps: 1, seconds: 0, losses: [], holdoutMse: [0], elites: [0] }),
      observeStarts: () => {}, initialStates: (n: number) => new Float32Array(n * 3), startRollouts: (n: number) => new Int32Array(n).fill(-1),
      step: (states: Float32Array, _a: Float32Array, n: number, _m: Int32Array, _r: Rng, out: { nextStates: Float32Array; rewards: Float32Array; terminated: Uint8Array }) => {
        out.nextStates.set(states.subarray(0, n * 3));
        out.rewards.fill(0, 0, n);
        out.terminated.fill(0, 0, n);
        return out;
      },
    } as unknown as EnsembleDynamics;
    const imaginedOf = async (reward: 'auto' | 'learned') => {
      const wrapped = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), { ...TINY_WORLD, reward, horizonEnd: 1 }, still);
      await wrapped.learn({ steps: 250, log: () => {} });
      return (wrapped as unknown as { imagined: ReplayBuffer<'continuous', unknown> }).imagined;
    };
    const known = await imaginedOf('auto');
    expect(known.size).toBe(40);
    const expected = new Float32Array(known.size);
    pendulumReward(known.obs, known.actions, known.nextObs, known.size, expected);
    for (let i = 0; i < known.size; i++) expect(known.rewards[i]).toBeCloseTo(expected[i]!, 5);
    expect(Math.min(...expected)).toBeLessThan(-0.1);
    const learned = await imaginedOf('learned');
    expect([...learned.rewards.subarray(0, learned.size)]).toEqual(Array(40).fill(0));
  }, 60_000);

  it('runs a refit that falls on the first step of a later learn() call (the loop runs no hook there)', async () => {
    const agent = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), { ...TINY_WORLD, refitEvery: 100 });
    await agent.learn({ steps: 200, log: () => {} });
    expect(agent.metrics['modelFits']).toBe(0);
    await agent.learn({ steps: 100, log: () => {} });
    expect(agent.metrics['modelFits']).toBe(1);
  }, 60_000);

  it('refitAtEnd: a refit due at the last step runs before learn() returns, and the next call does not repeat it (training unchanged)', async () => {
    const run = async (refitAtEnd: boolean) => {
      const agent = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), { ...TINY_WORLD, refitEvery: 100, refitAtEnd });
      await agent.learn({ steps: 200, log: () => {} });
      const fitsAfterFirst = agent.metrics['modelFits'];
      await agent.learn({ steps: 100, log: () => {} });
      return { fitsAfterFirst, fits: agent.metrics['modelFits'], imagined: agent.metrics['imaginedTransitions'], action: agent.act(Float32Array.of(1, 0, 0)) };
    };
    const [late, early] = [await run(false), await run(true)];
    expect([late.fitsAfterFirst, early.fitsAfterFirst]).toEqual([0, 1]);
    expect(early.fits).toBe(late.fits + 1); // the refit at 300: at the end here, not yet in the other run
    expect(early.imagined).toBe(late.imagined + 80); // its round of rollouts: 40 of horizon 2 at step 300
    // The agent trained on the same batches: its own action is the same.
    expect(Array.from(early.action as Float32Array)).toEqual(Array.from(late.action as Float32Array));
    expect(() => resolveModelBasedConfig({ refitAtEnd: 1 as never })).toThrow(/worldModel\.refitAtEnd to be a boolean/);
  }, 60_000);

  it('rolloutEvery: rounds of rollouts from the last fitted model between refits, also at a later learn() call\'s first step', async () => {
    const world = { ...TINY_WORLD, rolloutEvery: 50 };
    const whole = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), world);
    await whole.learn({ steps: 500, log: () => {} });
    // Refits (with their rollouts) at 200, 300 and 400; rounds alone at 250, 350 and 450; horizon 1, 1, 2, 2, 3, 3.
    expect(whole.metrics['modelFits']).toBe(3);
    expect(whole.metrics['imaginedTransitions']).toBe(40 * (1 + 1 + 2 + 2 + 3 + 3));
    expect(whole.metrics['modelReplay']).toBe(480);
    const chunked = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), world);
    for (let k = 0; k < 10; k++) await chunked.learn({ steps: 50, log: () => {} });
    expect(chunked.metrics['modelFits']).toBe(3);
    expect(chunked.metrics['imaginedTransitions']).toBe(480);
  }, 60_000);

  it('a resumed agent\'s restored replay becomes the model\'s real data, oldest first, and the model refits on it at once', async () => {
    const dir = await tempDir();
    const first = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), TINY_WORLD);
    await first.learn({ steps: 250, log: () => {} });
    await first.save(dir, { replay: true });
    const lines: string[] = [];
    const restored = await loadDdpg(dir, make('Pendulum-v1') as Env<Float32Array, Float32Array>);
    const resumed = withWorldModel(restored, TINY_WORLD);
    await resumed.learn({ steps: 10, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/resuming at step 250 with the 250 real transitions of the restored replay/);
    // The refit at the resumed call's first step fitted on the restored rows (plus none of this session's yet).
    expect(resumed.metrics['modelFits']).toBe(1);
    expect(resumed.metrics['realTransitions']).toBe(260);
    // Same rows in the same order as the agent's replay, whose first 250 rows are the first session's steps.
    const real = (resumed as unknown as { real: ReplayBuffer<'continuous', unknown> }).real;
    expect([...real.rewards.subarray(0, 250)]).toEqual([...restored.replay.rewards.subarray(0, 250)]);
    expect([...real.obs.subarray(0, 30)]).toEqual([...restored.replay.obs.subarray(0, 30)]);

    // A full replay that wrapped around (120 rows after 250 steps: the oldest row is at its write position 10).
    const small = await tempDir();
    const wrapped = td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, { ...TINY_TD3, bufferSize: 120 });
    await wrapped.learn({ steps: 250, log: () => {} });
    await wrapped.save(small, { replay: true });
    const again = await loadDdpg(small, make('Pendulum-v1') as Env<Float32Array, Float32Array>);
    expect(again.replay.position).toBe(10);
    const chronological = Array.from({ length: 120 }, (_, k) => again.replay.rewards[(10 + k) % 120]);
    const onWrapped = withWorldModel(again, TINY_WORLD);
    await onWrapped.learn({ steps: 1, log: () => {} });
    const rows = (onWrapped as unknown as { real: ReplayBuffer<'continuous', unknown> }).real;
    expect([...rows.rewards.subarray(0, 120)]).toEqual(chronological);

    const bare = withWorldModel(await loadDdpg(dir, make('Pendulum-v1') as Env<Float32Array, Float32Array>, {}), TINY_WORLD);
    (bare as unknown as { inner: { replay: ReplayBuffer<'continuous', unknown> } }).inner.replay.clear();
    const said: string[] = [];
    await bare.learn({ steps: 10, log: (l) => said.push(l) });
    expect(said.join('\n')).toMatch(/without a replay in the checkpoint/);
    expect(bare.metrics['realTransitions']).toBe(10);
  }, 60_000);

  it('DQN on CartPole (Discrete actions, the known termination rule) mixes imagined transitions too', async () => {
    const agent = withWorldModel(dqn(make('CartPole-v1') as Env<Float32Array, number>, { learningStarts: 200, batchSize: 16, hidden: [16], bufferSize: 5000, trainFreq: 4 }), TINY_WORLD);
    await agent.learn({ steps: 400, log: () => {} });
    expect(agent.metrics['imaginedTransitions']).toBeGreaterThan(0);
    expect(agent.metrics['imaginedRows']).toBeGreaterThan(0);
    expect((agent.model as EnsembleDynamics).config.termination).toBe('function');
  }, 60_000);

  it('the disagreement bonus reaches the batches (td3)', async () => {
    const agent = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), { ...TINY_WORLD, realRatio: 1, disagreementScale: 10 });
    await agent.learn({ steps: 350, log: () => {} });
    expect(agent.metrics['imaginedTransitions']).toBe(0);
    expect(agent.metrics['bonus']).toBeGreaterThan(0);
  }, 60_000);

  it('refuses what it cannot use, naming the mismatch', () => {
    const pendulumModel = new EnsembleDynamics({ stateDim: 3, action: { kind: 'continuous', dim: 1 } });
    const cart = () => dqn(make('CartPole-v1') as Env<Float32Array, number>, { learningStarts: 10 });
    expect(() => withWorldModel(cart(), {}, pendulumModel)).toThrow(/4 state floats for CartPole-v1 .*got a ensemble model of 3/);
    expect(() => withWorldModel(dqn(make('CartPole-v1') as Env<Float32Array, number>, { prioritized: true }), {})).toThrow(/prioritized false/);
    expect(() => withWorldModel(dqn(make('CartPole-v1') as Env<Float32Array, number>, { nStep: 3 }), {})).toThrow(/nStep 1/);
    expect(() => withWorldModel(dqn(make('CartPole-v1') as Env<Float32Array, number>, { numEnvs: 4 }), {})).toThrow(/numEnvs 1 with a world model/);
    expect(() => withWorldModel(reinforce(make('CartPole-v1') as Env<Float32Array, number>, {}) as never, {})).toThrow(/off-policy agent/);
    expect(() => withWorldModel(cart(), { disagreementScale: 1 })).toThrow(/continuous agent/);
    expect(() => withWorldModel(cart(), { elites: 9, members: 3 })).toThrow(InvalidConfig);
    expect(() => worldModelSettings({ explore: 'disagreement' }, 'dqn', undefined)).toThrow(/td3 or ddpg/);
    expect(() => worldModelSettings({ worldModel: 'planet' }, 'td3', undefined)).toThrow(/--world-model to be one of ensemble/);
  });
});

describe('rxgym train --world-model / --explore', () => {
  it('td3 Pendulum-v1 --world-model ensemble takes the Pendulum-v1:ensemble preset and trains with the model', async () => {
    const stdout = sink(), out = await tempDir();
    const tiny = ['learningStarts=200', 'batchSize=16', 'hidden=[16]', 'gradientSteps=1', 'logInterval=100'];
    const o = await trainCommand('td3', 'Pendulum-v1', { worldModel: 'ensemble', steps: 300, out, set: tiny, plain: true, evalEpisodes: 1 }, { stdout, stderr: sink() });
    expect(o.step).toBe(300);
    expect(stdout.text()).toMatch(/preset Pendulum-v1:ensemble/);
  }, 120_000);

  it('dqn on a custom env given by module path, with a world model (termination learned)', async () => {
    const stdout = sink(), out = await tempDir();
    const set = ['learningStarts=200', 'batchSize=16', 'hidden=[16]', 'trainFreq=8', 'bufferSize=5000', 'logInterval=100'];
    const o = await trainCommand('dqn', './tests/fixtures/walk-env.ts:WalkEnv', { worldModel: 'ensemble', steps: 300, out, set, plain: true, evalEpisodes: 1 }, { stdout, stderr: sink() });
    expect(o.step).toBe(300);
  }, 120_000);

  it('--explore disagreement=0.5 on ddpg records the bonus settings in the run config', async () => {
    const stdout = sink(), out = await tempDir();
    const tiny = ['learningStarts=200', 'batchSize=16', 'hidden=[16]', 'logInterval=100'];
    const o = await trainCommand('ddpg', 'Pendulum-v1', { explore: 'disagreement=0.5', steps: 250, out, set: tiny, plain: true, evalEpisodes: 1 }, { stdout, stderr: sink() });
    expect(o.step).toBe(250);
    expect(worldModelSettings({ explore: 'disagreement=0.5' }, 'ddpg', undefined)).toEqual({ disagreementScale: 0.5, realRatio: 1 });
  }, 120_000);
});
