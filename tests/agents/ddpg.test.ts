import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { InvalidConfig, InvalidSpace } from '../../core/errors.js';
import { BaseEnv, box } from '../../core/index.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import {
  DDPG_DEFAULTS, TD3_DEFAULTS, actorGradient, actorSpec, concatObsAction, criticLoss, criticSpec, ddpg, deterministicPolicyGradient,
  dpgScratch, loadDdpg, resolveDdpgConfig, scaleActions, td3, td3Target, type DdpgAgent, type DdpgConfig,
} from '../../agents/ddpg.js';
import { DDPG_ENTRY, TD3_ENTRY } from '../../agents/td3.js';
import { createNet } from '../../nn/net.js';
import type { ReplayBatch } from '../../replay/types.js';
import { ContinuousEnv } from '../fixtures/walk-env.js';

const quiet = { log: () => {} };
const pendulum = () => make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>;
/** Small and fast: learning after 100 steps, tiny nets. */
const smoke: Partial<DdpgConfig> = { learningStarts: 100, batchSize: 16, hidden: [16], bufferSize: 2000 };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-ddpg-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveDdpgConfig', () => {
  it("fills SB3's DDPG and TD3 defaults", () => {
    expect(resolveDdpgConfig()).toEqual({ ...DDPG_DEFAULTS, hidden: [400, 300] });
    const t = resolveDdpgConfig({}, 'td3');
    expect([t.twinCritics, t.policyDelay, t.targetPolicyNoise, t.targetNoiseClip]).toEqual([true, 2, 0.2, 0.5]);
    expect([DDPG_DEFAULTS.twinCritics, DDPG_DEFAULTS.policyDelay, DDPG_DEFAULTS.targetPolicyNoise]).toEqual([false, 1, 0]);
    expect(TD3_DEFAULTS.tau).toBe(0.005);
  });

  it('says which field is wrong, in the name of the algorithm, what was expected and what it got', () => {
    expect(() => resolveDdpgConfig({ batchSize: 0 })).toThrow(new InvalidConfig('Expected ddpg.batchSize to be an integer from 1 to 1e6, got 0.'));
    expect(() => resolveDdpgConfig({ tau: 0 }, 'td3')).toThrow('Expected td3.tau to be a number in (0, 1], got 0.');
    expect(() => resolveDdpgConfig({ policyDelay: 0 }, 'td3')).toThrow('Expected td3.policyDelay to be an integer from 1 to 1000, got 0.');
    expect(() => resolveDdpgConfig({ actionNoise: 'ou' as 'none' })).toThrow(`Expected ddpg.actionNoise to be 'gaussian', 'ornstein-uhlenbeck' or 'none', got "ou".`);
    expect(() => resolveDdpgConfig({ noiseStd: -0.1 })).toThrow('Expected ddpg.noiseStd to be a number in [0, 10], got -0.1.');
    expect(() => resolveDdpgConfig({ batchSize: 64, bufferSize: 10 })).toThrow('Expected ddpg.batchSize <= bufferSize (10), got 64.');
    expect(() => resolveDdpgConfig({ target_noise_clip: 1 } as Partial<DdpgConfig>)).toThrow(/got "target_noise_clip"\. Did you mean "targetNoiseClip"\?$/);
  });

  it('refuses an invalid config when the agent is made', () => {
    expect(() => td3(pendulum(), { gamma: 2 })).toThrow('Expected td3.gamma to be a number in [0, 1], got 2.');
  });
});

describe('ddpg() and td3() take Box actions only', () => {
  it('names the agents that take the space it was given', () => {
    const cartpole = make('CartPole-v1') as unknown as Env<Float32Array, Float32Array>;
    expect(() => ddpg(cartpole)).toThrow(InvalidSpace);
    expect(() => td3(cartpole)).toThrow(/^Expected a box action space for td3, got Discrete\(2\)\. Agents for discrete actions: dqn\.$/);
  });

  it('refuses unbounded Box actions, which tanh cannot be rescaled to', () => {
    class Unbounded extends BaseEnv<Float32Array, Float32Array> {
      readonly observationSpace = box({ low: -1, high: 1, shape: [1] });
      readonly actionSpace = box({ low: -Infinity, high: Infinity, shape: [1] });
      reset() { return { obs: new Float32Array(1), info: {} }; }
      step() { return { obs: new Float32Array(1), reward: 0, terminated: true, truncated: false, info: {} }; }
    }
    expect(() => ddpg(new Unbounded())).toThrow(/^Expected a Box action space with finite bounds for ddpg, got Box\(/);
  });
});

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

describe('acting', () => {
  it('act is the actor\'s rescaled tanh output; values is Q1(s, act(s)); both inside the bounds', () => {
    const agent = td3(continuous(), { ...smoke, seed: 8 });
    const obs = Float32Array.of(0.7);
    const a = agent.act(obs);
    expect(Array.from(a)).toEqual(Array.from(scaleActions(agent.actor.predict(obs, 1), 1, 2, Float32Array.from([-1, 0]), Float32Array.from([1, 1]), new Float32Array(2))));
    expect(a[0]).toBeGreaterThanOrEqual(-1);
    expect(a[1]).toBeGreaterThanOrEqual(0);
    expect(Array.from(agent.values(obs))).toEqual(Array.from(agent.critics[0]!.predict(Float32Array.of(0.7, a[0]!, a[1]!), 1)));
  });

  it('explores uniformly over the bounds before learningStarts, then stays within them with noise', async () => {
    const env = new ContinuousEnv();
    const seen: number[][] = [];
    const agent = ddpg(env as unknown as Env<Float32Array, Float32Array>, { ...smoke, learningStarts: 400, noiseStd: 3, seed: 1 });
    await agent.learn({ steps: 600, consumers: [(t$) => t$.pipe(tap((t) => seen.push(Array.from(t.action))))], ...quiet });
    const warm = seen.slice(0, 400);
    expect(Math.min(...warm.map((a) => a[1]!))).toBeLessThan(0.05);
    expect(Math.max(...warm.map((a) => a[1]!))).toBeGreaterThan(1.95);
    expect(warm.reduce((s, a) => s + a[0]!, 0) / 400).toBeCloseTo(0, 0);
    // Noise of std 3 half-ranges is clipped to the bounds, so both ends are hit exactly.
    const noisy = seen.slice(400);
    expect(noisy.every((a) => a[0]! >= -1 && a[0]! <= 1 && a[1]! >= 0 && a[1]! <= 2)).toBe(true);
    expect(noisy.some((a) => a[1] === 2) && noisy.some((a) => a[1] === 0)).toBe(true);
  });
});

describe('save and resume', () => {
  for (const noise of ['gaussian', 'ornstein-uhlenbeck'] as const) {
    it(`a td3 run stopped mid-episode and resumed ends bit for bit as the uninterrupted run (${noise} noise)`, async () => {
      const config: Partial<DdpgConfig> = { ...smoke, actionNoise: noise, noiseStd: 0.3, seed: 5 };
      const whole = td3(pendulum(), config);
      const wholeReturns: number[] = [];
      await whole.learn({ steps: 900, onEpisode: (e) => wholeReturns.push(e.return), ...quiet });

      // Checkpoint at step 500 (episode 3, step 100 of 200) from a hook, as `rxgym train` does, then stop there.
      const dir = join(root, `resume-${noise}`);
      const first = td3(pendulum(), config);
      const returns: number[] = [];
      const controller = new AbortController();
      const periodic = [{ every: 500, run: async () => { await first.save(dir, { replay: true }); controller.abort(); } }];
      const cut = await first.learn({ steps: 900, periodic, signal: controller.signal, onEpisode: (e) => returns.push(e.return), ...quiet });
      expect([cut.stopped, cut.step]).toEqual(['aborted', 500]);

      const again = await loadDdpg(dir, pendulum());
      expect(again.algo).toBe('td3');
      expect([again.step, again.updates, again.episodes]).toEqual([500, first.updates, first.episodes]);
      expect(again.config).toEqual(first.config);
      const obs = Float32Array.from([0.3, -0.9, 0.5]);
      expect(Array.from(again.values(obs))).toEqual(Array.from(first.values(obs)));
      await again.learn({ steps: 400, totalSteps: 900, onEpisode: (e) => returns.push(e.return), ...quiet });
      // The episode cut by the checkpoint sums its return in two parts, (a + b) + c, against a + b + c in one run: it
      // may differ in the last bit. Every other return, and every parameter, is exact.
      expect(returns.length).toBe(wholeReturns.length);
      returns.forEach((r, i) => expect(r).toBeCloseTo(wholeReturns[i]!, 9));
      expect(returns.filter((r, i) => r !== wholeReturns[i]).length).toBeLessThanOrEqual(1);
      expect([again.step, again.updates]).toEqual([900, whole.updates]);
      expect(paramsOf(again)).toEqual(paramsOf(whole));
    });
  }

  it('the registry entries build, restore and describe both algorithms', async () => {
    const agent = DDPG_ENTRY.create(pendulum() as Env<unknown, unknown>, DDPG_ENTRY.resolveConfig({ ...smoke, seed: 3 }));
    expect(agent.algo).toBe('ddpg');
    const dir = join(root, 'entry');
    await agent.save(dir);
    const { readCheckpoint } = await import('../../agents/runs/checkpoint.js');
    const restored = await DDPG_ENTRY.restore(await readCheckpoint(dir), pendulum() as Env<unknown, unknown>, {});
    expect(restored.snapshot()).toEqual(agent.snapshot());
    // TD3: the actor then two critics, each on [obs, action].
    const specs = TD3_ENTRY.netSpecs(pendulum() as Env<unknown, unknown>, TD3_ENTRY.resolveConfig({ hidden: [8] }));
    expect(specs.map((s) => s.spec.input)).toEqual([3, 4, 4]);
    expect(TD3_ENTRY.create(pendulum() as Env<unknown, unknown>, TD3_ENTRY.resolveConfig({})).algo).toBe('td3');
  });
});

describe('td3 learns Pendulum', () => {
  it('beats a random policy (about -1200) by far within a few thousand steps', async () => {
    const agent = td3(pendulum(), { gamma: 0.98, learningStarts: 500, batchSize: 64, hidden: [32, 32], seed: 1 });
    await agent.learn({ steps: 5000, ...quiet });
    const e = await agent.evaluate({ episodes: 5, env: pendulum() });
    expect(e.mean).toBeGreaterThan(-700);
    agent.dispose();
  });
});

describe('determinism', () => {
  it('the same seed gives the same run, another seed another', async () => {
    const run = async (seed: number) => {
      const agent = ddpg(pendulum(), { ...smoke, actionNoise: 'ornstein-uhlenbeck', seed });
      await agent.learn({ steps: 300, ...quiet });
      return Array.from(agent.actor.params);
    };
    expect(await run(9)).toEqual(await run(9));
    expect(await run(10)).not.toEqual(await run(9));
  });
});
