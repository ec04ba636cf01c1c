/**
 * A small gated PixelCNN for binary images (van den Oord et al. 2016): p(x) = prod over pixels in raster order of
 * Bernoulli(x_ij | pixels before it), exact, with vertical and horizontal stacks so that no pixel above or to the
 * left is missed (the network is in pixelcnn-layers.ts). Rows are images of height x width floats, 0 or 1.
 * Runs on JS loops with the WebAssembly SIMD matrix kernel for the convolutions: deterministic for a seed.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import { writeCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { adam } from '../nn/optimizers.js';
import type { Optimizer } from '../nn/types.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';
import { checkFitted, checkRows } from './checks.js';
import { NO_ENV, cosineLr, fitLoop, outArray, readModelCheckpoint, sigmoid, softplus } from './density-layers.js';
import { PixelCnnNet } from './pixelcnn-layers.js';

/** Options of `PixelCNN`. */
export interface PixelCnnConfig {
  height: number;
  width: number;
  /** Seed of the initial parameters, the shuffling and the sampler. */
  seed: number;
  /** Feature maps per stack (default 16). */
  channels?: number;
  /** Gated layers (default 5). */
  layers?: number;
  /** Odd kernel size k (default 3): vertical 2 x 3, horizontal 1 x 2. */
  kernel?: number;
  /** Adam's step size at the start (default 3e-3); it decays on a cosine to `finalLrFraction` of it. */
  learningRate?: number;
  /** Learning rate at the end of a fit as a fraction of the start (default 0.05). */
  finalLrFraction?: number;
  /** Global gradient-norm clip (default 100: a guard, not a regulariser). */
  maxGradNorm?: number;
}

type Resolved = Required<PixelCnnConfig>;

function resolve(c: PixelCnnConfig): Resolved {
  if (!c || typeof c !== 'object') throw new InvalidConfig(`Expected a PixelCNN config object, got ${describeValue(c)}.`);
  checkSeed(c.seed);
  const r: Resolved = {
    height: c.height, width: c.width, seed: c.seed, channels: c.channels ?? 16, layers: c.layers ?? 5, kernel: c.kernel ?? 3,
    learningRate: c.learningRate ?? 3e-3, finalLrFraction: c.finalLrFraction ?? 0.05, maxGradNorm: c.maxGradNorm ?? 100,
  };
  for (const k of ['learningRate', 'maxGradNorm'] as const) {
    if (!(Number.isFinite(r[k]) && r[k] > 0)) throw new InvalidConfig(`Expected ${k} to be a finite number > 0, got ${describeValue(r[k])}.`);
  }
  if (!(r.finalLrFraction > 0 && r.finalLrFraction <= 1)) throw new InvalidConfig(`Expected finalLrFraction in (0, 1], got ${describeValue(r.finalLrFraction)}.`);
  return r;
}

/** A gated PixelCNN over binary images of height x width; see the file comment. */
export class PixelCNN implements GenerativeModel {
  readonly kind = 'pixelcnn';
  readonly dim: number;
  readonly config: Readonly<Resolved>;
  readonly engine: string;
  readonly net: PixelCnnNet;
  private readonly opt: Optimizer;
  private readonly trainRng: Rng;
  private readonly sampleRng: Rng;
  private fitted = false;

  constructor(config: PixelCnnConfig) {
    this.config = resolve(config);
    const { height, width, channels, layers, kernel, seed } = this.config;
    this.net = new PixelCnnNet({ height, width, channels, layers, kernel, seed });
    this.dim = height * width;
    this.opt = adam([this.net], { learningRate: this.config.learningRate, maxGradNorm: this.config.maxGradNorm });
    this.trainRng = new Rng(seed);
    this.sampleRng = new Rng(seed + 1);
    this.engine = `rxgym gated PixelCNN on JS loops with the ${this.net.kernel === 'simd' ? 'WebAssembly SIMD' : 'JS'} matrix kernel, deterministic per seed`;
  }

  /** Trains on n binary images (n x height width) by maximum likelihood (loss: mean NLL in nats per image). */
  async fit(data: Float32Array, n: number, options: FitOptions = {}): Promise<FitReport> {
    checkRows(data, n, this.dim, 'data', 'binary');
    const D = this.dim;
    const report = await fitLoop(data, n, D, this.trainRng, options, { epochs: 10, batchSize: 16 }, (batch, B, progress) => {
      this.opt.learningRate = cosineLr(this.config.learningRate, this.config.finalLrFraction, progress);
      const loss = this.gradient(batch, B);
      this.opt.step();
      return loss;
    });
    this.fitted = true;
    return report;
  }

  /** The mean NLL (nats per image) of n images; zeroes the grads and leaves dNLL/dparams in `net.grads`. */
  gradient(x: Float32Array, n: number): number {
    checkRows(x, n, this.dim, 'x', 'binary');
    const D = this.dim;
    this.net.zeroGrad();
    const logits = this.net.forward(x, n);
    const dOut = new Float32Array(n * D);
    let nll = 0;
    for (let i = 0; i < n * D; i++) {
      const l = logits[i]!;
      nll += softplus(l) - x[i]! * l;
      dOut[i] = (sigmoid(l) - x[i]!) / n;
    }
    this.net.backward(dOut, n);
    return nll / n;
  }

  /** Exact log p(x) in nats per image for n binary images, into `out` (n values). */
  logProb(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    checkFitted(this.fitted, 'PixelCNN', 'logProb()', 'PixelCNN.load()');
    checkRows(x, n, this.dim, 'x', 'binary');
    const res = outArray(out, n);
    const D = this.dim;
    const chunk = 32;
    for (let s = 0; s < n; s += chunk) {
      const rows = Math.min(chunk, n - s);
      const xs = x.subarray(s * D, (s + rows) * D);
      const logits = this.net.predict(xs, rows);
      for (let i = 0; i < rows; i++) {
        let lp = 0;
        for (let p = 0; p < D; p++) lp -= softplus(logits[i * D + p]!) - xs[i * D + p]! * logits[i * D + p]!;
        res[s + i] = lp;
      }
    }
    return res;
  }

  /**
   * n images (n x height width), pixel by pixel in raster order from the seeded sampler. Each pixel's logit comes
   * from a crop that holds its receptive field, so a sample costs about (field / image) of height x width passes.
   */
  sample(n: number, out?: Float32Array): Float32Array {
    checkFitted(this.fitted, 'PixelCNN', 'sample()', 'PixelCNN.load()');
    if (!Number.isInteger(n) || n < 1) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    const { height: H, width: W } = this.config;
    const x = outArray(out, n * H * W);
    x.fill(0, 0, n * H * W);
    const { up, side } = this.net.receptiveField();
    const crop = new Float32Array(n * (up + 1) * (2 * side + 1));
    for (let i = 0; i < H; i++) {
      const y0 = Math.max(0, i - up);
      const h = i - y0 + 1;
      for (let j = 0; j < W; j++) {
        const x0 = Math.max(0, j - side);
        const w = Math.min(W, j + side + 1) - x0;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < h; y++) for (let c = 0; c < w; c++) crop[(b * h + y) * w + c] = x[b * H * W + (y0 + y) * W + x0 + c]!;
        }
        const logits = this.net.predictCrop(crop, n, h, w);
        for (let b = 0; b < n; b++) {
          const l = logits[(b * h + (h - 1)) * w + (j - x0)]!;
          x[b * H * W + i * W + j] = this.sampleRng.float() < sigmoid(l) ? 1 : 0;
        }
      }
    }
    return x;
  }

  /** Writes config, the network, Adam's state and both rng streams as a checkpoint folder. */
  async save(dir: string): Promise<void> {
    await writeCheckpoint(dir, {
      algo: `model.${this.kind}`, step: this.opt.steps, config: { ...this.config }, env: { ...NO_ENV },
      nets: { pixelcnn: this.net.getParams() }, optimizers: { adam: this.opt.getState() },
      rngs: { train: this.trainRng.getState(), sample: this.sampleRng.getState() },
      counters: { fitted: this.fitted },
    });
  }

  /** Reads a folder written by `save`; another model's checkpoint gets `InvalidConfig` naming both kinds. */
  static async load(dir: string): Promise<PixelCNN> {
    const ck = await readModelCheckpoint(dir, 'pixelcnn');
    const model = new PixelCNN(ck.config as PixelCnnConfig);
    model.net.setParams(ck.nets['pixelcnn'] ?? []);
    if (ck.optimizers['adam']) model.opt.setState(ck.optimizers['adam']);
    if (ck.rngs['train']) model.trainRng.setState(ck.rngs['train']);
    if (ck.rngs['sample']) model.sampleRng.setState(ck.rngs['sample']);
    model.fitted = ck.counters['fitted'] === true;
    return model;
  }
}
