/**
 * A Bernoulli-Bernoulli restricted Boltzmann machine: E(v, h) = -b.v - c.h - v W h, v in {0,1}^visible,
 * h in {0,1}^hidden. Trained by contrastive divergence (CD-k) or persistent CD (Tieleman 2008) with SGD, momentum
 * and weight decay (Hinton's practical guide: small random weights, visible biases at the data's log-odds).
 * log Z is exact by enumeration when the smaller layer has at most 20 units, else estimated by annealed importance
 * sampling (Salakhutdinov and Murray 2008) from the base-rate model (rbm-log-z.ts); the energy, conditionals and
 * free energy are in rbm-energy.ts. Runs on the plain Float32Array engine's matrix kernel (WebAssembly SIMD where it
 * loads); seeded and deterministic.
 *
 * `fit`'s losses are the mean reconstruction error per epoch (squared error summed over a frame's pixels, against
 * p(v | h ~ p(h | v))): the RBM's likelihood is intractable during training, and this is the usual monitor.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import { readCheckpoint, writeCheckpoint } from '../core/node/checkpoint/checkpoint.js';
import { kernelInfo } from '../nn/kernels/simd.js';
import { checkFitted, checkRows } from './checks.js';
import type { FitOptions, FitReport, GenerativeModel } from './model.js';
import { bernoulli, freeEnergy, gemm, hiddenProbs, sigmoid, visibleProbs, type RbmParams } from './rbm-energy.js';
import { EXACT_MAX_UNITS, aisLogZ, enumerable, exactLogZ, type LogPartition } from './rbm-log-z.js';

// The energy and log Z live in rbm-energy.ts and rbm-log-z.ts; these stay importable from here, where they were first.
export { EXACT_MAX_UNITS, aisSchedule, type LogPartition } from './rbm-log-z.js';

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

/** Scratch of one CD update: probabilities and samples of both layers, the two phases' statistics, the reconstruction. */
interface CdScratch {
  ph0: Float32Array;
  h: Float32Array;
  pv: Float32Array;
  v: Float32Array;
  ph: Float32Array;
  gPos: Float32Array;
  gNeg: Float32Array;
  recon: Float32Array;
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
  /** The arrays above, as the energy and log Z functions read them. */
  private readonly params: RbmParams;
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
    this.params = { visible: nv, hidden: nh, W: this.W, WT: this.WT, b: this.b, c: this.c, baseBias: this.baseBias };
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
    const { visible: nv, hidden: nh } = this.config;
    checkRows(data, n, nv, 'data', 'unit');
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
    const v0 = new Float32Array(B * nv);
    const R = Math.max(B, C);
    const scratch: CdScratch = {
      ph0: new Float32Array(B * nh), h: new Float32Array(R * nh), pv: new Float32Array(R * nv), v: new Float32Array(R * nv), ph: new Float32Array(R * nh),
      gPos: new Float32Array(nv * nh), gNeg: new Float32Array(nv * nh), recon: new Float32Array(B * nv),
    };
    const losses: number[] = [];
    let steps = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = this.trainRng.int(i + 1);
        [rows[i], rows[j]] = [rows[j]!, rows[i]!];
      }
      let err = 0;
      let seen = 0;
      // Whole batches only (a last short one is left for the next shuffle), unless n is below one batch.
      for (let start = 0; start + B <= n || (start < n && start === 0); start += B) {
        if (options.signal?.aborted) return this.report(t0, epoch, steps, losses);
        const m = Math.min(B, n - start);
        for (let r = 0; r < m; r++) v0.set(data.subarray(rows[start + r]! * nv, (rows[start + r]! + 1) * nv), r * nv);
        err += this.cdStep(v0, m, C, scratch);
        seen += m;
        steps++;
      }
      losses.push(err / seen);
      options.onEpoch?.({ epoch, loss: err / seen });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.report(t0, epochs, steps, losses);
  }

  /**
   * One CD-k (or PCD) update from m data rows v0 (m x visible): the positive phase p(h | v0), k Gibbs sweeps of the
   * negative chains (from a sample of that h for CD, from the C persistent chains for PCD), then `update` on
   * <v h>_data - <v h>_model. Returns the batch's summed squared error of p(v | h ~ p(h | v0)) against v0.
   */
  private cdStep(v0: Float32Array, m: number, C: number, s: CdScratch): number {
    const { visible: nv, hidden: nh, k } = this.config;
    const p = this.params;
    hiddenProbs(p, v0, m, s.ph0);
    bernoulli(s.ph0, s.h, m * nh, this.trainRng);
    visibleProbs(p, s.h, m, s.recon);
    let err = 0;
    for (let i = 0; i < m * nv; i++) err += (v0[i]! - s.recon[i]!) ** 2;
    // Negative phase: chains from the data's hidden sample (CD) or the persistent chains (PCD).
    const rowsNeg = C > 0 ? C : m;
    if (C > 0) {
      hiddenProbs(p, this.chainV!, C, s.ph);
      bernoulli(s.ph, s.h, C * nh, this.trainRng);
    }
    for (let step = 0; step < k; step++) {
      visibleProbs(p, s.h, rowsNeg, s.pv);
      bernoulli(s.pv, s.v, rowsNeg * nv, this.trainRng);
      hiddenProbs(p, s.v, rowsNeg, s.ph);
      if (step + 1 < k) bernoulli(s.ph, s.h, rowsNeg * nh, this.trainRng);
    }
    if (C > 0) this.chainV!.set(s.v.subarray(0, C * nv));
    // <v h>_data - <v h>_model, visible probabilities and hidden probabilities in both phases (Hinton's guide).
    gemm(v0, 1, nv, s.ph0, null, s.gPos, nv, m, nh);
    gemm(s.pv, 1, nv, s.ph, null, s.gNeg, nv, rowsNeg, nh);
    this.update(s.gPos, s.gNeg, v0, s.ph0, m, s.pv, s.ph, rowsNeg);
    return err;
  }

  /** F(v) = -b.v - sum_j softplus(c_j + (v W)_j) in nats for n rows of x (n x visible), into `out` (n values). */
  freeEnergy(x: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    checkRows(x, n, this.config.visible, 'x', 'unit');
    return freeEnergy(this.params, x, n, out);
  }

  /** `steps` Gibbs sweeps v -> h -> v from n rows of v (n x visible, binary); returns the last binary v (n x visible). */
  gibbs(v: Float32Array, n: number, steps: number, rng: Rng = this.sampleRng, out: Float32Array = new Float32Array(n * this.config.visible)): Float32Array {
    const { visible: nv, hidden: nh } = this.config;
    checkRows(v, n, nv, 'v', 'unit');
    const ph = new Float32Array(n * nh), h = new Float32Array(n * nh), pv = new Float32Array(n * nv);
    out.set(v.subarray(0, n * nv));
    for (let s = 0; s < steps; s++) {
      hiddenProbs(this.params, out, n, ph);
      bernoulli(ph, h, n * nh, rng);
      visibleProbs(this.params, h, n, pv);
      bernoulli(pv, out, n * nv, rng);
    }
    return out;
  }

  /** n binary samples (n x visible): `sampleSteps` Gibbs sweeps from v ~ Bernoulli(sigmoid(b)). Throws NotFitted before fit. */
  sample(n: number, out?: Float32Array): Float32Array {
    checkFitted(this.fitted, 'RBM', 'sample()', 'Rbm.load()');
    if (!(Number.isInteger(n) && n >= 1)) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    const v0 = new Float32Array(n * this.config.visible);
    this.sampleVisibleFromBias(v0, n, this.sampleRng);
    return this.gibbs(v0, n, this.config.sampleSteps, this.sampleRng, out);
  }

  /** log p(x) = -F(x) - log Z in nats per row (n x visible), with `logPartition()`'s log Z, into `out`. */
  logProb(x: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    checkFitted(this.fitted, 'RBM', 'logProb()', 'Rbm.load()');
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
    const small = enumerable(this.config.visible, this.config.hidden);
    if (method === 'exact' && !small) throw new InvalidConfig(`Expected a layer of at most ${EXACT_MAX_UNITS} units for exact log Z, got ${this.config.visible} x ${this.config.hidden}; use 'ais'.`);
    const cacheable = method === 'auto' && options.runs === undefined && options.steps === undefined && options.seed === undefined;
    if (cacheable && this.cachedZ) return this.cachedZ;
    const z: LogPartition = method === 'exact' || (method === 'auto' && small)
      ? { logZ: exactLogZ(this.params), method: 'exact' }
      : { logZ: aisLogZ(this.params, options.runs ?? this.config.aisRuns, options.steps ?? this.config.aisSteps, options.seed ?? this.config.seed), method: 'ais' };
    if (cacheable) this.cachedZ = z;
    return z;
  }

  /** Writes config, parameters, momentum, persistent chains and rng states as a checkpoint folder. */
  async save(dir: string): Promise<void> {
    checkFitted(this.fitted, 'RBM', 'save()', 'Rbm.load()');
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

  /** p(h = 1 | v) for n rows of v (n x visible), into out (n x hidden). */
  hiddenProbs(v: Float32Array, n: number, out: Float32Array): Float32Array {
    return hiddenProbs(this.params, v, n, out);
  }

  /** p(v = 1 | h) for n rows of h (n x hidden), into out (n x visible). */
  visibleProbs(h: Float32Array, n: number, out: Float32Array): Float32Array {
    return visibleProbs(this.params, h, n, out);
  }

  /** The SGD step with momentum and weight decay on the CD statistics of m data rows and mNeg negative-chain rows. */
  private update(gPos: Float32Array, gNeg: Float32Array, v0: Float32Array, ph0: Float32Array, m: number, pv: Float32Array, ph: Float32Array, mNeg: number): void {
    const { learningRate: lr, momentum: mu, weightDecay: wd, visible: nv, hidden: nh } = this.config;
    const vel = this.vel;
    // Stryker disable next-line EqualityOperator: the three loops' extra passes (i = nv nh, nv; j = nh) only write past the arrays, which typed arrays ignore.
    for (let i = 0; i < nv * nh; i++) {
      vel.W[i] = mu * vel.W[i]! + lr * (gPos[i]! / m - gNeg[i]! / mNeg - wd * this.W[i]!);
      this.W[i] = this.W[i]! + vel.W[i]!;
    }
    // Stryker disable next-line EqualityOperator: see above.
    for (let i = 0; i < nv; i++) {
      let g = 0;
      for (let r = 0; r < m; r++) g += v0[r * nv + i]! / m;
      for (let r = 0; r < mNeg; r++) g -= pv[r * nv + i]! / mNeg;
      vel.b[i] = mu * vel.b[i]! + lr * g;
      this.b[i] = this.b[i]! + vel.b[i]!;
    }
    // Stryker disable next-line EqualityOperator: see above.
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

  /** Call after writing W, b or c directly: refreshes W's transpose and forgets the cached log Z. */
  paramsChanged(): void {
    this.refresh();
  }

  /** Refreshes W's transpose and forgets the cached log Z (the parameters changed). */
  private refresh(): void {
    const { visible: nv, hidden: nh } = this.config;
    for (let i = 0; i < nv; i++) for (let j = 0; j < nh; j++) this.WT[j * nv + i] = this.W[i * nh + j]!;
    this.cachedZ = null;
  }

  private sampleVisibleFromBias(out: Float32Array, n: number, rng: Rng): void {
    const nv = this.config.visible;
    for (let i = 0; i < n * nv; i++) out[i] = rng.float() < sigmoid(this.b[i % nv]!) ? 1 : 0;
  }

  private report(t0: number, epochs: number, steps: number, losses: number[]): FitReport {
    this.epochsDone += epochs;
    return { epochs, steps, seconds: (performance.now() - t0) / 1000, losses };
  }
}
