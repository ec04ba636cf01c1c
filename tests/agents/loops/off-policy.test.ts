import { describe, expect, it } from 'vitest';
import { tap } from 'rxjs';
import type { Transition } from '../../../core/env.js';
import { InvalidConfig } from '../../../core/errors.js';
import { runOffPolicy, type LoopEpisode, type OffPolicyOptions } from '../../../agents/loops/off-policy.js';
import type { LoopProgress } from '../../../agents/loops/common.js';
import { ChainEnv } from '../../fixtures/chain-env.js';

type T = Transition<number, number>;

/** A replay stand-in that keeps every stored transition. */
class ListStore {
  readonly items: T[] = [];
  addTransition(t: T): void {
    this.items.push(t);
  }
}

function base(store: ListStore, over: Partial<OffPolicyOptions<number, number>> = {}): OffPolicyOptions<number, number> {
  return { steps: 20, act: () => 1, store, train: () => {}, seed: 0, ...over };
}

describe('runOffPolicy: the schedule', () => {
  it('trains when step > learningStarts and step % trainFreq === 0, gradientSteps times, after storing that step', async () => {
    const store = new ListStore();
    const trainCalls: [number, number][] = [];
    const after: number[] = [];
    const acted: number[] = [];
    const r = await runOffPolicy(new ChainEnv(), base(store, {
      learningStarts: 8,
      trainFreq: 4,
      gradientSteps: 2,
      act: (_obs, s) => (acted.push(s), 1),
      train: (s) => void trainCalls.push([s, store.items.length]),
      afterStep: (s) => void after.push(s),
    }));
    expect(trainCalls).toEqual([[12, 12], [12, 12], [16, 16], [16, 16], [20, 20], [20, 20]]);
    expect(after).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(acted).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(r).toMatchObject({ step: 20, episodes: 4, updates: 6, stopped: 'done' });
  });

  it('skips a due round when canTrain says no, and runs afterStep after the round', async () => {
    const store = new ListStore();
    const log: string[] = [];
    const r = await runOffPolicy(new ChainEnv(), base(store, {
      steps: 6,
      trainFreq: 2,
      canTrain: () => store.items.length >= 4,
      train: (s) => void log.push(`train ${s}`),
      afterStep: (s) => void log.push(`after ${s}`),
    }));
    expect(log).toEqual(['after 1', 'after 2', 'after 3', 'train 4', 'after 4', 'after 5', 'train 6', 'after 6']);
    expect(r.updates).toBe(2);
  });

  it('continues the global counters from startStep, startEpisodes and startUpdates', async () => {
    const store = new ListStore();
    const trained: number[] = [];
    const acted: number[] = [];
    const episodes: LoopEpisode[] = [];
    const r = await runOffPolicy(new ChainEnv(), base(store, {
      steps: 10,
      startStep: 100,
      startEpisodes: 7,
      startUpdates: 40,
      learningStarts: 101,
      trainFreq: 4,
      act: (_obs, s) => (acted.push(s), 0),
      train: (s) => void trained.push(s),
      onEpisode: (e) => void episodes.push(e),
    }));
    expect(acted).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(trained).toEqual([104, 108]);
    expect(episodes.map((e) => [e.episode, e.globalStep, e.step])).toEqual([[7, 105, 4], [8, 110, 9]]);
    expect(r).toMatchObject({ step: 110, episodes: 9, updates: 42, stopped: 'done' });
  });

  it('reports the mean loss over each log interval and throttled progress', async () => {
    const logs: LoopProgress[] = [];
    const progress: number[] = [];
    await runOffPolicy(new ChainEnv({ length: 1000 }), base(new ListStore(), {
      steps: 250,
      logInterval: 20,
      train: (s) => s,
      onLog: (p) => void logs.push(p),
      onProgress: (p) => void progress.push(p.step),
    }));
    expect(logs.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => 20 * (i + 1)));
    // Losses are the steps: the mean over steps 21..40 is 30.5.
    expect(logs[1]!.loss).toBe(30.5);
    expect(logs[0]!.updates).toBe(20);
    // Every 100 steps, except on log steps (100 and 200 are), and once at the end.
    expect(progress).toEqual([250]);
  });
});

describe('runOffPolicy: hooks', () => {
  it('runs hooks at step boundaries after the first step, in order, with everything before stored and trained', async () => {
    const store = new ListStore();
    const trained: number[] = [];
    const seen: string[] = [];
    const hook = (name: string) => async (s: number) => {
      seen.push(`${name} ${s} stored ${store.items.length} trained ${trained.at(-1)}`);
      await new Promise((r) => setTimeout(r, 5)); // the stream must wait for it
      seen.push(`${name} ${s} done`);
    };
    const r = await runOffPolicy(new ChainEnv(), base(store, {
      steps: 12,
      startStep: 3,
      train: (s) => void trained.push(s),
      act: (_obs, s) => (seen.push(`act ${s}`), 1),
      hooks: [{ every: 4, run: hook('a') }, { every: 8, run: hook('b') }],
    }));
    const hooksOnly = seen.filter((x) => !x.startsWith('act'));
    expect(hooksOnly).toEqual([
      'a 4 stored 1 trained 4', 'a 4 done',
      'a 8 stored 5 trained 8', 'a 8 done', 'b 8 stored 5 trained 8', 'b 8 done',
      'a 12 stored 9 trained 12', 'a 12 done',
    ]);
    // The action at a hook's step is chosen only after the hook finished.
    expect(seen.indexOf('act 8')).toBe(seen.indexOf('b 8 done') + 1);
    expect(r.step).toBe(15); // no hook at 15: the run ends before that boundary
  });

  it('rejects with a hook error and closes the env', async () => {
    const env = new ChainEnv();
    const err = new Error('checkpoint failed');
    await expect(runOffPolicy(env, base(new ListStore(), { hooks: [{ every: 3, run: () => Promise.reject(err) }] }))).rejects.toBe(err);
    expect(env.closes).toBe(1);
    expect(env.steps).toBe(3);
  });
});

describe('runOffPolicy: stopping and errors', () => {
  it('stops at the next step boundary after an abort, resolves aborted and closes the env', async () => {
    const env = new ChainEnv();
    const ac = new AbortController();
    const store = new ListStore();
    const consumed: number[] = [];
    const r = await runOffPolicy(env, base(store, {
      steps: 100,
      signal: ac.signal,
      onEpisode: () => ac.abort(), // mid-step: the step in flight still reaches every consumer
      consumers: [tap((t: T) => void consumed.push(t.step))],
    }));
    expect(r).toMatchObject({ step: 5, episodes: 1, stopped: 'aborted' });
    expect(store.items.length).toBe(5);
    expect(consumed).toEqual([0, 1, 2, 3, 4]);
    expect(env.steps).toBe(5);
    expect(env.closes).toBe(1);
  });

  it('stops a long synchronous run aborted from a timer', async () => {
    const env = new ChainEnv({ spinMicros: 20 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const r = await runOffPolicy(env, base(new ListStore(), { steps: 1_000_000, signal: ac.signal }));
    expect(r.stopped).toBe('aborted');
    expect(r.step).toBeGreaterThan(0);
    expect(r.step).toBeLessThan(1_000_000);
    expect(env.steps).toBe(r.step);
    expect(env.closes).toBe(1);
  });

  it('lets a hook in flight finish before resolving an abort', async () => {
    const env = new ChainEnv();
    const ac = new AbortController();
    let hookDone = false;
    const r = await runOffPolicy(env, base(new ListStore(), {
      signal: ac.signal,
      hooks: [{ every: 3, run: async () => { ac.abort(); await new Promise((res) => setTimeout(res, 10)); hookDone = true; } }],
    }));
    expect(hookDone).toBe(true);
    expect(r).toMatchObject({ step: 3, stopped: 'aborted' });
    expect(env.closes).toBe(1);
  });

  it('resolves at once when the signal is already aborted', async () => {
    const env = new ChainEnv();
    const r = await runOffPolicy(env, base(new ListStore(), { startStep: 9, signal: AbortSignal.abort() }));
    expect(r).toMatchObject({ step: 9, stopped: 'aborted' });
    expect(env.steps).toBe(0);
  });

  it('rejects with the error the env threw and closes the env', async () => {
    const env = new ChainEnv({ throwAtStep: 7 });
    const store = new ListStore();
    await expect(runOffPolicy(env, base(store))).rejects.toThrow('chain env failed at step 7');
    expect(store.items.length).toBe(7);
    expect(env.closes).toBe(1);
  });

  it('rejects with an error thrown by train', async () => {
    const env = new ChainEnv();
    const err = new Error('NaN loss');
    await expect(runOffPolicy(env, base(new ListStore(), { train: (s) => { if (s === 6) throw err; } }))).rejects.toBe(err);
    expect(env.closes).toBe(1);
  });

  it('checks its options with typed errors', () => {
    const store = new ListStore();
    expect(() => runOffPolicy(new ChainEnv(), base(store, { trainFreq: 0 }))).toThrow(InvalidConfig);
    expect(() => runOffPolicy(new ChainEnv(), base(store, { trainFreq: 0 }))).toThrow('Expected runOffPolicy option trainFreq to be a positive integer, got 0.');
    expect(() => runOffPolicy(new ChainEnv(), base(store, { steps: -1 }))).toThrow('option steps to be a non-negative integer, got -1.');
    expect(() => runOffPolicy(new ChainEnv(), base(store, { hooks: [{ every: 1.5, run: async () => {} }] }))).toThrow('hooks[0].every');
  });
});

describe('runOffPolicy: the shared stream', () => {
  it('gives every consumer every transition, and stores transformed rewards while logging raw returns', async () => {
    const store = new ListStore();
    const a: number[] = [];
    const b: number[] = [];
    const returns: number[] = [];
    await runOffPolicy(new ChainEnv(), base(store, {
      steps: 13,
      storeTransform: (t) => ({ ...t, reward: Math.min(1, t.reward) }),
      onEpisode: (e) => void returns.push(e.return),
      consumers: [tap((t: T) => void a.push(t.reward)), tap((t: T) => void b.push(t.step))],
    }));
    expect(store.items.map((t) => t.reward)).toEqual(Array(13).fill(1));
    expect(a).toEqual(Array(13).fill(1.5));
    expect(b).toEqual(Array.from({ length: 13 }, (_, i) => i));
    expect(returns).toEqual([7.5, 7.5]);
  });

  it('resumes the episode in flight: the first reset returns the saved observation and leaves the env alone', async () => {
    const env = new ChainEnv();
    env.reset({ seed: 3 });
    env.step(1);
    const current = env.step(1).obs; // two steps into a five-step episode
    const store = new ListStore();
    const episodes: LoopEpisode[] = [];
    await runOffPolicy(env, base(store, { steps: 4, resumeEpisode: { obs: current }, onEpisode: (e) => void episodes.push(e) }));
    expect(store.items[0]!.obs).toBe(current);
    expect(store.items.map((t) => t.nextObs)).toEqual([current + 2, current + 4, current + 6, store.items[3]!.nextObs]);
    expect(store.items[2]!.terminated).toBe(true); // the episode's steps 3 to 5
    expect(env.resets).toBe(2); // the caller's and the one after the resumed episode ended
    expect(episodes.map((e) => e.length)).toEqual([3]);
  });

  it('an exact resume carries the return and length from before the checkpoint into the first summary, and keeps the live episode record', async () => {
    const env = new ChainEnv();
    env.reset({ seed: 3 });
    env.step(1);
    const current = env.step(1).obs; // two steps (reward 1.5 each) into a five-step episode
    const store = new ListStore();
    const episodes: LoopEpisode[] = [];
    const live = { obs: undefined as number | undefined, return: 0, length: 0 };
    const seen: { step: number; obs: number | undefined; ret: number; len: number }[] = [];
    await runOffPolicy(env, base(store, {
      steps: 4,
      resumeEpisode: { obs: current, return: 3, length: 2 },
      episodeState: live,
      hooks: [{ every: 1, run: async (step) => void seen.push({ step, obs: live.obs, ret: live.return, len: live.length }) }],
      onEpisode: (e) => void episodes.push(e),
    }));
    expect(episodes.map((e) => [e.return, e.length])).toEqual([[7.5, 5]]);
    // At each boundary the record holds the episode so far; after the terminal step, the new episode's start.
    expect(seen.map((x) => [x.step, x.ret, x.len])).toEqual([[1, 4.5, 3], [2, 6, 4], [3, 0, 0]]);
    expect(seen[0]!.obs).toBe(store.items[0]!.nextObs);
    expect(seen[2]!.obs).toBe(store.items[3]!.obs);
  });
});
