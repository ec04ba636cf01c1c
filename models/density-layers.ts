/**
 * What the exact-likelihood models (RealNVP, MADE, PixelCNN) share: the minibatch training loop, autoregressive
 * masks laid on a dense `Net`, and checkpoint plumbing. Their data and not-fitted checks are the zoo's (checks.ts).
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { columnMeans, columnVariances } from '../core/math.js';
import { readCheckpoint, type LoadedCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import type { Net, Optimizer } from '../nn/types.js';
import type { FitOptions, FitReport } from './model.js';

/** 0.5 log(2 pi): the constant of every Gaussian log-density (nats). */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

// The zoo's shared row and not-fitted checks, re-exported for RealNVP, which imports its helpers from here.
export { checkFitted, checkRows } from './checks.js';

/** Throws `InvalidConfig` unless `out` (when given) holds at least `len` floats; returns it or a new array. */
export function outArray(out: Float32Array | undefined, len: number, what = 'out'): Float32Array {
  if (out === undefined) return new Float32Array(len);
  if (!(out instanceof Float32Array) || out.length < len) {
    throw new InvalidConfig(`Expected ${what} to be a Float32Array of at least ${len} floats, got ${describeValue(out)}.`);
  }
  return out;
}

/** Validated `FitOptions` with defaults. */
export function fitOptions(options: FitOptions, defaults: { epochs: number; batchSize: number }): { epochs: number; batchSize: number } {
  const epochs = options.epochs ?? defaults.epochs;
  const batchSize = options.batchSize ?? defaults.batchSize;
  if (!Number.isInteger(epochs) || epochs < 0) throw new InvalidConfig(`Expected epochs to be an integer >= 0, got ${describeValue(epochs)}.`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidConfig(`Expected batchSize to be a positive integer, got ${describeValue(batchSize)}.`);
  return { epochs, batchSize };
}

/**
 * The minibatch loop every density model trains with: each epoch shuffles the n rows with `rng`, gathers
 * batches of `dim` floats into one buffer and calls `step(batch, rows, progress)`, which returns the batch's mean
 * loss (nats per row); progress in [0, 1) is how far the fit is (for learning-rate schedules). Yields to the event loop between epochs so that an abort signal is seen.
 */
export async function fitLoop(
  data: Float32Array, n: number, dim: number, rng: Rng, options: FitOptions, defaults: { epochs: number; batchSize: number },
  step: (batch: Float32Array, rows: number, progress: number) => number,
): Promise<FitReport> {
  const { epochs, batchSize } = fitOptions(options, defaults);
  const t0 = performance.now();
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const bs = Math.min(batchSize, n);
  const batch = new Float32Array(bs * dim);
  const losses: number[] = [];
  let steps = 0;
  let epoch = 0;
  for (; epoch < epochs && !options.signal?.aborted; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let sum = 0;
    let seen = 0;
    for (let start = 0; start < n && !options.signal?.aborted; start += bs) {
      const rows = Math.min(bs, n - start);
      for (let r = 0; r < rows; r++) batch.set(data.subarray(order[start + r]! * dim, (order[start + r]! + 1) * dim), r * dim);
      const progress = (epoch * n + start) / (epochs * n);
      const loss = step(rows === bs ? batch : batch.subarray(0, rows * dim), rows, progress);
      sum += loss * rows;
      seen += rows;
      steps++;
    }
    const loss = seen > 0 ? sum / seen : NaN;
    losses.push(loss);
    options.onEpoch?.({ epoch, loss });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { epochs: losses.length, steps, seconds: (performance.now() - t0) / 1000, losses };
}

/** One line naming the engine a plain network runs on (as agents print it). */
export function plainEngineLine(nets: readonly Net[]): string {
  const kernel = (nets[0] as Net & { kernel?: string }).kernel ?? 'js';
  return `rxgym plain Float32Array engine (${kernel === 'simd' ? 'WebAssembly SIMD' : 'JS'} kernel), deterministic per seed`;
}

/**
 * Reads a checkpoint written by a model's `save` and checks that it is one of `kind` (`algo` 'model.<kind>', the checkpoint format allowing no colon);
 * another model's (or an agent's) folder gets `InvalidConfig` naming both.
 */
export async function readModelCheckpoint(dir: string, kind: string): Promise<LoadedCheckpoint> {
  const ck = await readCheckpoint(dir);
  if (ck.algo !== `model.${kind}`) {
    throw new InvalidConfig(`Expected a checkpoint of model.${kind} in ${dir}, got one of ${describeValue(ck.algo)}. Load it with that model's class.`);
  }
  return ck;
}

/** The `env` field of a model checkpoint: models have no environment. */
export const NO_ENV = { id: null, observationSpace: null, actionSpace: null } as const;

/**
 * Autoregressive masks laid on a dense `Net` (MADE's trick, Germain et al. 2015): a 0/1 array as long as
 * `params` that zeroes forbidden kernel entries. Applied to the parameters once and to the gradients before
 * every optimiser step, a masked weight stays exactly 0 under Adam, RMSProp and SGD (its update is 0).
 */
export class ParamMask {
  constructor(readonly net: Net, readonly mask: Float32Array) {
    if (mask.length !== net.params.length) throw new InvalidConfig(`Expected a mask of ${net.params.length} floats, got ${mask.length}.`);
    this.applyToParams();
  }

  /** Zeroes the masked parameters and tells the engine (its transposed copies). */
  applyToParams(): void {
    const p = this.net.params;
    for (let i = 0; i < p.length; i++) p[i] = p[i]! * this.mask[i]!;
    this.net.paramsChanged();
  }

  /** Zeroes the masked gradients; call before `optimizer.step()`. */
  applyToGrads(): void {
    const g = this.net.grads;
    for (let i = 0; i < g.length; i++) g[i] = g[i]! * this.mask[i]!;
  }

  /** Masks the gradients, steps, and re-masks the parameters (a belt against float drift); returns the grad norm. */
  step(opt: Optimizer): number {
    this.applyToGrads();
    const norm = opt.step();
    this.applyToParams();
    return norm;
  }
}

/** log sum_k exp(v[off + k]) over k values (maximum taken out). */
export function logSumExp(v: Float32Array | Float64Array, off: number, k: number): number {
  let m = -Infinity;
  for (let j = 0; j < k; j++) if (v[off + j]! > m) m = v[off + j]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(v[off + j]! - m);
  return m + Math.log(s);
}

/** Numerically stable log(1 + e^x) (nats). */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** The logistic function 1 / (1 + e^-x). */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Cosine decay from `lr` at progress 0 to `lr * finalFraction` at progress 1 (a schedule that settles the fit). */
export function cosineLr(lr: number, finalFraction: number, progress: number): number {
  return lr * (finalFraction + (1 - finalFraction) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Per-dimension mean and population std (1 for a constant dimension) of n rows of d, into `mean` and `std`. */
export function fitStandardisation(data: Float32Array, n: number, d: number, mean: Float64Array, std: Float64Array): void {
  const rows = data.subarray(0, n * d);
  columnMeans(rows, d, mean);
  columnVariances(rows, d, {}, std);
  for (let j = 0; j < d; j++) std[j] = std[j]! > 0 ? Math.sqrt(std[j]!) : 1;
}
