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
import type { LayerSpec, Net, Optimizer } from '../nn/types.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';

/** log(2 pi) / 2. */
const HALF_LOG_2PI = 0.9189385332046727;
/** The Gaussian decoder's log-std is softplus-bounded below by this (std >= 0.007): an unbounded one can collapse onto a row. */
export const MIN_LOG_STD = -5;
/** The encoder's log-variance is clamped here (zero gradient outside) so that exp() never overflows. */
const LOGVAR_LIMIT = 12;

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

/** Per-row evaluation of held-out data: the ELBO and the importance-weighted bound, both in nats (<= log p(x)). */
export interface VaeEvaluation {
  /** n ELBOs (closed-form KL, reconstruction averaged over the K draws). */
  elbo: Float64Array;
  /** n importance-weighted bounds with K samples. */
  iw: Float64Array;
}

/**
 * Sum over n rows of KL(N(mu, diag exp(logVar)) || N(0, I)) = 0.5 sum_j (mu^2 + exp(logVar) - 1 - logVar); mu and
 * logVar are n x d. With dMu/dLogVar (n x d), writes scale times the gradient of that sum: scale mu, scale (exp(logVar) - 1) / 2.
 */
export function gaussianKl(mu: Float32Array, logVar: Float32Array, n: number, d: number, dMu?: Float32Array, dLogVar?: Float32Array, scale = 1): number {
  let sum = 0;
  for (let k = 0; k < n * d; k++) {
    const m = mu[k]!;
    const lv = logVar[k]!;
    const v = Math.exp(lv);
    sum += 0.5 * (m * m + v - 1 - lv);
    if (dMu) dMu[k] = scale * m;
    if (dLogVar) dLogVar[k] = scale * 0.5 * (v - 1);
  }
  return sum;
}

/**
 * Sum over n rows of log Bernoulli(x | sigmoid(logits)) = x l - softplus(l), logits and x n x d (x in [0, 1]);
 * `rowOut` gets each row's value. With dLogits, writes scale times the gradient: scale (x - sigmoid(l)).
 */
export function bernoulliLogLik(logits: Float32Array, x: Float32Array, n: number, d: number, rowOut?: Float64Array, dLogits?: Float32Array, scale = 1): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const l = logits[k]!;
      const e = Math.exp(-Math.abs(l));
      row += x[k]! * l - (Math.max(l, 0) + Math.log1p(e));
      if (dLogits) dLogits[k] = scale * (x[k]! - (l >= 0 ? 1 / (1 + e) : e / (1 + e)));
    }
    if (rowOut) rowOut[i] = row;
    sum += row;
  }
  return sum;
}

/**
 * Sum over n rows of log N(x | mean, std^2), params n x 2d ([mean (d), raw log-std (d)] per row), log-std =
 * MIN_LOG_STD + softplus(raw - MIN_LOG_STD); `rowOut` gets each row's value. With dParams (n x 2d), writes scale
 * times the gradient with respect to mean and raw.
 */
export function gaussianLogLik(params: Float32Array, x: Float32Array, n: number, d: number, rowOut?: Float64Array, dParams?: Float32Array, scale = 1): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) {
      const pm = i * 2 * d + j;
      const u = params[pm + d]! - MIN_LOG_STD;
      const ls = MIN_LOG_STD + softplus(u);
      const invVar = Math.exp(-2 * ls);
      const e = x[i * d + j]! - params[pm]!;
      const z2 = e * e * invVar;
      row += -0.5 * z2 - ls - HALF_LOG_2PI;
      if (dParams) {
        dParams[pm] = scale * e * invVar;
        // d/d ls = z2 - 1; d ls / d raw = sigmoid(u).
        dParams[pm + d] = scale * (z2 - 1) * sigmoid(u);
      }
    }
    if (rowOut) rowOut[i] = row;
    sum += row;
  }
  return sum;
}

function softplus(u: number): number {
  return Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
}

function sigmoid(u: number): number {
  return u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
}

/** Throws InvalidConfig unless data holds n rows of dim finite floats (and, for Bernoulli, values in [0, 1]). */
export function checkRows(data: unknown, n: unknown, dim: number, what: string, unit = false): void {
  if (!Number.isInteger(n) || (n as number) < 1) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
  const need = (n as number) * dim;
  if (!(data instanceof Float32Array) || data.length < need) {
    throw new InvalidConfig(`Expected ${what} to be a Float32Array of n x dim = ${n} x ${dim} = ${need} values, got ${describeValue(data)}.`);
  }
  for (let k = 0; k < need; k++) {
    const v = data[k]!;
    if (!Number.isFinite(v) || (unit && (v < 0 || v > 1))) {
      const expected = unit ? 'finite values in [0, 1] (Bernoulli likelihood)' : 'finite values';
      throw new InvalidConfig(`Expected ${what} (${n} x ${dim}) to hold ${expected}, got ${describeValue(v)} at row ${Math.floor(k / dim)}, column ${k % dim}.`);
    }
  }
}

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
  readonly engine = 'plain (Float32Array + WebAssembly SIMD): encoder and decoder MLPs';
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
    checkRows(data, n, this.dim, 'data', this.config.likelihood === 'bernoulli');
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
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < L; j++) {
        const k = i * L + j;
        mu[k] = enc[i * 2 * L + j]!;
        const raw = enc[i * 2 * L + L + j]!;
        this.lastRawLogVar[k] = raw;
        logVar[k] = Math.max(-LOGVAR_LIMIT, Math.min(LOGVAR_LIMIT, raw));
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
    this.checkFitted('evaluate');
    checkRows(x, n, this.dim, 'x');
    if (!Number.isInteger(samples) || samples < 1) throw new InvalidConfig(`Expected samples to be a positive integer, got ${describeValue(samples)}.`);
    const { latent: L, likelihood } = this.config;
    const enc = this.encoder.predict(x, n);
    const elbo = new Float64Array(n);
    const iw = new Float64Array(n);
    const z = new Float32Array(samples * L);
    const xs = new Float32Array(samples * this.dim);
    const rowLl = new Float64Array(samples);
    const logW = new Float64Array(samples);
    for (let i = 0; i < n; i++) {
      let kl = 0;
      for (let j = 0; j < L; j++) {
        const m = enc[i * 2 * L + j]!;
        const lv = clampLogVar(enc[i * 2 * L + L + j]!);
        kl += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
      }
      // log q(z|x) - log p(z) per draw, from the same noise that makes z.
      const logRatio = new Float64Array(samples);
      for (let s = 0; s < samples; s++) {
        let r = 0;
        for (let j = 0; j < L; j++) {
          const m = enc[i * 2 * L + j]!;
          const lv = clampLogVar(enc[i * 2 * L + L + j]!);
          const e = this.rng.normal();
          const zz = m + Math.exp(0.5 * lv) * e;
          z[s * L + j] = zz;
          r += -0.5 * e * e - 0.5 * lv + 0.5 * zz * zz;
        }
        logRatio[s] = r;
        xs.set(x.subarray(i * this.dim, (i + 1) * this.dim), s * this.dim);
      }
      const out = this.decoder.predict(z, samples);
      if (likelihood === 'bernoulli') bernoulliLogLik(out, xs, samples, this.dim, rowLl);
      else gaussianLogLik(out, xs, samples, this.dim, rowLl);
      let mean = 0;
      let max = -Infinity;
      for (let s = 0; s < samples; s++) {
        mean += rowLl[s]! / samples;
        logW[s] = rowLl[s]! - logRatio[s]!;
        max = Math.max(max, logW[s]!);
      }
      let acc = 0;
      for (let s = 0; s < samples; s++) acc += Math.exp(logW[s]! - max);
      elbo[i] = mean - kl;
      iw[i] = max + Math.log(acc / samples);
    }
    return { elbo, iw };
  }

  /** The importance-weighted bound on log p(x) in nats for each of n rows (n x dim), into `out` (n values). */
  logProb(x: Float32Array, n: number, out = new Float32Array(n)): Float32Array {
    const { iw } = this.evaluate(x, n);
    for (let i = 0; i < n; i++) out[i] = iw[i]!;
    return out;
  }

  /** n draws (n x dim) from p(x|z), z ~ N(0, I): binary for Bernoulli; `mean` gives E[x|z] (pixel probabilities) instead. */
  sample(n: number, out = new Float32Array(n * this.dim), mean = false): Float32Array {
    this.checkFitted('sample');
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
          const std = Math.exp(MIN_LOG_STD + softplus(p[i * 2 * d + d + j]! - MIN_LOG_STD));
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

  private checkFitted(what: string): void {
    if (!this.fitted) throw new InvalidConfig(`Expected a fitted VAE before ${what}(), got an untrained one: call fit() or loadVae() first.`);
  }
}

function clampLogVar(v: number): number {
  return Math.max(-LOGVAR_LIMIT, Math.min(LOGVAR_LIMIT, v));
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
