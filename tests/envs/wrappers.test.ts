import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { box, contains, describeSpace, discrete, flatdim } from '../../core/spaces.js';
import {
  Autoreset, ClipAction, ClipReward, FlattenObservation, FrameSkip, FrameStack, NormalizeObservation, NormalizeReward,
  OrderEnforcing, RecordEpisodeStatistics, RescaleAction, TimeLimit, TransformAction, TransformObservation, TransformReward,
  type EpisodeStatistics,
} from '../../envs/wrappers/index.js';
import { ContinuousEnv, CounterEnv, WalkEnv } from '../fixtures/walk-env.js';

function expectConfigError(f: () => unknown, message: string): void {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidConfig);
  expect((caught as Error).message).toBe(message);
}

describe('ClipReward', () => {
  it('clips rewards into [min, max]', () => {
    const env = new ClipReward(new CounterEnv(), 0, 1.5);
    env.reset();
    expect(env.step(0).reward).toBe(1);
    expect(env.step(1).reward).toBe(1.5);
    expect(env.unwrapped).toBeInstanceOf(CounterEnv);
    expect(String(env)).toBe('ClipReward<CounterEnv>');
  });
  it('rejects bad bounds with a message naming the wrapper', () => {
    expectConfigError(() => new ClipReward(new CounterEnv(), 1, 0), 'ClipReward: Expected min < max, got min 1 and max 0.');
    expectConfigError(
      () => new ClipReward(new CounterEnv(), NaN, 1),
      'ClipReward: Expected min to be a number (or +-Infinity), got NaN. Use new ClipReward(env, -1, 1).',
    );
  });
});

describe('ClipAction', () => {
  it('clips to the Box bounds and exposes an unbounded action space', () => {
    const inner = new ContinuousEnv();
    const env = new ClipAction(inner);
    expect(describeSpace(env.actionSpace)).toBe('Box(-inf, inf, [2], float32)');
    env.reset();
    const action = Float32Array.of(-5, 7);
    env.step(action);
    expect(Array.from(inner.lastAction)).toEqual([-1, 2]);
    expect(Array.from(action)).toEqual([-5, 7]); // the caller's array is untouched
  });
  it('rejects a Discrete action space', () => {
    expectConfigError(() => new ClipAction(new CounterEnv()), "ClipAction: Expected the environment's action space to be a float32 or float64 Box, got Discrete(2).");
  });
});

describe('RescaleAction', () => {
  it('maps [min, max] linearly onto the env bounds', () => {
    const inner = new ContinuousEnv();
    const env = new RescaleAction(inner, -1, 1);
    expect(describeSpace(env.actionSpace)).toBe('Box(-1, 1, [2], float32)');
    env.reset();
    env.step(Float32Array.of(-1, -1));
    expect(Array.from(inner.lastAction)).toEqual([-1, 0]);
    env.step(Float32Array.of(1, 0));
    expect(Array.from(inner.lastAction)).toEqual([1, 1]);
    env.step(Float32Array.of(0.5, 3)); // 3 is clipped to 1 first
    expect(Array.from(inner.lastAction)).toEqual([0.5, 2]);
  });
  it('accepts per-element bounds', () => {
    const inner = new ContinuousEnv();
    const env = new RescaleAction(inner, [0, 0], [1, 4]);
    env.reset();
    env.step(Float32Array.of(0.5, 1));
    expect(Array.from(inner.lastAction)).toEqual([0, 0.5]);
  });
  it('validates its arguments', () => {
    expectConfigError(() => new RescaleAction(new ContinuousEnv(), 1, 1), 'RescaleAction: Expected min < max, got min 1 and max 1 at element 0.');
    expectConfigError(
      () => new RescaleAction(new ContinuousEnv(), [0], 1),
      'RescaleAction: Expected min to be a finite number or an array of 2 finite numbers, got [0].',
    );
    expectConfigError(() => new RescaleAction(new CounterEnv(), -1, 1), "RescaleAction: Expected the environment's action space to be a float32 or float64 Box, got Discrete(2).");
    const unbounded = new ContinuousEnv();
    (unbounded as { actionSpace: unknown }).actionSpace = box({ low: -Infinity, high: 1, shape: [2] });
    expectConfigError(() => new RescaleAction(unbounded, -1, 1), "RescaleAction: Expected the environment's action space to have finite bounds, got Box(-inf, 1, [2], float32).");
  });
});

describe('TransformObservation / TransformReward / TransformAction', () => {
  it('transforms observations, with an optional new space', () => {
    const env = new TransformObservation(new CounterEnv(), (t: number) => Float32Array.of(t * 10), box({ low: 0, high: 50, shape: [1] }));
    expect(Array.from(env.reset().obs)).toEqual([0]);
    expect(Array.from(env.step(0).obs)).toEqual([10]);
    expect(describeSpace(env.observationSpace)).toBe('Box(0, 50, [1], float32)');
    const same = new TransformObservation(new CounterEnv(), (t: number) => t);
    expect(same.observationSpace).toEqual(discrete(6));
  });
  it('transforms rewards', () => {
    const env = new TransformReward(new CounterEnv(), (r) => r * 0.5);
    env.reset();
    expect(env.step(1).reward).toBe(1);
  });
  it('transforms actions, with an optional new space', () => {
    const inner = new ContinuousEnv();
    const env = new TransformAction(inner, (a: number) => Float32Array.of(a - 1, 0), discrete(3));
    expect(env.actionSpace).toEqual(discrete(3));
    env.reset();
    env.step(2);
    expect(Array.from(inner.lastAction)).toEqual([1, 0]);
  });
  it('rejects a non-function', () => {
    expectConfigError(() => new TransformReward(new CounterEnv(), 3 as never), 'TransformReward: Expected f (reward) => number to be a function, got 3.');
    expectConfigError(() => new TransformObservation(new CounterEnv(), null as never), 'TransformObservation: Expected f (obs) => newObs to be a function, got null.');
    expectConfigError(() => new TransformAction(new CounterEnv(), 'x' as never), 'TransformAction: Expected f (action) => innerAction to be a function, got "x".');
    expectConfigError(
      () => new TransformObservation(new CounterEnv(), (t: number) => t, { kind: 'discrete', n: 0 } as never),
      'TransformObservation: Expected space (the new observation space) to be a core space (box(), discrete(), ...) or undefined, got {"kind":"discrete","n":0}.',
    );
    expectConfigError(
      () => new TransformAction(new CounterEnv(), (a: number) => a, [2] as never),
      'TransformAction: Expected space (the accepted action space) to be a core space (box(), discrete(), ...) or undefined, got [2].',
    );
  });
});

describe('NormalizeObservation', () => {
  it('returns float32 observations in an unbounded space and counts every observation', () => {
    const env = new NormalizeObservation(new WalkEnv());
    expect(env.reset({ seed: 3 }).obs).toBeInstanceOf(Float32Array);
    for (let i = 0; i < 4; i++) env.step(1);
    expect(env.getState().count).toBeCloseTo(5 + 1e-4, 10); // reset + 4 steps, from Gymnasium's initial 1e-4
    expect(describeSpace(env.observationSpace)).toBe('Box(-inf, inf, [2], float32)');
  });
  it('matches a direct computation of (x - mean) / sqrt(var + eps)', () => {
    const env = new NormalizeObservation(new TransformObservation(new CounterEnv(10), (t: number) => Float32Array.of(t), box({ low: 0, high: 10, shape: [1] })));
    env.reset();
    const xs = [0];
    let last = 0;
    for (let i = 0; i < 5; i++) {
      last = env.step(0).obs[0]!;
      xs.push(i + 1);
    }
    // Gymnasium's RunningMeanStd: count starts at 1e-4 with mean 0, var 1.
    let mean = 0, v = 1, count = 1e-4;
    for (const x of xs) {
      const delta = x - mean, tot = count + 1;
      mean += delta / tot;
      v = (v * count + (delta * delta * count) / tot) / tot;
      count = tot;
    }
    expect(last).toBeCloseTo((5 - mean) / Math.sqrt(v + 1e-8), 5);
    expect(env.getState().mean[0]).toBeCloseTo(mean, 12);
  });
  it('freezes the statistics when update is false, and restores a saved state', () => {
    const env = new NormalizeObservation(new WalkEnv(), { update: false });
    env.reset({ seed: 1 });
    env.step(1);
    expect(env.getState()).toEqual({ mean: [0, 0], var: [1, 1], count: 1e-4 });
    env.setState({ mean: [1, 2], var: [4, 9], count: 10 });
    const inner = env.unwrapped as WalkEnv;
    const obs = env.step(1).obs;
    expect(obs[0]).toBeCloseTo((inner.x - 1) / 2, 5);
    expect(obs[1]).toBeCloseTo((inner.v - 2) / 3, 5);
  });
  it('validates its arguments and states', () => {
    expectConfigError(() => new NormalizeObservation(new CounterEnv()), "NormalizeObservation: Expected the environment's observation space to be a Box, got Discrete(6).");
    expectConfigError(() => new NormalizeObservation(new WalkEnv(), { epsilon: 0 }), 'NormalizeObservation: Expected epsilon to be a positive number, got 0.');
    const env = new NormalizeObservation(new WalkEnv());
    expectConfigError(
      () => env.setState({ mean: [0], var: [1], count: 1 }),
      'NormalizeObservation: Expected a state { mean: 2 numbers, var: 2 non-negative numbers, count > 0 }, got {"mean":[0],"var":[1],"count":1}.',
    );
  });
});

describe('NormalizeReward', () => {
  it('scales by the std of the discounted return, as Gymnasium 1.x', () => {
    const gamma = 0.9;
    const env = new NormalizeReward(new CounterEnv(3), { gamma });
    env.reset();
    let G = 0, mean = 0, v = 1, count = 1e-4;
    const rewards = [1, 2, 1, 2, 2];
    const got: number[] = [];
    const want: number[] = [];
    for (let i = 0; i < rewards.length; i++) {
      const a = rewards[i]! - 1;
      const r = env.step(a);
      got.push(r.reward);
      G = G * gamma * (r.terminated ? 0 : 1) + rewards[i]!; // as Gymnasium: only termination restarts the return
      const delta = G - mean, tot = count + 1;
      mean += delta / tot;
      v = (v * count + (delta * delta * count) / tot) / tot;
      count = tot;
      want.push(rewards[i]! / Math.sqrt(v + 1e-8));
      if (r.terminated) env.reset();
    }
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 10));
  });
  it('saves and restores its state; update false freezes it', () => {
    const env = new NormalizeReward(new CounterEnv(), { update: false });
    env.reset();
    expect(env.step(1).reward).toBeCloseTo(2 / Math.sqrt(1 + 1e-8), 10);
    env.setState({ discountedReturn: 0, mean: 0, var: 3, count: 5 });
    expect(env.step(1).reward).toBeCloseTo(2 / Math.sqrt(3 + 1e-8), 10);
    expect(env.getState()).toEqual({ discountedReturn: 2, mean: 0, var: 3, count: 5 });
  });
  it('validates gamma and epsilon', () => {
    expectConfigError(() => new NormalizeReward(new CounterEnv(), { gamma: 1.5 }), 'NormalizeReward: Expected gamma to be a number in [0, 1], got 1.5.');
    expectConfigError(() => new NormalizeReward(new CounterEnv(), { epsilon: -1 }), 'NormalizeReward: Expected epsilon to be a positive number, got -1.');
    expectConfigError(() => new NormalizeReward(new CounterEnv()).setState(null as never), 'NormalizeReward: Expected a state { discountedReturn, mean, var, count }, got null.');
  });
});

describe('FrameSkip', () => {
  it('repeats the action, sums rewards and max-pools the last two observations', () => {
    const inner = new TransformObservation(new CounterEnv(10), (t: number) => Float32Array.of(t, 10 - t), box({ low: 0, high: 10, shape: [2] }));
    const env = new FrameSkip(inner, 4);
    env.reset();
    const r = env.step(1);
    expect(r.reward).toBe(8);
    expect(Array.from(r.obs)).toEqual([4, 7]); // max of [3, 7] and [4, 6]
    expect((env.unwrapped as CounterEnv).t).toBe(4);
  });
  it('stops at the end of the episode', () => {
    const env = new FrameSkip(new CounterEnv(6), 4);
    env.reset();
    env.step(0);
    const r = env.step(0);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(2);
    expect(r.obs).toBe(6); // non-array observations pass through
  });
  it('rejects a bad skip', () => {
    expectConfigError(() => new FrameSkip(new CounterEnv(), 0), 'FrameSkip: Expected skip (the number of repeats of each action) to be an integer from 1 and up, got 0.');
  });
});

describe('FrameStack', () => {
  it('stacks the last k observations, oldest first, padding with the reset observation', () => {
    const inner = new TransformObservation(new CounterEnv(10), (t: number) => Int32Array.of(t, -t), box({ low: -10, high: 10, shape: [2], dtype: 'int32' }));
    const env = new FrameStack(inner, 3);
    expect(describeSpace(env.observationSpace)).toBe('Box(-10, 10, [3, 2], int32)');
    const o0 = env.reset().obs;
    expect(o0).toBeInstanceOf(Int32Array);
    expect(Array.from(o0)).toEqual([0, 0, 0, 0, 0, 0]);
    env.step(0);
    const o2 = env.step(0).obs;
    expect(Array.from(o2)).toEqual([0, 0, 1, -1, 2, -2]);
    expect(contains(env.observationSpace, o2)).toBe(true);
    expect(Array.from(o0)).toEqual([0, 0, 0, 0, 0, 0]); // earlier arrays are not overwritten
    expect(flatdim(env.observationSpace)).toBe(6);
  });
  it('validates k and the space', () => {
    expectConfigError(() => new FrameStack(new WalkEnv(), 1.5), 'FrameStack: Expected k (the number of stacked observations) to be an integer from 1 and up, got 1.5.');
    expectConfigError(() => new FrameStack(new CounterEnv(), 2), "FrameStack: Expected the environment's observation space to be a Box, got Discrete(6).");
  });
});

describe('RecordEpisodeStatistics', () => {
  it('adds info.episode {r, l, t} at the end of each episode and keeps a queue', () => {
    const env = new RecordEpisodeStatistics(new CounterEnv(3), { bufferLength: 2 });
    for (let ep = 0; ep < 3; ep++) {
      env.reset();
      expect(env.step(1).info['episode']).toBeUndefined();
      env.step(1);
      const last = env.step(0);
      const stats = last.info['episode'] as EpisodeStatistics;
      expect(stats.r).toBe(5);
      expect(stats.l).toBe(3);
      expect(stats.t).toBeGreaterThanOrEqual(0);
      expect(stats.t).toBeLessThan(5);
      expect(last.info['t']).toBe(3); // the env's own info is kept
    }
    expect(env.returnQueue).toEqual([5, 5]);
    expect(env.lengthQueue).toEqual([3, 3]);
    expect(env.episodeCount).toBe(3);
  });
  it('counts truncated episodes too', () => {
    const env = new RecordEpisodeStatistics(new TimeLimit(new CounterEnv(10), 2));
    env.reset();
    env.step(0);
    expect((env.step(0).info['episode'] as EpisodeStatistics).l).toBe(2);
  });
  it('validates bufferLength', () => {
    expectConfigError(() => new RecordEpisodeStatistics(new CounterEnv(), { bufferLength: 0 }), 'RecordEpisodeStatistics: Expected bufferLength to be an integer from 1 and up, got 0.');
  });
});

describe('FlattenObservation', () => {
  it('one-hot encodes a Discrete observation', () => {
    const env = new FlattenObservation(new CounterEnv(3));
    expect(describeSpace(env.observationSpace)).toBe('Box(0, 1, [4], float32)');
    expect(Array.from(env.reset().obs)).toEqual([1, 0, 0, 0]);
    expect(Array.from(env.step(0).obs)).toEqual([0, 1, 0, 0]);
  });
});

describe('Autoreset (next-step semantics)', () => {
  it('returns the final step unchanged, then resets on the next step with reward 0', () => {
    const inner = new CounterEnv(2);
    const env = new Autoreset(inner);
    env.reset();
    env.step(1);
    const end = env.step(1);
    expect(end).toMatchObject({ obs: 2, reward: 2, terminated: true, truncated: false });
    expect(env.needsReset).toBe(true);
    const next = env.step(1);
    expect(next).toEqual({ obs: 0, reward: 0, terminated: false, truncated: false, info: { resets: 2 } });
    expect(inner.t).toBe(0); // the action of the reset step was ignored
    expect(env.step(0)).toMatchObject({ obs: 1, reward: 1 });
  });
  it('works over OrderEnforcing and a TimeLimit', () => {
    const env = new Autoreset(new OrderEnforcing(new TimeLimit(new CounterEnv(100), 2)));
    env.reset();
    env.step(0);
    expect(env.step(0).truncated).toBe(true);
    expect(env.step(0).obs).toBe(0);
    expect(env.step(0).obs).toBe(1);
  });
});

describe('wrapper types', () => {
  it('keep the wrapped observation and action types, and type unwrapped', () => {
    const env = new RecordEpisodeStatistics(new ClipReward(new FrameSkip(new CounterEnv(), 2), 0, 1));
    expectTypeOf(env.reset().obs).toEqualTypeOf<number>();
    expectTypeOf(env.step).parameter(0).toEqualTypeOf<number>();
    expectTypeOf(env.unwrapped).toEqualTypeOf<CounterEnv>();
    const flat = new FlattenObservation(new WalkEnv());
    expectTypeOf(flat.reset().obs).toEqualTypeOf<Float32Array>();
    expect(env.unwrapped).toBeInstanceOf(CounterEnv);
  });
});
