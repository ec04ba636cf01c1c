import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import type { Env, Transition } from '../../core/env.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { td3 } from '../../agents/ddpg.js';
import { dqn } from '../../agents/dqn.js';
import { withWorldModel, type ModelBasedSettings } from '../../agents/model-based.js';

const TINY_TD3 = { learningStarts: 50, batchSize: 16, hidden: [16], bufferSize: 5000, seed: 0, logInterval: 1000 };
const TINY_WORLD: ModelBasedSettings = { refitEvery: 50, realRatio: 1, members: 2, elites: 1, hidden: [16], maxEpochs: 3, reward: 'auto' };
const TINY_PLANNER = { horizon: 3, population: 10, iterations: 1, elites: 2 };

/** A TD3 agent on Pendulum with a tiny world model and `planner`, trained `steps` steps; the actions it took, by step. */
async function trained(planner: ModelBasedSettings['planner'], steps = 80) {
  const agent = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), { ...TINY_WORLD, planner });
  const actions: number[] = [];
  const record = map((t: Transition<Float32Array, Float32Array>) => actions.push(t.action[0]!));
  await agent.learn({ steps, log: () => {}, consumers: [record as never] });
  return { agent, actions };
}

describe('model-based training with a planner', () => {
  it('acts at random until the model is fitted, then by planning every step (counted in plannedActions)', async () => {
    const { agent, actions } = await trained(TINY_PLANNER);
    expect(agent.metrics['modelFits']).toBe(1);
    expect(agent.metrics['plannedActions']).toBe(30); // steps 50 to 79
    expect(actions.every((a) => a >= -2 && a <= 2)).toBe(true);
    // Without a planner the agent plans nothing.
    expect((await trained(null)).agent.metrics['plannedActions']).toBe(0);
  }, 30_000);

  it('evaluate and act use the planner once the model is fitted: deterministic per seed, unlike the agent\'s own policy', async () => {
    const { agent } = await trained(TINY_PLANNER);
    const inner = (agent as unknown as { inner: { evaluate: typeof agent.evaluate } }).inner;
    const a = await agent.evaluate({ episodes: 1, seed: 3 });
    expect(agent.metrics['plannedActions']).toBe(30 + 200);
    expect((await agent.evaluate({ episodes: 1, seed: 3 })).returns).toEqual(a.returns);
    expect((await inner.evaluate({ episodes: 1, seed: 3 })).returns).not.toEqual(a.returns);
    const action = agent.act(Float32Array.of(1, 0, 0)) as Float32Array;
    expect(action).toHaveLength(1);
    expect(Math.abs(action[0]!)).toBeLessThanOrEqual(2);
    expect(agent.metrics['plannedActions']).toBe(30 + 401);
  }, 30_000);

  it('before the first fit, evaluate is the agent\'s own', async () => {
    const agent = withWorldModel(td3(make('Pendulum-v1') as Env<Float32Array, Float32Array>, TINY_TD3), { ...TINY_WORLD, planner: TINY_PLANNER });
    await agent.learn({ steps: 20, log: () => {} });
    await agent.evaluate({ episodes: 1, seed: 3 });
    expect(agent.metrics['plannedActions']).toBe(0);
  }, 30_000);

  it('noise: Gaussian noise on the planned training actions (none before the fit)', async () => {
    const quiet = (await trained(TINY_PLANNER)).actions, noisy = (await trained({ ...TINY_PLANNER, noise: 0.5 })).actions;
    expect(noisy.slice(0, 50)).toEqual(quiet.slice(0, 50));
    expect(noisy.slice(50)).not.toEqual(quiet.slice(50));
  }, 30_000);

  it('terminalValue: the critic\'s value of the last state changes the plans', async () => {
    const withValue = (await trained({ ...TINY_PLANNER, terminalValue: true })).actions, without = (await trained({ ...TINY_PLANNER, terminalValue: false })).actions;
    expect(withValue.slice(0, 50)).toEqual(without.slice(0, 50));
    expect(withValue.slice(50)).not.toEqual(without.slice(50));
  }, 30_000);

  it('terminalValueFrom: the critic\'s value counts only once the agent has made that many updates', async () => {
    const none = (await trained({ ...TINY_PLANNER, terminalValue: false })).actions;
    const always = (await trained({ ...TINY_PLANNER, terminalValue: true })).actions;
    expect((await trained({ ...TINY_PLANNER, terminalValue: true, terminalValueFrom: 1_000_000 })).actions).toEqual(none);
    expect((await trained({ ...TINY_PLANNER, terminalValue: true, terminalValueFrom: 1 })).actions).toEqual(always);
  }, 60_000);

  it("actorCandidate: the actor's sequence among the candidates changes the plans (after the fit only)", async () => {
    const withActor = (await trained({ ...TINY_PLANNER, actorCandidate: true })).actions, without = (await trained(TINY_PLANNER)).actions;
    expect(withActor.slice(0, 50)).toEqual(without.slice(0, 50));
    expect(withActor.slice(50)).not.toEqual(without.slice(50));
  }, 30_000);

  it("transitions: with one elite, 'member-mean' (the ensemble's step, noiseless) plans as 'mean' (predictMean) does, and 'sampled' does not", async () => {
    const plans = async (transitions: 'sampled' | 'mean' | 'member-mean') => (await trained({ ...TINY_PLANNER, transitions })).actions.slice(50);
    const [memberMean, mean, sampled] = [await plans('member-mean'), await plans('mean'), await plans('sampled')];
    expect(memberMean).toHaveLength(30);
    memberMean.forEach((a, i) => expect(a).toBeCloseTo(mean[i]!, 3));
    expect(Math.max(...memberMean.map((a, i) => Math.abs(a - sampled[i]!)))).toBeGreaterThan(0.01);
  }, 60_000);

  it('refuses a planner on Discrete actions, naming the field', () => {
    expect(() => withWorldModel(dqn(make('CartPole-v1') as Env<Float32Array, number>, { learningStarts: 10 }), { planner: {} })).toThrow(/worldModel\.planner \(CEM plans Box actions\), got dqn on discrete/);
  });
});
