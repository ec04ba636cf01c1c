/**
 * RealNVP (Dinh et al. 2017): a normalising flow of affine coupling layers with alternating masks, so that
 * log p(x) = log N(z; 0, I) + log |det dz/dx| is exact and x -> z -> x inverts within float tolerance.
 *
 * Coupling k keeps the dimensions a = {d : (d + k) even} and moves the others:
 *   z_b = x_b exp(s(x_a)) + t(x_a),   log |det| = sum_b s_b,   s = c tanh(raw / c) (a soft clamp, c = 2 default)
 * with s and t from one MLP per coupling (its input is x with the moved dimensions zeroed). With `coupling: 'spline'`
 * the moved dimensions go through Neural Spline Flows' monotone rational-quadratic splines instead (flow-spline.ts),
 * z_b = g(x_b; theta(x_a)), log |det| = sum_b log g'(x_b), whose K bins come from the MLP. Before each coupling
 * sits a learned invertible linear layer x W + b (flow-linear.ts; W starts at a random rotation), so the masks
 * split along learned directions. The first layer is a fixed standardisation taken from the training data (its
 * log-determinant included), so raw units need no care. Runs on rxgym's plain Float32Array engine: deterministic
 * for a seed on one machine.
 *
 * Defaults (24 couplings of [32, 32], c = 2, mixing, batches of 64) come from the ring of 8 Gaussians of std 0.02
 * (bench/models-density.ts, seed 0, 40 epochs of 20000 rows, nats above the entropy): 8 couplings of [64, 64]
 * 1.3, 16 of [64, 64] 0.5, 24 of [32, 32] 0.33 / 0.27 / 0.46 at c = 3 / 2 / 1, 32 couplings 0.30. On two moons
 * batches of 64 rather than 256 avoided a seed's 1.69 nats (rows torn off the moons by an over-steep map).
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import { writeCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { createNet } from '../nn/net.js';
import { adam } from '../nn/optimizers.js';
import type { Activation, Net, Optimizer } from '../nn/types.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';
import { invertMatrix, randomRotation, undoLinear } from './flow-linear.js';
import { createScratch, moveAverage, type Scratch } from './flow-training.js';
import { affineMap, splineMap, type CouplingMap } from './flow-coupling.js';
import {
  HALF_LOG_2PI, NO_ENV, checkFitted, checkRows, cosineLr, fitLoop, outArray, plainEngineLine, readModelCheckpoint, fitStandardisation,
} from './density-layers.js';

/** Options of `RealNVP`. */
export interface RealNvpConfig {
  /** Floats per row (>= 2). */
  dim: number;
  /** Seed of the initial parameters, the shuffling and the sampler. */
  seed: number;
  /** Coupling layers (default 24; alternating masks). */
  couplings?: number;
  /** Hidden widths of each coupling's MLP (default [32, 32]). */
  hidden?: number[];
  /** Hidden nonlinearity (default 'relu'). */
  activation?: Activation;
  /** Adam's step size at the start (default 2e-3); it decays on a cosine to `finalLrFraction` of it. */
  learningRate?: number;
  /** Learning rate at the end of a fit as a fraction of the start (default 0.05). */
  finalLrFraction?: number;
  /** Soft clamp c of the affine log-scales: s = c tanh(raw / c) (default 2; 'affine' only). */
  scaleClamp?: number;
  /**
   * Global gradient-norm clip (default 100: a guard against a rare exploding step, not a regulariser). On the ring
   * a few batches per epoch hit rows mapped far out (epoch losses of 1e2 to 1e6 nats); 10 did not help over seeds,
   * and on two moons seed 1 it left one test row at log p = -10527 (11.7 nats mean; 38 with averaging).
   */
  maxGradNorm?: number;
  /**
   * A learned invertible linear layer z = x W + b before every coupling, W starting at a random rotation
   * (Glow's invertible 1x1 convolution; default true). The alternating masks then split along learned directions.
   */
  linearMixing?: boolean;
  /**
   * Decay of an exponential moving average of the parameters taken after every step (Polyak averaging; default 0,
   * off). At the end of `fit` the flow takes the averaged parameters: Adam's step noise widens sharp modes. At 0.999
   * the ring (12500 steps) gains (bench/models-density.ts), but two moons (3200 steps, so the average reaches back
   * into the large early steps) loses: 1.303 nats over seeds 0-4 against 1.185 without.
   */
  averageDecay?: number;
  /**
   * The elementwise map of each coupling (default 'affine', RealNVP's z_b = x_b exp(s) + t). 'spline' is Neural
   * Spline Flows' monotone rational-quadratic spline on [-tailBound, tailBound] (flow-spline.ts), the identity
   * outside: many steep pieces per coupling where an affine map has one scale, for sharp multimodal densities.
   */
  coupling?: 'affine' | 'spline';
  /** Bins of each spline (default 8; 'spline' only). */
  bins?: number;
  /** Half-width B of each spline's interval [-B, B] in standardised units (default 3; 'spline' only). */
  tailBound?: number;
}

type Resolved = Required<RealNvpConfig>;

function resolve(c: RealNvpConfig): Resolved {
  if (!c || typeof c !== 'object') throw new InvalidConfig(`Expected a RealNVP config object, got ${describeValue(c)}.`);
  if (!Number.isInteger(c.dim) || c.dim < 2) throw new InvalidConfig(`Expected dim to be an integer >= 2, got ${describeValue(c.dim)}.`);
  checkSeed(c.seed);
  const r: Resolved = {
    dim: c.dim, seed: c.seed, couplings: c.couplings ?? 24, hidden: c.hidden ?? [32, 32], activation: c.activation ?? 'relu',
    learningRate: c.learningRate ?? 2e-3, finalLrFraction: c.finalLrFraction ?? 0.05, scaleClamp: c.scaleClamp ?? 2, maxGradNorm: c.maxGradNorm ?? 100,
    linearMixing: c.linearMixing ?? true, averageDecay: c.averageDecay ?? 0, coupling: c.coupling ?? 'affine', bins: c.bins ?? 8,
    tailBound: c.tailBound ?? 3,
  };
  if (r.coupling !== 'affine' && r.coupling !== 'spline') throw new InvalidConfig(`Expected coupling to be 'affine' or 'spline', got ${describeValue(r.coupling)}.`);
  if (!Number.isInteger(r.bins) || r.bins < 2) throw new InvalidConfig(`Expected bins to be an integer >= 2, got ${describeValue(r.bins)}.`);
  if (!Number.isInteger(r.couplings) || r.couplings < 1) throw new InvalidConfig(`Expected couplings to be a positive integer, got ${describeValue(r.couplings)}.`);
  if (!Array.isArray(r.hidden) || !r.hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new InvalidConfig(`Expected hidden to be an array of positive integers, got ${describeValue(r.hidden)}.`);
  }
  for (const k of ['learningRate', 'scaleClamp', 'maxGradNorm', 'tailBound'] as const) {
    if (!(Number.isFinite(r[k]) && r[k] > 0)) throw new InvalidConfig(`Expected ${k} to be a finite number > 0, got ${describeValue(r[k])}.`);
  }
  if (!(r.finalLrFraction > 0 && r.finalLrFraction <= 1)) throw new InvalidConfig(`Expected finalLrFraction in (0, 1], got ${describeValue(r.finalLrFraction)}.`);
  if (!(r.averageDecay >= 0 && r.averageDecay < 1)) throw new InvalidConfig(`Expected averageDecay in [0, 1), got ${describeValue(r.averageDecay)}.`);
  if (typeof r.linearMixing !== 'boolean') throw new InvalidConfig(`Expected linearMixing to be true or false, got ${describeValue(r.linearMixing)}.`);
  return r;
}

/** A RealNVP flow over rows of `dim` floats; see the file comment. */
export class RealNVP implements GenerativeModel {
  readonly kind = 'realnvp';
  readonly dim: number;
  readonly config: Readonly<Resolved>;
  readonly engine: string;
  /**
   * One MLP per coupling: D inputs (the kept dimensions, others zero) to `outWidth` outputs: affine, 2D (s then
   * t); spline, D blocks of 3K - 1 (flow-spline.ts), one per dimension.
   */
  readonly nets: Net[];
  /** With `linearMixing`, one dense D -> D layer before each coupling (kernel W [in, out], bias b); else empty. */
  readonly mixers: Net[];
  private readonly opt: Optimizer;
  private readonly trainRng: Rng;
  private readonly sampleRng: Rng;
  /** The standardisation layer: z0 = (x - mean) / std, set by the first fit. */
  private mean: Float64Array;
  private std: Float64Array;
  private fitted = false;
  /** Per mixer: W^-1 (D x D) and log |det W|, refreshed at the start of every pass. */
  private readonly mixerInverse: Float64Array[];
  private readonly mixerLogDet: Float64Array;
  private scratch: Scratch | null = null;
  /** The couplings' elementwise map (affine or spline), its MLP outputs per row and its y, log-slope output. */
  private readonly map: CouplingMap;
  private readonly outWidth: number;
  private readonly mapOut = new Float64Array(2);

  constructor(config: RealNvpConfig) {
    this.config = resolve(config);
    const { dim, couplings, hidden, activation, seed, coupling, bins, tailBound, scaleClamp } = this.config;
    this.dim = dim;
    this.map = coupling === 'spline' ? splineMap(dim, bins, tailBound) : affineMap(dim, scaleClamp);
    this.outWidth = this.map.width;
    this.nets = [];
    this.mixers = [];
    const rotations = new Rng(seed * 7919 + 3);
    for (let k = 0; k < couplings; k++) {
      const net = createNet({
        input: dim,
        layers: [...hidden.map((units) => ({ kind: 'dense' as const, units, activation })), { kind: 'dense', units: this.outWidth }],
        seed: seed * 1009 + k,
      }, { engine: 'plain' });
      // The last layer starts at zero: every coupling is the identity at first, so training starts from N(0, I)
      // on standardised data rather than from a random warp.
      const last = net.paramShapes().slice(-2);
      for (const p of last) net.params.fill(0, p.offset, p.offset + p.size);
      net.paramsChanged();
      this.nets.push(net);
      if (!this.config.linearMixing) continue;
      const mixer = createNet({ input: dim, layers: [{ kind: 'dense', units: dim }], seed: seed * 1009 + k }, { engine: 'plain' });
      // nn/layout.ts order: the kernel W (D x D, [in, out]) at offset 0, then the bias b at D * D.
      mixer.params.set(randomRotation(dim, rotations), 0);
      mixer.params.fill(0, dim * dim, dim * dim + dim);
      mixer.paramsChanged();
      this.mixers.push(mixer);
    }
    this.mixerInverse = this.mixers.map(() => new Float64Array(dim * dim));
    this.mixerLogDet = new Float64Array(this.mixers.length);
    this.opt = adam([...this.nets, ...this.mixers], { learningRate: this.config.learningRate, maxGradNorm: this.config.maxGradNorm });
    this.trainRng = new Rng(seed);
    this.sampleRng = new Rng(seed + 1);
    this.mean = new Float64Array(dim);
    this.std = new Float64Array(dim).fill(1);
    this.engine = plainEngineLine(this.nets);
  }

  /** Whether coupling k keeps dimension d unchanged (it conditions the others). */
  keeps(k: number, d: number): boolean {
    return (d + k) % 2 === 0;
  }

  /** Trains on n x dim rows by maximum likelihood (loss: mean NLL in nats per row on the raw data). */
  async fit(data: Float32Array, n: number, options: FitOptions = {}): Promise<FitReport> {
    checkRows(data, n, this.dim, 'data');
    if (!this.fitted) this.setStandardisation(data, n);
    const all = [...this.nets, ...this.mixers];
    const decay = this.config.averageDecay;
    const averages = decay > 0 ? all.map((net) => net.params.slice()) : null;
    const report = await fitLoop(data, n, this.dim, this.trainRng, options, { epochs: 100, batchSize: 64 }, (batch, B, progress) => {
      this.opt.learningRate = cosineLr(this.config.learningRate, this.config.finalLrFraction, progress);
      const loss = this.gradient(batch, B);
      this.opt.step();
      if (averages) all.forEach((net, k) => moveAverage(averages[k]!, net.params, decay));
      return loss;
    });
    if (averages) all.forEach((net, k) => { net.params.set(averages[k]!); net.paramsChanged(); });
    this.fitted = true;
    return report;
  }

  /**
   * The mean NLL (nats per row) of n rows and its gradient: zeroes the nets' grads and leaves dNLL/dparams in them
   * (what `fit` steps on; exposed for gradient checks). Uses the current standardisation.
   */
  gradient(x: Float32Array, n: number): number {
    checkRows(x, n, this.dim, 'x');
    const D = this.dim;
    for (const net of this.nets) net.zeroGrad();
    for (const mixer of this.mixers) mixer.zeroGrad();
    const s = this.scratchFor(n);
    const z = s.z.subarray(0, n * D);
    const logDet = s.logDet.subarray(0, n);
    logDet.fill(0);
    this.run(x, n, z, logDet, s);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let d = 0; d < D; d++) sq += z[i * D + d]! ** 2;
      loss += 0.5 * sq + D * HALF_LOG_2PI - logDet[i]!;
    }
    // dNLL/dz of the mean NLL is z / n; the log-determinants enter with -1 / n each (in backward).
    // Stryker disable next-line EqualityOperator: z is a view of n x D floats: a write at index n x D is dropped.
    for (let i = 0; i < z.length; i++) z[i] = z[i]! / n;
    this.backward(z, n, s);
    return loss / n;
  }

  /** x (n x dim) to z (n x dim) and log |det dz/dx| per row (nats), the standardisation included. */
  transform(x: Float32Array, n: number): { z: Float32Array; logDet: Float64Array } {
    checkRows(x, n, this.dim, 'x');
    const z = new Float32Array(n * this.dim);
    const logDet = new Float64Array(n);
    this.run(x, n, z, logDet, null);
    return { z, logDet };
  }

  /** z (n x dim) back to x (n x dim): the exact inverse of `transform`. */
  inverse(z: Float32Array, n: number, out?: Float32Array): Float32Array {
    checkRows(z, n, this.dim, 'z');
    const D = this.dim;
    const x = outArray(out, n * D);
    x.set(z.subarray(0, n * D));
    const masked = new Float32Array(n * D);
    const W = this.outWidth;
    const raw = new Float32Array(n * W);
    const row = new Float64Array(D);
    this.refreshMixers();
    for (let k = this.nets.length - 1; k >= 0; k--) {
      // Stryker disable next-line EqualityOperator: masked holds n x D floats: a write past it is dropped.
      for (let i = 0; i < n * D; i++) masked[i] = this.keeps(k, i % D) ? x[i]! : 0;
      this.nets[k]!.predict(masked, n, raw);
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < D; d++) {
          if (!this.keeps(k, d)) x[i * D + d] = this.map.inverse(raw, i * W, d, x[i * D + d]!);
        }
      }
      if (this.mixers.length > 0) undoLinear(x, n, D, this.mixers[k]!.params, this.mixerInverse[k]!, row);
    }
    for (let i = 0; i < n * D; i++) x[i] = x[i]! * this.std[i % D]! + this.mean[i % D]!;
    return x;
  }

  /** n samples (n x dim): z ~ N(0, I) from the seeded sampler, mapped through the inverse flow. */
  sample(n: number, out?: Float32Array): Float32Array {
    checkFitted(this.fitted, this.kind, 'sample()');
    if (!Number.isInteger(n) || n < 1) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    const z = new Float32Array(n * this.dim);
    for (let i = 0; i < z.length; i++) z[i] = this.sampleRng.normal();
    return this.inverse(z, n, out);
  }

  /** Exact log p(x) in nats per row for n x dim rows, into `out` (n values). */
  logProb(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    checkFitted(this.fitted, this.kind, 'logProb()');
    const res = outArray(out, n);
    const { z, logDet } = this.transform(x, n);
    const D = this.dim;
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let d = 0; d < D; d++) sq += z[i * D + d]! ** 2;
      res[i] = -0.5 * sq - D * HALF_LOG_2PI + logDet[i]!;
    }
    return res;
  }

  /** The training buffers for batches of n rows (grown, never shrunk). */
  private scratchFor(n: number): Scratch {
    if (!this.scratch || this.scratch.rows < n) this.scratch = createScratch(n, this.dim, this.nets.length, this.outWidth);
    return this.scratch;
  }

  /** Recomputes every mixer's W^-1 and log |det W| from its current kernel. */
  private refreshMixers(): void {
    for (let k = 0; k < this.mixers.length; k++) {
      this.mixerLogDet[k] = invertMatrix(this.mixers[k]!.params, this.dim, this.mixerInverse[k]!);
    }
  }

  /**
   * The flow x -> z over n rows, adding each row's log-determinant into logDet. With `scratch` it runs the nets'
   * training forward and keeps what `backward` needs in its tapes; without, inference only.
   */
  private run(x: Float32Array, n: number, z: Float32Array, logDet: Float64Array, scratch: Scratch | null): void {
    const D = this.dim;
    const W = this.outWidth;
    const out = this.mapOut;
    this.refreshMixers();
    let constant = 0;
    for (let d = 0; d < D; d++) constant -= Math.log(this.std[d]!);
    for (const ld of this.mixerLogDet) constant += ld;
    // Stryker disable next-line EqualityOperator: z holds (or views) n x D floats: a write past it is dropped.
    for (let i = 0; i < n * D; i++) z[i] = (x[i]! - this.mean[i % D]!) / this.std[i % D]!;
    // Stryker disable next-line EqualityOperator: logDet holds (or views) n values: a write past it is dropped.
    for (let i = 0; i < n; i++) logDet[i] = logDet[i]! + constant;
    const masked = scratch ? scratch.masked.subarray(0, n * D) : new Float32Array(n * D);
    const predicted = scratch ? null : new Float32Array(n * W);
    for (let k = 0; k < this.nets.length; k++) {
      if (this.mixers.length > 0) {
        const mixer = this.mixers[k]!;
        // Both calls return the net's own buffer (or `masked`): copied back into z before z is read again.
        z.set((scratch ? mixer.forward(z, n) : mixer.predict(z, n, masked)).subarray(0, n * D));
      }
      // Stryker disable next-line EqualityOperator: masked holds (or views) n x D floats: a write past it is dropped.
      for (let i = 0; i < n * D; i++) masked[i] = this.keeps(k, i % D) ? z[i]! : 0;
      let raw: Float32Array;
      if (scratch) {
        const tape = scratch.tapes[k]!;
        tape.xin.set(z.subarray(0, n * D));
        // forward's result is an engine buffer; copied because backward runs after the other couplings.
        tape.raw.set(this.nets[k]!.forward(masked, n).subarray(0, n * W));
        raw = tape.raw;
      } else {
        raw = this.nets[k]!.predict(masked, n, predicted!);
      }
      // Stryker disable next-line EqualityOperator: row n only writes past z and logDet (n rows each), which is dropped.
      for (let i = 0; i < n; i++) {
        let ld = 0;
        for (let d = 0; d < D; d++) {
          if (this.keeps(k, d)) continue;
          this.map.forward(raw, i * W, d, z[i * D + d]!, out);
          z[i * D + d] = out[0]!;
          ld += out[1]!;
        }
        logDet[i] = logDet[i]! + ld;
      }
    }
  }

  /**
   * Backpropagates dLoss/dz (n x D, in place) through the couplings and mixers of the last training `run`, the
   * loss being sum_i (0.5 |z_i|^2 - logDet_i) / n; accumulates the nets' gradients.
   */
  private backward(dz: Float32Array, n: number, scratch: Scratch): void {
    const D = this.dim;
    const W = this.outWidth;
    const dOut = scratch.dOut.subarray(0, n * W);
    const dIn = scratch.dIn.subarray(0, n * D);
    for (let k = this.nets.length - 1; k >= 0; k--) {
      const { xin, raw } = scratch.tapes[k]!;
      dOut.fill(0);
      // Stryker disable next-line EqualityOperator: row n only writes past dOut and dz (views of n rows), which is dropped.
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < D; d++) {
          // The log-slope enters the mean NLL with -1 / n.
          if (!this.keeps(k, d)) dz[i * D + d] = this.map.backward(raw, i * W, d, xin[i * D + d]!, dz[i * D + d]!, -1 / n, dOut);
        }
      }
      this.nets[k]!.backward(dOut, n, dIn);
      // The moved dimensions were zeroed at the MLP's input, so only the kept ones receive its input gradient.
      // Stryker disable next-line EqualityOperator: dz views n x D floats: a write past it is dropped.
      for (let i = 0; i < n * D; i++) if (this.keeps(k, i % D)) dz[i] = dz[i]! + dIn[i]!;
      if (this.mixers.length === 0) continue;
      const mixer = this.mixers[k]!;
      mixer.backward(dz, n, dIn);
      dz.set(dIn);
      // Every row's NLL has -log |det W|, whose gradient is -W^-T: once for the mean over rows.
      const inv = this.mixerInverse[k]!;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) mixer.grads[i * D + j] = mixer.grads[i * D + j]! - inv[j * D + i]!;
    }
  }

  private setStandardisation(data: Float32Array, n: number): void {
    fitStandardisation(data, n, this.dim, this.mean, this.std);
  }

  /** Writes config, standardisation, networks, Adam's state and both rng streams as a checkpoint folder. */
  async save(dir: string): Promise<void> {
    await writeCheckpoint(dir, {
      algo: `model.${this.kind}`, step: this.opt.steps, config: { ...this.config }, env: { ...NO_ENV },
      nets: Object.fromEntries([
        ...this.nets.map((net, k) => [`coupling${k}`, net.getParams()]),
        ...this.mixers.map((mixer, k) => [`mixer${k}`, mixer.getParams()]),
      ]),
      optimizers: { adam: this.opt.getState() },
      rngs: { train: this.trainRng.getState(), sample: this.sampleRng.getState() },
      counters: { fitted: this.fitted, mean: [...this.mean], std: [...this.std] },
    });
  }

  /** Reads a folder written by `save`; another model's checkpoint gets `InvalidConfig` naming both kinds. */
  static async load(dir: string): Promise<RealNVP> {
    const ck = await readModelCheckpoint(dir, 'realnvp');
    const model = new RealNVP(ck.config as RealNvpConfig);
    model.nets.forEach((net, k) => net.setParams(ck.nets[`coupling${k}`] ?? []));
    model.mixers.forEach((mixer, k) => mixer.setParams(ck.nets[`mixer${k}`] ?? []));
    if (ck.optimizers['adam']) model.opt.setState(ck.optimizers['adam']);
    if (ck.rngs['train']) model.trainRng.setState(ck.rngs['train']);
    if (ck.rngs['sample']) model.sampleRng.setState(ck.rngs['sample']);
    model.mean.set(ck.counters['mean'] as number[]);
    model.std.set(ck.counters['std'] as number[]);
    model.fitted = ck.counters['fitted'] === true;
    return model;
  }
}
