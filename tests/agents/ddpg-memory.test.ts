// Apart from ddpg.test.ts so that mutation testing, whose instrumented code allocates on every statement, leaves
// these measurements out.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allocatedBytes } from '../../bench/_alloc.js';
import type { Env } from '../../core/env.js';
import { Rng } from '../../core/rng.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';
import { ddpg, td3, type DdpgConfig } from '../../agents/ddpg.js';

const quiet = { log: () => {} };
const pendulum = () => make('Pendulum-v1') as unknown as Env<Float32Array, Float32Array>;
const small: Partial<DdpgConfig> = { learningStarts: 300, batchSize: 256, hidden: [16], bufferSize: 5000 };

describe('ddpg and td3 memory', () => {
  it('replay memory per transition is at most 1.1x the raw bytes (obs, next obs, action, reward, two flags)', () => {
    for (const make of [ddpg, td3]) {
      const agent = make(pendulum(), { ...small, bufferSize: 10_000 });
      const r = agent.replay;
      const raw = 2 * 3 * 4 + 1 * 4 + 4 + 2;
      expect(r.byteLength / r.capacity).toBeLessThanOrEqual(1.1 * raw);
      agent.dispose();
    }
  });

  it('an update allocates nothing, so nothing can grow however many updates run', async () => {
    for (const make of [ddpg, td3]) {
      const agent = make(pendulum(), { ...small, actionNoise: 'ornstein-uhlenbeck' });
      await agent.learn({ steps: 400, ...quiet }); // warm-up: every scratch buffer exists
      const batch = agent.replay.createBatch(256);
      const rng = new Rng(1);
      const update = () => {
        agent.replay.sampleInto(batch, rng);
        agent.update(batch);
      };
      for (let i = 0; i < 200; i++) update();
      const params = [agent.actor, ...agent.critics].map((n) => n.params.length);
      const bursts = [0, 1, 2, 3, 4].map(() => allocatedBytes(() => { for (let i = 0; i < 300; i++) update(); }) / 300);
      // Measured 112-136 bytes: the boxed doubles of the losses and gradient norms that functions return (~16 bytes
      // each). One array per row of the batch of 256 would add over 1 kB to every burst, one per parameter tens of kB.
      // The least burst: a collection inside a burst also counts garbage made before it (up to ~500 bytes an update
      // on a loaded machine), which an allocation per update could never hide from every burst.
      expect(Math.min(...bursts), agent.algo).toBeLessThan(256);
      expect([agent.actor, ...agent.critics].map((n) => n.params.length)).toEqual(params);
      expect(agent.replay.byteLength).toBe(agent.replay.capacity * agent.replay.bytesPerTransition);
      agent.dispose();
    }
  });

  it('the tfjs engine learns without leaking tensors', async () => {
    const agent = td3(pendulum(), { ...small, batchSize: 32, learningStarts: 100, hidden: [8], engine: 'tfjs', backend: 'cpu' });
    await agent.learn({ steps: 150, ...quiet }); // warm-up: backend, variables, optimiser slots
    const tensors = tf.memory().numTensors;
    const r = await agent.learn({ steps: 100, ...quiet });
    expect(r.updates).toBeGreaterThan(50);
    expect(r.engine).toMatch(/^tfjs \(tfjs [\d.]+ on cpu/);
    expect(tf.memory().numTensors).toBe(tensors);
    agent.dispose();
  });
});
