/**
 * Bootstrapped DQN with randomised prior functions (Osband et al. 2016, 2018; bsuite's baselines/jax/boot_dqn): K
 * Q-heads, each Q_k(s, .) = f_k(s) + beta p_k(s) with f_k trained and p_k a fixed random network of the same shape
 * that is never trained; each head learns from its own bootstrap mask of the replay and bootstraps from its own
 * target network; the agent acts greedily with one head drawn at the start of each episode (Thompson sampling).
 *
 * This file is the algorithm: the heads, the per-head TD loss and the update. The agent around it (replay sampling,
 * the loop, checkpoints) is thompson-dqn.ts, shared with MC-dropout DQN. Algorithm parts are marked ALGORITHM.
 */
import { InvalidConfig } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Activation, NamedArray, Optimizer } from '../nn/types.js';
import type { ReplayBatch } from '../replay/types.js';
import type { JsonValue, OptimizerState } from '../core/node/checkpoint/checkpoint.js';
import { makeOptimizer } from './common.js';
import { dqnLoss, tdTargets } from './dqn.js';
import { LayeredMlp, SparseRows } from './layered-mlp.js';
import type { QPosterior, QPosteriorConfig } from './thompson-dqn.js';

/** What the ensemble takes besides the shared Q-learning settings. */
export interface BootstrapSettings {
  /** K, the number of heads. */
  heads: number;
  /** beta, the scale of each head's fixed random prior network (0: no prior). */
  priorScale: number;
  /** Probability that a head trains on a given transition (its bootstrap mask); bsuite uses 1 on DeepSea. */
  maskProb: number;
}

/** One head: the trained network f_k, its target copy, and the prior p_k (never trained, never copied over). */
interface Head {
  f: LayeredMlp;
  target: LayeredMlp;
  prior: LayeredMlp;
  optimizer: Optimizer;
}

/** The K heads and their learner; a `QPosterior` whose samples are heads. */
export class BootstrapEnsemble implements QPosterior {
  readonly kind = 'bootstrap';
  readonly heads: Head[];
  /** The head the current episode acts with. */
  active = 0;
  /** Head k's bootstrap masks of the current batch (batchSize floats), filled by the agent before `update`. */
  readonly batchMasks: Float32Array[];
  /**
   * Head k's prior outputs p_k(s) and p_k(s') of the current batch (batchSize x numActions each), filled by the agent
   * from the replay's cache: priors never change, so they are computed once per stored transition, not per update.
   */
  readonly batchPriors: { obs: Float32Array[]; next: Float32Array[] };
  /** Whether `update` reads `batchPriors` (the agent's replay caches them) or computes the priors itself. */
  usePriorCache = false;
  private readonly obsRows = new SparseRows();
  private readonly nextRows = new SparseRows();
  private readonly t: ReturnType<typeof scratch>;

  constructor(inDim: number, readonly numActions: number, private readonly c: QPosteriorConfig & BootstrapSettings) {
    if (c.heads < 1) throw new InvalidConfig(`Expected dqn.heads to be a positive integer, got ${c.heads}.`);
    const init = new Rng(c.seed ^ 0x5b007);
    const mlp = (seed: number) => new LayeredMlp(inDim, c.hidden, numActions, c.activation as Activation, seed, init);
    // As bsuite: every head, and every prior, is its own independently initialised network (haiku's init).
    this.heads = Array.from({ length: c.heads }, (_, k) => {
      const f = mlp(c.seed * 1000 + 2 * k);
      return { f, target: f.clone(), prior: mlp(c.seed * 1000 + 2 * k + 1), optimizer: makeOptimizer(c.optimizer, f.nets, c.learningRate, c.maxGradNorm, c.adamEpsilon) };
    });
    this.batchMasks = this.heads.map(() => new Float32Array(c.batchSize));
    this.batchPriors = { obs: this.heads.map(() => new Float32Array(c.batchSize * numActions)), next: this.heads.map(() => new Float32Array(c.batchSize * numActions)) };
    this.t = scratch(c.batchSize, numActions, c.heads);
  }

  // ALGORITHM: Thompson sampling draws one head per episode; it acts greedily with Q_k = f_k + beta p_k.
  resample(rng: Rng): void {
    this.active = rng.int(this.heads.length);
  }

  /** Q_k(x) = f_k(x) + beta p_k(x) for n rows of x into out (n x numActions); `target` uses f_k's target copy. */
  headQ(k: number, x: Float32Array, rows: SparseRows | null, n: number, out: Float32Array, target = false, prior: Float32Array | null = null): Float32Array {
    const h = this.heads[k]!;
    (target ? h.target : h.f).predict(x, rows, n, out);
    // Stryker disable next-line ConditionalExpression: with beta 0 the sum adds 0 x p; the test only skips the prior network
    if (this.c.priorScale !== 0) addPrior(out, prior ?? h.prior.predict(x, rows, n, this.t.prior), this.c.priorScale, n * this.numActions, out);
    return out;
  }

  sampledQ(x: Float32Array, out: Float32Array): Float32Array {
    return this.headQ(this.active, x, this.obsRows.scan(x, 1, x.length), 1, out);
  }

  /** The mean over heads of Q_k(x): the ensemble's greedy policy (evaluation, the viewer). */
  meanQ(x: Float32Array, out: Float32Array): Float32Array {
    this.allHeads(x);
    return headMean(this.t.perHead, this.heads.length, this.numActions, out);
  }

  /** The standard deviation of Q_k(x, a) over the heads, averaged over actions: how much the heads disagree. */
  qSpread(x: Float32Array): number {
    this.allHeads(x);
    return headSpread(this.t.perHead, this.heads.length, this.numActions);
  }

  /** Every head's prior output p_k(x) for one row x into out (heads x numActions): what the replay caches per row. */
  priorRow(x: Float32Array, out: Float32Array): void {
    const rows = this.obsRows.scan(x, 1, x.length), A = this.numActions;
    for (let k = 0; k < this.heads.length; k++) {
      const p = this.heads[k]!.prior.predict(x, rows, 1, this.t.prior);
      for (let a = 0; a < A; a++) out[k * A + a] = p[a]!;
    }
  }

  private allHeads(x: Float32Array): void {
    const rows = this.obsRows.scan(x, 1, x.length);
    for (let k = 0; k < this.heads.length; k++) this.headQ(k, x, rows, 1, this.t.perHead.subarray(k * this.numActions, (k + 1) * this.numActions));
  }

  // ALGORITHM: one gradient step for every head on the same batch, each weighted by its own bootstrap masks.
  update(batch: ReplayBatch<'discrete'>): number {
    const c = this.c, B = c.batchSize, A = this.numActions, t = this.t;
    const dim = batch.obsDim;
    const obsRows = this.obsRows.scan(batch.obs, B, dim);
    const nextRows = this.nextRows.scan(batch.nextObs, B, dim);
    let total = 0;
    for (let k = 0; k < this.heads.length; k++) {
      const h = this.heads[k]!;
      // y_k = r + gamma^n (1 - terminated) max_a' Q_k^target(s', a'), with Q_k^target = f_k^target + beta p_k: the head's own target.
      const nextPrior = this.usePriorCache ? this.batchPriors.next[k]! : null;
      this.headQ(k, batch.nextObs, nextRows, B, t.nextQTarget, true, nextPrior);
      const nextOnline = c.double ? this.headQ(k, batch.nextObs, nextRows, B, t.nextQOnline, false, nextPrior) : null;
      tdTargets(batch.rewards, batch.terminated, batch.discounts, c.gamma, t.nextQTarget, nextOnline, B, A, t.targets);
      // Q_k(s, .) = f_k(s) + beta p_k(s); the prior adds a constant, so the gradient flows into f_k only.
      const q = h.f.forward(batch.obs, obsRows, B);
      // Stryker disable next-line ConditionalExpression: with beta 0 the sum adds 0 x p; the test only skips the prior network
      if (c.priorScale !== 0) {
        addPrior(q, this.usePriorCache ? this.batchPriors.obs[k]! : h.prior.predict(batch.obs, obsRows, B, t.prior), c.priorScale, B * A, t.qBatch);
      } else {
        t.qBatch.set(q.subarray(0, B * A));
      }
      // loss_k = mean_i m_ik l(Q_k(s_i, a_i) - y_ik): bsuite's jnp.mean(m_t * td_error**2) with loss 'mse'.
      total += dqnLoss(t.qBatch, batch.actions, t.targets, B, A, c.loss, this.batchMasks[k], t.dQ, t.tdAbs, t);
      h.f.backward(t.dQ, B);
      h.optimizer.step();
    }
    return total / this.heads.length;
  }

  updateTargets(tau: number): void {
    for (const h of this.heads) h.target.polyakFrom(h.f, tau);
  }

  // BOOKKEEPING: checkpoints. Priors are saved too: they are random, and the heads were trained beside them.
  nets(): Record<string, NamedArray[]> {
    return Object.fromEntries(this.heads.flatMap((h, k) => [[`head${k}`, h.f.getParams()], [`target${k}`, h.target.getParams()], [`prior${k}`, h.prior.getParams()]]));
  }

  setNets(saved: Record<string, NamedArray[]>): void {
    this.heads.forEach((h, k) => {
      for (const [name, mlp] of [[`head${k}`, h.f], [`target${k}`, h.target], [`prior${k}`, h.prior]] as const) if (saved[name]) mlp.setParams(saved[name]);
    });
  }

  optimizerStates(): Record<string, OptimizerState> {
    return Object.fromEntries(this.heads.map((h, k) => [`head${k}`, h.optimizer.getState()]));
  }

  setOptimizerStates(saved: Record<string, OptimizerState>): void {
    this.heads.forEach((h, k) => saved[`head${k}`] && h.optimizer.setState(saved[`head${k}`]!));
  }

  getSample(): JsonValue {
    return this.active;
  }

  setSample(v: JsonValue): void {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < this.heads.length) this.active = v;
  }
}

/** out = f + beta p over the first `count` floats (Q_k = f_k + beta p_k); out may be f itself. */
export function addPrior(f: Float32Array, p: Float32Array, beta: number, count: number, out: Float32Array): Float32Array {
  for (let i = 0; i < count; i++) out[i] = f[i]! + beta * p[i]!;
  return out;
}

/** The mean over K heads of Q_k(x, .): perHead is K x A, out gets A floats. */
export function headMean(perHead: Float32Array, K: number, A: number, out: Float32Array): Float32Array {
  out.fill(0, 0, A);
  for (let k = 0; k < K; k++) for (let a = 0; a < A; a++) out[a] = out[a]! + perHead[k * A + a]! / K;
  return out;
}

/** The population standard deviation over K heads of Q_k(x, a), averaged over the A actions (perHead is K x A). */
export function headSpread(perHead: Float32Array, K: number, A: number): number {
  let spread = 0;
  for (let a = 0; a < A; a++) {
    let s = 0, s2 = 0;
    for (let k = 0; k < K; k++) {
      const q = perHead[k * A + a]!;
      // Stryker disable next-line AssignmentOperator: s enters only as (s / K)^2, so summing -q gives the same spread
      s += q;
      s2 += q * q;
    }
    spread += Math.sqrt(Math.max(0, s2 / K - (s / K) ** 2));
  }
  return spread / A;
}

/** The learner's scratch for batch B, A actions and K heads (allocated once). */
function scratch(B: number, A: number, K: number) {
  const f = (n: number) => new Float32Array(n);
  return { nextQTarget: f(B * A), nextQOnline: f(B * A), qBatch: f(B * A), prior: f(B * A), dQ: f(B * A), targets: f(B), tdAbs: f(B), qTaken: f(B), dTaken: f(B), perHead: f(K * A) };
}
