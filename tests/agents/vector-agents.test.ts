/** Every agent on N envs (numEnvs), in this thread and in worker threads (asyncEnvs): batched acting, replay rows, resume. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { InvalidConfig } from '../../core/errors.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { dqn, resolveDqnConfig, type DqnAgent } from '../../agents/dqn.js';
import { ddpg, resolveDdpgConfig, td3 } from '../../agents/ddpg.js';
import { reinforce } from '../../agents/reinforce.js';
import { loadAgent } from '../../agents/registry.js';
import type { Net } from '../../nn/types.js';
import type { ReplayBuffer } from '../../replay/replay-buffer.js';

const quiet = { log: () => {} };
const cartpole = (max?: number) => make('CartPole-v1', {}, max === undefined ? {} : { maxEpisodeSteps: max }) as unknown as Env<Float32Array, number>;
const pendulum = () => make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>;
const tinyDqn = { hidden: [16], batchSize: 16, bufferSize: 4000, learningStarts: 50, trainFreq: 4, seed: 3 };

/** The replay of a DQN agent (not part of its public interface). */
const replayOf = (agent: DqnAgent<Float32Array>): ReplayBuffer => (agent as unknown as { replay: ReplayBuffer }).replay;

/** Counts `net.predict` calls and the rows of each. */
function countPredicts(net: Net): number[] {
  const rows: number[] = [];
  const predict = net.predict.bind(net);
  net.predict = (x, n, out) => (rows.push(n), predict(x, n, out));
  return rows;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rxgym-vector-agents-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('numEnvs and asyncEnvs in the configs', () => {
  it('default to one env in this thread, take gradientSteps -1 (SB3), and refuse bad values naming the field', () => {
    expect(resolveDqnConfig()).toMatchObject({ numEnvs: 1, asyncEnvs: false });
    expect(resolveDdpgConfig({ gradientSteps: -1 }, 'td3')).toMatchObject({ numEnvs: 1, asyncEnvs: false, gradientSteps: -1 });
    expect(() => resolveDqnConfig({ numEnvs: 0 })).toThrow(new InvalidConfig('Expected dqn.numEnvs to be an integer from 1 to 4096, got 0.'));
    expect(() => resolveDdpgConfig({ asyncEnvs: 'yes' as never })).toThrow('Expected ddpg.asyncEnvs to be a boolean, got "yes".');
    expect(() => resolveDqnConfig({ gradientSteps: -2 })).toThrow('Expected dqn.gradientSteps to be a positive integer or -1, got -2.');
  });
});

describe('DQN on N envs', () => {
  it('acts with one forward pass over the N observations per vector step, and counts a step per env transition', async () => {
    const agent = dqn(cartpole(), { ...tinyDqn, numEnvs: 4, learningStarts: 0, explorationInitialEps: 0, explorationFinalEps: 0, trainFreq: 1000 });
    const rows = countPredicts(agent.q);
    const r = await agent.learn({ steps: 40, ...quiet });
    expect(rows).toEqual(Array(10).fill(4));
    expect([r.step, agent.step, replayOf(agent).size]).toEqual([40, 40, 40]);
  });

  it('draws epsilon per env: with epsilon 0.5 on 8 envs, some env acts greedily in nearly every vector step', async () => {
    const agent = dqn(cartpole(), { ...tinyDqn, numEnvs: 8, learningStarts: 0, explorationInitialEps: 0.5, explorationFinalEps: 0.5, trainFreq: 1000 });
    const rows = countPredicts(agent.q);
    await agent.learn({ steps: 8 * 50, ...quiet });
    // One draw for all envs (SB3 and CleanRL) would skip the forward pass in about half the steps; 8 draws in 1/256.
    expect(rows.length).toBeGreaterThanOrEqual(46);
  });

  it('stores the final observation of each ended episode with its own flags: a termination past the bounds, a time-limit cut not terminated', async () => {
    const agent = dqn(cartpole(10), { ...tinyDqn, numEnvs: 3, bufferSize: 2000 });
    await agent.learn({ steps: 1200, ...quiet });
    const replay = replayOf(agent);
    const { terminated, truncated, nextObs, obs } = replay;
    let terminations = 0, cuts = 0;
    for (let i = 0; i < replay.size; i++) {
      const x = nextObs[4 * i]!, theta = nextObs[4 * i + 2]!;
      if (terminated[i]) {
        terminations++;
        expect(Math.abs(x) > 2.4 || Math.abs(theta) > 0.2095).toBe(true); // the final state, not a reset one (|.| <= 0.05)
      }
      if (truncated[i] && !terminated[i]) {
        cuts++;
        // Continues its row's own state: one CartPole step moves x and theta by little, a reset would jump.
        expect(Math.abs(x - obs[4 * i]!)).toBeLessThan(0.1);
      }
    }
    expect(terminations).toBeGreaterThan(5);
    expect(cuts).toBeGreaterThan(5);
  });

  it('updates the target every targetUpdateInterval / N vector steps (SB3), trainFreq counting vector steps', async () => {
    const agent = dqn(cartpole(), { ...tinyDqn, numEnvs: 4, targetUpdateInterval: 8, learningStarts: 0, trainFreq: 3, gradientSteps: 2 });
    let copies = 0;
    const polyak = agent.target.polyakFrom.bind(agent.target);
    agent.target.polyakFrom = (src, tau) => (copies++, polyak(src, tau));
    await agent.learn({ steps: 4 * 60, ...quiet });
    expect(copies).toBe(30); // every 2 of 60 vector steps
    expect(agent.updates).toBe(2 * 19); // rounds at vector steps 3, 6, ..., 60 but the first (12 rows stored, fewer than a batch of 16)
  });

  it('trains the same in worker threads as in this thread (same seeds, same envs)', async () => {
    const run = async (asyncEnvs: boolean): Promise<DqnAgent<Float32Array>> => {
      const agent = dqn(cartpole(), { ...tinyDqn, numEnvs: 3, asyncEnvs });
      await agent.learn({ steps: 900, ...quiet });
      return agent;
    };
    const [sync, workers] = [await run(false), await run(true)];
    expect(workers.episodes).toBe(sync.episodes);
    expect(Array.from(workers.q.getParams()[0]!.data)).toEqual(Array.from(sync.q.getParams()[0]!.data));
  }, 30_000);

  it('resumes an N-env run from a checkpoint: N and the counters come back, the episodes in flight restart', async () => {
    const agent = dqn(cartpole(), { ...tinyDqn, numEnvs: 4 });
    await agent.learn({ steps: 400, ...quiet });
    await agent.save(join(root, 'dqn4'));
    const lines: string[] = [];
    const { agent: again } = await loadAgent(join(root, 'dqn4'), cartpole());
    expect((again.config as { numEnvs: number }).numEnvs).toBe(4);
    const r = await again.learn({ steps: 400, log: (l) => void lines.push(l) });
    expect(r.step).toBe(800);
    expect(lines.join('\n')).toContain('dqn: the resumed run starts a new episode (the checkpoint holds no episode in flight)');
  });

  it('refuses worker-thread envs with its own env wrappers or without a registered id, with a typed error', async () => {
    await expect(dqn(cartpole(), { ...tinyDqn, numEnvs: 2, asyncEnvs: true, frameSkip: 2 }).learn({ steps: 10, ...quiet })).rejects.toThrow(InvalidConfig);
    const bare = cartpole();
    Object.defineProperty(bare, 'spec', { value: undefined });
    await expect(dqn(bare, { ...tinyDqn, numEnvs: 2 }).learn({ steps: 10, ...quiet })).rejects.toThrow(/Expected an env made by make\(\)/);
  });
});

describe('DDPG and TD3 on N envs', () => {
  it('act with one actor pass over the N observations per vector step', async () => {
    const agent = td3(pendulum(), { hidden: [16], batchSize: 16, bufferSize: 2000, learningStarts: 0, numEnvs: 3, trainFreq: 1000, seed: 1 });
    const rows = countPredicts(agent.actor);
    await agent.learn({ steps: 30, ...quiet });
    expect(rows).toEqual(Array(10).fill(3));
  });

  it('add each env its own exploration noise (an actor that outputs the middle of the bounds shows only the noise)', async () => {
    for (const actionNoise of ['gaussian', 'ornstein-uhlenbeck', 'none'] as const) {
      const agent = ddpg(pendulum(), { hidden: [8], batchSize: 8, bufferSize: 100, learningStarts: 0, numEnvs: 3, trainFreq: 1000, noiseStd: 0.5, actionNoise, seed: 2 });
      agent.actor.predict = (_x, n, out) => out!.fill(0, 0, n);
      await agent.learn({ steps: 3, ...quiet });
      const actions = Array.from(agent.replay.actions.subarray(0, 3));
      if (actionNoise === 'none') expect(actions).toEqual([0, 0, 0]);
      else expect(new Set(actions).size).toBe(3);
    }
  });

  it('train the same in worker threads as in this thread', async () => {
    const run = async (asyncEnvs: boolean) => {
      const agent = td3(pendulum(), { hidden: [16], batchSize: 16, bufferSize: 2000, learningStarts: 40, numEnvs: 2, asyncEnvs, seed: 4 });
      await agent.learn({ steps: 200, ...quiet });
      return Array.from(agent.actor.getParams()[0]!.data);
    };
    expect(await run(true)).toEqual(await run(false));
  }, 30_000);
});

describe('REINFORCE on N envs in worker threads', () => {
  it('collects its rollouts from worker-thread envs as from envs in this thread', async () => {
    const run = async (asyncEnvs: boolean) => {
      const agent = reinforce(cartpole(), { hidden: [16], numEnvs: 3, rolloutLength: 16, baseline: 'value', asyncEnvs, seed: 5 });
      const r = await agent.learn({ steps: 480, ...quiet });
      return [r.step, r.episodes, r.updates, Array.from(agent.policy.getParams()[0]!.data)];
    };
    expect(await run(true)).toEqual(await run(false));
  }, 30_000);
});
