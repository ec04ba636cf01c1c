import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bestModelTracker, type BestModelOptions } from '../../../agents/runs/best-model.js';
import { readCheckpoint, writeCheckpoint } from '../../../core/node/checkpoint/checkpoint.js';
import type { NamedArray } from '../../../nn/types.js';
import { makeContent } from './helpers.js';

// A stand-in agent with two networks whose parameters encode the step they were trained to; its score depends
// only on the parameters, so restored parameters must score exactly what they scored when they were chosen.
class FakeAgent {
  actor = new Float32Array(2);
  critic = new Float32Array(1);
  evaluations = 0;
  constructor(private readonly scores: Record<number, number>) {}
  trainTo(step: number): void {
    this.actor.set([step, step + 1]);
    this.critic.set([-step]);
  }
  options(extra: Partial<BestModelOptions> = {}): BestModelOptions {
    return {
      every: 100,
      evaluate: async () => {
        this.evaluations++;
        return this.scores[this.actor[0]!] ?? Number.NaN;
      },
      snapshot: () => ({
        actor: [{ name: 'w', shape: [2], data: this.actor }],
        critic: [{ name: 'w', shape: [1], data: this.critic }],
      }),
      restore: (nets: Record<string, NamedArray[]>) => {
        this.actor.set(nets.actor![0]!.data);
        this.critic.set(nets.critic![0]!.data);
      },
      ...extra,
    };
  }
}

describe('bestModelTracker', () => {
  it('puts back every network from the best step (ties to the later) and says so', async () => {
    const agent = new FakeAgent({ 100: 10, 200: 50, 300: 20, 400: 50, 500: 30 });
    const seen: [number, number, boolean][] = [];
    const tracker = bestModelTracker(agent.options({ onEval: (s, score, best) => seen.push([s, score, best]) }));
    for (const step of [100, 200, 300, 400]) {
      agent.trainTo(step);
      await tracker.hook.run(step);
    }
    agent.trainTo(500);
    const result = await tracker.finish(500);
    expect(seen).toEqual([
      [100, 10, true],
      [200, 50, true],
      [300, 20, false],
      [400, 50, true],
      [500, 30, false],
    ]);
    expect(result).toEqual({ kept: 'best', step: 400, score: 50, restored: true, message: 'best from step 400 (score 50) instead of the last parameters (step 500, score 30)' });
    expect([...agent.actor, ...agent.critic]).toEqual([400, 401, -400]);
    // The snapshot was a copy: training on after it did not change the kept parameters.
    expect(tracker.state()!.nets.actor![0]!.data).toEqual(Float32Array.from([400, 401]));
  });

  it('keeps the last parameters when they score best, without scoring the same step twice', async () => {
    const agent = new FakeAgent({ 100: 10, 200: 90 });
    const tracker = bestModelTracker(agent.options());
    agent.trainTo(100);
    await tracker.hook.run(100);
    agent.trainTo(200);
    await tracker.hook.run(200);
    const result = await tracker.finish(200);
    expect(agent.evaluations).toBe(2);
    expect(result).toMatchObject({ kept: 'last', step: 200, restored: false, message: 'the last parameters (step 200, score 90), which scored best' });
  });

  it('says honestly when nothing was evaluated, and never lets NaN win', async () => {
    const agent = new FakeAgent({});
    const tracker = bestModelTracker(agent.options());
    agent.trainTo(100);
    const result = await tracker.finish(100);
    expect(result).toEqual({ kept: 'last', step: 100, score: Number.NaN, restored: false, message: 'the last parameters (step 100, score NaN; no evaluation scored)' });
    const unevaluated = await bestModelTracker(agent.options()).finish(100, { evaluateLast: false });
    expect(unevaluated.message).toBe('the last parameters (step 100, not evaluated; no evaluation scored)');
  });

  it('remembers the best policy across a checkpoint round trip (a resumed run)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rxgym-runs-best-'));
    try {
      const agent = new FakeAgent({ 100: 10, 200: 70, 300: 20, 400: 15, 500: 5 });
      const before = bestModelTracker(agent.options());
      for (const step of [100, 200, 300]) {
        agent.trainTo(step);
        await before.hook.run(step);
      }
      const dir = join(root, 'checkpoints', '300');
      await writeCheckpoint(dir, { ...makeContent(300), selection: before.state() });

      // A new process: fresh networks at the checkpoint's parameters, and the tracker from the checkpoint.
      const loaded = await readCheckpoint(dir);
      expect(loaded.selection).toEqual(before.state());
      const resumed = new FakeAgent({ 100: 10, 200: 70, 300: 20, 400: 15, 500: 5 });
      resumed.trainTo(300);
      const after = bestModelTracker(resumed.options({ initial: loaded.selection }));
      resumed.trainTo(400);
      await after.hook.run(400);
      resumed.trainTo(500);
      const result = await after.finish(500);
      expect(result).toMatchObject({ kept: 'best', step: 200, score: 70, restored: true });
      expect([...resumed.actor, ...resumed.critic]).toEqual([200, 201, -200]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rejects a bad interval, episode count or initial state', () => {
    const agent = new FakeAgent({});
    expect(() => bestModelTracker(agent.options({ every: 0 }))).toThrow('Expected the best-model evaluation interval to be a positive integer, got 0.');
    expect(() => bestModelTracker(agent.options({ episodes: 0 }))).toThrow('Expected the best-model evaluation episodes to be a positive integer, got 0.');
    expect(() => bestModelTracker(agent.options({ initial: { bestScore: 1, bestStep: 2, nets: { q: [{ name: 'w', shape: [1], data: [1] as unknown as Float32Array }] } } }))).toThrow(
      'Expected an initial best-model state { bestScore, bestStep, nets }',
    );
  });
});
