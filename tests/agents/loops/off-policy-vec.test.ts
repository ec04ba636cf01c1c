import { describe, expect, it } from 'vitest';
import { tap } from 'rxjs';
import type { Transition } from '../../../core/env.js';
import { InvalidConfig } from '../../../core/errors.js';
import { SyncVectorEnv } from '../../../envs/vector.js';
import { runOffPolicyVec, type OffPolicyVecOptions, type VecLoopEpisode } from '../../../agents/loops/off-policy-vec.js';
import { TransitionTap } from '../../../agents/loops/single-env-vec.js';
import { TickEnv } from './tick-env.js';

/** One stored row, copied (the loop passes views it reuses). */
interface Row { env: number; obs: number[]; action: number; reward: number; nextObs: number[]; terminated: boolean; truncated: boolean }

/** Envs that end at different steps: env 0 terminates after 3 steps, env 1 is truncated after 5, env 2 terminates after 4. */
function mixedVec(tapped = false): SyncVectorEnv {
  const env0 = () => (tapped ? new TransitionTap(new TickEnv({ length: 3, id: 0 })) : new TickEnv({ length: 3, id: 0 }));
  return new SyncVectorEnv([env0, () => new TickEnv({ length: 5, id: 1, truncate: true }), () => new TickEnv({ length: 4, id: 2 })]);
}

function base(rows: Row[], over: Partial<OffPolicyVecOptions> = {}): OffPolicyVecOptions {
  return {
    steps: 30, seed: 0, train: () => {},
    act: (obs, _s, out) => { for (let i = 0; i < out.length; i++) out[i] = obs[2 * i + 1]!; }, // env i takes action i
    store: (env, obs, action, reward, nextObs, terminated, truncated) =>
      void rows.push({ env, obs: [...obs], action: action[0]!, reward, nextObs: [...nextObs], terminated, truncated }),
    ...over,
  };
}

describe('runOffPolicyVec: transitions of N envs', () => {
  it('stores N transitions per vector step, each env its own, and counts a step per env transition', async () => {
    const rows: Row[] = [];
    const acted: number[] = [];
    const r = await runOffPolicyVec(mixedVec(), base(rows, { act: (obs, s, out) => { acted.push(s); for (let i = 0; i < 3; i++) out[i] = i; } }));
    expect(r).toMatchObject({ step: 30, stopped: 'done' });
    expect(rows).toHaveLength(30);
    expect(acted).toEqual(Array.from({ length: 10 }, (_, v) => 3 * v)); // the global step before each vector step
    for (let v = 0; v < 10; v++) expect(rows.slice(3 * v, 3 * v + 3).map((x) => [x.env, x.action])).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(rows.every((x) => x.obs[1] === x.env && x.nextObs[1] === x.env)).toBe(true);
  });

  it('overshoots a budget that is not a multiple of N to whole vector steps (as SB3 counts num_timesteps)', async () => {
    const rows: Row[] = [];
    expect((await runOffPolicyVec(mixedVec(), base(rows, { steps: 7 }))).step).toBe(9);
    expect(rows).toHaveLength(9);
  });

  it('stores the final observation at an autoreset, never the reset one, and acts next from the reset one', async () => {
    const rows: Row[] = [];
    await runOffPolicyVec(mixedVec(), base(rows, { steps: 18 }));
    const env0 = rows.filter((x) => x.env === 0);
    // Env 0's episodes are 3 steps: t 0 -> 1 -> 2 -> 3 (final), then a reset to t 0.
    expect(env0.map((x) => [x.obs[0], x.nextObs[0]])).toEqual([[0, 1], [1, 2], [2, 3], [0, 1], [1, 2], [2, 3]]);
    const env1 = rows.filter((x) => x.env === 1);
    expect(env1.map((x) => x.nextObs[0])).toEqual([1, 2, 3, 4, 5, 1]);
    expect(env1[5]!.obs[0]).toBe(0);
  });

  it('keeps each env\'s terminated and truncated flags: a truncation bootstraps, a termination does not', async () => {
    const rows: Row[] = [];
    await runOffPolicyVec(mixedVec(), base(rows, { steps: 30 }));
    const ends = rows.filter((x) => x.terminated || x.truncated).map((x) => [x.env, x.nextObs[0], x.terminated, x.truncated]);
    expect(ends).toEqual([
      [0, 3, true, false], [2, 4, true, false], [1, 5, false, true], [0, 3, true, false], [2, 4, true, false], [0, 3, true, false], [1, 5, false, true],
    ]);
    // A learner's target r + gamma (1 - terminated) V(nextObs): the truncated row bootstraps from the final t = 5.
    const gamma = 0.5, v = (obs: number[]) => 10 * obs[0]!;
    const truncatedRow = rows.find((x) => x.truncated)!;
    expect(truncatedRow.reward + gamma * (truncatedRow.terminated ? 0 : 1) * v(truncatedRow.nextObs)).toBe(5 + 0.5 * 50);
  });

  it('reports each env\'s episodes with their own return and length: env 0\'s numbered as they start, the others\' as they end', async () => {
    const eps: VecLoopEpisode[] = [];
    const r = await runOffPolicyVec(mixedVec(), base([], { steps: 30, onEpisode: (e) => void eps.push(e), startEpisodes: 7 }));
    expect(eps.map((e) => [e.episode, e.env, e.length, e.return, e.terminated, e.truncated, e.globalStep])).toEqual([
      [7, 0, 3, 6, true, false, 9], [9, 2, 4, 10, true, false, 12], [10, 1, 5, 15, false, true, 15],
      [8, 0, 3, 6, true, false, 18], [12, 2, 4, 10, true, false, 24], [11, 0, 3, 6, true, false, 27], [14, 1, 5, 15, false, true, 30],
    ]);
    expect(r.episodes).toBe(15); // one past the highest index; env 0's running episode holds 13
  });
});

describe('runOffPolicyVec: the schedule for vector envs (SB3)', () => {
  it('trains every trainFreq vector steps once past learningStarts, gradientSteps times, after storing the step', async () => {
    const rows: Row[] = [];
    const calls: [number, number][] = [];
    const after: [number, number][] = [];
    const r = await runOffPolicyVec(mixedVec(), base(rows, {
      steps: 30, learningStarts: 8, trainFreq: 2, gradientSteps: 3,
      train: (s) => void calls.push([s, rows.length]), afterStep: (s, v) => void after.push([s, v]),
    }));
    // Vector steps 2, 4, ..., 10 end at steps 6, 12, ..., 30; 6 <= learningStarts.
    expect(calls).toEqual([12, 18, 24, 30].flatMap((s) => [[s, s], [s, s], [s, s]]));
    expect(after).toEqual(Array.from({ length: 10 }, (_, v) => [3 * (v + 1), v + 1]));
    expect(r.updates).toBe(12);
  });

  it('gradientSteps -1 runs as many gradient steps as env transitions were collected in the round (trainFreq x N)', async () => {
    const calls: number[] = [];
    await runOffPolicyVec(mixedVec(), base([], { steps: 24, trainFreq: 4, gradientSteps: -1, train: (s) => void calls.push(s) }));
    expect(calls).toEqual([...Array(12).fill(12), ...Array(12).fill(24)]);
  });

  it('skips a round canTrain refuses, and averages the losses into the log records', async () => {
    const logs: number[] = [];
    let n = 0;
    await runOffPolicyVec(mixedVec(), base([], {
      steps: 30, logInterval: 10, train: () => ++n, canTrain: () => n < 4,
      onLog: (p) => void logs.push(p.loss),
    }));
    expect(n).toBe(4);
    // Logs at steps 12, 21, 30 (past 10, 20, 30): losses 1..3 by step 9 and 4 at step 12; none after.
    expect(logs[0]).toBeCloseTo(2.5);
    expect(logs.slice(1).every(Number.isNaN)).toBe(true);
  });

  it('runs a hook once the global step passes a multiple of its interval, with the step reached', async () => {
    const ran: number[] = [];
    await runOffPolicyVec(mixedVec(), base([], { steps: 30, startStep: 0, hooks: [{ every: 10, run: async (s) => void ran.push(s) }] }));
    expect(ran).toEqual([12, 21]); // 30 is the end: the caller saves there
  });

  it('stops at the next vector-step boundary after an abort, and closes the vector', async () => {
    const controller = new AbortController();
    const vec = mixedVec();
    const r = await runOffPolicyVec(vec, base([], { steps: 3000, afterStep: (s) => { if (s === 9) controller.abort(); }, signal: controller.signal }));
    expect(r).toMatchObject({ step: 9, stopped: 'aborted' });
    expect((vec.envs[1] as TickEnv).closes).toBe(1);
  });

  it('refuses bad options with a typed error naming them', async () => {
    await expect(runOffPolicyVec(mixedVec(), base([], { gradientSteps: -2 }))).rejects.toThrow(InvalidConfig);
    await expect(runOffPolicyVec(mixedVec(), base([], { trainFreq: 0 }))).rejects.toThrow('Expected runOffPolicyVec option trainFreq to be a positive integer, got 0.');
    await expect(runOffPolicyVec(mixedVec(), base([], { consumers: [tap(() => {})] }))).rejects.toThrow(/env 0 to be a TransitionTap/);
  });
});

describe('runOffPolicyVec: env 0 seen by consumers', () => {
  it('gives the consumers env 0\'s transitions with the final observation, counted by its own episodes', async () => {
    const seen: Transition<Float32Array, number>[] = [];
    const resets: number[] = [];
    await runOffPolicyVec(mixedVec(true), base([], {
      steps: 18, consumers: [tap((t: Transition<unknown, unknown>) => void seen.push(t as Transition<Float32Array, number>))],
      onReset: (_obs, ctx) => void resets.push(ctx.episode),
    }));
    expect(seen.map((t) => [t.episode, t.t, t.step, t.obs[0], t.nextObs[0]])).toEqual([
      [0, 0, 0, 0, 1], [0, 1, 3, 1, 2], [0, 2, 6, 2, 3], [1, 0, 9, 0, 1], [1, 1, 12, 1, 2], [1, 2, 15, 2, 3],
    ]);
    expect(resets).toEqual([0, 1, 4]); // env 0's episodes take their global indices as they start
  });
});
