/**
 * Bootstrapped DQN's math against hand-computed values: Q_k = f_k + beta p_k, the mean and spread over heads, each
 * head's masked TD loss with its own target (and Double DQN), its gradient against central differences, the prior
 * cache, and the replay's bootstrap masks and cached prior rows.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { addPrior, BootstrapEnsemble, headMean, headSpread } from '../../agents/bootstrapped-dqn.js';
import { BootstrapReplay, drawBootstrapMasks } from '../../agents/bootstrap-replay.js';
import { dqnLoss, tdTargets } from '../../agents/dqn.js';
import { resolveExploringDqnConfig, type ExploringDqnConfig } from '../../agents/explore-config.js';
import type { Optimizer } from '../../nn/types.js';
import type { ReplayBatch } from '../../replay/types.js';

const B = 5, DIM = 4, A = 3, K = 3;

function ensemble(over: Partial<ExploringDqnConfig> = {}): BootstrapEnsemble {
  const c = resolveExploringDqnConfig({ explore: 'bootstrap', heads: K, hidden: [6], activation: 'tanh', batchSize: B, priorScale: 2, loss: 'mse', gamma: 0.9, maxGradNorm: null, seed: 3, engine: 'plain', ...over });
  const e = new BootstrapEnsemble(DIM, A, c);
  // Targets unlike their online heads, so a target read from the wrong network shows.
  e.heads.forEach((h, k) => h.target.polyakFrom(e.heads[(k + 1) % K]!.f, 0.5));
  return e;
}

/** A batch of dense rows, some terminated, with n-step discounts. */
function batch(seed: number): ReplayBatch<'discrete'> {
  const rng = new Rng(seed);
  const u = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
  return {
    batchSize: B, obsDim: DIM, actionDim: 1, obs: u(B * DIM), nextObs: u(B * DIM), actions: Int32Array.from([0, 2, 1, 2, 0]), rewards: u(B),
    terminated: Uint8Array.from([0, 1, 0, 0, 1]), truncated: new Uint8Array(B), indices: new Int32Array(B), discounts: Float32Array.from([0.9, 0.81, 0.9, 0.729, 0.9]),
  } as ReplayBatch<'discrete'>;
}

/** Head k's loss as written out: y from its own target (online picks with double), Q = f_k + beta p_k, masked mean. */
function headLoss(e: BootstrapEnsemble, k: number, b: ReplayBatch<'discrete'>, c: { double: boolean; beta: number }, prior: { obs: Float32Array; next: Float32Array } | null = null): number {
  const h = e.heads[k]!;
  const f = (net: typeof h.f, x: Float32Array) => net.predict(x, null, B, new Float32Array(B * A));
  const p = (x: Float32Array, cached: Float32Array | undefined) => cached ?? f(h.prior, x);
  const withPrior = (q: Float32Array, pr: Float32Array) => q.map((v, i) => v + c.beta * pr[i]!);
  const nextTarget = withPrior(f(h.target, b.nextObs), p(b.nextObs, prior?.next));
  const nextOnline = withPrior(f(h.f, b.nextObs), p(b.nextObs, prior?.next));
  const y = tdTargets(b.rewards, b.terminated, b.discounts, 0.9, nextTarget, c.double ? nextOnline : null, B, A, new Float32Array(B));
  const q = withPrior(f(h.f, b.obs), p(b.obs, prior?.obs));
  const s = { qTaken: new Float32Array(B), dTaken: new Float32Array(B) };
  return dqnLoss(q, b.actions, y, B, A, 'mse', e.batchMasks[k], new Float32Array(B * A), new Float32Array(B), s);
}

describe('addPrior, headMean, headSpread', () => {
  it('adds beta times the prior over the first count floats, in place or into out', () => {
    const f = Float32Array.from([1, 2, 3, 4]), p = Float32Array.from([0.5, -1, 2, 9]);
    expect(Array.from(addPrior(f, p, 3, 3, new Float32Array(4)))).toEqual([2.5, -1, 9, 0]);
    expect(Array.from(addPrior(f, p, -2, 4, f))).toEqual([0, 4, -1, -14]);
  });

  it('averages Q over heads and takes the population standard deviation per action, averaged over actions', () => {
    // K = 2 heads x A = 2 actions: action 0 has 1 and 3 (std 1), action 1 has 3 and 7 (std 2).
    const perHead = Float32Array.from([1, 3, 3, 7]);
    expect(Array.from(headMean(perHead, 2, 2, Float32Array.from([9, 9, 9])))).toEqual([2, 5, 9]);
    expect(headSpread(perHead, 2, 2)).toBeCloseTo(1.5, 12);
    // K = 3: values 0, 3, 6 (mean 3, std sqrt(6)); a constant action adds 0 to the average over A = 2.
    const three = Float32Array.from([0, 5, 3, 5, 6, 5]);
    expect(Array.from(headMean(three, 3, 2, new Float32Array(2)))).toEqual([3, 5]);
    expect(headSpread(three, 3, 2)).toBeCloseTo(Math.sqrt(6) / 2, 6);
    // Equal heads whose float moments round below zero still give 0, not NaN.
    expect(headSpread(Float32Array.from([0.1, 0.1, 0.1]), 3, 1)).toBe(0);
    expect(headSpread(Float32Array.from([0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]), 7, 1)).toBe(0);
  });
});

describe('BootstrapEnsemble', () => {
  it('gives Q_k = f_k + beta p_k from the online or target copy, with a given prior instead of p_k', () => {
    const e = ensemble();
    const x = batch(1).obs;
    for (let k = 0; k < K; k++) {
      const h = e.heads[k]!;
      const f = h.f.predict(x, null, B, new Float32Array(B * A)), t = h.target.predict(x, null, B, new Float32Array(B * A));
      const p = h.prior.predict(x, null, B, new Float32Array(B * A));
      const online = e.headQ(k, x, null, B, new Float32Array(B * A));
      const target = e.headQ(k, x, null, B, new Float32Array(B * A), true);
      const given = e.headQ(k, x, null, B, new Float32Array(B * A), false, new Float32Array(B * A).fill(0.25));
      for (let i = 0; i < B * A; i++) {
        expect(online[i]).toBeCloseTo(f[i]! + 2 * p[i]!, 5);
        expect(target[i]).toBeCloseTo(t[i]! + 2 * p[i]!, 5);
        expect(given[i]).toBeCloseTo(f[i]! + 0.5, 5);
      }
    }
    const none = ensemble({ priorScale: 0 });
    const f0 = none.heads[1]!.f.predict(x, null, B, new Float32Array(B * A));
    expect(Array.from(none.headQ(1, x, null, B, new Float32Array(B * A)))).toEqual(Array.from(f0));
  });

  it("caches every head's prior row: out[k * A + a] = p_k(x)[a]", () => {
    const e = ensemble();
    const x = batch(2).obs.subarray(0, DIM);
    const out = new Float32Array(K * A + 1).fill(7);
    e.priorRow(x, out);
    for (let k = 0; k < K; k++) {
      const p = e.heads[k]!.prior.predict(x, null, 1, new Float32Array(A));
      expect(Array.from(out.subarray(k * A, (k + 1) * A))).toEqual(Array.from(p));
    }
    expect(out[K * A]).toBe(7);
  });

  for (const double of [false, true]) {
    it(`returns the mean over heads of each head's masked TD loss from its own target${double ? ' (Double DQN)' : ''}`, () => {
      // A small prior, so that the online and target heads (whose priors are the same) rank actions differently.
      const e = ensemble({ double, priorScale: 0.1 });
      const b = batch(3);
      // The online and target heads pick different next actions somewhere, so Double DQN's pick matters.
      const pick = (q: Float32Array, i: number) => q.subarray(i * A, (i + 1) * A).indexOf(Math.max(...q.subarray(i * A, (i + 1) * A)));
      const online = e.headQ(0, b.nextObs, null, B, new Float32Array(B * A)), target = e.headQ(0, b.nextObs, null, B, new Float32Array(B * A), true);
      expect([0, 1, 2, 3, 4].some((i) => pick(online, i) !== pick(target, i))).toBe(true);
      e.batchMasks.forEach((m, k) => m.set(k === 0 ? [1, 1, 1, 1, 1] : k === 1 ? [1, 0, 1, 0, 0] : [0, 0, 0, 1, 1]));
      const want = [0, 1, 2].map((k) => headLoss(e, k, b, { double, beta: 0.1 }));
      expect(e.update(b)).toBeCloseTo((want[0]! + want[1]! + want[2]!) / 3, 5);
    });
  }

  it('reads the cached priors of the batch when told to, and computes them otherwise', () => {
    const b = batch(4);
    const cached = ensemble();
    cached.batchMasks.forEach((m) => m.fill(1));
    cached.usePriorCache = true;
    cached.batchPriors.obs.forEach((p) => p.fill(0.5));
    cached.batchPriors.next.forEach((p) => p.fill(-1));
    const fake = { obs: new Float32Array(B * A).fill(0.5), next: new Float32Array(B * A).fill(-1) };
    const want = [0, 1, 2].map((k) => headLoss(cached, k, b, { double: false, beta: 2 }, fake));
    expect(cached.update(b)).toBeCloseTo((want[0]! + want[1]! + want[2]!) / 3, 5);

    const none = ensemble({ priorScale: 0 });
    none.batchMasks.forEach((m) => m.fill(1));
    const plain = [0, 1, 2].map((k) => headLoss(none, k, b, { double: false, beta: 0 }));
    expect(none.update(b)).toBeCloseTo((plain[0]! + plain[1]! + plain[2]!) / 3, 5);
  });

  it("steps each head's f_k along the gradient of its own masked loss (central differences), never its prior", () => {
    const e = ensemble();
    const b = batch(5);
    e.batchMasks.forEach((m, k) => m.set(k === 1 ? [0, 0, 0, 0, 0] : [1, 0, 1, 1, 0]));
    const priors = e.heads.map((h) => h.prior.nets.map((n) => Array.from(n.params)));
    const grads: number[][][] = [];
    e.heads.forEach((h, k) => {
      const nets = h.f.nets;
      h.optimizer = { step: () => ((grads[k] = nets.map((n) => Array.from(n.grads))), nets.forEach((n) => n.zeroGrad()), 0) } as unknown as Optimizer;
    });
    // Numeric gradients before the update (it does not move any parameter with the optimiser replaced).
    const numeric = e.heads.map((h, k) => h.f.nets.map((net) => Array.from(net.params, (v, i) => {
      const eps = 1e-2;
      const at = (x: number) => ((net.params[i] = x), net.paramsChanged(), headLoss(e, k, b, { double: false, beta: 2 }));
      const g = (at(v + eps) - at(v - eps)) / (2 * eps);
      at(v);
      return g;
    })));
    e.update(b);
    for (let k = 0; k < K; k++) {
      grads[k]!.forEach((layer, l) => layer.forEach((g, i) => expect(Math.abs(g - numeric[k]![l]![i]!), `head ${k} layer ${l} param ${i}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(g))));
    }
    expect(grads[1]!.flat().every((g) => g === 0)).toBe(true); // head 1's mask keeps nothing
    expect(grads[0]!.flat().some((g) => Math.abs(g) > 1e-3)).toBe(true);
    expect(e.heads.map((h) => h.prior.nets.map((n) => Array.from(n.params)))).toEqual(priors);
  });
});

describe('bootstrap replay', () => {
  it('draws Bernoulli(maskProb) masks into its row only, and draws nothing at maskProb 1', () => {
    const rng = new Rng(8), copy = Rng.fromState(rng.getState());
    const masks = new Uint8Array(10).fill(9);
    drawBootstrapMasks(masks, 3, 4, 0.5, rng);
    const want = [0, 1, 2, 3].map(() => (copy.float() < 0.5 ? 1 : 0));
    expect(Array.from(masks)).toEqual([9, 9, 9, ...want, 9, 9, 9]);
    expect(want).toContain(0);
    expect(want).toContain(1);
    const before = rng.getState();
    drawBootstrapMasks(masks, 0, 3, 1, rng);
    expect(Array.from(masks.subarray(0, 3))).toEqual([1, 1, 1]);
    expect(rng.getState()).toEqual(before);
    // Near the edges: p = 0 keeps nothing, p just under 1 keeps almost all.
    drawBootstrapMasks(masks, 0, 10, 0, rng);
    expect(Array.from(masks)).toEqual(new Array(10).fill(0));
    const many = new Uint8Array(2000);
    drawBootstrapMasks(many, 0, 2000, 0.25, new Rng(1));
    expect(many.reduce((s, v) => s + v, 0)).toBeGreaterThan(430);
    expect(many.reduce((s, v) => s + v, 0)).toBeLessThan(570);
  });

  it("gathers each sampled row's masks per head and its cached prior outputs split per head", () => {
    const heads = 2, width = heads * 2;
    // The cache: out[c] = (c + 1) x[0] + x[1], of the observation as the learner sees it (scaled by 0.5).
    const cache = { width, scale: 0.5, compute: (x: Float32Array, out: Float32Array) => { for (let c = 0; c < width; c++) out[c] = (c + 1) * x[0]! + x[1]!; } };
    const replay = new BootstrapReplay<Float32Array>({ capacity: 8, obsDim: 2, actionKind: 'discrete' }, heads, 0.5, new Rng(4), cache);
    const obsOf = (r: number) => Float32Array.from([2 * r, 10]), nextOf = (r: number) => Float32Array.from([4 * r + 2, -6]);
    for (let r = 0; r < 5; r++) replay.add(obsOf(r), 0, 0, nextOf(r), false, false);
    const cached = (x: Float32Array) => Array.from({ length: width }, (_, c) => (c + 1) * x[0]! * 0.5 + x[1]! * 0.5);
    for (let r = 0; r < 5; r++) {
      expect(Array.from(replay.cachedObs.subarray(r * width, (r + 1) * width))).toEqual(cached(obsOf(r)));
      expect(Array.from(replay.cachedNext.subarray(r * width, (r + 1) * width))).toEqual(cached(nextOf(r)));
    }
    const b = replay.createBatch(3);
    b.indices.set([4, 1, 4]);
    // Arrays one entry longer than the batch: nothing is written past its rows.
    const masks = [new Float32Array(4).fill(7), new Float32Array(4).fill(7)];
    replay.gatherMasks(b, masks);
    for (let k = 0; k < heads; k++) expect(Array.from(masks[k]!)).toEqual([...[4, 1, 4].map((r) => replay.masks[r * heads + k]!), 7]);
    const out = { obs: [0, 1].map(() => new Float32Array(8).fill(7)), next: [0, 1].map(() => new Float32Array(8).fill(7)) };
    replay.gatherCache(b, out);
    for (let k = 0; k < heads; k++) {
      expect(Array.from(out.obs[k]!)).toEqual([...[4, 1, 4].flatMap((r) => cached(obsOf(r)).slice(2 * k, 2 * k + 2)), 7, 7]);
      expect(Array.from(out.next[k]!)).toEqual([...[4, 1, 4].flatMap((r) => cached(nextOf(r)).slice(2 * k, 2 * k + 2)), 7, 7]);
    }
    // Without a cache there is nothing to gather, and the arrays are left alone.
    const bare = new BootstrapReplay<Float32Array>({ capacity: 4, obsDim: 2, actionKind: 'discrete' }, heads, 1, new Rng(4));
    bare.add(obsOf(1), 0, 0, nextOf(1), false, false);
    const untouched = { obs: [new Float32Array(2).fill(3)], next: [new Float32Array(2).fill(3)] };
    const b1 = bare.createBatch(1);
    bare.gatherCache(b1, untouched);
    expect(Array.from(untouched.obs[0]!)).toEqual([3, 3]);
    expect(Array.from(bare.masks.subarray(0, 2))).toEqual([1, 1]);
  });
});
