import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { InvalidAction, InvalidConfig } from '../../core/errors.js';
import '../../envs/builtin.js';
import { SyncVectorEnv, VectorEnvError } from '../../envs/vector.js';
import { AsyncVectorEnv } from '../../envs/node/async-vector.js';
import '../fixtures/register.js';

const fixtures = fileURLToPath(new URL('../fixtures/walk-env.ts', import.meta.url));
const register = fileURLToPath(new URL('../fixtures/register.ts', import.meta.url));
const open: AsyncVectorEnv[] = [];
afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('AsyncVectorEnv (worker threads, shared memory)', () => {
  it('matches SyncVectorEnv step for step on a registered id, across 2 workers', async () => {
    const vec = await AsyncVectorEnv.create({ id: 'fixtures/Walk-v0' }, 5, { numWorkers: 2, imports: [register] });
    open.push(vec);
    const sync = SyncVectorEnv.make('fixtures/Walk-v0', 5);
    expect([vec.numEnvs, vec.obsDim, vec.actDim]).toEqual([5, 2, 1]);
    const r0 = await vec.reset({ seed: 3 });
    expect(r0.obs.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(r0.obs)).toEqual(Array.from(sync.reset({ seed: 3 }).obs));
    expect(r0.infos[4]).toEqual(sync.reset({ seed: 3 }).infos[4]);
    const actions = new Int32Array(5);
    let dones = 0;
    for (let t = 0; t < 30; t++) {
      for (let i = 0; i < 5; i++) actions[i] = (t + i) % 4 === 0 ? 0 : 1;
      const a = await vec.step(actions);
      const s = sync.step(actions);
      expect(Array.from(a.obs)).toEqual(Array.from(s.obs));
      expect(Array.from(a.rewards)).toEqual(Array.from(s.rewards));
      expect(Array.from(a.truncated)).toEqual(Array.from(s.truncated));
      expect(Array.from(a.done)).toEqual(Array.from(s.done));
      for (let i = 0; i < 5; i++) {
        if (s.done[i]) {
          expect(Array.from(a.finalObs.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(s.finalObs.subarray(2 * i, 2 * i + 2)));
          expect(a.finalInfo[i]).toEqual(s.finalInfo[i]);
          expect(a.infos[i]).toEqual(s.infos[i]);
        }
      }
      dones += a.done.reduce((x, y) => x + y, 0);
    }
    expect(dones).toBeGreaterThan(0);
    const workers = (vec as unknown as { workers: { threadId: number }[] }).workers;
    expect(workers.map((w) => w.threadId > 0)).toEqual([true, true]);
    await vec.close();
    expect(workers.map((w) => w.threadId)).toEqual([-1, -1]); // terminated
    await vec.close(); // idempotent
    expect((await rejection(vec.step(actions))).message).toBe('AsyncVectorEnv: Expected an open vector env, got step() after close(). Build a new one.');
  });

  it('builds envs from a module path and an exported class or factory', async () => {
    const byClass = await AsyncVectorEnv.create({ module: fixtures, exportName: 'CounterEnv', args: [3] }, 2, { numWorkers: 1 });
    const byFactory = await AsyncVectorEnv.create({ module: fixtures, exportName: 'makeWalk' }, 2, { numWorkers: 2 });
    open.push(byClass, byFactory);
    expect(byClass.obsDim).toBe(4);
    expect(Array.from((await byClass.reset()).obs)).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
    const r = await byClass.step(Int32Array.of(1, 0));
    expect(Array.from(r.rewards)).toEqual([2, 1]);
    expect(r.infos).toEqual([{ t: 1 }, { t: 1 }]);
    expect(byFactory.obsDim).toBe(2);
    await byFactory.reset({ seed: 1 });
    await Promise.all([byClass.close(), byFactory.close()]);
  });

  it('passes Box actions through shared memory', async () => {
    const vec = await AsyncVectorEnv.create({ module: fixtures, exportName: 'ContinuousEnv' }, 3, { numWorkers: 2 });
    open.push(vec);
    expect([vec.obsDim, vec.actDim]).toEqual([1, 2]);
    await vec.reset();
    const r = await vec.step(Float32Array.of(0.5, 1, -1, 2, 0, 0.25));
    expect(Array.from(r.rewards)).toEqual([1.5, 1, 0.25]);
    expect(Array.from(r.obs)).toEqual([1.5, 1, 0.25]);
    const bad = await rejection(vec.step(Float32Array.of(0, 0, 0, 0, 0, 9)));
    expect(bad.message).toBe('AsyncVectorEnv: Expected actions[2][1] inside Box([-1, 0], [1, 2], [2], float32), got 9.');
    await vec.close();
  });

  it("re-throws an env's error in the parent as VectorEnvError naming the env index", async () => {
    const vec = await AsyncVectorEnv.create({ module: fixtures, exportName: 'ThrowingEnv', args: [2] }, 3, { numWorkers: 2 });
    open.push(vec);
    await vec.reset({ seed: 0 });
    await vec.step(new Int32Array(3));
    const err = (await rejection(vec.step(new Int32Array(3)))) as VectorEnvError;
    expect(err).toBeInstanceOf(VectorEnvError);
    expect(err.envIndex === 0 || err.envIndex === 2).toBe(true); // the first env of whichever worker answered first
    expect(err.originalName).toBe('TypeError');
    expect(err.message).toBe(`AsyncVectorEnv: env ${err.envIndex} threw in step(): TypeError: boom at step 2`);
    // Actions are checked in the parent, before any worker steps.
    const bad = await rejection(vec.step(Int32Array.of(0, 5, 0)));
    expect(bad).toBeInstanceOf(InvalidAction);
    expect(bad.message).toBe('AsyncVectorEnv: Expected actions[1] to be an integer in [0, 1] for Discrete(2), got 5.');
    await vec.close();
  });

  it('reports a worker that dies, and rejects every later call with the same error', async () => {
    const vec = await AsyncVectorEnv.create({ module: fixtures, exportName: 'ExitingEnv' }, 2, { numWorkers: 2 });
    open.push(vec);
    await vec.reset({ seed: 0 });
    await vec.step(new Int32Array(2));
    const err = (await rejection(vec.step(new Int32Array(2)))) as VectorEnvError;
    expect(err).toBeInstanceOf(VectorEnvError);
    expect(err.message).toMatch(/^AsyncVectorEnv: env [01] threw in worker\(\): WorkerExit: the worker exited with code 3$/);
    expect(await rejection(vec.reset())).toBe(err);
    await vec.close();
  });

  it('rejects a bad source, a missing export and bad options with clear messages', async () => {
    // Ids are looked up in the worker (after `imports`), so an unknown one comes back from there.
    const unknown = (await rejection(AsyncVectorEnv.create({ id: 'NoSuchEnv-v0' }, 2, { numWorkers: 1 }))) as VectorEnvError;
    expect(unknown.message).toBe(
      'AsyncVectorEnv: env 0 threw in make(): UnregisteredEnv: Expected a registered environment id, got "NoSuchEnv-v0". Run `rxgym list` to see every registered id.',
    );
    expect(unknown.originalCode).toBe('UNREGISTERED_ENV');
    const missing = (await rejection(AsyncVectorEnv.create({ module: fixtures, exportName: 'Nope' }, 1))) as VectorEnvError;
    expect(missing).toBeInstanceOf(VectorEnvError);
    expect(missing.message).toMatch(/^AsyncVectorEnv: env 0 threw in make\(\): InvalidConfig: AsyncVectorEnv: Expected module file:.*walk-env\.ts to export "Nope" as a factory or Env class, got undefined\.$/);
    const workers = await rejection(AsyncVectorEnv.create({ module: fixtures, exportName: 'makeWalk' }, 2, { numWorkers: 3 }));
    expect(workers).toBeInstanceOf(InvalidConfig);
    expect(workers.message).toBe('AsyncVectorEnv: Expected numWorkers to be an integer from 1 to numEnvs (2), got 3.');
  });

  it('runs CartPole-v1 from the registry in workers', async () => {
    const vec = await AsyncVectorEnv.create({ id: 'CartPole-v1' }, 4, { numWorkers: 2 });
    open.push(vec);
    const sync = SyncVectorEnv.make('CartPole-v1', 4);
    expect(Array.from((await vec.reset({ seed: 9 })).obs)).toEqual(Array.from(sync.reset({ seed: 9 }).obs));
    const actions = Int32Array.of(0, 1, 1, 0);
    for (let t = 0; t < 20; t++) expect(Array.from((await vec.step(actions)).obs)).toEqual(Array.from(sync.step(actions).obs));
    await vec.close();
  });
});
