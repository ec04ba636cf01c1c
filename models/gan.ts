/**
 * A generative adversarial network (Goodfellow et al.) of two MLPs on the plain engine: a generator G(z), z ~ N(0, I),
 * and a discriminator D trained with the non-saturating losses
 *   D: -[y log sigmoid D(x) + (1 - y) log(1 - sigmoid D(x))] - log(1 - sigmoid D(G(z)))
 *      (y = `realLabel`, 0.9: one-sided label smoothing; fakes keep label 0)
 *   G: -log sigmoid D(G(z))
 * (written out, with their gradients, in gan-losses.ts; this file feeds them to the networks).
 * Options: `pack` m > 1 is PacGAN (Lin et al.): D judges m samples at once (m rows side by side, all real or all
 * fake), which penalises a generator that drops modes; `loss: 'wgan-gp'` makes D a Wasserstein critic with the
 * gradient penalty (Gulrajani et al.), whose second derivative runs on tfjs (gan-penalty.ts). Seeded and
 * deterministic: every draw comes from the model's Rng. No likelihood, so no `logProb`.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import { readCheckpoint, writeCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { selectedBackend } from '../nn/backend.js';
import { IncompatibleState } from '../nn/errors.js';
import { createNet } from '../nn/net.js';
import { adam } from '../nn/optimizers.js';
import type { Activation, LayerSpec, Net, Optimizer } from '../nn/types.js';
import { checkFitted, checkRows } from './checks.js';
import {
  averageDecay, discriminatorFakeLoss, discriminatorRealLoss, interpolate, nonSaturatingGeneratorLoss, packedBatch, wassersteinLoss,
} from './gan-losses.js';
import { gradientPenalty } from './gan-penalty.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';
import { shuffle } from './vae.js';

/** Configuration of a GAN; every field but `dim` has a default. */
export interface GanConfig {
  /** Floats per data row. */
  dim: number;
  /** Noise dimensions of the generator's input; default 4. */
  latent?: number;
  /** Hidden widths of the generator; default [128, 128]. */
  generatorHidden?: number[];
  /** Hidden widths of the discriminator (critic); default [128, 128]. */
  discriminatorHidden?: number[];
  /** Hidden nonlinearity of both networks; default 'relu'. */
  activation?: Activation;
  /** 'nonSaturating' (default) or 'wgan-gp'. */
  loss?: 'nonSaturating' | 'wgan-gp';
  /** Target for real rows in D's cross-entropy (one-sided label smoothing; 1 turns it off); default 0.9. Fakes stay 0. */
  realLabel?: number;
  /** PacGAN's packing degree m (samples per discriminator row); default 1. Batches are cut to a multiple of m. */
  pack?: number;
  /** Adam's step size for the generator; default 1e-3. */
  learningRate?: number;
  /** Adam's step size for the discriminator; default `learningRate`. */
  discriminatorLearningRate?: number;
  /** Adam's beta1 and beta2 for both; default 0.5 and 0.999 (0.9 for wgan-gp, as its paper). */
  beta1?: number;
  beta2?: number;
  /** Discriminator steps per generator step; default 1 (5 for wgan-gp). */
  discriminatorSteps?: number;
  /** The gradient penalty's lambda (wgan-gp only); default 10. */
  gradientPenalty?: number;
  /**
   * `sample` draws from an exponential moving average of the generator's weights (Yazici et al., 2019), updated
   * after each generator step with this decay; 0 samples from the generator itself. Default 0.999: the average
   * smooths the oscillation of adversarial training, which otherwise scatters samples between the modes.
   */
  emaDecay?: number;
  /** Seed of the initial parameters and of every draw; default 0. */
  seed?: number;
}

type Resolved = Required<GanConfig>;

function resolve(config: GanConfig): Resolved {
  if (config === null || typeof config !== 'object') throw new InvalidConfig(`Expected a GAN config object { dim, ... }, got ${describeValue(config)}.`);
  const wgan = config.loss === 'wgan-gp';
  const lr = config.learningRate ?? 1e-3;
  const c: Resolved = {
    dim: config.dim, latent: config.latent ?? 4, generatorHidden: config.generatorHidden ?? [128, 128],
    discriminatorHidden: config.discriminatorHidden ?? [128, 128], activation: config.activation ?? 'relu',
    loss: config.loss ?? 'nonSaturating', realLabel: config.realLabel ?? 0.9, pack: config.pack ?? 1, learningRate: lr,
    discriminatorLearningRate: config.discriminatorLearningRate ?? lr, beta1: config.beta1 ?? 0.5, beta2: config.beta2 ?? (wgan ? 0.9 : 0.999),
    discriminatorSteps: config.discriminatorSteps ?? (wgan ? 5 : 1), gradientPenalty: config.gradientPenalty ?? 10, emaDecay: config.emaDecay ?? 0.999, seed: config.seed ?? 0,
  };
  for (const k of ['dim', 'latent', 'pack', 'discriminatorSteps'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new InvalidConfig(`Expected gan.${k} to be a positive integer, got ${describeValue(c[k])}.`);
  }
  for (const k of ['generatorHidden', 'discriminatorHidden'] as const) {
    if (!Array.isArray(c[k]) || !c[k].every((h) => Number.isInteger(h) && h >= 1)) throw new InvalidConfig(`Expected gan.${k} to be an array of positive integers, got ${describeValue(c[k])}.`);
  }
  if (!['relu', 'tanh', 'elu'].includes(c.activation)) throw new InvalidConfig(`Expected gan.activation to be 'relu', 'tanh' or 'elu', got ${describeValue(c.activation)}.`);
  if (c.loss === 'wgan-gp' && c.activation !== 'relu') throw new InvalidConfig(`Expected gan.activation 'relu' with loss 'wgan-gp' (its penalty's second derivative is exact for relu in tfjs), got ${describeValue(c.activation)}.`);
  if (c.loss !== 'nonSaturating' && c.loss !== 'wgan-gp') throw new InvalidConfig(`Expected gan.loss to be 'nonSaturating' or 'wgan-gp', got ${describeValue(c.loss)}.`);
  if (!(c.realLabel > 0.5 && c.realLabel <= 1)) throw new InvalidConfig(`Expected gan.realLabel to be in (0.5, 1], got ${describeValue(c.realLabel)}.`);
  for (const k of ['learningRate', 'discriminatorLearningRate', 'gradientPenalty'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] > 0)) throw new InvalidConfig(`Expected gan.${k} to be a finite number > 0, got ${describeValue(c[k])}.`);
  }
  for (const k of ['beta1', 'beta2', 'emaDecay'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) throw new InvalidConfig(`Expected gan.${k} to be in [0, 1), got ${describeValue(c[k])}.`);
  }
  checkSeed(c.seed, 'gan.seed');
  return c;
}

function mlp(input: number, hidden: number[], output: number, activation: Activation, seed: number): Net {
  const layers: LayerSpec[] = hidden.map((units) => ({ kind: 'dense', units, activation }));
  layers.push({ kind: 'dense', units: output });
  return createNet({ input, layers, seed }, { engine: 'plain' });
}

/** The buffers of one training step for `batch` samples, made once per fit. */
class StepScratch {
  /** d loss / d D's output (batch / pack rows). */
  readonly dOut: Float32Array;
  /** d loss / d the fakes, D's input gradient (batch x dim). */
  readonly dFake: Float32Array;
  /** WGAN-GP's interpolates (batch x dim) and their mixing weights (one per packed row). */
  readonly hat: Float32Array;
  readonly t: Float64Array;
  constructor(readonly batch: number, pack: number, dim: number) {
    this.dOut = new Float32Array(batch / pack);
    this.dFake = new Float32Array(batch * dim);
    this.hat = new Float32Array(batch * dim);
    this.t = new Float64Array(batch / pack);
  }
}

/** A GAN; see the file comment. Build with `new Gan({ dim })`, restore with `loadGan(dir)`. */
export class Gan implements GenerativeModel {
  readonly kind = 'gan';
  readonly dim: number;
  readonly config: Readonly<Resolved>;
  /** latent -> dim. */
  readonly generator: Net;
  /** The moving average of the generator's weights that `sample` uses (the generator itself when emaDecay is 0). */
  readonly average: Net;
  /** pack x dim -> 1 logit (or critic value). */
  readonly discriminator: Net;
  private readonly optG: Optimizer;
  private readonly optD: Optimizer;
  private readonly rng: Rng;
  private fitted = false;
  private steps = 0;
  private scratch: StepScratch | null = null;

  constructor(config: GanConfig) {
    this.config = resolve(config);
    const c = this.config;
    this.dim = c.dim;
    this.rng = new Rng(c.seed);
    this.generator = mlp(c.latent, c.generatorHidden, c.dim, c.activation, this.rng.int(2 ** 31));
    this.average = this.generator.clone();
    this.discriminator = mlp(c.pack * c.dim, c.discriminatorHidden, 1, c.activation, this.rng.int(2 ** 31));
    this.optG = adam([this.generator], { learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2 });
    this.optD = adam([this.discriminator], { learningRate: c.discriminatorLearningRate, beta1: c.beta1, beta2: c.beta2 });
  }

  /** Which engines run it: both MLPs on the plain engine; WGAN-GP's penalty on the tfjs backend. */
  get engine(): string {
    const plain = 'plain (Float32Array + WebAssembly SIMD): generator and discriminator MLPs';
    return this.config.loss === 'wgan-gp' ? `${plain}; gradient penalty on tfjs-${selectedBackend() ?? 'cpu'}` : plain;
  }

  /**
   * Trains on n rows (n x dim). An epoch is n / batchSize generator steps, each after `discriminatorSteps` steps of
   * D on a batch of real rows (shuffled passes) and as many fakes; batchSize (default 256) is cut to a multiple of
   * `pack`. Losses are the discriminator's mean loss per epoch (cross-entropy in nats, or the critic's loss).
   */
  async fit(data: Float32Array, n: number, options: FitOptions = {}): Promise<FitReport> {
    checkRows(data, n, this.dim, 'data');
    const { pack, discriminatorSteps, latent } = this.config;
    const epochs = options.epochs ?? 10;
    const batch = packedBatch(options.batchSize ?? 256, n, pack);
    if (this.scratch?.batch !== batch) this.scratch = new StepScratch(batch, pack, this.dim);
    const start = performance.now();
    const order = Int32Array.from({ length: n }, (_, i) => i);
    shuffle(order, this.rng);
    let cursor = 0;
    const real = new Float32Array(batch * this.dim);
    const z = new Float32Array(batch * latent);
    const losses: number[] = [];
    const perEpoch = Math.max(1, Math.floor(n / batch));
    let epoch = 0;
    for (; epoch < epochs && !options.signal?.aborted; epoch++) {
      let sum = 0;
      let count = 0;
      for (let s = 0; s < perEpoch && !options.signal?.aborted; s++) {
        for (let k = 0; k < discriminatorSteps; k++) {
          for (let i = 0; i < batch; i++) {
            if (cursor === n) {
              shuffle(order, this.rng);
              cursor = 0;
            }
            const r = order[cursor++]!;
            real.set(data.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim);
          }
          sum += this.discriminatorStep(real, batch, z);
          count++;
        }
        this.generatorStep(batch, z);
        this.steps++;
      }
      losses.push(sum / count);
      this.fitted = true;
      options.onEpoch?.({ epoch, loss: sum / count });
      await new Promise((r) => setTimeout(r, 0));
    }
    return { epochs: epoch, steps: this.steps, seconds: (performance.now() - start) / 1000, losses };
  }

  private drawZ(z: Float32Array, count: number): void {
    for (let k = 0; k < count; k++) z[k] = this.rng.normal();
  }

  /** One step of D on `batch` real rows and as many fresh fakes; returns D's loss. */
  private discriminatorStep(real: Float32Array, batch: number, z: Float32Array): number {
    const { pack, latent, loss, realLabel } = this.config;
    const { dOut, hat, t } = this.scratch!;
    const wgan = loss === 'wgan-gp';
    const rows = batch / pack;
    const D = this.discriminator;
    // Packed rows are m consecutive samples: a batch of samples, read row-major, already is the packed batch.
    let l = D.forward(real, rows);
    let total = wgan ? wassersteinLoss(l, rows, -1, dOut) : discriminatorRealLoss(l, rows, realLabel, dOut);
    D.backward(dOut, rows);
    this.drawZ(z, batch * latent);
    const fake = this.generator.predict(z, batch);
    l = D.forward(fake, rows);
    total += wgan ? wassersteinLoss(l, rows, 1, dOut) : discriminatorFakeLoss(l, rows, dOut);
    D.backward(dOut, rows);
    if (wgan) {
      // Penalty at random points on the lines between real and fake (packed) rows.
      for (let i = 0; i < rows; i++) t[i] = this.rng.float();
      interpolate(real, fake, t, rows, pack * this.dim, hat);
      total += gradientPenalty(D, hat, rows, this.config.gradientPenalty);
    }
    this.optD.step();
    return total;
  }

  /** One generator step: -log sigmoid D(G(z)) (or -C(G(z))) through D's input gradient, then the weight average. */
  private generatorStep(batch: number, z: Float32Array): void {
    const { pack, latent, loss, emaDecay } = this.config;
    const { dOut, dFake } = this.scratch!;
    const rows = batch / pack;
    this.drawZ(z, batch * latent);
    const fake = this.generator.forward(z, batch);
    const l = this.discriminator.forward(fake, rows);
    if (loss === 'wgan-gp') wassersteinLoss(l, rows, -1, dOut);
    else nonSaturatingGeneratorLoss(l, rows, dOut);
    this.discriminator.backward(dOut, rows, dFake);
    // Only the input gradient was wanted: D's own gradients from this pass must not reach its next step.
    this.discriminator.zeroGrad();
    this.generator.backward(dFake, batch);
    this.optG.step();
    this.average.polyakFrom(this.generator, 1 - averageDecay(emaDecay, this.steps));
  }

  /** n samples (n x dim) G(z), z ~ N(0, I) from the model's rng, into `out`. */
  sample(n: number, out = new Float32Array(n * this.dim)): Float32Array {
    checkFitted(this.fitted, 'GAN', 'sample()', 'loadGan()');
    if (!Number.isInteger(n) || n < 1) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    if (!(out instanceof Float32Array) || out.length < n * this.dim) throw new InvalidConfig(`Expected out to be a Float32Array of n x dim = ${n * this.dim} values, got ${describeValue(out)}.`);
    const z = new Float32Array(n * this.config.latent);
    this.drawZ(z, z.length);
    out.set(this.average.predict(z, n).subarray(0, n * this.dim));
    return out;
  }

  /** Writes config, both networks, both Adam states and the rng as a checkpoint folder (algo 'model.gan'). */
  async save(dir: string): Promise<void> {
    await writeCheckpoint(dir, {
      algo: 'model.gan', step: this.steps, config: { ...this.config }, env: { id: null, observationSpace: null, actionSpace: null },
      nets: { generator: this.generator.getParams(), average: this.average.getParams(), discriminator: this.discriminator.getParams() },
      optimizers: { generator: this.optG.getState(), discriminator: this.optD.getState() }, rngs: { rng: this.rng.getState() }, counters: { fitted: this.fitted },
    });
  }

  /** Restores networks, optimisers, rng and counters from a loaded checkpoint (used by `loadGan`). */
  restore(c: Awaited<ReturnType<typeof readCheckpoint>>): void {
    this.generator.setParams(c.nets.generator ?? []);
    this.average.setParams(c.nets.average ?? []);
    this.discriminator.setParams(c.nets.discriminator ?? []);
    if (c.optimizers.generator) this.optG.setState(c.optimizers.generator);
    if (c.optimizers.discriminator) this.optD.setState(c.optimizers.discriminator);
    if (c.rngs.rng) this.rng.setState(c.rngs.rng);
    this.steps = c.step;
    this.fitted = c.counters.fitted === true;
  }
}

/** Loads a GAN saved by `Gan.save`; throws IncompatibleState when the folder holds another model. */
export async function loadGan(dir: string): Promise<Gan> {
  const c = await readCheckpoint(dir);
  if (c.algo !== 'model.gan') throw new IncompatibleState('algo', `Expected a checkpoint of algo 'model.gan' in ${dir}, got '${c.algo}'. Load it with its own model's loader.`);
  const gan = new Gan(c.config as GanConfig);
  gan.restore(c);
  return gan;
}
