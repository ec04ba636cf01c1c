/**
 * A variational autoencoder (Kingma and Welling) on the plain engine: an MLP encoder q(z|x) = N(mu, diag exp(logVar))
 * and an MLP decoder p(x|z), Bernoulli (binary pixels) or Gaussian (continuous rows, with a per-row learned std),
 * trained on the beta-weighted ELBO  E_q[log p(x|z)] - beta KL(q(z|x) || N(0, I))  through the reparameterisation
 * z = mu + exp(logVar / 2) eps, with the KL in closed form. `logProb` is the importance-weighted bound (Burda et al.)
 * log (1/K) sum_k p(x, z_k) / q(z_k|x), which tightens towards log p(x) as K grows. Seeded and deterministic.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import { readCheckpoint, writeCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { createNet } from '../nn/net.js';
import { adam } from '../nn/optimizers.js';
import { IncompatibleState } from '../nn/errors.js';
import { kernelInfo } from '../nn/kernels/simd.js';
import type { LayerSpec, Net, Optimizer } from '../nn/types.js';
import { checkFitted, checkRows } from './checks.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';
import {
  LOGVAR_LIMIT, bernoulliLogLik, clampLogVar, decoderLogStd, gaussianKl, gaussianLogLik, sigmoid, vaeBounds, type VaeEvaluation,
} from './vae-bounds.js';

// The ELBO's terms and bounds live in vae-bounds.ts; these stay importable from here, where they were first.
export { MIN_LOG_STD, bernoulliLogLik, gaussianKl, gaussianLogLik, type VaeEvaluation } from './vae-bounds.js';
export { checkRows } from './checks.js';

/** Configuration of a VAE; every field but `dim` has a default. */
export interface VaeConfig {
  /** Floats per data row (784 for 28x28 frames). */
  dim: number;
  /** Latent dimensions; default 16. */
  latent?: number;
  /** Hidden widths of the encoder (the decoder mirrors them); default [256]. */
  hidden?: number[];
  /** 'bernoulli' (rows in [0, 1], logits out) or 'gaussian' (mean and log-std out); default 'bernoulli'. */
  likelihood?: 'bernoulli' | 'gaussian';
  /** Weight of the KL term (beta-VAE); default 1 (the ELBO). */
  beta?: number;
  /** Adam's step size; default 1e-3. */
  learningRate?: number;
  /** Importance samples K of `logProb`; default 100. */
  importanceSamples?: number;
  /** Seed of the initial parameters and of every draw; default 0. */
  seed?: number;
}

type Resolved = Required<VaeConfig>;

function resolve(config: VaeConfig): Resolved {
  if (config === null || typeof config !== 'object') throw new InvalidConfig(`Expected a VAE config object { dim, ... }, got ${describeValue(config)}.`);
  const c: Resolved = {
    dim: config.dim, latent: config.latent ?? 16, hidden: config.hidden ?? [256], likelihood: config.likelihood ?? 'bernoulli',
    beta: config.beta ?? 1, learningRate: config.learningRate ?? 1e-3, importanceSamples: config.importanceSamples ?? 100, seed: config.seed ?? 0,
  };
  for (const k of ['dim', 'latent', 'importanceSamples'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new InvalidConfig(`Expected vae.${k} to be a positive integer, got ${describeValue(c[k])}.`);
  }
  if (!Array.isArray(c.hidden) || !c.hidden.every((h) => Number.isInteger(h) && h >= 1)) {
    throw new InvalidConfig(`Expected vae.hidden to be an array of positive integers, got ${describeValue(c.hidden)}.`);
  }
  if (c.likelihood !== 'bernoulli' && c.likelihood !== 'gaussian') throw new InvalidConfig(`Expected vae.likelihood to be 'bernoulli' or 'gaussian', got ${describeValue(c.likelihood)}.`);
  if (!(Number.isFinite(c.beta) && c.beta >= 0)) throw new InvalidConfig(`Expected vae.beta to be a finite number >= 0, got ${describeValue(c.beta)}.`);
  if (!(Number.isFinite(c.learningRate) && c.learningRate > 0)) throw new InvalidConfig(`Expected vae.learningRate to be a finite number > 0, got ${describeValue(c.learningRate)}.`);
  checkSeed(c.seed, 'vae.seed');
  return c;
}

function mlp(input: number, hidden: number[], output: number, seed: number): Net {
  const layers: LayerSpec[] = hidden.map((units) => ({ kind: 'dense', units, activation: 'relu' }));
  layers.push({ kind: 'dense', units: output });
  return createNet({ input, layers, seed }, { engine: 'plain' });
}

/** A variational autoencoder; see the file comment. Build with `new Vae({ dim })`, restore with `loadVae(dir)`. */
export class Vae implements GenerativeModel {
  readonly kind = 'vae';
  readonly engine = `plain Float32Array engine (${kernelInfo().kernel === 'simd' ? 'WebAssembly SIMD kernel' : 'JS loops'}): encoder and decoder MLPs`;
  readonly dim: number;
  readonly config: Readonly<Resolved>;
  /** q(z|x): dim -> 2 latent ([mu, logVar]); p(x|z): latent -> dim logits (Bernoulli) or 2 dim (Gaussian mean, raw log-std). */
  readonly encoder: Net;
  readonly decoder: Net;
  private readonly optimizer: Optimizer;
  private readonly rng: Rng;
  private fitted = false;
  private steps = 0;

  constructor(config: VaeConfig) {
    this.config = resolve(config);
    const { dim, latent, hidden, likelihood, seed } = this.config;
    this.dim = dim;
    this.rng = new Rng(seed);
    this.encoder = mlp(dim, hidden, 2 * latent, this.rng.int(2 ** 31));
    this.decoder = mlp(latent, [...hidden].reverse(), likelihood === 'gaussian' ? 2 * dim : dim, this.rng.int(2 ** 31));
    this.optimizer = adam([this.encoder, this.decoder], { learningRate: this.config.learningRate });
  }

  /** Trains on n rows (n x dim) for `epochs` (default 10) passes in shuffled batches (default 64); losses are -beta-ELBO in nats per row. */
  async fit(data: Float32Array, n: number, options: FitOptions = {}): Promise<FitReport> {
    checkRows(data, n, this.dim, 'data', this.config.likelihood === 'bernoulli' ? 'unit' : 'finite');
    const epochs = options.epochs ?? 10;
    const batch = Math.min(options.batchSize ?? 64, n);
    const start = performance.now();
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const xb = new Float32Array(batch * this.dim);
    const noise = new Float32Array(batch * this.config.latent);
    const losses: number[] = [];
    let epoch = 0;
    for (; epoch < epochs && !options.signal?.aborted; epoch++) {
      shuffle(order, this.rng);
      let sum = 0;
      let rows = 0;
      for (let b = 0; b + batch <= n && !options.signal?.aborted; b += batch) {
        for (let i = 0; i < batch; i++) xb.set(data.subarray(order[b + i]! * this.dim, (order[b + i]! + 1) * this.dim), i * this.dim);
        for (let k = 0; k < noise.length; k++) noise[k] = this.rng.normal();
        sum += this.objectiveGradient(xb, batch, noise) * batch;
        rows += batch;
        this.optimizer.step();
        this.steps++;
      }
      losses.push(sum / rows);
      this.fitted = true;
      options.onEpoch?.({ epoch, loss: sum / rows });
      // Lets a timer or an abort handler run between epochs.
      await new Promise((r) => setTimeout(r, 0));
    }
    return { epochs: epoch, steps: this.steps, seconds: (performance.now() - start) / 1000, losses };
  }

  /**
   * The mean over n rows of -(E[log p(x|z)] - beta KL) at the given reparameterisation noise (n x latent), with its
   * gradient added into the encoder's and decoder's `grads`. The one place the VAE's gradient is computed.
   */
  objectiveGradient(x: Float32Array, n: number, noise: Float32Array): number {
    const { latent, beta, likelihood } = this.config;
    const { mu, logVar, z } = this.encode(this.encoder.forward(x, n), n, noise);
    const out = this.decoder.forward(z, n);
    const dOut = new Float32Array(out.length);
    const inv = 1 / n;
    // Gradients of the mean loss, i.e. of -loglik / n.
    const ll = likelihood === 'bernoulli' ? bernoulliLogLik(out, x, n, this.dim, undefined, dOut, -inv) : gaussianLogLik(out, x, n, this.dim, undefined, dOut, -inv);
    const dZ = new Float32Array(n * latent);
    this.decoder.backward(dOut, n, dZ);
    const dMu = new Float32Array(n * latent);
    const dLogVar = new Float32Array(n * latent);
    const kl = gaussianKl(mu, logVar, n, latent, dMu, dLogVar, beta * inv);
    const dEnc = new Float32Array(n * 2 * latent);
    // Stryker disable next-line EqualityOperator: an extra row i = n only reads past the arrays (undefined, not inside the clamp) and writes past dEnc, which typed arrays ignore.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < latent; j++) {
        const k = i * latent + j;
        const raw = this.lastRawLogVar[k]!;
        const inside = raw > -LOGVAR_LIMIT && raw < LOGVAR_LIMIT;
        dEnc[i * 2 * latent + j] = dZ[k]! + dMu[k]!;
        // z = mu + exp(lv / 2) eps: dz/dlv = eps exp(lv / 2) / 2.
        dEnc[i * 2 * latent + latent + j] = inside ? dZ[k]! * noise[k]! * 0.5 * Math.exp(0.5 * logVar[k]!) + dLogVar[k]! : 0;
      }
    }
    this.encoder.backward(dEnc, n);
    return (-ll + beta * kl) * inv;
  }

  /** The same mean loss as `objectiveGradient` at the same noise, by inference only (for gradient checks). */
  objective(x: Float32Array, n: number, noise: Float32Array): number {
    const { latent, beta, likelihood } = this.config;
    const { mu, logVar, z } = this.encode(this.encoder.predict(x, n), n, noise);
    const out = this.decoder.predict(z, n);
    const ll = likelihood === 'bernoulli' ? bernoulliLogLik(out, x, n, this.dim) : gaussianLogLik(out, x, n, this.dim);
    return (-ll + beta * gaussianKl(mu, logVar, n, latent)) / n;
  }

  private lastRawLogVar = new Float32Array(0);

  /** Splits encoder output (n x 2 latent) into mu and clamped logVar, and draws z = mu + exp(logVar / 2) noise. */
  private encode(enc: Float32Array, n: number, noise: Float32Array): { mu: Float32Array; logVar: Float32Array; z: Float32Array } {
    const L = this.config.latent;
    const mu = new Float32Array(n * L);
    const logVar = new Float32Array(n * L);
    const z = new Float32Array(n * L);
    this.lastRawLogVar = new Float32Array(n * L);
    // Stryker disable next-line EqualityOperator: an extra row i = n writes only past the arrays, which typed arrays ignore.
    for (let i = 0; i < n; i++) {
      // Stryker disable next-line EqualityOperator: an extra column j = L writes entry (i + 1) L, which row i + 1 then overwrites (or past the arrays for the last row).
      for (let j = 0; j < L; j++) {
        const k = i * L + j;
        mu[k] = enc[i * 2 * L + j]!;
        const raw = enc[i * 2 * L + L + j]!;
        this.lastRawLogVar[k] = raw;
        logVar[k] = clampLogVar(raw);
        z[k] = mu[k]! + Math.exp(0.5 * logVar[k]!) * noise[k]!;
      }
    }
    return { mu, logVar, z };
  }

  /**
   * Per-row ELBO and importance-weighted bound (nats) of n rows (n x dim) with `samples` draws of z each (default
   * `importanceSamples`). Draws from the model's rng.
   */
  evaluate(x: Float32Array, n: number, samples = this.config.importanceSamples): VaeEvaluation {
    checkFitted(this.fitted, 'VAE', 'evaluate()', 'loadVae()');
    checkRows(x, n, this.dim, 'x');
    if (!Number.isInteger(samples) || samples < 1) throw new InvalidConfig(`Expected samples to be a positive integer, got ${describeValue(samples)}.`);
    const { latent, likelihood } = this.config;
    const enc = this.encoder.predict(x, n);
    return vaeBounds(enc, x, n, { dim: this.dim, latent, likelihood, samples }, (z, rows) => this.decoder.predict(z, rows), this.rng);
  }

  /** The importance-weighted bound on log p(x) in nats for each of n rows (n x dim), into `out` (n values). */
  logProb(x: Float32Array, n: number, out = new Float32Array(n)): Float32Array {
    const { iw } = this.evaluate(x, n);
    for (let i = 0; i < n; i++) out[i] = iw[i]!;
    return out;
  }

  /** n draws (n x dim) from p(x|z), z ~ N(0, I): binary for Bernoulli; `mean` gives E[x|z] (pixel probabilities) instead. */
  sample(n: number, out = new Float32Array(n * this.dim), mean = false): Float32Array {
    checkFitted(this.fitted, 'VAE', 'sample()', 'loadVae()');
    if (!Number.isInteger(n) || n < 1) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    if (!(out instanceof Float32Array) || out.length < n * this.dim) throw new InvalidConfig(`Expected out to be a Float32Array of n x dim = ${n * this.dim} values, got ${describeValue(out)}.`);
    const L = this.config.latent;
    const z = new Float32Array(n * L);
    for (let k = 0; k < z.length; k++) z[k] = this.rng.normal();
    const p = this.decoder.predict(z, n);
    const d = this.dim;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        if (this.config.likelihood === 'bernoulli') {
          const prob = sigmoid(p[i * d + j]!);
          out[i * d + j] = mean ? prob : this.rng.float() < prob ? 1 : 0;
        } else {
          const std = Math.exp(decoderLogStd(p[i * 2 * d + d + j]!));
          out[i * d + j] = p[i * 2 * d + j]! + (mean ? 0 : std * this.rng.normal());
        }
      }
    }
    return out;
  }

  /** Writes config, both networks, Adam's state and the rng as a checkpoint folder (algo 'model.vae'). */
  async save(dir: string): Promise<void> {
    await writeCheckpoint(dir, {
      algo: 'model.vae', step: this.steps, config: { ...this.config }, env: { id: null, observationSpace: null, actionSpace: null },
      nets: { encoder: this.encoder.getParams(), decoder: this.decoder.getParams() }, optimizers: { adam: this.optimizer.getState() },
      rngs: { rng: this.rng.getState() }, counters: { fitted: this.fitted },
    });
  }

  /** Restores networks, optimiser, rng and counters from a loaded checkpoint (used by `loadVae`). */
  restore(c: Awaited<ReturnType<typeof readCheckpoint>>): void {
    this.encoder.setParams(c.nets.encoder ?? []);
    this.decoder.setParams(c.nets.decoder ?? []);
    const opt = c.optimizers.adam;
    if (opt) this.optimizer.setState(opt);
    const rng = c.rngs.rng;
    if (rng) this.rng.setState(rng);
    this.steps = c.step;
    this.fitted = c.counters.fitted === true;
  }
}

/** Fisher-Yates shuffle of `a` in place from `rng`. */
export function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** Loads a VAE saved by `Vae.save`; throws IncompatibleState when the folder holds another model. */
export async function loadVae(dir: string): Promise<Vae> {
  const c = await readCheckpoint(dir);
  if (c.algo !== 'model.vae') throw new IncompatibleState('algo', `Expected a checkpoint of algo 'model.vae' in ${dir}, got '${c.algo}'. Load it with its own model's loader.`);
  const vae = new Vae(c.config as VaeConfig);
  vae.restore(c);
  return vae;
}
