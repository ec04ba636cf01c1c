/**
 * MC-dropout DQN's math: inverted dropout masks (0 or 1 / keep), the moments and spread of Q over masks, and the
 * update: targets from the dropout-free target network (the online one picks with Double DQN), the loss under fresh
 * per-row masks, and its gradient against central differences.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { addMoments, DropoutQ, fillDropoutMask, spreadFromMoments } from '../../agents/mc-dropout-dqn.js';
import { dqnLoss, tdTargets } from '../../agents/dqn.js';
import { resolveExploringDqnConfig, type ExploringDqnConfig } from '../../agents/explore-config.js';
import type { LayerMasks } from '../../agents/layered-mlp.js';
import type { Optimizer } from '../../nn/types.js';
import type { ReplayBatch } from '../../replay/types.js';

const B = 4, DIM = 3, A = 2, HIDDEN = [5, 4];

describe('dropout masks and moments', () => {
  it('keeps each unit with probability keep, scaled by 1 / keep, one draw per unit in order', () => {
    const rng = new Rng(2), copy = Rng.fromState(rng.getState());
    const m = fillDropoutMask(new Float32Array(12), 0.75, rng);
    expect(Array.from(m)).toEqual(Array.from({ length: 12 }, () => (copy.float() < 0.75 ? Math.fround(4 / 3) : 0)));
    expect(m).toContain(0);
    expect(rng.getState()).toEqual(copy.getState()); // one draw per unit, no more
    const big = fillDropoutMask(new Float32Array(4000), 0.8, new Rng(3));
    const kept = big.filter((v) => v > 0);
    expect(kept.every((v) => v === Math.fround(1.25))).toBe(true);
    expect(kept.length / 4000).toBeGreaterThan(0.77);
    expect(kept.length / 4000).toBeLessThan(0.83);
  });

  it('sums Q and Q^2 per action and turns them into the population std averaged over actions', () => {
    const s = new Float32Array(3), s2 = new Float32Array(3);
    addMoments(Float32Array.from([1, 3, 8]), 2, s, s2);
    addMoments(Float32Array.from([3, 7, 8]), 2, s, s2);
    expect(Array.from(s)).toEqual([4, 10, 0]);
    expect(Array.from(s2)).toEqual([10, 58, 0]);
    // Action 0: 1 and 3 (std 1); action 1: 3 and 7 (std 2).
    expect(spreadFromMoments(s, s2, 2, 2)).toBeCloseTo(1.5, 12);
    // Four samples 0, 0, 0, 4 of one action: mean 1, variance 3.
    expect(spreadFromMoments(Float32Array.from([4]), Float32Array.from([16]), 4, 1)).toBeCloseTo(Math.sqrt(3), 12);
    // Moments of equal samples that round below zero give 0, not NaN.
    const e1 = new Float32Array(1), e2 = new Float32Array(1);
    for (let i = 0; i < 3; i++) addMoments(Float32Array.from([0.1]), 1, e1, e2);
    expect(spreadFromMoments(e1, e2, 3, 1)).toBe(0);
  });
});

describe('DropoutQ.update', () => {
  function model(over: Partial<ExploringDqnConfig> = {}): DropoutQ {
    const c = resolveExploringDqnConfig({ explore: 'mc-dropout', dropout: 0.25, hidden: HIDDEN, activation: 'tanh', batchSize: B, loss: 'mse', gamma: 0.9, maxGradNorm: null, seed: 5, engine: 'plain', ...over });
    const d = new DropoutQ(DIM, A, c);
    d.target.polyakFrom(new DropoutQ(DIM, A, { ...c, seed: 6 }).q, 0.5); // a target unlike the online network
    return d;
  }
  function batch(): ReplayBatch<'discrete'> {
    const rng = new Rng(9);
    const u = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    return { batchSize: B, obsDim: DIM, actionDim: 1, obs: u(B * DIM), nextObs: u(B * DIM), actions: Int32Array.from([1, 0, 1, 1]), rewards: u(B), terminated: Uint8Array.from([0, 0, 1, 0]), truncated: new Uint8Array(B), indices: new Int32Array(B) } as ReplayBatch<'discrete'>;
  }
  /** The masks the next update draws: per row, from a copy of the model's training generator. */
  function nextMasks(d: DropoutQ): LayerMasks {
    const rng = Rng.fromState((d as unknown as { trainRng: Rng }).trainRng.getState());
    return { masks: HIDDEN.map((w) => fillDropoutMask(new Float32Array(B * w), 0.75, rng)), perRow: true };
  }
  /** The loss written out: y from the target's mean function (the online one picks with double), Q under the masks. */
  function loss(d: DropoutQ, b: ReplayBatch<'discrete'>, masks: LayerMasks, double: boolean): number {
    const nextT = d.target.predict(b.nextObs, null, B, new Float32Array(B * A));
    const nextQ = d.q.predict(b.nextObs, null, B, new Float32Array(B * A));
    const y = tdTargets(b.rewards, b.terminated, undefined, 0.9, nextT, double ? nextQ : null, B, A, new Float32Array(B));
    const q = d.q.predict(b.obs, null, B, new Float32Array(B * A), masks);
    return dqnLoss(q, b.actions, y, B, A, 'mse', undefined, new Float32Array(B * A), new Float32Array(B), { qTaken: new Float32Array(B), dTaken: new Float32Array(B) });
  }

  for (const double of [false, true]) {
    it(`returns the TD loss under fresh per-row masks with dropout-free targets${double ? ' (Double DQN)' : ''}`, () => {
      const d = model({ double });
      const b = batch();
      for (let round = 0; round < 2; round++) {
        const masks = nextMasks(d);
        expect(masks.masks[0]).toContain(0);
        const want = loss(d, b, masks, double);
        expect(d.update(b)).toBeCloseTo(want, 5);
      }
    });
  }

  it('steps along the gradient of the masked loss (central differences)', () => {
    const d = model();
    const b = batch();
    let grads: number[][] = [];
    (d as unknown as { optimizer: Optimizer }).optimizer = { step: () => ((grads = d.q.nets.map((n) => Array.from(n.grads))), d.q.nets.forEach((n) => n.zeroGrad()), 0) } as unknown as Optimizer;
    const masks = nextMasks(d);
    const numeric = d.q.nets.map((net) => Array.from(net.params, (v, i) => {
      const eps = 1e-2;
      const at = (x: number) => ((net.params[i] = x), net.paramsChanged(), loss(d, b, masks, false));
      const g = (at(v + eps) - at(v - eps)) / (2 * eps);
      at(v);
      return g;
    }));
    d.update(b);
    grads.forEach((layer, l) => layer.forEach((g, i) => expect(Math.abs(g - numeric[l]![i]!), `layer ${l} param ${i}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(g))));
    expect(grads.flat().some((g) => Math.abs(g) > 1e-3)).toBe(true);
  });
});
