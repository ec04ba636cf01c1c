// The algorithm's arithmetic: targets, losses, the policy-gradient assembly, and how update() wires them (twin
// critics, delayed policy updates, Polyak targets), each against hand-computed values or finite differences.
// `npm run mutate` runs this file against agents/ddpg.ts's pure functions and update().
import { describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import '../../envs/builtin.js';
import {
  actorGradient, actorSpec, concatObsAction, criticLoss, criticSpec, ddpg, deterministicPolicyGradient, dpgScratch, resolveDdpgConfig,
  scaleActions, td3, td3Target, type DdpgAgent, type DdpgConfig,
} from '../../agents/ddpg.js';
import { createNet } from '../../nn/net.js';
import type { ReplayBatch } from '../../replay/types.js';
import { ContinuousEnv } from '../fixtures/walk-env.js';

const smoke: Partial<DdpgConfig> = { learningStarts: 100, batchSize: 16, hidden: [16], bufferSize: 2000 };

describe('td3Target: y = r + gamma (1 - terminated) min(Q1\', Q2\')', () => {
  const rewards = Float32Array.from([1, 2, 0.5]);
  const terminated = Uint8Array.from([0, 1, 0]);
  const q1 = Float32Array.from([3, 5, -1]);
  const q2 = Float32Array.from([2, 7, 4]);
  const out = new Float32Array(3);
  it('twin critics: the smaller target value, and no tail after termination', () => {
    expect(Array.from(td3Target(rewards, terminated, undefined, 0.9, q1, q2, 3, out))).toEqual([1 + 0.9 * 2, 2, 0.5 + 0.9 * -1].map(Math.fround));
  });
  it('one critic (DDPG): its own value', () => {
    expect(Array.from(td3Target(rewards, terminated, undefined, 0.9, q1, null, 3, out))).toEqual([1 + 0.9 * 3, 2, 0.5 + 0.9 * -1].map(Math.fround));
  });
  it('per-row discounts replace gamma', () => {
    const discounts = Float32Array.from([0.5, 0.25, 0.75]);
    expect(Array.from(td3Target(rewards, terminated, discounts, 0.9, q1, q2, 3, out))).toEqual([1 + 0.5 * 2, 2, 0.5 - 0.75].map(Math.fround));
  });
});

describe('criticLoss', () => {
  it('sums the critics\' MSE to y and writes 2 e / n per critic', () => {
    const y = Float32Array.from([1.5, 2]);
    const dQ1 = new Float32Array(2);
    const dQ2 = new Float32Array(2);
    // e1 = [-0.5, 0], e2 = [-1.5, 2]: 0.125 + 3.125.
    expect(criticLoss(Float32Array.from([1, 2]), Float32Array.from([0, 4]), y, 2, dQ1, dQ2)).toBeCloseTo(3.25, 6);
    expect(Array.from(dQ1)).toEqual([-0.5, 0]);
    expect(Array.from(dQ2)).toEqual([-1.5, 2]);
    expect(criticLoss(Float32Array.from([1, 2]), null, y, 2, dQ1, null)).toBeCloseTo(0.125, 6);
  });
});

describe('the critic input and the policy-gradient assembly', () => {
  it('concatenates [obs, action] rows', () => {
    const out = concatObsAction(Float32Array.from([1, 2, 3, 4]), Float32Array.from([9, 8]), 2, 2, 1, new Float32Array(6));
    expect(Array.from(out)).toEqual([1, 2, 9, 3, 4, 8]);
  });
  it('rescales tanh outputs to the bounds', () => {
    const out = scaleActions(Float32Array.from([-1, 1, 0, 0.5]), 2, 2, Float32Array.from([-1, 0]), Float32Array.from([2, 0.25]), new Float32Array(4));
    expect(Array.from(out)).toEqual([-1, 0.5, 1, 0.375]);
  });
  it('takes dQ/da from the action slice of the critic input gradient, times (high - low) / 2', () => {
    // Two rows of [obs (2), action (2)] gradients; only the last two columns of each row are dQ/da.
    const dIn = Float32Array.from([5, 6, 1, -2, 7, 8, 0.5, 4]);
    expect(Array.from(actorGradient(dIn, 2, 2, 2, Float32Array.from([2, 0.25]), new Float32Array(4)))).toEqual([2, -0.5, 1, 1]);
  });
});

describe('deterministicPolicyGradient', () => {
  // Asymmetric bounds in two dimensions so that a missing or misplaced rescale shows.
  const low = Float32Array.from([-1, 0]);
  const half = Float32Array.from([2, 0.25]);
  const c = resolveDdpgConfig({ hidden: [8], activation: 'tanh', seed: 4 });
  const n = 5;
  const obs = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(1.7 * i));
  const actorLoss = (actor: ReturnType<typeof createNet>, critic: ReturnType<typeof createNet>): number => {
    const a = scaleActions(actor.predict(obs, n), n, 2, low, half, new Float32Array(n * 2));
    const q = critic.predict(concatObsAction(obs, a, n, 3, 2, new Float32Array(n * 5)), n);
    return -q.reduce((s, x) => s + x, 0) / n;
  };

  it('matches finite differences of -mean Q(s, actor(s)) through the critic, and leaves the critic no gradient', () => {
    const actor = createNet(actorSpec([3], 2, c), { engine: 'plain' });
    const critic = createNet(criticSpec(3, 2, c, 0), { engine: 'plain' });
    const loss = deterministicPolicyGradient(actor, critic, obs, n, low, half, dpgScratch(n, 3, 2));
    expect(loss).toBeCloseTo(actorLoss(actor, critic), 6);
    expect(critic.grads.every((g) => g === 0)).toBe(true);
    const analytic = actor.grads.slice();
    expect(analytic.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    const h = 1e-2;
    for (let i = 0; i < actor.params.length; i++) {
      const p = actor.params[i]!;
      actor.params[i] = p + h;
      actor.paramsChanged();
      const up = actorLoss(actor, critic);
      actor.params[i] = p - h;
      actor.paramsChanged();
      const down = actorLoss(actor, critic);
      actor.params[i] = p;
      actor.paramsChanged();
      const fd = (up - down) / (2 * h);
      expect(Math.abs(analytic[i]! - fd), `param ${i}: analytic ${analytic[i]}, finite difference ${fd}`).toBeLessThan(2e-4 + 0.02 * Math.abs(fd));
    }
  });
});

/** A batch over the ContinuousEnv fixture's spaces (obs 1, actions 2 in [-1, 1] x [0, 2]) with one terminal row. */
const handBatch = (B: number): ReplayBatch<'continuous'> => ({
  batchSize: B, obsDim: 1, actionDim: 2,
  obs: Float32Array.from({ length: B }, (_, i) => Math.sin(i)),
  nextObs: Float32Array.from({ length: B }, (_, i) => Math.cos(3 * i)),
  actions: Float32Array.from({ length: 2 * B }, (_, i) => (i % 2 === 0 ? Math.sin(5 * i) : 1 + Math.cos(i))),
  rewards: Float32Array.from({ length: B }, (_, i) => i - 1.5),
  terminated: Uint8Array.from({ length: B }, (_, i) => (i === 1 ? 1 : 0)),
  truncated: new Uint8Array(B),
  indices: Int32Array.from({ length: B }, (_, i) => i),
});
const continuous = () => new ContinuousEnv() as unknown as Env<Float32Array, Float32Array>;
const paramsOf = (agent: DdpgAgent<Float32Array>) => ({
  actor: agent.actor.params.slice(), actorTarget: agent.actorTarget.params.slice(),
  critics: agent.critics.map((q) => q.params.slice()), criticTargets: agent.criticTargets.map((q) => q.params.slice()),
});
const changed = (a: Float32Array, b: Float32Array) => a.some((x, i) => x !== b[i]);

describe('update(): the critic loss of the agent\'s own networks', () => {
  const B = 4;
  /** The loss computed by hand from the agent's networks before the update (target noise off). */
  const expectedLoss = (agent: DdpgAgent<Float32Array>, b: ReplayBatch<'continuous'>, twin: boolean): number => {
    const low = Float32Array.from([-1, 0]);
    const half = Float32Array.from([1, 1]);
    const aNext = scaleActions(agent.actorTarget.predict(b.nextObs, B), B, 2, low, half, new Float32Array(2 * B));
    const nextIn = concatObsAction(b.nextObs, aNext, B, 1, 2, new Float32Array(3 * B));
    const q1n = agent.criticTargets[0]!.predict(nextIn, B);
    const q2n = twin ? agent.criticTargets[1]!.predict(nextIn, B) : q1n;
    const input = concatObsAction(b.obs, b.actions, B, 1, 2, new Float32Array(3 * B));
    let loss = 0;
    for (const critic of agent.critics) {
      const q = critic.predict(input, B);
      for (let i = 0; i < B; i++) {
        const y = b.rewards[i]! + (b.terminated[i] ? 0 : 0.9 * Math.min(q1n[i]!, q2n[i]!));
        loss += (q[i]! - y) ** 2 / B;
      }
    }
    return loss;
  };
  for (const algo of ['ddpg', 'td3'] as const) {
    it(`${algo}: the target of its critics, each critic's MSE summed`, () => {
      const agent = (algo === 'td3' ? td3 : ddpg)(continuous(), { ...smoke, batchSize: B, gamma: 0.9, targetPolicyNoise: 0, seed: 2 });
      // Make the targets differ from the online networks, and the twin targets from each other.
      for (const net of [agent.actorTarget, ...agent.criticTargets]) {
        net.params.forEach((_, i, p) => (p[i] = p[i]! * -1.5 + 0.1));
        net.paramsChanged();
      }
      const b = handBatch(B);
      const expected = expectedLoss(agent, b, algo === 'td3');
      if (algo === 'td3') expect(Math.abs(expectedLoss(agent, b, false) * 2 - expected)).toBeGreaterThan(1e-3); // the min matters here
      expect(agent.update(b)).toBeCloseTo(expected, 5);
      agent.dispose();
    });
  }
  it('target policy smoothing changes the target (the noise is wired in)', () => {
    const smooth = td3(continuous(), { ...smoke, batchSize: B, gamma: 0.9, targetPolicyNoise: 0.5, seed: 2 });
    const plain = td3(continuous(), { ...smoke, batchSize: B, gamma: 0.9, targetPolicyNoise: 0, seed: 2 });
    expect(Math.abs(smooth.update(handBatch(B)) - plain.update(handBatch(B)))).toBeGreaterThan(1e-5);
  });
});

describe('delayed policy updates and Polyak targets', () => {
  it('td3 with policyDelay 3: critics every update; actor and targets every third, blended by tau', () => {
    const tau = 0.25;
    const agent = td3(continuous(), { ...smoke, batchSize: 4, policyDelay: 3, tau, seed: 6 });
    const b = handBatch(4);
    let before = paramsOf(agent);
    for (let u = 1; u <= 6; u++) {
      agent.update(b);
      const after = paramsOf(agent);
      expect(agent.updates).toBe(u);
      after.critics.forEach((p, k) => expect(changed(p, before.critics[k]!), `critic ${k} at update ${u}`).toBe(true));
      const policyStep = u % 3 === 0;
      expect(changed(after.actor, before.actor), `actor at update ${u}`).toBe(policyStep);
      expect(changed(after.actorTarget, before.actorTarget), `actor target at update ${u}`).toBe(policyStep);
      if (policyStep) {
        // target <- target + tau (online - target), in float32, for the actor and both critics.
        const blend = (old: Float32Array, online: Float32Array) => Array.from(old, (p, i) => Math.fround(p + tau * (online[i]! - p)));
        expect(Array.from(after.actorTarget)).toEqual(blend(before.actorTarget, after.actor));
        after.criticTargets.forEach((p, k) => expect(Array.from(p)).toEqual(blend(before.criticTargets[k]!, after.critics[k]!)));
      } else {
        after.criticTargets.forEach((p, k) => expect(changed(p, before.criticTargets[k]!)).toBe(false));
      }
      before = after;
    }
    agent.dispose();
  });

  it('ddpg updates its actor at every update', () => {
    const agent = ddpg(continuous(), { ...smoke, batchSize: 4, seed: 6 });
    for (let u = 0; u < 2; u++) {
      const before = agent.actor.params.slice();
      agent.update(handBatch(4));
      expect(changed(agent.actor.params, before)).toBe(true);
    }
  });
});
