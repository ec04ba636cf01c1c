/**
 * The heteroscedastic regression loss wired to a network's raw outputs, and the Gaussian-output MLP that MC dropout
 * and deep ensembles share. A network row holds [mean (d), raw log-std (d)]; the raw log-std goes through PETS's
 * soft clamp into [minLogStd, maxLogStd] (so sigma can neither vanish nor explode early in training), then
 * nn's `gaussianNll` gives ||y - mu||^2 / (2 sigma^2) + log sigma per dimension, averaged over rows.
 *
 * The MLP is one plain-engine `Net` per dense layer, so that dropout masks can sit between layers (nn/ has no
 * dropout layer): forward multiplies each hidden activation by its mask, backward multiplies the input gradient
 * by the same mask. Inputs and targets are standardised inside the owning model, not here.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { gaussianNll } from '../../nn/losses.js';
import { createNet } from '../../nn/net.js';
import { adam } from '../../nn/optimizers.js';
import { kernelInfo } from '../../nn/kernels/simd.js';
import type { Scaling } from './fit-data.js';
import type { NamedArray, Net, Optimizer } from '../../nn/types.js';

/** Soft lower bound of the log-std, in standardised target units (sigma >= ~1e-3 of the target's std). */
export const DEFAULT_MIN_LOG_STD = -7;
/** Soft upper bound of the log-std, in standardised target units (sigma <= ~7 target stds). */
export const DEFAULT_MAX_LOG_STD = 2;

function softplus(z: number): number {
  return z > 30 ? z : Math.log1p(Math.exp(z));
}
function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** The soft clamp of a raw log-std r into [min, max] (PETS): min + softplus(max - softplus(max - r) - min). */
export function boundedLogStd(r: number, min = DEFAULT_MIN_LOG_STD, max = DEFAULT_MAX_LOG_STD): number {
  const upper = max - softplus(max - r);
  return min + softplus(upper - min);
}

/** d boundedLogStd / dr: sigmoid(max - r) sigmoid(upper - min), in (0, 1). */
export function boundedLogStdGrad(r: number, min = DEFAULT_MIN_LOG_STD, max = DEFAULT_MAX_LOG_STD): number {
  const upper = max - softplus(max - r);
  return sigmoid(max - r) * sigmoid(upper - min);
}

/** Scratch arrays of `heteroscedasticLoss` (grown on demand, so a steady batch size allocates nothing). */
export interface LossScratch {
  mean: Float32Array;
  logStd: Float32Array;
  dMean: Float32Array;
  dLogStd: Float32Array;
}

/** Empty scratch for `heteroscedasticLoss`. */
export function lossScratch(): LossScratch {
  const e = new Float32Array(0);
  return { mean: e, logStd: e, dMean: e, dLogStd: e };
}

/**
 * The heteroscedastic Gaussian NLL on raw outputs: out is n x 2d rows [mean, raw log-std], y is n x d. Returns
 * mean_i sum_j [(y - mu)^2 / (2 sigma^2) + log sigma] (nats without the constant 0.5 log 2 pi) and, when dOut
 * (n x 2d) is given, writes dLoss/dOut into it, through the soft clamp of the log-std.
 */
export function heteroscedasticLoss(
  out: Float32Array, y: Float32Array, n: number, d: number, dOut: Float32Array | null, scratch: LossScratch = lossScratch(),
  // Stryker disable next-line ObjectLiteral: with {} the bounds are undefined, and boundedLogStd's own defaults are these same bounds.
  bounds: { min: number; max: number } = { min: DEFAULT_MIN_LOG_STD, max: DEFAULT_MAX_LOG_STD },
): number {
  const nd = n * d;
  if (!(out instanceof Float32Array) || out.length < 2 * nd) throw new InvalidConfig(`Expected out to be a Float32Array of n x 2d = ${2 * nd} values, got ${describeValue(out)}.`);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: growing more often than needed gives the same loss.
  if (scratch.mean.length < nd) {
    scratch.mean = new Float32Array(nd);
    scratch.logStd = new Float32Array(nd);
    scratch.dMean = new Float32Array(nd);
    scratch.dLogStd = new Float32Array(nd);
  }
  const { mean, logStd, dMean, dLogStd } = scratch;
  // Stryker disable next-line EqualityOperator: an extra row fills scratch past n d, which gaussianNll does not read.
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: an extra column writes entry (i + 1) d, which row i + 1 overwrites (the last row's lands past n d, unread).
    for (let j = 0; j < d; j++) {
      mean[i * d + j] = out[i * 2 * d + j]!;
      logStd[i * d + j] = boundedLogStd(out[i * 2 * d + d + j]!, bounds.min, bounds.max);
    }
  }
  const loss = gaussianNll(mean, logStd, y, n, d, dOut ? { dMean, dLogStd } : {});
  if (dOut) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const k = i * d + j;
        dOut[i * 2 * d + j] = dMean[k]!;
        dOut[i * 2 * d + d + j] = dLogStd[k]! * boundedLogStdGrad(out[i * 2 * d + d + j]!, bounds.min, bounds.max);
      }
    }
  }
  return loss;
}

/** The shape and training settings of a `GaussianMlp`. */
export interface GaussianMlpConfig {
  inDim: number;
  outDim: number;
  /** Hidden widths (relu). */
  hidden: number[];
  /** Probability of dropping a hidden unit (0: no dropout). Units kept are scaled by 1 / (1 - dropout). */
  dropout: number;
  /** Seed of the initial weights (torch's default init). */
  seed: number;
  learningRate: number;
  /** L2 penalty lambda ||W||^2 on the dense kernels (not the biases), added to the mean loss. */
  weightDecay: number;
  minLogStd: number;
  maxLogStd: number;
}

/** Dropout masks, one per hidden layer: `width` values shared by every row (one function sample), or n x width. */
export type DropoutMasks = Float32Array[];

/** The engine line of the Bayesian models: the plain Float32Array engine and its matrix kernel. */
export function plainEngineLine(): string {
  const k = kernelInfo();
  return `plain Float32Array engine (${k.kernel === 'simd' ? 'WebAssembly SIMD kernel' : `JS loops: ${k.reason ?? 'no SIMD'}`})`;
}

/** An MLP inDim -> hidden (relu, optional dropout) -> 2 outDim [mean, raw log-std], trained with Adam. */
export class GaussianMlp {
  readonly config: Readonly<GaussianMlpConfig>;
  /** One network per dense layer; dropout sits between them. */
  readonly nets: Net[];
  readonly optimizer: Optimizer;
  private readonly keep: number;
  private trainMasks: Float32Array[] = [];
  private readonly scratch = lossScratch();
  private dOut = new Float32Array(0);
  private grads: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];

  /** Builds the layers (seeded by `config.seed`) and their Adam optimiser. */
  constructor(config: GaussianMlpConfig) {
    this.config = { ...config, hidden: [...config.hidden] };
    if (!(config.dropout >= 0 && config.dropout < 1)) throw new InvalidConfig(`Expected dropout in [0, 1), got ${describeValue(config.dropout)}.`);
    this.keep = 1 - config.dropout;
    const widths = [config.inDim, ...config.hidden, 2 * config.outDim];
    this.nets = [];
    for (let l = 0; l + 1 < widths.length; l++) {
      const last = l + 2 === widths.length;
      // Layer seeds spread from the model seed; each layer's init is torch's uniform(+-1/sqrt(fan_in)).
      const seed = (config.seed * 7919 + l * 104729) % 2 ** 31;
      this.nets.push(createNet({ input: widths[l]!, layers: [{ kind: 'dense', units: widths[l + 1]!, activation: last ? 'identity' : 'relu' }], seed }, { engine: 'plain' }));
    }
    this.optimizer = adam(this.nets, { learningRate: config.learningRate });
  }

  /** Hidden layer widths, for mask shapes. */
  get hidden(): readonly number[] {
    return this.config.hidden;
  }

  /** Draws one shared mask per hidden layer (width values: 0 or 1 / keep) from `rng`. */
  sampleMasks(rng: Rng): DropoutMasks {
    return this.config.hidden.map((w) => this.fillMask(new Float32Array(w), rng));
  }

  private fillMask(m: Float32Array, rng: Rng): Float32Array {
    const scale = 1 / this.keep;
    for (let i = 0; i < m.length; i++) m[i] = rng.float() < this.keep ? scale : 0;
    return m;
  }

  /** Raw outputs (n x 2 outDim) for standardised x (n x inDim), with `masks` (shared per unit) or none (no dropout). */
  predictRaw(x: Float32Array, n: number, masks: DropoutMasks | null): Float32Array {
    let h = x;
    for (let l = 0; l < this.nets.length; l++) {
      h = this.nets[l]!.predict(h, n);
      if (masks && l < masks.length) applyMask(h, n, masks[l]!, false);
    }
    return h;
  }

  /**
   * One Adam step on a batch of standardised x (n x inDim) and y (n x outDim): fresh per-row dropout masks from
   * `rng` (when dropout > 0), the heteroscedastic loss plus weight decay. `prior` (n x 2 outDim, or null) is added
   * to the outputs first (randomised prior functions). Returns the batch's NLL (without the penalty).
   */
  trainStep(x: Float32Array, y: Float32Array, n: number, rng: Rng, prior: Float32Array | null = null): number {
    const dropout = this.config.dropout > 0;
    let h = x;
    for (let l = 0; l < this.nets.length; l++) {
      h = this.nets[l]!.forward(h, n);
      if (dropout && l < this.config.hidden.length) {
        if (this.trainMasks[l]?.length !== n * this.config.hidden[l]!) this.trainMasks[l] = new Float32Array(n * this.config.hidden[l]!);
        // Masking the net's own output buffer in place is safe: its backward reads it only for relu's y > 0 test,
        // and a dropped unit passes no gradient either way.
        applyMask(h, n, this.fillMask(this.trainMasks[l]!, rng), true);
      }
    }
    const od = 2 * this.config.outDim;
    if (prior) for (let i = 0; i < n * od; i++) h[i] = h[i]! + prior[i]!;
    if (this.dOut.length < n * od) this.dOut = new Float32Array(n * od);
    const loss = heteroscedasticLoss(h, y, n, this.config.outDim, this.dOut, this.scratch, { min: this.config.minLogStd, max: this.config.maxLogStd });
    let g: Float32Array = this.dOut;
    for (let l = this.nets.length - 1; l >= 0; l--) {
      const net = this.nets[l]!;
      if (l === 0) {
        net.backward(g, n);
        break;
      }
      const need = n * net.inputSize;
      // Ping-pong buffers: a layer's input gradient is the next backward's dOut.
      const slot = l % 2;
      if (this.grads[slot].length < need) this.grads[slot] = new Float32Array(need);
      const dIn = this.grads[slot].subarray(0, need);
      net.backward(g, n, dIn);
      if (dropout) applyMask(dIn, n, this.trainMasks[l - 1]!, true);
      g = dIn;
    }
    const wd = this.config.weightDecay;
    if (wd > 0) {
      for (const net of this.nets) {
        const s = net.paramShapes()[0]!; // the kernel; biases are not decayed
        for (let i = s.offset; i < s.offset + s.size; i++) net.grads[i] = net.grads[i]! + 2 * wd * net.params[i]!;
      }
    }
    this.optimizer.step();
    return loss;
  }

  /** Parameters of every layer, named `<layer>/<tensor>`, for checkpoints. */
  getParams(): NamedArray[] {
    return this.nets.flatMap((net, l) => net.getParams().map((p) => ({ ...p, name: `${l}/${p.name}` })));
  }

  /** Restores `getParams()` output (`IncompatibleState` from the nets on a mismatch). */
  setParams(params: readonly NamedArray[]): void {
    this.nets.forEach((net, l) => {
      const prefix = `${l}/`;
      net.setParams(params.filter((p) => p.name.startsWith(prefix)).map((p) => ({ ...p, name: p.name.slice(prefix.length) })));
    });
  }
}

/** h (n x w) *= mask: per row (n x w) or shared (w). */
function applyMask(h: Float32Array, n: number, mask: Float32Array, perRow: boolean): void {
  const w = perRow ? mask.length / n : mask.length;
  for (let i = 0; i < n; i++) {
    const o = i * w;
    for (let j = 0; j < w; j++) h[o + j] = h[o + j]! * mask[perRow ? o + j : j]!;
  }
}


/**
 * Accumulates the Gaussian predictions of ensemble members or dropout masks (raw outputs in standardised units)
 * into the mixture's mean, epistemic variance (the spread of the means, Welford's update in float64) and aleatoric
 * variance (the mean predicted sigma^2), in the targets' own units.
 */
export class MixtureAccumulator {
  private count = 0;
  private readonly m: Float64Array;
  private readonly m2: Float64Array;
  private readonly alea: Float64Array;

  /** For n rows of d outputs, un-standardised with `scaling`'s target mean and std. */
  constructor(
    private readonly n: number,
    private readonly d: number,
    private readonly scaling: Scaling,
    private readonly bounds: { min: number; max: number },
  ) {
    this.m = new Float64Array(n * d);
    this.m2 = new Float64Array(n * d);
    this.alea = new Float64Array(n * d);
  }

  /** Adds one member's raw outputs (n x 2d); `priorMean` (n x 2d raw, scaled by `priorScale`) is added to its means. */
  add(raw: Float32Array, priorMean: Float32Array | null = null, priorScale = 0): void {
    const { n, d, scaling } = this;
    this.count++;
    // Stryker disable next-line EqualityOperator: an extra row writes past the n x d accumulators, which typed arrays ignore.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const k = i * d + j;
        const r = i * 2 * d;
        const z = raw[r + j]! + (priorMean ? priorScale * priorMean[r + j]! : 0);
        const mu = z * scaling.yStd[j]! + scaling.yMean[j]!;
        const sigma = Math.exp(boundedLogStd(raw[r + d + j]!, this.bounds.min, this.bounds.max)) * scaling.yStd[j]!;
        const delta = mu - this.m[k]!;
        this.m[k] = this.m[k]! + delta / this.count;
        this.m2[k] = this.m2[k]! + delta * (mu - this.m[k]!);
        this.alea[k] = this.alea[k]! + sigma * sigma;
      }
    }
  }

  /** The mixture so far: means, epistemic (population variance of the means) and aleatoric variances, n x d each. */
  result(): { mean: Float32Array; epistemic: Float32Array; aleatoric: Float32Array } {
    const c = Math.max(1, this.count);
    return {
      mean: Float32Array.from(this.m),
      epistemic: Float32Array.from(this.m2, (v) => Math.max(0, v / c)),
      aleatoric: Float32Array.from(this.alea, (v) => v / c),
    };
  }
}

/** One network being fitted: its MLP, its rng (shuffles, dropout masks), the data rows it sees, its fixed prior. */
export interface Learner {
  mlp: GaussianMlp;
  rng: Rng;
  /** Row indices into the data (a bootstrap resample, or 0..n-1). */
  rows: Int32Array;
  /** Raw prior outputs (n x 2 outDim, already scaled) added to the MLP's, or null. */
  prior: Float32Array | null;
}

/**
 * Trains each learner for `epochs` passes over its rows (reshuffled from its own rng) in batches of `batchSize`,
 * on standardised x (n x inDim) and y (n x outDim). Yields to the event loop after each epoch; `signal` stops after
 * the current step. Returns the mean NLL per epoch (nats per row, standardised units, averaged over learners).
 */
export async function trainLearners(
  learners: readonly Learner[], x: Float32Array, y: Float32Array, inDim: number, outDim: number,
  opts: {
    epochs: number; batchSize: number; signal?: AbortSignal | undefined; onEpoch?: ((e: { epoch: number; loss: number }) => void) | undefined;
    /** The learning rate falls linearly from each optimiser's own to this fraction of it over the fit (1: constant), and is restored after. */
    finalLrFraction?: number;
  },
): Promise<{ epochs: number; steps: number; losses: number[] }> {
  const baseLr = learners.map((L) => L.mlp.optimizer.learningRate);
  try {
    return await trainLoop(learners, x, y, inDim, outDim, opts, baseLr);
  } finally {
    learners.forEach((L, k) => (L.mlp.optimizer.learningRate = baseLr[k]!));
  }
}

async function trainLoop(
  learners: readonly Learner[], x: Float32Array, y: Float32Array, inDim: number, outDim: number,
  opts: { epochs: number; batchSize: number; signal?: AbortSignal | undefined; onEpoch?: ((e: { epoch: number; loss: number }) => void) | undefined; finalLrFraction?: number },
  baseLr: readonly number[],
): Promise<{ epochs: number; steps: number; losses: number[] }> {
  const final = opts.finalLrFraction ?? 1;
  const od = 2 * outDim;
  const bs = opts.batchSize;
  const bx = new Float32Array(bs * inDim);
  const by = new Float32Array(bs * outDim);
  const bp = new Float32Array(bs * od);
  const losses: number[] = [];
  let steps = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    let sum = 0;
    let count = 0;
    // Annealing the step size lets the noisy (dropout, small-batch) iterates settle instead of jittering around the optimum.
    const lrScale = 1 - (1 - final) * (opts.epochs > 1 ? epoch / (opts.epochs - 1) : 0);
    learners.forEach((L, k) => (L.mlp.optimizer.learningRate = baseLr[k]! * lrScale));
    for (const L of learners) {
      shuffle(L.rows, L.rng);
      for (let start = 0; start < L.rows.length; start += bs) {
        if (opts.signal?.aborted) return { epochs: epoch, steps, losses };
        const m = Math.min(bs, L.rows.length - start);
        for (let r = 0; r < m; r++) {
          const i = L.rows[start + r]!;
          for (let j = 0; j < inDim; j++) bx[r * inDim + j] = x[i * inDim + j]!;
          for (let j = 0; j < outDim; j++) by[r * outDim + j] = y[i * outDim + j]!;
          if (L.prior) for (let j = 0; j < od; j++) bp[r * od + j] = L.prior[i * od + j]!;
        }
        const full = m === bs;
        const loss = L.mlp.trainStep(full ? bx : bx.subarray(0, m * inDim), full ? by : by.subarray(0, m * outDim), m, L.rng, L.prior ? bp : null);
        sum += loss * m;
        count += m;
        steps++;
      }
    }
    losses.push(sum / count);
    opts.onEpoch?.({ epoch, loss: sum / count });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { epochs: opts.epochs, steps, losses };
}

/** Fisher-Yates shuffle in place from `rng`. */
export function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

