// DDPG/TD3's pure functions at their edges, beside ddpg-math.test.ts: outputs that reach past the n rows keep their
// sentinels (a loop one row or one column too far shows), a critic's second half given without the other is ignored,
// and update() refuses a batch of another size. `npm run mutate` runs this file with ddpg-math.test.ts.
import { describe, expect, it } from 'vitest';
import type { Env } from '../../core/env.js';
import { InvalidConfig } from '../../core/errors.js';
import { actorGradient, concatObsAction, criticLoss, ddpg, scaleActions, td3Target } from '../../agents/ddpg.js';
import type { ReplayBatch } from '../../replay/types.js';
import { ContinuousEnv } from '../fixtures/walk-env.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const S = 7; // sentinel

describe('nothing past the n rows', () => {
  it('td3Target writes n targets', () => {
    const out = td3Target(f32(1, 2, 9), Uint8Array.of(0, 0, 0), undefined, 0.5, f32(4, 6, 9), f32(2, 8, 9), 2, f32(S, S, S));
    expect(Array.from(out)).toEqual([1 + 0.5 * 2, 2 + 0.5 * 6, S]);
  });

  it('concatObsAction writes n rows of obsDim + actDim', () => {
    // A third row's obs and action exist (5, 6 and 6) but must not be copied.
    const out = concatObsAction(f32(1, 2, 3, 4, 5, 6), f32(9, 8, 6), 2, 2, 1, new Float32Array(9).fill(S));
    expect(Array.from(out)).toEqual([1, 2, 9, 3, 4, 8, S, S, S]);
  });

  it('scaleActions writes n x d actions', () => {
    const out = scaleActions(f32(-1, 1, 0, 0.5, 1, 1), 2, 2, f32(-1, 0), f32(2, 0.25), new Float32Array(6).fill(S));
    expect(Array.from(out)).toEqual([-1, 0.5, 1, 0.375, S, S]);
  });

  it('actorGradient writes n x d gradients from the action columns only', () => {
    // Rows of [obs (2), action (2)] gradients.
    const dIn = f32(5, 6, 1, -2, 7, 8, 0.5, 4);
    expect(Array.from(actorGradient(dIn, 2, 2, 2, f32(2, 0.25), new Float32Array(6).fill(S)))).toEqual([2, -0.5, 1, 1, S, S]);
  });
});

describe('criticLoss with half a second critic', () => {
  const q1 = f32(1, 2);
  const y = f32(1.5, 2);
  it('ignores second-critic values without their gradient array, and a gradient array without values', () => {
    // MSE(Q1, y) = (0.25 + 0) / 2.
    expect(criticLoss(q1, f32(0, 4), y, 2, new Float32Array(2), null)).toBeCloseTo(0.125, 6);
    const dQ2 = f32(S, S);
    expect(criticLoss(q1, null, y, 2, new Float32Array(2), dQ2)).toBeCloseTo(0.125, 6);
    expect(Array.from(dQ2)).toEqual([S, S]);
  });
});

describe('update()', () => {
  it('refuses a batch whose size is not the configured batchSize, naming both', () => {
    const agent = ddpg(new ContinuousEnv() as unknown as Env<Float32Array, Float32Array>, { batchSize: 4, hidden: [4], bufferSize: 100, learningStarts: 10 });
    const B = 3;
    const batch: ReplayBatch<'continuous'> = {
      batchSize: B, obsDim: 1, actionDim: 2, obs: new Float32Array(B), nextObs: new Float32Array(B), actions: new Float32Array(2 * B),
      rewards: new Float32Array(B), terminated: new Uint8Array(B), truncated: new Uint8Array(B), indices: new Int32Array(B),
    };
    expect(() => agent.update(batch)).toThrow(new InvalidConfig('Expected a batch of ddpg.batchSize = 4 rows, got 3.'));
    agent.dispose();
  });
});
