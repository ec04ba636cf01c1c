/**
 * MADE (Germain et al. 2015): an MLP whose weights are masked so that the outputs for dimension d see only the
 * inputs before it (natural order), which makes p(x) = prod_d p(x_d | x_<d) exact in one pass. Outputs per
 * dimension: a Bernoulli logit for binary data, or a mixture of K Gaussians (K logits, K means, K log-stds) for
 * reals, these on data standardised by the training set's own mean and std (its log-determinant included).
 *
 * Hidden unit j of every layer gets degree 1 + (j mod (D - 1)): a unit of degree m sees x_1..x_m, and the
 * outputs of dimension d (1-based) see only units of degree < d. The masks sit on a dense `Net` of the plain
 * engine (`ParamMask`): deterministic for a seed on one machine.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import { writeCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { createNet } from '../nn/net.js';
import { adam } from '../nn/optimizers.js';
import type { Net, Optimizer } from '../nn/types.js';
import { checkFitted, checkRows, type RowValues } from './checks.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';
import {
  HALF_LOG_2PI, NO_ENV, ParamMask, cosineLr, fitLoop, logSumExp, outArray, plainEngineLine,
  readModelCheckpoint, sigmoid, softplus, fitStandardisation,
} from './density-layers.js';

/** Options of `MADE`. */
export interface MadeConfig {
  /** Floats per row (>= 2). */
  dim: number;
  /** Seed of the initial parameters, the shuffling and the sampler. */
  seed: number;
  /** 'bernoulli' for 0/1 data, 'gaussianMixture' for reals. */
  output: 'bernoulli' | 'gaussianMixture';
  /** Mixture components per dimension (default 8; 'gaussianMixture' only). */
  components?: number;
  /** Hidden widths (default [128, 128]), relu. */
  hidden?: number[];
  /** Adam's step size at the start (default 2e-3); it decays on a cosine to `finalLrFraction` of it. */
  learningRate?: number;
  /** Learning rate at the end of a fit as a fraction of the start (default 0.05). */
  finalLrFraction?: number;
  /** Global gradient-norm clip (default 100: a guard, not a regulariser). */
  maxGradNorm?: number;
}

type Resolved = Required<MadeConfig>;

/** Log-stds are clipped to this range (in standardised units) so that a component cannot collapse onto a point. */
const LOG_STD_MIN = -7;
const LOG_STD_MAX = 3;

function resolve(c: MadeConfig): Resolved {
  if (!c || typeof c !== 'object') throw new InvalidConfig(`Expected a MADE config object, got ${describeValue(c)}.`);
  if (!Number.isInteger(c.dim) || c.dim < 2) throw new InvalidConfig(`Expected dim to be an integer >= 2, got ${describeValue(c.dim)}.`);
  checkSeed(c.seed);
  if (c.output !== 'bernoulli' && c.output !== 'gaussianMixture') {
    throw new InvalidConfig(`Expected output to be 'bernoulli' or 'gaussianMixture', got ${describeValue(c.output)}.`);
  }
  const r: Resolved = {
    dim: c.dim, seed: c.seed, output: c.output, components: c.components ?? 8, hidden: c.hidden ?? [128, 128],
    learningRate: c.learningRate ?? 2e-3, finalLrFraction: c.finalLrFraction ?? 0.05, maxGradNorm: c.maxGradNorm ?? 100,
  };
  if (!Number.isInteger(r.components) || r.components < 1) throw new InvalidConfig(`Expected components to be a positive integer, got ${describeValue(r.components)}.`);
  if (!Array.isArray(r.hidden) || r.hidden.length === 0 || !r.hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new InvalidConfig(`Expected hidden to be a non-empty array of positive integers, got ${describeValue(r.hidden)}.`);
  }
  for (const k of ['learningRate', 'maxGradNorm'] as const) {
    if (!(Number.isFinite(r[k]) && r[k] > 0)) throw new InvalidConfig(`Expected ${k} to be a finite number > 0, got ${describeValue(r[k])}.`);
  }
  if (!(r.finalLrFraction > 0 && r.finalLrFraction <= 1)) throw new InvalidConfig(`Expected finalLrFraction in (0, 1], got ${describeValue(r.finalLrFraction)}.`);
  return r;
}

/** The 0/1 parameter mask of MADE's dense net (see the file comment); biases are never masked. */
export function madeMask(net: Net, dim: number, hidden: readonly number[], perDim: number): Float32Array {
  const mask = new Float32Array(net.params.length).fill(1);
  const degIn = Array.from({ length: dim }, (_, d) => d + 1);
  const degHidden = hidden.map((h) => Array.from({ length: h }, (_, j) => 1 + (j % Math.max(1, dim - 1))));
  const degOut = Array.from({ length: dim * perDim }, (_, o) => Math.floor(o / perDim) + 1);
  const kernels = net.paramShapes().filter((p) => p.name.endsWith('kernel'));
  const degrees = [degIn, ...degHidden, degOut];
  kernels.forEach((p, l) => {
    const from = degrees[l]!;
    const to = degrees[l + 1]!;
    const output = l === kernels.length - 1;
    for (let i = 0; i < from.length; i++) {
      for (let j = 0; j < to.length; j++) {
        // Hidden units see inputs of degree <= their own; outputs see strictly earlier degrees.
        const ok = output ? to[j]! > from[i]! : to[j]! >= from[i]!;
        mask[p.offset + i * to.length + j] = ok ? 1 : 0;
      }
    }
  });
  return mask;
}

/** A MADE density model over rows of `dim` floats; see the file comment. */
export class MADE implements GenerativeModel {
  readonly kind = 'made';
  readonly dim: number;
  readonly config: Readonly<Resolved>;
  readonly engine: string;
  /** The masked network: n x dim inputs to n x (dim * perDim) outputs, dimension-major. */
  readonly net: Net;
  /** Output floats per dimension: 1 (Bernoulli) or 3K (mixture logits, means, log-stds). */
  readonly perDim: number;
  private readonly mask: ParamMask;
  private readonly opt: Optimizer;
  private readonly trainRng: Rng;
  private readonly sampleRng: Rng;
  private mean: Float64Array;
  private std: Float64Array;
  private fitted = false;

  constructor(config: MadeConfig) {
    this.config = resolve(config);
    const { dim, hidden, seed, output, components } = this.config;
    this.dim = dim;
    this.perDim = output === 'bernoulli' ? 1 : 3 * components;
    this.net = createNet({
      input: dim,
      layers: [...hidden.map((units) => ({ kind: 'dense' as const, units, activation: 'relu' as const })), { kind: 'dense', units: dim * this.perDim }],
      seed,
    }, { engine: 'plain' });
    this.mask = new ParamMask(this.net, madeMask(this.net, dim, hidden, this.perDim));
    this.opt = adam([this.net], { learningRate: this.config.learningRate, maxGradNorm: this.config.maxGradNorm });
    this.trainRng = new Rng(seed);
    this.sampleRng = new Rng(seed + 1);
    this.mean = new Float64Array(dim);
    this.std = new Float64Array(dim).fill(1);
    this.engine = plainEngineLine([this.net]);
  }

  private get binary(): boolean {
    return this.config.output === 'bernoulli';
  }

  /** What its rows must hold: 0 or 1 for a Bernoulli MADE, any finite float otherwise. */
  private get rowValues(): RowValues {
    return this.binary ? 'binary' : 'finite';
  }

  /** Trains on n x dim rows by maximum likelihood (loss: mean NLL in nats per row of the raw data). */
  async fit(data: Float32Array, n: number, options: FitOptions = {}): Promise<FitReport> {
    checkRows(data, n, this.dim, 'data', this.rowValues);
    if (!this.fitted && !this.binary) this.setStandardisation(data, n);
    const D = this.dim;
    const report = await fitLoop(data, n, D, this.trainRng, options, { epochs: 100, batchSize: 128 }, (batch, B, progress) => {
      this.opt.learningRate = cosineLr(this.config.learningRate, this.config.finalLrFraction, progress);
      const loss = this.gradient(batch, B);
      this.mask.step(this.opt);
      return loss;
    });
    this.fitted = true;
    return report;
  }

  /**
   * The mean NLL (nats per row of the raw data) of n rows and its gradient: zeroes the net's grads and leaves
   * dNLL/dparams in them, masked entries included (`fit` masks them before stepping; exposed for gradient checks).
   */
  gradient(x: Float32Array, n: number): number {
    checkRows(x, n, this.dim, 'x', this.rowValues);
    this.net.zeroGrad();
    const u = this.standardise(x, n, new Float32Array(n * this.dim));
    const out = this.net.forward(u, n);
    const dOut = new Float32Array(n * this.dim * this.perDim);
    const nll = this.nll(u, out, n, dOut, 1 / n);
    this.net.backward(dOut, n);
    return nll / n + this.logDetConstant();
  }

  /** Exact log p(x) in nats per row for n x dim rows, into `out` (n values). */
  logProb(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    checkFitted(this.fitted, 'MADE', 'logProb()', 'MADE.load()');
    checkRows(x, n, this.dim, 'x', this.rowValues);
    const res = outArray(out, n);
    const D = this.dim;
    const chunk = 256;
    const u = new Float32Array(chunk * D);
    for (let s = 0; s < n; s += chunk) {
      const rows = Math.min(chunk, n - s);
      const xs = this.standardise(x.subarray(s * D, (s + rows) * D), rows, u);
      const o = this.net.predict(xs, rows);
      for (let i = 0; i < rows; i++) {
        res[s + i] = -(this.rowNll(xs, o, i, null, 0) + this.logDetConstant());
      }
    }
    return res;
  }

  /** n samples (n x dim), one dimension at a time from the seeded sampler (dim passes of the net). */
  sample(n: number, out?: Float32Array): Float32Array {
    checkFitted(this.fitted, 'MADE', 'sample()', 'MADE.load()');
    if (!Number.isInteger(n) || n < 1) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    const D = this.dim;
    const P = this.perDim;
    const K = this.config.components;
    const x = new Float32Array(n * D);
    const o = new Float32Array(n * D * P);
    for (let d = 0; d < D; d++) {
      this.net.predict(x, n, o);
      for (let i = 0; i < n; i++) {
        const b = (i * D + d) * P;
        if (this.binary) {
          x[i * D + d] = this.sampleRng.float() < sigmoid(o[b]!) ? 1 : 0;
          continue;
        }
        const lse = logSumExp(o, b, K);
        let r = this.sampleRng.float();
        let k = 0;
        for (; k < K - 1; k++) {
          r -= Math.exp(o[b + k]! - lse);
          if (r < 0) break;
        }
        const logStd = Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, o[b + 2 * K + k]!));
        x[i * D + d] = o[b + K + k]! + Math.exp(logStd) * this.sampleRng.normal();
      }
    }
    const res = outArray(out, n * D);
    for (let i = 0; i < n * D; i++) res[i] = x[i]! * this.std[i % D]! + this.mean[i % D]!;
    return res;
  }

  /** Sum over rows of the NLL (nats, standardised units), writing weight * its gradient into dOut. */
  private nll(x: Float32Array, out: Float32Array, n: number, dOut: Float32Array, weight: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.rowNll(x, out, i, dOut, weight);
    return sum;
  }

  /** Row i's NLL -sum_d log p(x_d | x_<d) from the net's outputs; adds weight * dNLL/dOut into dOut when given. */
  private rowNll(x: Float32Array, out: Float32Array, i: number, dOut: Float32Array | null, weight: number): number {
    const D = this.dim;
    const P = this.perDim;
    const K = this.config.components;
    let nll = 0;
    for (let d = 0; d < D; d++) {
      const v = x[i * D + d]!;
      const b = (i * D + d) * P;
      if (this.binary) {
        const l = out[b]!;
        nll += softplus(l) - v * l;
        if (dOut) dOut[b] = weight * (sigmoid(l) - v);
        continue;
      }
      // Mixture: log p = logsumexp_k(log pi_k + log N(v; mu_k, sigma_k)); r_k its responsibilities.
      const lseW = logSumExp(out, b, K);
      const comp = new Float64Array(K);
      // Stryker disable next-line EqualityOperator: k = K only writes comp[K], past the end of the typed array
      for (let k = 0; k < K; k++) {
        const ls = Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, out[b + 2 * K + k]!));
        const zk = (v - out[b + K + k]!) * Math.exp(-ls);
        comp[k] = out[b + k]! - lseW - 0.5 * zk * zk - ls - HALF_LOG_2PI;
      }
      const lp = logSumExp(comp, 0, K);
      nll -= lp;
      if (!dOut) continue;
      for (let k = 0; k < K; k++) {
        const r = Math.exp(comp[k]! - lp);
        const raw = out[b + 2 * K + k]!;
        const ls = Math.min(LOG_STD_MAX, Math.max(LOG_STD_MIN, raw));
        const inv = Math.exp(-ls);
        const zk = (v - out[b + K + k]!) * inv;
        dOut[b + k] = weight * (Math.exp(out[b + k]! - lseW) - r);
        dOut[b + K + k] = weight * (-r * zk * inv);
        // The clip passes no gradient outside its range.
        dOut[b + 2 * K + k] = raw > LOG_STD_MIN && raw < LOG_STD_MAX ? weight * (-r * (zk * zk - 1)) : 0;
      }
    }
    return nll;
  }

  /** sum_d log std_d: the standardisation's share of every row's NLL (0 for binary data). */
  private logDetConstant(): number {
    let s = 0;
    for (let d = 0; d < this.dim; d++) s += Math.log(this.std[d]!);
    return s;
  }

  /** Standardised copy of n rows (n x dim) into the first n x dim floats of `out`; binary data pass through unchanged. */
  private standardise(x: Float32Array, n: number, out: Float32Array): Float32Array {
    const D = this.dim;
    // Stryker disable next-line ConditionalExpression: binary rows keep mean 0 and std 1, so the copy would equal x; the branch only skips it
    if (this.binary) return x.subarray(0, n * D);
    const u = out.subarray(0, n * D);
    // Stryker disable next-line EqualityOperator: i = n x dim writes past the end of the subarray, which a typed array ignores
    for (let i = 0; i < n * D; i++) u[i] = (x[i]! - this.mean[i % D]!) / this.std[i % D]!;
    return u;
  }

  private setStandardisation(data: Float32Array, n: number): void {
    fitStandardisation(data, n, this.dim, this.mean, this.std);
  }

  /** Writes config, standardisation, the masked net, Adam's state and both rng streams as a checkpoint folder. */
  async save(dir: string): Promise<void> {
    await writeCheckpoint(dir, {
      algo: `model.${this.kind}`, step: this.opt.steps, config: { ...this.config }, env: { ...NO_ENV },
      nets: { made: this.net.getParams() }, optimizers: { adam: this.opt.getState() },
      rngs: { train: this.trainRng.getState(), sample: this.sampleRng.getState() },
      counters: { fitted: this.fitted, mean: [...this.mean], std: [...this.std] },
    });
  }

  /** Reads a folder written by `save`; another model's checkpoint gets `InvalidConfig` naming both kinds. */
  static async load(dir: string): Promise<MADE> {
    const ck = await readModelCheckpoint(dir, 'made');
    const model = new MADE(ck.config as MadeConfig);
    model.net.setParams(ck.nets['made'] ?? []);
    model.mask.applyToParams();
    if (ck.optimizers['adam']) model.opt.setState(ck.optimizers['adam']);
    if (ck.rngs['train']) model.trainRng.setState(ck.rngs['train']);
    if (ck.rngs['sample']) model.sampleRng.setState(ck.rngs['sample']);
    model.mean.set(ck.counters['mean'] as number[]);
    model.std.set(ck.counters['std'] as number[]);
    model.fitted = ck.counters['fitted'] === true;
    return model;
  }
}
