import { map, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Transition } from '../../../core/env.js';
import { InvalidConfig } from '../../../core/errors.js';
import type { ActorContext } from '../../../core/streams.js';
import { SyncVectorEnv } from '../../../envs/vector.js';
import { runOnPolicy, type OnPolicyEpisode, type OnPolicyPolicy, type PolicyOutput } from '../../../agents/loops/on-policy.js';
import { TransitionTap, learnerVec } from '../../../agents/loops/single-env-vec.js';
import type { RolloutBuffer } from '../../../agents/loops/rollout.js';
import { ContinuousEnv } from '../../fixtures/walk-env.js';
import { TickEnv, tickValue } from './tick-env.js';

/** Always action 1, values from the test critic, log-probabilities -t (to see them stored). */
const policy: OnPolicyPolicy = {
  act(obs: Float32Array, out: PolicyOutput) {
    out.actions.fill(1);
    tickValue(obs, out.values);
    for (let i = 0; i < out.logProbs.length; i++) out.logProbs[i] = -obs[2 * i]!;
  },
  value: tickValue,
};

/** What an update saw, copied (the buffer is reused). */
interface Seen {
  lengths: number[];
  obsT: number[][];
  rewards: number[][];
  nextValues: number[][];
  returns: number[][];
  logProbs: number[][];
}

function snapshot(b: RolloutBuffer, gamma: number): Seen {
  b.computeReturns(gamma);
  const per = (f: (i: number) => ArrayLike<number>) => Array.from({ length: b.numEnvs }, (_, i) => Array.from(f(i)));
  return {
    lengths: Array.from(b.lengths),
    obsT: per((i) => Array.from({ length: b.lengths[i]! }, (_, t) => b.obs[b.row(i, t) * b.obsDim]!)),
    rewards: per((i) => b.segment(i).rewards),
    nextValues: per((i) => b.segment(i).nextValues),
    returns: per((i) => b.segment(i).returns),
    logProbs: per((i) => b.segment(i).logProbs),
  };
}

describe('runOnPolicy: fixed-length rollouts', () => {
  it('bootstraps a vector env truncation from finalObs and the cut at the rollout end from the next observation', async () => {
    const envs = [new TickEnv({ length: 2, id: 0, truncate: true }), new TickEnv({ length: 5, id: 1 })];
    const vec = new SyncVectorEnv(envs.map((e) => () => e));
    const seen: Seen[] = [];
    const episodes: OnPolicyEpisode[] = [];
    const r = await runOnPolicy(vec, {
      steps: 6, collect: { rolloutLength: 3 }, policy, seed: 0,
      update: (b) => void seen.push(snapshot(b, 0.5)),
      onEpisode: (e) => void episodes.push(e),
    });
    expect(r).toMatchObject({ step: 6, updates: 1, episodes: 1, stopped: 'done' });
    const s = seen[0]!;
    expect(s.lengths).toEqual([3, 3]);
    expect(s.obsT).toEqual([[0, 1, 0], [0, 1, 2]]); // env 0 was reset after its second step
    expect(s.rewards).toEqual([[1, 2, 1], [1, 2, 3]]);
    // env 0: V(t=1) inside the episode, V(final [2, 0]) = 20 at the truncation (not V(reset obs) = 0),
    // V([1, 0]) = 10 after the cut; env 1: 110, 120 inside, V([3, 1]) = 130 after the cut.
    expect(s.nextValues).toEqual([[10, 20, 10], [110, 120, 130]]);
    // env 0, gamma 0.5: G2 = 1 + 5 = 6; G1 = 2 + 10 = 12 (not from G2); G0 = 1 + 6 = 7. env 1: 68, 36, 19.
    expect(s.returns).toEqual([[7, 12, 6], [19, 36, 68]]);
    expect(s.logProbs).toEqual([[-0, -1, -0], [-0, -1, -2]]);
    expect(episodes).toEqual([{ episode: 0, env: 0, return: 3, length: 2, terminated: false, truncated: true, globalStep: 4 }]);
    expect(envs.map((e) => e.closes)).toEqual([1, 1]);
  });

  it('treats a single env as a vector of one, and runs until at least `steps` steps in whole rollouts', async () => {
    const env = new TickEnv({ length: 4 });
    const sizes: number[] = [];
    const progress: number[] = [];
    const r = await runOnPolicy(env, {
      steps: 7, collect: { rolloutLength: 3 }, policy, startStep: 50, startUpdates: 2,
      update: (b) => (sizes.push(b.size), b.size),
      onProgress: (p) => void progress.push(p.step, p.updates, p.loss),
    });
    expect(sizes).toEqual([3, 3, 3]);
    expect(progress).toEqual([53, 3, 3, 56, 4, 3, 59, 5, 3]);
    expect(r).toMatchObject({ step: 59, updates: 5, episodes: 2 });
    expect(env.actions.length).toBe(9);
    expect(env.closes).toBe(1);
  });

  it('stores continuous actions as float32 rows and hands the env the action', async () => {
    const env = new ContinuousEnv();
    let actions: number[] = [];
    await runOnPolicy(env, {
      steps: 2, collect: { rolloutLength: 2 },
      policy: { act: (_obs, out) => void out.actions.set([0.5, 1.25]) },
      update: (b) => void (actions = Array.from(b.actions)),
    });
    expect(actions).toEqual([0.5, 1.25, 0.5, 1.25]);
    expect(Array.from(env.lastAction)).toEqual([0.5, 1.25]);
  });
});

describe('runOnPolicy: whole episodes', () => {
  it('collects k whole episodes from one env', async () => {
    const seen: Seen[] = [];
    await runOnPolicy(new TickEnv({ length: 3 }), { steps: 12, collect: { episodes: 2 }, policy, update: (b) => void seen.push(snapshot(b, 1)) });
    expect(seen.map((s) => s.lengths)).toEqual([[6], [6]]);
    expect(seen[0]!.returns).toEqual([[6, 5, 3, 6, 5, 3]]);
  });

  it('carries the running episode of a vector env over to the next rollout', async () => {
    const vec = new SyncVectorEnv([() => new TickEnv({ length: 2, id: 0 }), () => new TickEnv({ length: 3, id: 1 })]);
    const seen: Seen[] = [];
    const r = await runOnPolicy(vec, { steps: 12, collect: { episodes: 2 }, policy, update: (b) => void seen.push(snapshot(b, 1)) });
    expect(seen.map((s) => s.lengths)).toEqual([[2, 3], [4, 3]]);
    expect(seen[1]!.obsT).toEqual([[0, 1, 0, 1], [0, 1, 2]]); // env 0's first row is the carried step
    expect(seen[1]!.rewards).toEqual([[1, 2, 1, 2], [1, 2, 3]]);
    expect(seen[1]!.returns).toEqual([[3, 2, 3, 2], [6, 5, 3]]);
    expect(r).toMatchObject({ step: 12, updates: 2, episodes: 5 });
  });
});

describe('runOnPolicy: stopping, hooks and errors', () => {
  it('waits for an async update, stops after an abort at the next boundary and closes the env', async () => {
    const env = new TickEnv({ length: 10 });
    const ac = new AbortController();
    const r = await runOnPolicy(env, {
      steps: 1000, collect: { rolloutLength: 4 }, policy, signal: ac.signal,
      update: async () => { ac.abort(); await new Promise((res) => setTimeout(res, 5)); return 1; },
    });
    expect(r).toMatchObject({ step: 4, updates: 1, stopped: 'aborted' });
    expect(env.actions.length).toBe(4);
    expect(env.closes).toBe(1);
  });

  it('runs each hook once when the global step passes a multiple of its every', async () => {
    const calls: number[] = [];
    await runOnPolicy(new TickEnv({ length: 3 }), {
      steps: 12, collect: { rolloutLength: 3 }, policy, update: () => {},
      hooks: [{ every: 4, run: async (s) => void calls.push(s) }],
    });
    expect(calls).toEqual([4, 8, 12]); // after the updates at steps 6, 9 and 12 (nothing at 3)
  });

  it('rejects with the env error and with the update error, closing the env', async () => {
    const env = new TickEnv({ length: 3, throwAtStep: 5 });
    await expect(runOnPolicy(env, { steps: 20, collect: { rolloutLength: 2 }, policy, update: () => {} })).rejects.toThrow('tick env failed at step 5');
    expect(env.closes).toBe(1);
    const env2 = new TickEnv({ length: 3 });
    const err = new Error('bad update');
    await expect(runOnPolicy(env2, { steps: 20, collect: { rolloutLength: 2 }, policy, update: () => Promise.reject(err) })).rejects.toBe(err);
    expect(env2.closes).toBe(1);
  });

  it('checks its options with typed errors', () => {
    const env = new TickEnv({ length: 3 });
    expect(() => runOnPolicy(env, { steps: 5, collect: { rolloutLength: 0 }, policy, update: () => {} })).toThrow(InvalidConfig);
    expect(() => runOnPolicy(env, { steps: 5, collect: {} as { episodes: number }, policy, update: () => {} })).toThrow(
      'Expected runOnPolicy option collect to be { rolloutLength } or { episodes }, got {}.',
    );
  });
});

describe('runOnPolicy: consumers and onReset see env 0', () => {
  type Seen = { kind: 'reset'; obs: number[]; ctx: ActorContext; envT: number } | { kind: 'step'; tr: Transition<number[], number>; envT: number };
  /** Env 0 (length 2, truncating) tapped, env 1 (length 3): what the consumer and onReset saw, and when. */
  async function watch(options: { steps: number; startStep?: number; startEpisodes?: number }) {
    const env0 = new TickEnv({ length: 2, id: 0, truncate: true });
    const env1 = new TickEnv({ length: 3, id: 1 });
    const vec = new SyncVectorEnv([() => new TransitionTap(env0), () => env1]);
    const seen: Seen[] = [];
    const episodes: OnPolicyEpisode[] = [];
    const plain = (o: Float32Array): number[] => Array.from(o);
    const r = await runOnPolicy<Float32Array, number>(vec, {
      ...options, collect: { rolloutLength: 3 }, policy, update: () => {},
      onEpisode: (e) => void episodes.push(e),
      // The env's own t at the moment of each call: a transition arrives before its env is reset.
      consumers: [(source) => source.pipe(map((tr) => ({ ...tr, obs: plain(tr.obs), nextObs: plain(tr.nextObs) })), tap((tr) => void seen.push({ kind: 'step', tr, envT: (env0 as unknown as { t: number }).t })))],
      onReset: (obs, ctx) => void seen.push({ kind: 'reset', obs: plain(obs), ctx: { ...ctx }, envT: (env0 as unknown as { t: number }).t }),
    });
    return { r, seen, episodes, env0 };
  }

  it('each step of env 0 as a transition before its autoreset, each reset before its first action, numbered as the episodes are logged', async () => {
    const { r, seen, episodes, env0 } = await watch({ steps: 10, startStep: 100, startEpisodes: 7 });
    expect(r).toMatchObject({ step: 112, updates: 2 }); // 6 vector steps of 2 envs
    const step = (t: number, episode: number, s: number, end = false) => ({
      kind: 'step', envT: t + 1,
      tr: { obs: [t, 0], action: 1, reward: t + 1, nextObs: [t + 1, 0], terminated: false, truncated: end, info: {}, episode, t, step: s },
    });
    const reset = (episode: number, s: number) => ({ kind: 'reset', obs: [0, 0], ctx: { step: s, episode, t: 0 }, envT: 0 });
    // Env 0 ends after vector steps 2, 4 and 6; env 1 after 3 and 6. Env 0's episodes are numbered at their
    // start, after env 1's that ended on the same step: 7 (0 in this call), then 8 and 10 (1 and 3); env 1's 9 and 11.
    expect(seen).toEqual([
      reset(0, 0), step(0, 0, 0), step(1, 0, 2, true),
      reset(1, 4), step(0, 1, 4), step(1, 1, 6, true),
      reset(3, 8), step(0, 3, 8), step(1, 3, 10, true),
      reset(5, 12),
    ]);
    expect(episodes.map((e) => [e.env, e.episode, e.globalStep])).toEqual([[0, 7, 104], [1, 9, 106], [0, 8, 108], [0, 10, 112], [1, 11, 112]]);
    expect(r.episodes).toBe(12); // one past the highest index logged
    expect(env0.closes).toBe(1);
  });

  it('an env given alone is tapped by the loop; an error of a consumer fails the run and closes the env', async () => {
    const env = new TickEnv({ length: 3 });
    const trs: [number, number, number][] = [];
    const resets: number[] = [];
    await runOnPolicy<Float32Array, number>(env, {
      steps: 6, collect: { episodes: 1 }, policy, update: () => {},
      consumers: [(source) => source.pipe(tap((tr) => void trs.push([tr.episode, tr.t, tr.step])))],
      onReset: (_obs, ctx) => void resets.push(ctx.episode),
    });
    expect(trs).toEqual([[0, 0, 0], [0, 1, 1], [0, 2, 2], [1, 0, 3], [1, 1, 4], [1, 2, 5]]);
    expect(resets).toEqual([0, 1, 2]);

    const env2 = new TickEnv({ length: 3 });
    const boom = new Error('recorder failed');
    const run = runOnPolicy(env2, { steps: 100, collect: { rolloutLength: 4 }, policy, update: () => {}, consumers: [(source) => source.pipe(tap((tr) => { if (tr.step === 5) throw boom; }))] });
    await expect(run).rejects.toBe(boom);
    expect(env2.actions.length).toBe(6); // stopped after the step whose transition failed
    expect(env2.closes).toBe(1);
  });

  it('needs a tap on env 0 of a vector it is given, and makes no transition without consumers', async () => {
    const vec = new SyncVectorEnv([() => new TickEnv({ length: 2 }), () => new TickEnv({ length: 2 })]);
    expect(() => runOnPolicy(vec, { steps: 4, collect: { rolloutLength: 2 }, policy, update: () => {}, consumers: [(s) => s] })).toThrow(
      /^Expected runOnPolicy env 0 to be a TransitionTap for consumers or onReset, got /,
    );
    expect(() => runOnPolicy(vec, { steps: 4, collect: { rolloutLength: 2 }, policy, update: () => {}, consumers: [1 as never] })).toThrow(
      'Expected runOnPolicy option consumers to be an array of rxjs operators, got [1].',
    );
    const tapped = new TransitionTap(new TickEnv({ length: 2 }));
    await runOnPolicy(new SyncVectorEnv([() => tapped, () => new TickEnv({ length: 2 })]), { steps: 4, collect: { rolloutLength: 2 }, policy, update: () => {} });
    expect(tapped.listener).toBeNull();
  });

  it('learnerVec: env 0 is the env itself (tapped on request), the copies are made from its spec, each with its own time limit', async () => {
    const { make } = await import('../../../envs/registry.js');
    const env = make('CartPole-v1', {}, { maxEpisodeSteps: 7 });
    const vec = learnerVec(env, 3, false) as SyncVectorEnv;
    expect(vec.envs[0]).toBe(env);
    expect(vec.maxEpisodeSteps).toBeUndefined(); // no second limit over env 0's own
    expect(vec.envs.slice(1).map(String)).toEqual(['LimitedCopy<CartPoleEnv<CartPole-v1>>', 'LimitedCopy<CartPoleEnv<CartPole-v1>>']);
    expect(vec.fastPath).toBe(false); // env 0 steps through its wrappers; the copies through stepInto
    expect(String(learnerVec(make('Acrobot-v1'), 2, false).envs![1])).toBe('TimeLimit<AcrobotEnv<Acrobot-v1>>'); // no stepInto
    vec.reset({ seed: 1 });
    const ends: number[] = [];
    for (let t = 1; t <= 14; t++) {
      const r = vec.step(Int32Array.of(t % 2, t % 2, t % 2));
      if (r.done[1]) ends.push(t);
      if (r.done[2] && !r.truncated[2]) ends.push(-t);
    }
    expect(ends).toEqual([7, 14]); // env 1 cut at 7 steps, as env 0 would be
    const tapped = learnerVec(env, 1, true);
    expect(tapped.envs[0]).toBeInstanceOf(TransitionTap);
    expect((tapped.envs[0] as TransitionTap<unknown, unknown>).env).toBe(env);
  });
});
