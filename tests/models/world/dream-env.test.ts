import { beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../../core/env.js';
import { InvalidConfig } from '../../../core/errors.js';
import { make } from '../../../envs/registry.js';
import { testEnvConformance } from '../../../envs/testing.js';
import { checkEnv } from '../../../envs/checker.js';
import { td3 } from '../../../agents/ddpg.js';
import { dqn } from '../../../agents/dqn.js';
import { EnsembleDynamics } from '../../../models/world/dynamics.js';
import { dreamEnv } from '../../../models/world/dream-env.js';
import { cartPoleTermination } from '../../../models/world/known-terminations.js';
import { randomTransitions } from './fixtures.js';

let pendulum: EnsembleDynamics;
let cartPole: EnsembleDynamics;

beforeAll(async () => {
  const p = randomTransitions('Pendulum-v1', 1000, 1);
  pendulum = new EnsembleDynamics({ stateDim: 3, action: p.action, members: 3, elites: 2, hidden: [32], maxEpochs: 10 });
  pendulum.observeStarts(p.starts, p.startCount);
  await pendulum.fit(p.data);
  const c = randomTransitions('CartPole-v1', 1000, 1);
  cartPole = new EnsembleDynamics({ stateDim: 4, action: c.action, members: 3, elites: 2, hidden: [32], maxEpochs: 10, termination: 'function', propagation: 'fixed-member' }, { termination: cartPoleTermination });
  cartPole.observeStarts(c.starts, c.startCount);
  await cartPole.fit(c.data);
}, 60_000);

testEnvConformance('dreamEnv(Pendulum-v1 ensemble)', () => dreamEnv(pendulum, { env: make('Pendulum-v1') }));
testEnvConformance('dreamEnv(CartPole-v1 ensemble, fixed member per episode)', () => dreamEnv(cartPole, { env: make('CartPole-v1') }));

describe('dreamEnv', () => {
  it('draws the dream state with the real env scene: the scene of the real env set to the same state', () => {
    const dream = dreamEnv(pendulum, { env: make('Pendulum-v1') });
    const obs = dream.reset({ seed: 3 }).obs;
    dream.step(Float32Array.of(1));
    const real = make('Pendulum-v1');
    real.reset({ options: { state: [Math.atan2(dream.state[1]!, dream.state[0]!), dream.state[2]!] } });
    expect(dream.scene!()).toEqual(real.scene!());
    expect(obs).toHaveLength(3);
  });

  it('truncates episodes after maxEpisodeSteps and ends CartPole dreams by the termination rule', () => {
    const dream = dreamEnv(pendulum, { env: make('Pendulum-v1'), maxEpisodeSteps: 7 });
    dream.reset({ seed: 0 });
    let steps = 0, truncated = false;
    while (!truncated) {
      truncated = dream.step(Float32Array.of(0)).truncated;
      steps++;
    }
    expect(steps).toBe(7);
    const cart = dreamEnv(cartPole, { env: make('CartPole-v1') });
    cart.reset({ seed: 1 });
    let end = false, n = 0;
    while (!end && n < 500) {
      const r = cart.step(1); // always pushing right tips the pole within a few dozen steps
      end = r.terminated;
      n++;
      if (end) {
        const x = r.obs[0]!, theta = r.obs[2]!;
        expect(Math.abs(x) > 2.4 || Math.abs(theta) > (12 * 2 * Math.PI) / 360).toBe(true);
      }
    }
    expect(end).toBe(true);
  });

  it('an agent trains in it unchanged: TD3 in the Pendulum dream and DQN in the CartPole dream', async () => {
    const t = td3(dreamEnv(pendulum, { env: make('Pendulum-v1'), maxEpisodeSteps: 50 }) as Env<Float32Array, Float32Array>, { learningStarts: 50, batchSize: 16, hidden: [16], seed: 0 });
    const r1 = await t.learn({ steps: 120, log: () => {} });
    expect(r1.step).toBe(120);
    expect(t.updates).toBeGreaterThan(0);
    const q = dqn(dreamEnv(cartPole, { env: make('CartPole-v1') }) as unknown as Env<Float32Array, number>, { learningStarts: 50, batchSize: 16, hidden: [16], seed: 0 });
    const r2 = await q.learn({ steps: 120, log: () => {} });
    expect(r2.episodes).toBeGreaterThan(0);
  });

  it('passes checkEnv on a custom env (no registered id): no scene', () => {
    const real = make('Pendulum-v1');
    real.spec = undefined;
    const report = checkEnv(dreamEnv(pendulum, { env: real }));
    expect(report.ok).toBe(true);
    expect(dreamEnv(pendulum, { env: real }).scene).toBeUndefined();
  });

  it('refuses a model whose shapes do not fit the env, naming the mismatch', () => {
    expect(() => dreamEnv(pendulum, { env: make('CartPole-v1') })).toThrow(InvalidConfig);
    expect(() => dreamEnv(pendulum, { env: make('CartPole-v1') })).toThrow(/4 state floats for CartPole-v1 .* got a ensemble model of 3/);
    expect(() => dreamEnv(pendulum, { env: make('MountainCarContinuous-v0') })).toThrow(/2 state floats/);
  });
});
