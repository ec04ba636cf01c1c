/**
 * A Bernoulli-Bernoulli restricted Boltzmann machine: E(v, h) = -b.v - c.h - v W h, v in {0,1}^visible,
 * h in {0,1}^hidden. Trained by contrastive divergence (CD-k) or persistent CD (Tieleman 2008) with SGD, momentum
 * and weight decay (Hinton's practical guide: small random weights, visible biases at the data's log-odds).
 * log Z is exact by enumeration when the smaller layer has at most 20 units, else estimated by annealed importance
 * sampling (Salakhutdinov and Murray 2008) from the base-rate model. Runs on the plain Float32Array engine's
 * matrix kernel (WebAssembly SIMD where it loads); seeded and deterministic.
 *
 * `fit`'s losses are the mean reconstruction error per epoch (squared error summed over a frame's pixels, against
 * p(v | h ~ p(h | v))): the RBM's likelihood is intractable during training, and this is the usual monitor.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import { readCheckpoint, writeCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { kernelInfo, simdGemm } from '../nn/kernels/simd.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';

/** Settings of an `Rbm`; every field but `visible` has a default. */
export interface RbmConfig {
  visible: number;
  /** Hidden units; default 64. */
  hidden: number;
  /** Gibbs steps k of CD-k (or of each persistent update); default 1. */
  k: number;
  /** Persistent CD: negative chains carried across updates instead of restarted at the data; default false. */
  persistent: boolean;
  /** Persistent chains (default: the batch size). */
  chains: number;
  learningRate: number;
  momentum: number;
  weightDecay: number;
  /** Default passes of `fit`; default 10. */
  epochs: number;
  /** Default rows per update; default 20. */
  batchSize: number;
  seed: number;
  /** Gibbs sweeps of `sample` from its start at the visible biases; default 1000. */
  sampleSteps: number;
  /** AIS: independent runs and intermediate distributions. */
  aisRuns: number;
  aisSteps: number;
}

/** The defaults of `Rbm`. */
export const RBM_DEFAULTS: Omit<RbmConfig, 'visible'> = {
  hidden: 64, k: 1, persistent: false, chains: 0, learningRate: 0.05, momentum: 0.5, weightDecay: 1e-4, epochs: 10, batchSize: 20, seed: 0,
  sampleSteps: 1000, aisRuns: 100, aisSteps: 1000,
};

/** A log-partition value and how it was obtained. */
export interface LogPartition {
  logZ: number;
  method: 'exact' | 'ais';
}

/** Enumerate exactly when the smaller layer has at most this many units. */
export const EXACT_MAX_UNITS = 20;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => (z > 30 ? z : z < -30 ? Math.exp(z) : Math.log1p(Math.exp(z)));

/** out (rows x cols) = A b (+ bias), A(i, k) = a[i saI + k saK], b [inner, cols]: the SIMD kernel, or JS loops. */
function gemm(a: Float32Array, saI: number, saK: number, b: Float32Array, bias: Float32Array | null, out: Float32Array, rows: number, inner: number, cols: number): void {
  const simd = simdGemm();
  if (simd) return simd(a, saI, saK, b, bias, out, rows, inner, cols, false, false);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) out[i * cols + c] = bias ? bias[c]! : 0;
    for (let k = 0; k < inner; k++) {
      const av = a[i * saI + k * saK]!;
      if (av === 0) continue;
      for (let c = 0; c < cols; c++) out[i * cols + c] = out[i * cols + c]! + av * b[k * cols + c]!;
    }
  }
}

/** A Bernoulli-Bernoulli RBM; a `GenerativeModel` of binary rows. */
export class Rbm implements GenerativeModel {
  readonly kind = 'rbm';
  readonly config: Readonly<RbmConfig>;
  readonly engine = `plain Float32Array engine (${kernelInfo().kernel === 'simd' ? 'WebAssembly SIMD kernel' : 'JS loops'})`;
  /** Weights [visible, hidden] row-major, visible biases b, hidden biases c. */
  readonly W: Float32Array;
  readonly b: Float32Array;
  readonly c: Float32Array;
  /** The AIS base model's visible biases: the training data's log-odds. */
  readonly baseBias: Float32Array;
  private readonly WT: Float32Array;
  private readonly vel: { W: Float32Array; b: Float32Array; c: Float32Array };
  private readonly trainRng: Rng;
  private readonly sampleRng: Rng;
  private chainV: Float32Array | null = null;
  private fitted = false;
  private steps = 0;
  private epochsDone = 0;
  private cachedZ: LogPartition | null = null;

  /** A new, untrained RBM; `config` fills in `RBM_DEFAULTS`. */
  constructor(config: Partial<RbmConfig> & { visible: number }) {
    const c: RbmConfig = { ...RBM_DEFAULTS, ...config };
    for (const key of ['visible', 'hidden', 'k', 'epochs', 'batchSize', 'sampleSteps', 'aisRuns', 'aisSteps'] as const) {
      if (!(Number.isInteger(c[key]) && c[key] >= 1)) throw new InvalidConfig(`Expected ${key} to be a positive integer, got ${describeValue(c[key])}.`);
    }
    if (!(Number.isInteger(c.chains) && c.chains >= 0)) throw new InvalidConfig(`Expected chains to be an integer >= 0 (0: the batch size), got ${describeValue(c.chains)}.`);
    checkSeed(c.seed);
    this.config = c;
    const nv = c.visible, nh = c.hidden;
    const root = new Rng(c.seed);
    this.W = new Float32Array(nv * nh);
    for (let i = 0; i < this.W.length; i++) this.W[i] = root.normal(0, 0.01);
    this.WT = new Float32Array(nv * nh);
    this.b = new Float32Array(nv);
    this.c = new Float32Array(nh);
    this.baseBias = new Float32Array(nv);
    this.vel = { W: new Float32Array(nv * nh), b: new Float32Array(nv), c: new Float32Array(nh) };
    this.trainRng = root.fork();
    this.sampleRng = root.fork();
    this.refresh();
  }

  get dim(): number {
    return this.config.visible;
  }

  /**
   * Trains on n rows of `data` (n x visible, values in [0, 1]) with CD-k or PCD; the first call sets the visible
   * biases (and the AIS base model) to the data's log-odds. Losses: mean reconstruction error per epoch.
   */
  async fit(data: Float32Array, n: number, options: FitOptions = {}): Promise<FitReport> {
    const t0 = performance.now();
    const { visible: nv, hidden: nh, k } = this.config;
    this.checkData(data, n, 'data');
    const epochs = options.epochs ?? this.config.epochs;
    const B = options.batchSize ?? this.config.batchSize;
    if (!(Number.isInteger(B) && B >= 1)) throw new InvalidConfig(`Expected batchSize to be a positive integer, got ${describeValue(B)}.`);
    if (!this.fitted) {
      for (let i = 0; i < nv; i++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += data[r * nv + i]!;
        const p = Math.min(1 - 1e-3, Math.max(1e-3, s / n));
        this.b[i] = this.baseBias[i] = Math.log(p / (1 - p));
      }
      this.fitted = true;
    }
    const C = this.config.persistent ? this.config.chains || B : 0;
    if (C > 0 && this.chainV === null) {
      this.chainV = new Float32Array(C * nv);
      this.sampleVisibleFromBias(this.chainV, C, this.trainRng);
    }
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const v0 = new Float32Array(B * nv), ph0 = new Float32Array(B * nh), h = new Float32Array(Math.max(B, C) * nh);
    const pv = new Float32Array(Math.max(B, C) * nv), v = new Float32Array(Math.max(B, C) * nv), ph = new Float32Array(Math.max(B, C) * nh);
    const gPos = new Float32Array(nv * nh), gNeg = new Float32Array(nv * nh), recon = new Float32Array(B * nv);
    const losses: number[] = [];
    let steps = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = this.trainRng.int(i + 1);
        [rows[i], rows[j]] = [rows[j]!, rows[i]!];
      }
      let err = 0;
      let seen = 0;
      for (let start = 0; start + B <= n || (start < n && start === 0); start += B) {
        if (options.signal?.aborted) return this.report(t0, epoch, steps, losses);
        const m = Math.min(B, n - start);
        for (let r = 0; r < m; r++) v0.set(data.subarray(rows[start + r]! * nv, (rows[start + r]! + 1) * nv), r * nv);
        this.hiddenProbs(v0, m, ph0);
        bernoulli(ph0, h, m * nh, this.trainRng);
        this.visibleProbs(h, m, recon);
        for (let i = 0; i < m * nv; i++) err += (v0[i]! - recon[i]!) ** 2;
        seen += m;
        // Negative phase: chains from the data's hidden sample (CD) or the persistent chains (PCD).
        const rowsNeg = C > 0 ? C : m;
        if (C > 0) {
          this.hiddenProbs(this.chainV!, C, ph);
          bernoulli(ph, h, C * nh, this.trainRng);
        }
        for (let s = 0; s < k; s++) {
          this.visibleProbs(h, rowsNeg, pv);
          bernoulli(pv, v, rowsNeg * nv, this.trainRng);
          this.hiddenProbs(v, rowsNeg, ph);
          if (s + 1 < k) bernoulli(ph, h, rowsNeg * nh, this.trainRng);
        }
        if (C > 0) this.chainV!.set(v.subarray(0, C * nv));
        // <v h>_data - <v h>_model, visible probabilities and hidden probabilities in both phases (Hinton's guide).
        gemm(v0, 1, nv, ph0, null, gPos, nv, m, nh);
        gemm(pv, 1, nv, ph, null, gNeg, nv, rowsNeg, nh);
        this.update(gPos, gNeg, v0, ph0, m, pv, ph, rowsNeg);
        steps++;
      }
      losses.push(err / seen);
      options.onEpoch?.({ epoch, loss: err / seen });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.report(t0, epochs, steps, losses);
  }

  /** F(v) = -b.v - sum_j softplus(c_j + (v W)_j) in nats for n rows of x (n x visible), into `out` (n values). */
  freeEnergy(x: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    this.checkData(x, n, 'x');
    const { visible: nv, hidden: nh } = this.config;
    const pre = new Float32Array(n * nh);
    gemm(x, nv, 1, this.W, this.c, pre, n, nv, nh);
    for (let r = 0; r < n; r++) {
      let f = 0;
      for (let i = 0; i < nv; i++) f -= this.b[i]! * x[r * nv + i]!;
      for (let j = 0; j < nh; j++) f -= softplus(pre[r * nh + j]!);
      out[r] = f;
    }
    return out;
  }

  /** `steps` Gibbs sweeps v -> h -> v from n rows of v (n x visible, binary); returns the last binary v (n x visible). */
  gibbs(v: Float32Array, n: number, steps: number, rng: Rng = this.sampleRng, out: Float32Array = new Float32Array(n * this.config.visible)): Float32Array {
    this.checkData(v, n, 'v');
    const { visible: nv, hidden: nh } = this.config;
    const ph = new Float32Array(n * nh), h = new Float32Array(n * nh), pv = new Float32Array(n * nv);
    out.set(v.subarray(0, n * nv));
    for (let s = 0; s < steps; s++) {
      this.hiddenProbs(out, n, ph);
      bernoulli(ph, h, n * nh, rng);
      this.visibleProbs(h, n, pv);
      bernoulli(pv, out, n * nv, rng);
    }
    return out;
  }

  /** n binary samples (n x visible): `sampleSteps` Gibbs sweeps from v ~ Bernoulli(sigmoid(b)). Throws before fit. */
  sample(n: number, out?: Float32Array): Float32Array {
    this.requireFitted('sample');
    if (!(Number.isInteger(n) && n >= 1)) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    const v0 = new Float32Array(n * this.config.visible);
    this.sampleVisibleFromBias(v0, n, this.sampleRng);
    return this.gibbs(v0, n, this.config.sampleSteps, this.sampleRng, out);
  }

  /** log p(x) = -F(x) - log Z in nats per row (n x visible), with `logPartition()`'s log Z, into `out`. */
  logProb(x: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    this.requireFitted('logProb');
    const { logZ } = this.logPartition();
    this.freeEnergy(x, n, out);
    for (let r = 0; r < n; r++) out[r] = -out[r]! - logZ;
    return out;
  }

  /**
   * log Z in nats: 'exact' enumerates the smaller layer (at most 20 units), 'ais' anneals from the base-rate model
   * over `steps` distributions with `runs` chains (seeded by `seed`, default the model's). 'auto' (default) is exact
   * where it can be, and is cached until the parameters change.
   */
  logPartition(options: { method?: 'auto' | 'exact' | 'ais'; runs?: number; steps?: number; seed?: number } = {}): LogPartition {
    const method = options.method ?? 'auto';
    const small = Math.min(this.config.visible, this.config.hidden) <= EXACT_MAX_UNITS;
    if (method === 'exact' && !small) throw new InvalidConfig(`Expected a layer of at most ${EXACT_MAX_UNITS} units for exact log Z, got ${this.config.visible} x ${this.config.hidden}; use 'ais'.`);
    const cacheable = method === 'auto' && options.runs === undefined && options.steps === undefined && options.seed === undefined;
    if (cacheable && this.cachedZ) return this.cachedZ;
    const z: LogPartition = method === 'exact' || (method === 'auto' && small)
      ? { logZ: this.exactLogZ(), method: 'exact' }
      : { logZ: this.aisLogZ(options.runs ?? this.config.aisRuns, options.steps ?? this.config.aisSteps, options.seed ?? this.config.seed), method: 'ais' };
    if (cacheable) this.cachedZ = z;
    return z;
  }

  /** Writes config, parameters, momentum, persistent chains and rng states as a checkpoint folder. */
  async save(dir: string): Promise<void> {
    this.requireFitted('save');
    const { visible: nv, hidden: nh } = this.config;
    const arr = (name: string, shape: number[], data: Float32Array) => ({ name, shape, data: data.slice() });
    await writeCheckpoint(dir, {
      algo: 'model.rbm',
      step: this.steps,
      config: { ...this.config },
      env: { id: null, observationSpace: null, actionSpace: null },
      nets: {
        rbm: [arr('W', [nv, nh], this.W), arr('b', [nv], this.b), arr('c', [nh], this.c), arr('baseBias', [nv], this.baseBias)],
        ...(this.chainV ? { chains: [arr('v', [this.chainV.length / nv, nv], this.chainV)] } : {}),
      },
      optimizers: { momentum: { steps: this.steps, slots: [arr('W', [nv, nh], this.vel.W), arr('b', [nv], this.vel.b), arr('c', [nh], this.vel.c)] } },
      rngs: { train: this.trainRng.getState(), sample: this.sampleRng.getState() },
      counters: { steps: this.steps, epochs: this.epochsDone },
    });
  }

  /** Reads an RBM written by `save`; `InvalidConfig` when the folder holds another model or the tensors do not fit. */
  static async load(dir: string): Promise<Rbm> {
    const ck = await readCheckpoint(dir);
    if (ck.algo !== 'model.rbm') throw new InvalidConfig(`Expected a model.rbm checkpoint, got one of '${ck.algo}' at ${ck.dir}.`);
    const rbm = new Rbm(ck.config as RbmConfig);
    const put = (dst: Float32Array, arrays: readonly { name: string; data: Float32Array }[] | undefined, name: string) => {
      const a = arrays?.find((t) => t.name === name);
      if (!a || a.data.length !== dst.length) throw new InvalidConfig(`Expected tensor ${name} of ${dst.length} values in ${ck.dir}, got ${a ? a.data.length : 'none'}.`);
      dst.set(a.data);
    };
    const p = ck.nets['rbm'];
    put(rbm.W, p, 'W'); put(rbm.b, p, 'b'); put(rbm.c, p, 'c'); put(rbm.baseBias, p, 'baseBias');
    const slots = ck.optimizers['momentum']?.slots;
    put(rbm.vel.W, slots, 'W'); put(rbm.vel.b, slots, 'b'); put(rbm.vel.c, slots, 'c');
    const chains = ck.nets['chains']?.[0];
    if (chains) rbm.chainV = chains.data.slice();
    if (ck.rngs['train']) rbm.trainRng.setState(ck.rngs['train']);
    if (ck.rngs['sample']) rbm.sampleRng.setState(ck.rngs['sample']);
    rbm.steps = Number(ck.counters['steps']);
    rbm.epochsDone = Number(ck.counters['epochs']);
    rbm.fitted = true;
    rbm.refresh();
    return rbm;
  }

  /** p(h = 1 | v) for n rows of v, into out (n x hidden). */
  hiddenProbs(v: Float32Array, n: number, out: Float32Array): Float32Array {
    gemm(v, this.config.visible, 1, this.W, this.c, out, n, this.config.visible, this.config.hidden);
    for (let i = 0; i < n * this.config.hidden; i++) out[i] = sigmoid(out[i]!);
    return out;
  }

  /** p(v = 1 | h) for n rows of h, into out (n x visible). */
  visibleProbs(h: Float32Array, n: number, out: Float32Array): Float32Array {
    gemm(h, this.config.hidden, 1, this.WT, this.b, out, n, this.config.hidden, this.config.visible);
    for (let i = 0; i < n * this.config.visible; i++) out[i] = sigmoid(out[i]!);
    return out;
  }

  private update(gPos: Float32Array, gNeg: Float32Array, v0: Float32Array, ph0: Float32Array, m: number, pv: Float32Array, ph: Float32Array, mNeg: number): void {
    const { learningRate: lr, momentum: mu, weightDecay: wd, visible: nv, hidden: nh } = this.config;
    const vel = this.vel;
    for (let i = 0; i < nv * nh; i++) {
      vel.W[i] = mu * vel.W[i]! + lr * (gPos[i]! / m - gNeg[i]! / mNeg - wd * this.W[i]!);
      this.W[i] = this.W[i]! + vel.W[i]!;
    }
    for (let i = 0; i < nv; i++) {
      let g = 0;
      for (let r = 0; r < m; r++) g += v0[r * nv + i]! / m;
      for (let r = 0; r < mNeg; r++) g -= pv[r * nv + i]! / mNeg;
      vel.b[i] = mu * vel.b[i]! + lr * g;
      this.b[i] = this.b[i]! + vel.b[i]!;
    }
    for (let j = 0; j < nh; j++) {
      let g = 0;
      for (let r = 0; r < m; r++) g += ph0[r * nh + j]! / m;
      for (let r = 0; r < mNeg; r++) g -= ph[r * nh + j]! / mNeg;
      vel.c[j] = mu * vel.c[j]! + lr * g;
      this.c[j] = this.c[j]! + vel.c[j]!;
    }
    this.steps++;
    this.refresh();
  }

  /** Refreshes W's transpose and forgets the cached log Z (the parameters changed). */
  private refresh(): void {
    const { visible: nv, hidden: nh } = this.config;
    for (let i = 0; i < nv; i++) for (let j = 0; j < nh; j++) this.WT[j * nv + i] = this.W[i * nh + j]!;
    this.cachedZ = null;
  }

  /** log sum over the smaller layer's 2^units states (Gray code: one column of W changes per state). */
  private exactLogZ(): number {
    const { visible: nv, hidden: nh } = this.config;
    const overHidden = nh <= nv;
    const [units, other] = overHidden ? [nh, nv] : [nv, nh];
    // Enumerated layer's biases, the other layer's biases, and W's entry (enumerated unit u, other unit o).
    const eb = overHidden ? this.c : this.b;
    const ob = overHidden ? this.b : this.c;
    const w = (u: number, o: number) => (overHidden ? this.W[o * nh + u]! : this.W[u * nh + o]!);
    const a = Float64Array.from(ob);
    const state = new Uint8Array(units);
    let linear = 0;
    let max = -Infinity;
    let sum = 0;
    const total = 2 ** units;
    const terms = (t: number) => {
      // Streaming log-sum-exp.
      if (t > max) {
        sum = sum * Math.exp(max - t) + 1;
        max = t;
      } else sum += Math.exp(t - max);
    };
    for (let s = 0; s < total; s++) {
      if (s > 0) {
        const u = 31 - Math.clz32(s & -s); // the bit that flips between Gray codes s-1 and s
        const sign = state[u] ? -1 : 1;
        state[u] = state[u] ? 0 : 1;
        linear += sign * eb[u]!;
        for (let o = 0; o < other; o++) a[o] = a[o]! + sign * w(u, o);
      }
      let t = linear;
      for (let o = 0; o < other; o++) t += softplus(a[o]!);
      terms(t);
    }
    return max + Math.log(sum);
  }

  /** AIS estimate of log Z: runs chains from the base-rate model through `steps` geometric-bridge distributions. */
  private aisLogZ(runs: number, steps: number, seed: number): number {
    const { visible: nv, hidden: nh } = this.config;
    const rng = new Rng(seed);
    const betas = aisSchedule(steps);
    const v = new Float32Array(runs * nv), x = new Float32Array(runs * nh), h = new Float32Array(runs * nh), pv = new Float32Array(runs * nv);
    for (let i = 0; i < runs * nv; i++) v[i] = rng.float() < sigmoid(this.baseBias[i % nv]!) ? 1 : 0;
    const logw = new Float64Array(runs);
    for (let k = 1; k < betas.length; k++) {
      const b0 = betas[k - 1]!, b1 = betas[k]!;
      gemm(v, nv, 1, this.W, this.c, x, runs, nv, nh);
      for (let r = 0; r < runs; r++) {
        // log p*_k(v) - log p*_{k-1}(v), p*_beta(v) = exp((1 - beta) bA.v + beta b.v) prod_j (1 + exp(beta x_j)).
        let d = 0;
        for (let i = 0; i < nv; i++) if (v[r * nv + i]! !== 0) d += (b1 - b0) * (this.b[i]! - this.baseBias[i]!);
        for (let j = 0; j < nh; j++) d += softplus(b1 * x[r * nh + j]!) - softplus(b0 * x[r * nh + j]!);
        logw[r] = logw[r]! + d;
      }
      if (k + 1 === betas.length) break;
      for (let i = 0; i < runs * nh; i++) h[i] = rng.float() < sigmoid(b1 * x[i]!) ? 1 : 0;
      gemm(h, nh, 1, this.WT, null, pv, runs, nh, nv);
      for (let i = 0; i < runs * nv; i++) {
        const bi = i % nv;
        v[i] = rng.float() < sigmoid((1 - b1) * this.baseBias[bi]! + b1 * (this.b[bi]! + pv[i]!)) ? 1 : 0;
      }
    }
    let logZA = nh * Math.LN2;
    for (let i = 0; i < nv; i++) logZA += softplus(this.baseBias[i]!);
    const m = Math.max(...logw);
    let s = 0;
    for (let r = 0; r < runs; r++) s += Math.exp(logw[r]! - m);
    return logZA + m + Math.log(s / runs);
  }

  private sampleVisibleFromBias(out: Float32Array, n: number, rng: Rng): void {
    const nv = this.config.visible;
    for (let i = 0; i < n * nv; i++) out[i] = rng.float() < sigmoid(this.b[i % nv]!) ? 1 : 0;
  }

  private report(t0: number, epochs: number, steps: number, losses: number[]): FitReport {
    this.epochsDone += epochs;
    return { epochs, steps, seconds: (performance.now() - t0) / 1000, losses };
  }

  private requireFitted(what: string): void {
    if (!this.fitted) throw new InvalidConfig(`Expected a fitted RBM before ${what}() (call fit() or Rbm.load() first), got an untrained one.`);
  }

  private checkData(x: unknown, n: number, what: string): asserts x is Float32Array {
    const nv = this.config.visible;
    if (!(Number.isInteger(n) && n >= 1)) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    if (!(x instanceof Float32Array) || x.length < n * nv) throw new InvalidConfig(`Expected ${what} to be a Float32Array of n x ${nv} = ${n * nv} values in [0, 1], got ${describeValue(x)}.`);
    for (let i = 0; i < n * nv; i++) {
      const xi = x[i]!;
      if (!(xi >= 0 && xi <= 1)) throw new InvalidConfig(`Expected ${what} (n x ${nv}) to hold values in [0, 1], got ${describeValue(xi)} at row ${Math.floor(i / nv)}, column ${i % nv}.`);
    }
  }
}

/** Samples out[i] ~ Bernoulli(p[i]) for the first `len` values. */
function bernoulli(p: Float32Array, out: Float32Array, len: number, rng: Rng): void {
  for (let i = 0; i < len; i++) out[i] = rng.float() < p[i]! ? 1 : 0;
}

/** AIS inverse temperatures 0 = beta_0 < ... < beta_K = 1: a tenth of the steps to 0.5, three tenths to 0.9, the rest to 1 (Salakhutdinov and Murray's proportions). */
export function aisSchedule(steps: number): Float64Array {
  const k1 = Math.max(1, Math.round(steps * 0.1)), k2 = Math.max(1, Math.round(steps * 0.3)), k3 = Math.max(1, steps - k1 - k2);
  const betas = new Float64Array(k1 + k2 + k3 + 1);
  let i = 0;
  for (let s = 0; s < k1; s++) betas[i++] = (0.5 * s) / k1;
  for (let s = 0; s < k2; s++) betas[i++] = 0.5 + (0.4 * s) / k2;
  for (let s = 0; s <= k3; s++) betas[i++] = 0.9 + (0.1 * s) / k3;
  return betas;
}
