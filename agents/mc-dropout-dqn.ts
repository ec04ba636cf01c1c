/**
 * MC-dropout Thompson sampling for DQN (Gal and Ghahramani 2016; Gal's thesis, section 6.5): a Q-network trained with
 * dropout on its hidden layers, and dropout kept when acting. A dropout mask is a draw from the approximate
 * posterior over Q-functions; the agent samples one mask at the start of each episode and holds it for the whole
 * episode, so it explores by following one plausible Q-function deeply rather than by dithering every step.
 *
 * This file is the algorithm: the masks, the TD loss and the update. The agent around it is thompson-dqn.ts.
 */
import type { Rng } from '../core/rng.js';
import { Rng as SeededRng } from '../core/rng.js';
import type { Activation, NamedArray, Optimizer } from '../nn/types.js';
import type { ReplayBatch } from '../replay/types.js';
import type { JsonValue, OptimizerState } from '../core/node/checkpoint/checkpoint.js';
import { makeOptimizer } from './common.js';
import { dqnLoss, tdTargets } from './dqn.js';
import { LayeredMlp, SparseRows, type LayerMasks } from './layered-mlp.js';
import type { QPosterior, QPosteriorConfig } from './thompson-dqn.js';

/** What MC-dropout DQN takes besides the shared Q-learning settings. */
export interface DropoutSettings {
  /** Probability of dropping a hidden unit, in (0, 1). */
  dropout: number;
}

/** Masks drawn to estimate the spread of Q for the viewer (a fixed set, so the figure does not flicker). */
const SPREAD_SAMPLES = 20;

/** A dropout Q-network and its learner; a `QPosterior` whose samples are dropout masks. */
export class DropoutQ implements QPosterior {
  readonly kind = 'mc-dropout';
  readonly q: LayeredMlp;
  readonly target: LayeredMlp;
  readonly optimizer: Optimizer;
  /** The mask the current episode acts with (one row per hidden layer, values 0 or 1 / keep). */
  held: LayerMasks;
  private readonly keep: number;
  private readonly trainRng: Rng;
  private readonly trainMasks: LayerMasks;
  private readonly spreadMasks: LayerMasks[];
  private readonly obsRows = new SparseRows();
  private readonly nextRows = new SparseRows();
  private readonly t: ReturnType<typeof scratch>;

  constructor(inDim: number, readonly numActions: number, private readonly c: QPosteriorConfig & DropoutSettings) {
    this.q = new LayeredMlp(inDim, c.hidden, numActions, c.activation as Activation, c.seed);
    this.target = this.q.clone();
    this.optimizer = makeOptimizer(c.optimizer, this.q.nets, c.learningRate, c.maxGradNorm, c.adamEpsilon);
    this.keep = 1 - c.dropout;
    const root = new SeededRng(c.seed ^ 0xd2095);
    this.trainRng = root.fork();
    this.held = this.drawMask(root);
    this.trainMasks = { masks: c.hidden.map((w) => new Float32Array(c.batchSize * w)), perRow: true };
    this.spreadMasks = Array.from({ length: SPREAD_SAMPLES }, () => this.drawMask(root));
    this.t = scratch(c.batchSize, numActions);
  }

  /** One shared mask per hidden layer: each unit kept with probability 1 - dropout and then scaled by 1 / keep. */
  private drawMask(rng: Rng, into?: LayerMasks): LayerMasks {
    const masks = into ?? { masks: this.c.hidden.map((w) => new Float32Array(w)), perRow: false };
    for (const m of masks.masks) fillDropoutMask(m, this.keep, rng);
    return masks;
  }

  // ALGORITHM: Thompson sampling draws one dropout mask per episode and acts greedily under it.
  resample(rng: Rng): void {
    this.drawMask(rng, this.held);
  }

  sampledQ(x: Float32Array, out: Float32Array): Float32Array {
    return this.q.predict(x, this.obsRows.scan(x, 1, x.length), 1, out, this.held);
  }

  /** Q without dropout (inverted dropout keeps the expected activations): the greedy policy for evaluation. */
  meanQ(x: Float32Array, out: Float32Array): Float32Array {
    return this.q.predict(x, this.obsRows.scan(x, 1, x.length), 1, out);
  }

  /** The standard deviation of Q(x, a) over a fixed set of dropout masks, averaged over actions. */
  qSpread(x: Float32Array): number {
    const A = this.numActions, rows = this.obsRows.scan(x, 1, x.length);
    const s = this.t.sum.fill(0), s2 = this.t.sum2.fill(0);
    for (const mask of this.spreadMasks) addMoments(this.q.predict(x, rows, 1, this.t.row, mask), A, s, s2);
    return spreadFromMoments(s, s2, SPREAD_SAMPLES, A);
  }

  // ALGORITHM: one gradient step with fresh per-row dropout masks; targets from the dropout-free target network.
  update(batch: ReplayBatch<'discrete'>): number {
    const c = this.c, B = c.batchSize, A = this.numActions, t = this.t;
    const obsRows = this.obsRows.scan(batch.obs, B, batch.obsDim);
    const nextRows = this.nextRows.scan(batch.nextObs, B, batch.obsDim);
    // y = r + gamma^n (1 - terminated) max_a' Q_target(s', a') (the target's mean function: no dropout).
    this.target.predict(batch.nextObs, nextRows, B, t.nextQTarget);
    const nextOnline = c.double ? this.q.predict(batch.nextObs, nextRows, B, t.nextQOnline) : null;
    tdTargets(batch.rewards, batch.terminated, batch.discounts, c.gamma, t.nextQTarget, nextOnline, B, A, t.targets);
    // loss = mean_i l(Q_mask_i(s_i, a_i) - y_i), every row with its own mask: the dropout objective.
    for (const m of this.trainMasks.masks) fillDropoutMask(m, this.keep, this.trainRng);
    const q = this.q.forward(batch.obs, obsRows, B, this.trainMasks);
    const loss = dqnLoss(q, batch.actions, t.targets, B, A, c.loss, undefined, t.dQ, t.tdAbs, t);
    this.q.backward(t.dQ, B);
    this.optimizer.step();
    return loss;
  }

  updateTargets(tau: number): void {
    this.target.polyakFrom(this.q, tau);
  }

  // BOOKKEEPING: checkpoints; the held mask is saved so that a resumed episode keeps acting with it.
  nets(): Record<string, NamedArray[]> {
    return { q: this.q.getParams(), target: this.target.getParams() };
  }

  setNets(saved: Record<string, NamedArray[]>): void {
    if (saved['q']) this.q.setParams(saved['q']);
    if (saved['target']) this.target.setParams(saved['target']);
  }

  optimizerStates(): Record<string, OptimizerState> {
    return { q: this.optimizer.getState() };
  }

  setOptimizerStates(saved: Record<string, OptimizerState>): void {
    if (saved['q']) this.optimizer.setState(saved['q']);
  }

  getSample(): JsonValue {
    return this.held.masks.map((m) => Array.from(m));
  }

  setSample(v: JsonValue): void {
    if (!Array.isArray(v) || v.length !== this.held.masks.length) return;
    v.forEach((row, l) => Array.isArray(row) && row.length === this.held.masks[l]!.length && this.held.masks[l]!.set(row as number[]));
  }
}

/** Inverted dropout: m[i] = 1 / keep with probability keep (one `rng.float()` per unit, in order), else 0. */
export function fillDropoutMask(m: Float32Array, keep: number, rng: Rng): Float32Array {
  for (let i = 0; i < m.length; i++) {
    // Stryker disable next-line EqualityOperator: float() equals keep with probability 2^-53
    m[i] = rng.float() < keep ? 1 / keep : 0;
  }
  return m;
}

/** s[a] += q[a], s2[a] += q[a]^2 for the A actions: the running sums of one sample's Q-values. */
export function addMoments(q: Float32Array, A: number, s: Float32Array, s2: Float32Array): void {
  for (let a = 0; a < A; a++) {
    s[a] = s[a]! + q[a]!;
    s2[a] = s2[a]! + q[a]! * q[a]!;
  }
}

/** The population standard deviation of each action's Q over `samples` samples from their sums, averaged over A actions. */
export function spreadFromMoments(s: Float32Array, s2: Float32Array, samples: number, A: number): number {
  let spread = 0;
  for (let a = 0; a < A; a++) spread += Math.sqrt(Math.max(0, s2[a]! / samples - (s[a]! / samples) ** 2));
  return spread / A;
}

function scratch(B: number, A: number) {
  const f = (n: number) => new Float32Array(n);
  return { nextQTarget: f(B * A), nextQOnline: f(B * A), dQ: f(B * A), targets: f(B), tdAbs: f(B), qTaken: f(B), dTaken: f(B), row: f(A), sum: f(A), sum2: f(A) };
}
