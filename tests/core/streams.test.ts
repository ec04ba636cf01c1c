import { afterEach, describe, expect, it, vi } from 'vitest';
import { filter, firstValueFrom, lastValueFrom, map, repeat, retry, share, take, toArray } from 'rxjs';
import type { Transition } from '../../core/env.js';
import { InvalidConfig, RxgymError } from '../../core/errors.js';
import { episodeStats } from '../../core/operators/index.js';
import { episodes$, steps$, yieldToEventLoop, type ActorContext } from '../../core/streams.js';
import { ChainEnv } from '../fixtures/chain-env.js';

/** Action 1 on even positions, 0 on odd ones: deterministic given the observations. */
const parity = (obs: number): number => (obs % 2 === 0 ? 1 : 0);

function run(env: ChainEnv, options: Parameters<typeof steps$>[2] = {}): Promise<Transition<number, number>[]> {
  return lastValueFrom(steps$(env, parity, options).pipe(toArray()));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('steps$', () => {
  it('is cold: nothing runs before subscribe, and the run starts after the subscribing tick', async () => {
    const env = new ChainEnv();
    const stream = steps$(env, parity, { maxSteps: 3 });
    expect(env.resets).toBe(0);
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => stream.subscribe({ next: (x) => seen.push(x.step), complete: resolve }));
    expect(env.resets).toBe(0);
    expect(seen).toEqual([]);
    await done;
    expect(seen).toEqual([0, 1, 2]);
  });

  it('counts t, episode and step, and gives the final observation as nextObs at an episode end', async () => {
    const env = new ChainEnv({ length: 3 });
    const contexts: ActorContext[] = [];
    const actor = (obs: number, ctx: ActorContext): number => {
      contexts.push({ ...ctx });
      return parity(obs);
    };
    const xs = await lastValueFrom(steps$(env, actor, { seed: 7, maxSteps: 7 }).pipe(toArray()));
    expect(xs.map((x) => x.t)).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(xs.map((x) => x.episode)).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(xs.map((x) => x.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(contexts).toEqual(xs.map(({ step, episode, t }) => ({ step, episode, t })));
    expect(xs.map((x) => x.terminated)).toEqual([false, false, true, false, false, true, false]);
    for (const x of xs) expect(x.nextObs).toBe(x.obs + x.action + 1); // the env's own dynamics
    // Within an episode the next obs is the next transition's obs; across the boundary it is not the reset's.
    expect(xs[1]!.obs).toBe(xs[0]!.nextObs);
    expect(xs[2]!.nextObs).toBeGreaterThanOrEqual(xs[0]!.obs + 3);
    expect(xs[3]!.obs).toBeLessThan(10); // a fresh start from reset
    expect(xs[2]!.info).toEqual({ t: 3 });
  });

  it('gives identical runs for the same seed and seeds only the first reset', async () => {
    const a = new ChainEnv({ length: 2 });
    const b = new ChainEnv({ length: 2 });
    const runA = await run(a, { seed: 42, maxEpisodes: 6 });
    const runB = await run(b, { seed: 42, maxEpisodes: 6 });
    expect(runB).toEqual(runA);
    expect(a.resetSeeds).toEqual([42, undefined, undefined, undefined, undefined, undefined]);
    const starts = runA.filter((x) => x.t === 0).map((x) => x.obs);
    expect(new Set(starts).size).toBeGreaterThan(1); // later resets continue the stream, not restart it
    const other = await run(new ChainEnv({ length: 2 }), { seed: 43, maxEpisodes: 6 });
    expect(other.map((x) => x.obs)).not.toEqual(runA.map((x) => x.obs));
  });

  it('completes at maxSteps or maxEpisodes, whichever comes first, without an extra reset', async () => {
    const byEpisodes = new ChainEnv({ length: 3 });
    expect(await run(byEpisodes, { maxEpisodes: 2, maxSteps: 100 })).toHaveLength(6);
    expect(byEpisodes.resets).toBe(2);
    const bySteps = new ChainEnv({ length: 3 });
    expect(await run(bySteps, { maxEpisodes: 2, maxSteps: 4 })).toHaveLength(4);
    expect(bySteps.resets).toBe(2);
    const none = new ChainEnv();
    expect(await run(none, { maxSteps: 0 })).toEqual([]);
    expect(none.resets).toBe(0);
    expect(none.closes).toBe(1);
  });

  it('closes the env once on complete, on error and on unsubscribe, and not at all with closeEnv: false', async () => {
    const completed = new ChainEnv();
    await run(completed, { maxSteps: 12 });
    expect(completed.closes).toBe(1);

    const failed = new ChainEnv({ throwAtStep: 2 });
    await expect(run(failed)).rejects.toThrow('chain env failed at step 2');
    expect(failed.closes).toBe(1);

    const taken = new ChainEnv();
    expect(await lastValueFrom(steps$(taken, parity).pipe(take(5), toArray()))).toHaveLength(5);
    expect(taken.closes).toBe(1);

    const kept = new ChainEnv();
    await run(kept, { maxSteps: 3, closeEnv: false });
    await lastValueFrom(steps$(kept, parity, { closeEnv: false }).pipe(take(2), toArray()));
    expect(kept.closes).toBe(0);
  });

  it('stops at once when unsubscribed in the middle of a chunk', async () => {
    const env = new ChainEnv();
    const stream = steps$(env, parity, { chunk: 1000 });
    await new Promise<void>((resolve) => {
      const sub = stream.subscribe((x) => {
        if (x.step === 10) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    expect(env.steps).toBe(11);
    await new Promise((r) => setTimeout(r, 5)); // nothing resumes later
    expect(env.steps).toBe(11);
    expect(env.closes).toBe(1);

    const taken = new ChainEnv();
    await lastValueFrom(steps$(taken, parity).pipe(take(5)));
    expect(taken.steps).toBe(5);
  });

  it('sends errors of step, reset and the actor (thrown or rejected) to the error channel, never to the caller', async () => {
    const stepFails = new ChainEnv({ throwAtStep: 3 });
    const seen: number[] = [];
    const error = await new Promise<unknown>((resolve) => {
      expect(() => steps$(stepFails, parity).subscribe({ next: (x) => seen.push(x.step), error: resolve })).not.toThrow();
    });
    // The env's own error, named by env and method, with the original as its cause.
    expect((error as Error).message).toBe('ChainEnv.step() threw: chain env failed at step 3');
    expect(((error as Error).cause as Error).message).toBe('chain env failed at step 3');
    expect(seen).toEqual([0, 1, 2]);

    const resetFails = new ChainEnv();
    resetFails.failReset = true;
    await expect(run(resetFails)).rejects.toThrow('chain env cannot reset');
    expect(resetFails.closes).toBe(1);

    const throwing = (obs: number, ctx: ActorContext): number => {
      if (ctx.step === 4) throw new RangeError(`no action for ${obs}`);
      return 0;
    };
    await expect(lastValueFrom(steps$(new ChainEnv(), throwing))).rejects.toBeInstanceOf(RangeError);
    const rejecting = async (_obs: number, ctx: ActorContext): Promise<number> => {
      if (ctx.step === 2) throw new Error('policy server down');
      return 1;
    };
    const env = new ChainEnv();
    await expect(lastValueFrom(steps$(env, rejecting))).rejects.toThrow('policy server down');
    expect(env.steps).toBe(2);
    expect(env.closes).toBe(1);
  });

  it('awaits an async actor and gives the same run as the sync one', async () => {
    const asyncParity = async (obs: number): Promise<number> => {
      await new Promise((r) => setTimeout(r, 0));
      return parity(obs);
    };
    const env = new ChainEnv({ length: 4 });
    const xs = await lastValueFrom(steps$(env, asyncParity, { seed: 5, maxSteps: 10 }).pipe(toArray()));
    expect(xs).toEqual(await run(new ChainEnv({ length: 4 }), { seed: 5, maxSteps: 10 }));
    expect(env.closes).toBe(1);
  });

  it('yields to the event loop between chunks, so a timer runs during a long synchronous run', async () => {
    const env = new ChainEnv({ spinMicros: 5 });
    let stepWhenTimerRan = -1;
    let last = -1;
    const stream = steps$(env, parity, { maxSteps: 20_000, chunk: 200 });
    const done = new Promise<void>((resolve) => stream.subscribe({ next: (x) => (last = x.step), complete: resolve }));
    setTimeout(() => (stepWhenTimerRan = last), 1);
    await done;
    expect(stepWhenTimerRan).toBeGreaterThan(0);
    expect(stepWhenTimerRan).toBeLessThan(19_999);
  });

  it('an async actor that resolves at once still yields every chunk (microtasks alone would starve timers)', async () => {
    const env = new ChainEnv({ spinMicros: 5 });
    let stepWhenTimerRan = -1;
    let last = -1;
    const stream = steps$(env, async (obs: number) => parity(obs), { maxSteps: 20_000, chunk: 200 });
    const done = new Promise<void>((resolve) => stream.subscribe({ next: (x) => (last = x.step), complete: resolve }));
    setTimeout(() => (stepWhenTimerRan = last), 1);
    await done;
    expect(stepWhenTimerRan).toBeGreaterThan(0);
    expect(stepWhenTimerRan).toBeLessThan(19_999);
  });

  it('with share(), a replay writer, stats and a recorder see the same transitions from one run of the env', async () => {
    const env = new ChainEnv({ length: 3 });
    const run$ = steps$(env, parity, { seed: 1, maxSteps: 2500, chunk: 100 }).pipe(share());
    const replay: Transition<number, number>[] = [];
    const recorded: Transition<number, number>[] = [];
    run$.subscribe((x) => replay.push(x));
    const stats = lastValueFrom(run$.pipe(episodeStats(), toArray()));
    run$.pipe(filter((x) => x.episode % 2 === 0)).subscribe((x) => recorded.push(x));
    const summaries = await stats;
    expect(env.steps).toBe(2500);
    expect(env.resets).toBe(834);
    expect(env.closes).toBe(1);
    expect(replay.map((x) => x.step)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(recorded.every((x) => replay[x.step] === x)).toBe(true); // the very same objects
    expect(summaries).toHaveLength(833);
    expect(summaries[0]!.return).toBe(replay[0]!.reward + replay[1]!.reward + replay[2]!.reward);
  });

  it('refuses a second concurrent run of the same env, with a message that says to share()', async () => {
    const env = new ChainEnv();
    const stream = steps$(env, parity, { maxSteps: 50 });
    const first = lastValueFrom(stream.pipe(toArray()));
    const second = lastValueFrom(stream);
    await expect(second).rejects.toThrow(RxgymError);
    await expect(second).rejects.toThrow(
      'Expected one steps$ run per environment at a time, got a second subscription while the env is running. ' +
        'Share one run between consumers with share(), or make a second env.',
    );
    expect(await first).toHaveLength(50);
    expect(env.resets).toBe(10);
  });

  it('can be subscribed again after a run ends (retry, repeat) when the env is kept open', async () => {
    const env = new ChainEnv();
    const stream = steps$(env, parity, { seed: 9, maxSteps: 4, closeEnv: false });
    const a = await lastValueFrom(stream.pipe(toArray()));
    const b = await lastValueFrom(stream.pipe(toArray()));
    expect(b).toEqual(a);
  });

  it('works with repeat() and retry() when the env is kept open', async () => {
    const env = new ChainEnv({ length: 2 });
    const repeated = await lastValueFrom(steps$(env, parity, { seed: 3, maxSteps: 3, closeEnv: false }).pipe(repeat(2), toArray()));
    expect(repeated.map((x) => x.step)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(repeated.slice(3)).toEqual(repeated.slice(0, 3)); // each subscription reseeds its first reset

    const flaky = new ChainEnv({ throwAtStep: 4 });
    const retried = await lastValueFrom(steps$(flaky, parity, { maxSteps: 6, closeEnv: false }).pipe(retry(1), toArray()));
    expect(retried.map((x) => x.step)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 4, 5]);
  });

  it('drops a pending async action when unsubscribed while it is awaited', async () => {
    const env = new ChainEnv();
    let release: (action: number) => void = () => {};
    const slow = (): Promise<number> => new Promise<number>((resolve) => (release = resolve));
    const sub = steps$(env, slow).subscribe();
    await new Promise((r) => setTimeout(r, 1));
    expect(env.resets).toBe(1);
    sub.unsubscribe();
    expect(env.closes).toBe(1);
    release(1);
    await new Promise((r) => setTimeout(r, 1));
    expect(env.steps).toBe(0);
  });

  it('checks its options at the call', () => {
    const env = new ChainEnv();
    expect(() => steps$(env, parity, { maxSteps: -1 })).toThrow('Expected steps$ option maxSteps to be a non-negative integer, got -1.');
    expect(() => steps$(env, parity, { maxEpisodes: 1.5 })).toThrow(InvalidConfig);
    expect(() => steps$(env, parity, { chunk: 0 })).toThrow('Expected steps$ option chunk to be a positive integer, got 0.');
    expect(() => steps$(env, parity, { seed: -3 })).toThrow('Expected steps$ option seed to be a non-negative integer, got -3.');
    expect(() => steps$(env, parity, { closeEnv: 'yes' as unknown as boolean })).toThrow(
      'Expected steps$ option closeEnv to be a boolean, got "yes".',
    );
    expect(env.resets).toBe(0);
  });
});

describe('episodes$', () => {
  it('emits one summary per finished episode', async () => {
    const env = new ChainEnv({ length: 4, truncate: true });
    const summaries = await lastValueFrom(episodes$(env, () => 1, { maxEpisodes: 3 }).pipe(toArray()));
    expect(summaries.map(({ seconds: _s, ...rest }) => rest)).toEqual([
      { episode: 0, return: 6, length: 4, terminated: false, truncated: true, step: 3 },
      { episode: 1, return: 6, length: 4, terminated: false, truncated: true, step: 7 },
      { episode: 2, return: 6, length: 4, terminated: false, truncated: true, step: 11 },
    ]);
    expect(summaries.every((s) => s.seconds >= 0 && s.seconds < 1)).toBe(true);
    expect(env.closes).toBe(1);
  });
});

describe('yieldToEventLoop', () => {
  it('falls back to MessageChannel, then setTimeout, where setImmediate is missing (browsers)', async () => {
    vi.stubGlobal('setImmediate', undefined);
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      yieldToEventLoop(() => order.push('a'));
      yieldToEventLoop(() => {
        order.push('b');
        resolve();
      });
    });
    expect(order).toEqual(['a', 'b']);
    const viaChannel = await firstValueFrom(steps$(new ChainEnv(), parity, { maxSteps: 30, chunk: 4 }).pipe(toArray()));
    expect(viaChannel).toHaveLength(30);

    vi.stubGlobal('MessageChannel', undefined);
    const viaTimeout = await firstValueFrom(steps$(new ChainEnv(), parity, { maxSteps: 30, chunk: 4 }).pipe(map((x) => x.step), toArray()));
    expect(viaTimeout).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
