import { describe, expect, it } from 'vitest';
import { allocatedBytes } from '../../bench/_alloc.js';
import { Wrapper } from '../../core/env.js';
import { InvalidAction, InvalidConfig, ResetNeeded } from '../../core/errors.js';
import '../../envs/builtin.js';
import { isRegistered, make } from '../../envs/registry.js';
import { CartPoleEnv } from '../../envs/classic-control/cartpole.js';
import { SyncVectorEnv, VectorEnvError } from '../../envs/vector.js';
import '../fixtures/register.js';
import { ContinuousEnv, CounterEnv, FastWalkEnv, ThrowingEnv, WalkEnv } from '../fixtures/walk-env.js';

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('SyncVectorEnv', () => {
  it('batches observations into one Float32Array and seeds env i with seed + i', () => {
    const vec = new SyncVectorEnv(() => new WalkEnv(), 3);
    expect([vec.numEnvs, vec.obsDim, vec.actDim]).toEqual([3, 2, 1]);
    const { obs, infos } = vec.reset({ seed: 10 });
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs.length).toBe(6);
    for (let i = 0; i < 3; i++) {
      const single = new WalkEnv().reset({ seed: 10 + i });
      expect(Array.from(obs.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(single.obs));
      expect(infos[i]).toEqual(single.info);
    }
  });

  it('steps like N single envs and reuses its buffers', () => {
    const vec = new SyncVectorEnv(() => new WalkEnv(), 4);
    const singles = Array.from({ length: 4 }, () => new WalkEnv());
    vec.reset({ seed: 1 });
    singles.forEach((e, i) => e.reset({ seed: 1 + i }));
    const actions = Int32Array.of(0, 1, 1, 0);
    const first = vec.step(actions);
    const obs = first.obs;
    for (let t = 0; t < 30; t++) {
      const r = vec.step(actions);
      expect(r).toBe(first);
      expect(r.obs).toBe(obs);
      singles.forEach((e, i) => {
        if (t === 0) e.step(actions[i]!); // catch up with the first vector step
        const s = e.step(actions[i]!);
        expect(r.rewards[i]).toBe(s.reward);
        expect(r.terminated[i]).toBe(s.terminated ? 1 : 0);
        if (s.terminated) {
          expect(r.done[i]).toBe(1);
          expect(Array.from(r.finalObs.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(s.obs));
          const reset = e.reset();
          expect(Array.from(r.obs.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(reset.obs));
        } else {
          expect(r.done[i]).toBe(0);
          expect(Array.from(r.obs.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(s.obs));
        }
      });
    }
  });

  it('autoresets on the same step: finalObs/finalInfo hold the ended episode, obs/infos the new one', () => {
    const vec = new SyncVectorEnv([() => new CounterEnv(2), () => new CounterEnv(2, 1)]);
    expect(vec.obsDim).toBe(3); // Discrete(3) observations, one-hot
    expect(Array.from(vec.reset().obs)).toEqual([1, 0, 0, 1, 0, 0]);
    let r = vec.step(Int32Array.of(1, 0));
    // env 1 truncates at t = 1: its row is already the reset observation.
    expect(Array.from(r.done)).toEqual([0, 1]);
    expect(Array.from(r.truncated)).toEqual([0, 1]);
    expect(Array.from(r.terminated)).toEqual([0, 0]);
    expect(Array.from(r.obs)).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(r.finalObs.subarray(3, 6))).toEqual([0, 1, 0]);
    expect(r.finalInfo).toEqual([null, { t: 1 }]);
    expect(r.infos).toEqual([{ t: 1 }, { resets: 2 }]);
    expect(Array.from(r.rewards)).toEqual([2, 1]);
    r = vec.step(Int32Array.of(0, 0));
    expect(Array.from(r.done)).toEqual([1, 1]);
    expect(Array.from(r.terminated)).toEqual([1, 0]);
    expect(Array.from(r.finalObs)).toEqual([0, 0, 1, 0, 1, 0]);
    expect(Array.from(r.obs)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(r.finalInfo).toEqual([{ t: 2 }, { t: 1 }]);
    r = vec.step(Int32Array.of(0, 0));
    expect(Array.from(r.done)).toEqual([0, 1]);
    expect(r.finalInfo[0]).toBeNull();
  });

  it('applies maxEpisodeSteps as truncation', () => {
    const vec = new SyncVectorEnv(() => new CounterEnv(10), 2, { maxEpisodeSteps: 3 });
    vec.reset();
    const a = new Int32Array(2);
    vec.step(a);
    vec.step(a);
    const r = vec.step(a);
    expect(Array.from(r.truncated)).toEqual([1, 1]);
    expect(Array.from(r.done)).toEqual([1, 1]);
    expect(Array.from(r.finalObs.subarray(0, 11))).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(vec.step(a).done)).toEqual([0, 0]); // the count restarted
  });

  it('uses stepInto when every env implements VectorizableEnv, with the same results', () => {
    const slow = new SyncVectorEnv(() => new WalkEnv(), 3, { maxEpisodeSteps: 7 });
    const fast = new SyncVectorEnv(() => new FastWalkEnv(), 3, { maxEpisodeSteps: 7 });
    expect([slow.fastPath, fast.fastPath]).toEqual([false, true]);
    expect(Array.from(fast.reset({ seed: 5 }).obs)).toEqual(Array.from(slow.reset({ seed: 5 }).obs));
    const actions = fast.actionBuffer as Int32Array;
    let dones = 0;
    for (let t = 0; t < 40; t++) {
      for (let i = 0; i < 3; i++) actions[i] = (t + i) % 3 === 0 ? 0 : 1;
      const f = fast.step(actions);
      const s = slow.step(actions);
      expect(Array.from(f.obs)).toEqual(Array.from(s.obs));
      expect(Array.from(f.rewards)).toEqual(Array.from(s.rewards));
      expect(Array.from(f.done)).toEqual(Array.from(s.done));
      for (let i = 0; i < 3; i++) if (f.done[i]) expect(f.finalObs[2 * i]).toBe(s.finalObs[2 * i]);
      dones += f.done.reduce((a, b) => a + b, 0);
    }
    expect(dones).toBeGreaterThan(3);
  });

  it('takes Box actions as a Float32Array of N x actDim and checks their bounds', () => {
    const vec = new SyncVectorEnv(() => new ContinuousEnv(), 2);
    expect(vec.actDim).toBe(2);
    vec.reset();
    const r = vec.step(Float32Array.of(0.5, 1, -1, 2));
    expect(Array.from(r.rewards)).toEqual([1.5, 1]);
    expect((vec.envs[1] as ContinuousEnv).lastAction).toEqual(Float32Array.of(-1, 2));
    const err = thrown(() => vec.step(Float32Array.of(0, 0, 0, 3)));
    expect(err).toBeInstanceOf(InvalidAction);
    expect(err.message).toBe('SyncVectorEnv: Expected actions[1][1] inside Box([-1, 0], [1, 2], [2], float32), got 3.');
  });

  it('explains bad actions, wrong lengths and calls out of order', () => {
    const vec = new SyncVectorEnv(() => new WalkEnv(), 2);
    const early = thrown(() => vec.step(new Int32Array(2)));
    expect(early).toBeInstanceOf(ResetNeeded);
    expect(early.message).toBe('SyncVectorEnv: Expected reset() before the first step(), got step() on a vector env that was never reset. Call reset() first.');
    vec.reset();
    const bad = thrown(() => vec.step(Int32Array.of(0, 2)));
    expect(bad).toBeInstanceOf(InvalidAction);
    expect(bad.message).toBe('SyncVectorEnv: Expected actions[1] to be an integer in [0, 1] for Discrete(2), got 2.');
    const short = thrown(() => vec.step(new Int32Array(3)));
    expect(short).toBeInstanceOf(InvalidConfig);
    expect(short.message).toBe('SyncVectorEnv: Expected actions as a Int32Array of 2 (2 envs x 1), got Int32Array(3) [0, 0, 0].');
    vec.close();
    vec.close();
    expect((vec.envs[0] as WalkEnv).closeCalls).toBe(1);
    expect(thrown(() => vec.step(new Int32Array(2))).message).toBe('SyncVectorEnv: Expected an open vector env, got step() after close(). Build a new one.');
  });

  it('validates its construction arguments', () => {
    expect(thrown(() => new SyncVectorEnv(() => new WalkEnv(), 0)).message).toBe('SyncVectorEnv: Expected numEnvs to be an integer from 1 and up, got 0.');
    expect(thrown(() => new SyncVectorEnv([])).message).toBe('SyncVectorEnv: Expected a factory () => Env and a count, or a non-empty array of factories, got [].');
    expect(thrown(() => new SyncVectorEnv(() => new WalkEnv(), 2, { maxEpisodeSteps: -1 })).message).toBe(
      'SyncVectorEnv: Expected maxEpisodeSteps to be a positive integer, got -1.',
    );
  });

  it("re-throws a sub-env's error as VectorEnvError naming the env index", () => {
    const vec = new SyncVectorEnv([() => new WalkEnv(), () => new ThrowingEnv(2)]);
    vec.reset();
    vec.step(new Int32Array(2));
    const err = thrown(() => vec.step(new Int32Array(2))) as VectorEnvError;
    expect(err).toBeInstanceOf(VectorEnvError);
    expect(err.envIndex).toBe(1);
    expect(err.originalName).toBe('TypeError');
    expect(err.message).toBe('SyncVectorEnv: env 1 threw in step(): TypeError: boom at step 2');
    expect((err.cause as Error).message).toBe('boom at step 2');
  });

  it('builds copies of a registered id with its time limit, without the per-env wrappers', () => {
    const vec = SyncVectorEnv.make('fixtures/FastWalk-v0', 2);
    expect(vec.maxEpisodeSteps).toBe(20);
    expect(vec.fastPath).toBe(true);
    expect(SyncVectorEnv.make('fixtures/Walk-v0', 1, { maxEpisodeSteps: null }).maxEpisodeSteps).toBeUndefined();
    expect(SyncVectorEnv.make('fixtures/Counter-v0', 1, { kwargs: { length: 7 } }).obsDim).toBe(8);
    expect(thrown(() => SyncVectorEnv.make('fixtures/Wlak-v0', 1)).message).toContain('Did you mean `fixtures/Walk-v0`');
  });

  it('rejects envs with different spaces', () => {
    const err = thrown(() => new SyncVectorEnv([() => new CounterEnv(2), () => new CounterEnv(3)]));
    expect(err).toBeInstanceOf(InvalidConfig);
    expect(err.message).toBe('SyncVectorEnv: Expected every env to have the spaces of env 0 (Discrete(3), Discrete(2)), got Discrete(4), Discrete(2) at env 1.');
  });
});

describe('SyncVectorEnv on CartPole-v1', () => {
  it('matches single CartPole-v1 envs made by make()', () => {
    expect(isRegistered('CartPole-v1')).toBe(true);
    const vec = SyncVectorEnv.make('CartPole-v1', 4);
    expect([vec.obsDim, vec.actDim, vec.maxEpisodeSteps, vec.fastPath]).toEqual([4, 1, 500, true]);
    const singles = Array.from({ length: 4 }, () => make('CartPole-v1'));
    const obs = vec.reset({ seed: 7 }).obs;
    singles.forEach((e, i) => expect(Array.from(obs.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(e.reset({ seed: 7 + i }).obs as Float32Array)));
    const actions = new Int32Array(4);
    let episodes = 0;
    for (let t = 0; t < 200; t++) {
      for (let i = 0; i < 4; i++) actions[i] = (t * 7 + i * 3) % 5 < 2 ? 0 : 1;
      const r = vec.step(actions);
      singles.forEach((e, i) => {
        const s = e.step(actions[i]!);
        expect(r.rewards[i]).toBe(s.reward);
        const row = r.done[i] ? r.finalObs : r.obs;
        expect(Array.from(row.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(s.obs as Float32Array));
        if (s.terminated || s.truncated) {
          episodes++;
          expect(r.done[i]).toBe(1);
          e.reset();
        }
      });
    }
    expect(episodes).toBeGreaterThan(4);
  });

  it('CartPole stepInto/resetInto agree with step/reset bit for bit, in every mode', () => {
    for (const [kwargs, integrator] of [[{}, 'euler'], [{ suttonBartoReward: true }, 'semi-implicit euler']] as const) {
      const a = new CartPoleEnv(kwargs);
      const b = new CartPoleEnv(kwargs);
      a.kinematicsIntegrator = b.kinematicsIntegrator = integrator;
      const buf = new Float32Array(8);
      const out = { reward: 0, terminated: false, truncated: false, info: undefined };
      expect(b.resetInto(buf, 4, { seed: 11 })).toBeUndefined();
      expect(Array.from(buf.subarray(4))).toEqual(Array.from(a.reset({ seed: 11 }).obs));
      for (let t = 0; t < 60; t++) {
        const action = t % 3 === 0 ? 0 : 1; // drifts right until it falls, then keeps stepping past termination
        const s = a.step(action);
        b.stepInto(action, buf, 4, out);
        expect(Array.from(buf.subarray(4))).toEqual(Array.from(s.obs));
        expect([out.reward, out.terminated, out.truncated]).toEqual([s.reward, s.terminated, s.truncated]);
      }
      expect(out.terminated).toBe(true);
      b.resetInto(buf, 0, { options: { state: [0.1, 0, 0, 0] } });
      expect(buf[0]).toBeCloseTo(0.1, 6);
    }
  });

  it('allocates nothing per step on the CartPole fast path', () => {
    const ring = Array.from({ length: 64 }, (_, k) => Int32Array.from({ length: 16 }, (_, i) => ((k * 31 + i * 7) % 3 === 0 ? 0 : 1)));
    const perEnvStep = (vec: SyncVectorEnv): number => {
      vec.reset({ seed: 0 });
      for (let t = 0; t < 20_000; t++) vec.step(ring[t & 63]!); // until optimised: unoptimised code boxes doubles
      let least = Infinity; // JIT compilation adds heap now and then; a per-step allocation shows in every run
      for (let r = 0; r < 3; r++) least = Math.min(least, allocatedBytes(() => { for (let t = 0; t < 2000; t++) vec.step(ring[t & 63]!); }) / (2000 * 16));
      return least;
    };
    expect(perEnvStep(SyncVectorEnv.make('CartPole-v1', 16))).toBeLessThan(1);
    // The same envs behind a plain Wrapper (no stepInto) take the step() path, which allocates every step.
    const plain = new SyncVectorEnv(() => new Wrapper(make('CartPole-v1', {}, { disableEnvChecker: true, disableOrderEnforcing: true, maxEpisodeSteps: null })), 16);
    expect(plain.fastPath).toBe(false);
    expect(perEnvStep(plain)).toBeGreaterThan(20);
  });
});
