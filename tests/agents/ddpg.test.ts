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
import { DDPG_DEFAULTS, TD3_DEFAULTS, ddpg, loadDdpg, resolveDdpgConfig, scaleActions, td3, type DdpgAgent, type DdpgConfig } from '../../agents/ddpg.js';
import { DDPG_ENTRY, TD3_ENTRY } from '../../agents/td3.js';
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
    expect(() => td3(cartpole)).toThrow(/^Expected a box action space for td3, got Discrete\(2\)\. Agents for discrete actions: (.*, )?dqn(, .*)?\.$/);
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

const continuous = () => new ContinuousEnv() as unknown as Env<Float32Array, Float32Array>;
const paramsOf = (agent: DdpgAgent<Float32Array>) => ({
  actor: agent.actor.params.slice(), actorTarget: agent.actorTarget.params.slice(),
  critics: agent.critics.map((q) => q.params.slice()), criticTargets: agent.criticTargets.map((q) => q.params.slice()),
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
    const { readCheckpoint } = await import('../../core/node/checkpoint/checkpoint.js');
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
