/**
 * Bootstrapped DQN with randomised priors: heads differ and train on different bootstrap masks, a prior is never
 * trained, each head bootstraps from its own target, the acting head changes only between episodes, and a
 * checkpoint keeps heads, priors, masks and the acting head.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../envs/builtin.js';
import type { Env, Transition } from '../../core/env.js';
import { make } from '../../envs/registry.js';
import { tap } from 'rxjs';
import { BootstrapEnsemble } from '../../agents/bootstrapped-dqn.js';
import { BootstrapReplay } from '../../agents/bootstrap-replay.js';
import { resolveExploringDqnConfig, type ExploringDqnConfig } from '../../agents/explore-config.js';
import { exploringDqn } from '../../agents/exploration.js';
import { loadAgent } from '../../agents/registry.js';
import type { ThompsonDqnAgent } from '../../agents/thompson-dqn.js';

const SMALL: Partial<ExploringDqnConfig> = { explore: 'bootstrap', heads: 4, hidden: [16, 16], batchSize: 16, learningStarts: 16, bufferSize: 500, targetUpdateInterval: 4, trainFreq: 1, learningRate: 1e-3, loss: 'mse', maxGradNorm: null, engine: 'plain' };
const deepSea = (size = 4) => make('DeepSea-v0', { size }) as Env<Float32Array, number>;
const boot = (config: Record<string, unknown> = {}) => exploringDqn(deepSea(), { ...SMALL, ...config }) as ThompsonDqnAgent<Float32Array>;
const ensembleOf = (agent: ThompsonDqnAgent<Float32Array>) => agent.posterior as BootstrapEnsemble;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxgym-boot-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A batch of B one-hot rows over dim inputs, from the seed's pattern. */
function batchOf(B: number, dim: number, shift: number) {
  const obs = new Float32Array(B * dim), nextObs = new Float32Array(B * dim);
  for (let i = 0; i < B; i++) [obs[i * dim + (i % dim)], nextObs[i * dim + ((i + shift) % dim)]] = [1, 1];
  return { batchSize: B, obsDim: dim, actionDim: 1, obs, nextObs, actions: Int32Array.from({ length: B }, (_, i) => i % 2), rewards: Float32Array.from({ length: B }, (_, i) => (i % 3) - 1), terminated: new Uint8Array(B), truncated: new Uint8Array(B), indices: new Int32Array(B), discounts: new Float32Array(B).fill(0.99) };
}

describe('bootstrapped DQN', () => {
  it('has heads that differ from one another, each with its own prior', () => {
    const e = ensembleOf(boot());
    const x = new Float32Array(16);
    x[5] = 1;
    const qs = e.heads.map((_, k) => Array.from(e.headQ(k, x, null, 1, new Float32Array(2))));
    for (let a = 0; a < qs.length; a++) for (let b = a + 1; b < qs.length; b++) expect(qs[a]).not.toEqual(qs[b]);
    expect(e.qSpread(x)).toBeGreaterThan(0);
    const priors = e.heads.map((h) => Array.from(h.prior.nets[0]!.params.slice(0, 20)));
    expect(priors[0]).not.toEqual(priors[1]);
  });

  it('adds the prior at priorScale: Q_k = f_k + beta p_k', () => {
    const x = new Float32Array(16);
    x[3] = 1;
    const withPrior = ensembleOf(boot({ priorScale: 5 }));
    const without = ensembleOf(boot({ priorScale: 0 }));
    const f = without.headQ(0, x, null, 1, new Float32Array(2));
    const p = withPrior.heads[0]!.prior.predict(x, null, 1, new Float32Array(2));
    const q = withPrior.headQ(0, x, null, 1, new Float32Array(2));
    for (let a = 0; a < 2; a++) expect(q[a]).toBeCloseTo(f[a]! + 5 * p[a]!, 5);
  });

  it('gives each stored transition its own Bernoulli(maskProb) mask per head', () => {
    const agent = boot({ maskProb: 0.5 });
    const env = deepSea();
    const replay = (agent as unknown as { replay: BootstrapReplay<Float32Array> }).replay;
    const { obs } = env.reset({ seed: 0 });
    let o = obs;
    for (let i = 0; i < 400; i++) {
      const r = env.step(i % 2);
      replay.add(o, i % 2, r.reward, r.obs, r.terminated, false);
      o = r.terminated ? env.reset().obs : r.obs;
    }
    const K = 4;
    const column = (k: number) => Array.from({ length: 400 }, (_, i) => replay.masks[i * K + k]!);
    const ones = column(0).reduce((a, b) => a + b, 0);
    expect(ones).toBeGreaterThan(160);
    expect(ones).toBeLessThan(240);
    expect(column(0)).not.toEqual(column(1)); // heads see different bootstrap resamples
    const all = ensembleOf(boot({ maskProb: 1 }));
    expect(all.heads.length).toBe(4);
    const full = (boot({ maskProb: 1 }) as unknown as { replay: BootstrapReplay<Float32Array> }).replay;
    full.add(obs, 0, 0, obs, false, false);
    expect(Array.from(full.masks.subarray(0, K))).toEqual([1, 1, 1, 1]);
  });

  it('trains a head only on transitions its mask keeps, and never trains a prior', () => {
    const e = ensembleOf(boot());
    const priors = e.heads.map((h) => h.prior.getParams().map((p) => Array.from(p.data)));
    const before = e.heads.map((h) => Array.from(h.f.nets[1]!.params));
    const batch = batchOf(16, 16, 3);
    e.batchMasks.forEach((m, k) => m.fill(k === 1 ? 0 : 1)); // head 1 keeps none of this batch
    for (let i = 0; i < 5; i++) e.update(batch as never);
    expect(e.heads.map((h) => h.prior.getParams().map((p) => Array.from(p.data)))).toEqual(priors);
    expect(Array.from(e.heads[0]!.f.nets[1]!.params)).not.toEqual(before[0]);
    expect(Array.from(e.heads[1]!.f.nets[1]!.params)).toEqual(before[1]);
  });

  it("computes each head's TD target from that head's own target network", () => {
    const batch = batchOf(16, 16, 5);
    const run = (spoil: number | null) => {
      const e = ensembleOf(boot({ seed: 3 }));
      e.batchMasks.forEach((m) => m.fill(1));
      if (spoil !== null) for (const net of e.heads[spoil]!.target.nets) net.params.fill(0.5), net.paramsChanged();
      e.update(batch as never);
      return e.heads.map((h) => Array.from(h.f.nets[2]!.params));
    };
    const clean = run(null);
    const spoiled = run(1);
    expect(spoiled[0]).toEqual(clean[0]); // head 0 never reads head 1's target
    expect(spoiled[2]).toEqual(clean[2]);
    expect(spoiled[1]).not.toEqual(clean[1]);
  });

  it('learns the same with the prior outputs cached per stored row as when it computes them per update', async () => {
    const cached = boot({ seed: 4 });
    const computed = boot({ seed: 4 });
    ensembleOf(computed).usePriorCache = false;
    expect(ensembleOf(cached).usePriorCache).toBe(true);
    await cached.learn({ steps: 80, log: () => {} });
    await computed.learn({ steps: 80, log: () => {} });
    const a = Object.values(cached.snapshot()).flatMap((ps) => ps.flatMap((p) => Array.from(p.data)));
    const b = Object.values(computed.snapshot()).flatMap((ps) => ps.flatMap((p) => Array.from(p.data)));
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(cached.step).toBe(80);
  });

  it('changes the acting head only at episode boundaries', async () => {
    const agent = boot({ heads: 8 });
    const e = ensembleOf(agent);
    const seen: { episode: number; head: number }[] = [];
    const watch = (s: import('rxjs').Observable<Transition<Float32Array, number>>) => s.pipe(tap((tr) => seen.push({ episode: tr.episode, head: e.active })));
    await agent.learn({ steps: 200, log: () => {}, consumers: [watch] });
    const byEpisode = new Map<number, Set<number>>();
    for (const s of seen) byEpisode.set(s.episode, (byEpisode.get(s.episode) ?? new Set()).add(s.head));
    expect(byEpisode.size).toBe(50);
    for (const heads of byEpisode.values()) expect(heads.size).toBe(1);
    expect(new Set(seen.map((s) => s.head)).size).toBeGreaterThan(3); // and it does change between episodes
  });

  it('checkpoints heads, targets, priors, masks and the acting head, and resumes through loadAgent', async () => {
    const agent = boot({ maskProb: 0.5, seed: 7 });
    await agent.learn({ steps: 120, log: () => {} });
    const dir = join(tmp, 'cp');
    await agent.save(dir, { replay: true });
    const { agent: loaded } = await loadAgent(dir, deepSea());
    const back = loaded as ThompsonDqnAgent<Float32Array>;
    expect(back.config.explore).toBe('bootstrap');
    expect(back.snapshot()).toEqual(agent.snapshot());
    expect(ensembleOf(back).active).toBe(ensembleOf(agent).active);
    const masks = (a: unknown) => Array.from((a as { replay: BootstrapReplay<Float32Array> }).replay.masks.subarray(0, 120 * 4));
    expect(masks(back)).toEqual(masks(agent));
    expect(back.step).toBe(120);
    // Both continue identically: same rngs, replay and optimiser state.
    await agent.learn({ steps: 40, log: () => {} });
    await back.learn({ steps: 40, log: () => {} });
    expect(back.snapshot()).toEqual(agent.snapshot());
  });

  it('refuses DQN options it cannot honour, naming the option and the mode', () => {
    expect(() => resolveExploringDqnConfig({ explore: 'bootstrap', dueling: true })).toThrow(/dqn.dueling false with explore 'bootstrap'/);
    expect(() => resolveExploringDqnConfig({ explore: 'bootstrap', prioritized: true })).toThrow(/dqn.prioritized/);
    expect(() => resolveExploringDqnConfig({ explore: 'mc-dropout', engine: 'tfjs' })).toThrow(/dqn.engine other than 'tfjs' with explore 'mc-dropout'/);
    expect(() => resolveExploringDqnConfig({ explore: 'bootstrap', heads: 0 })).toThrow(/dqn.heads to be an integer from 1 to 1000, got 0/);
    expect(() => resolveExploringDqnConfig({ explore: 'curiosity' })).toThrow(/dqn.explore to be one of 'epsilon', 'bootstrap', 'mc-dropout'/);
    expect(() => resolveExploringDqnConfig({ explore: 'bootstrap', hidden: [] })).toThrow(/hidden/);
  });
});
