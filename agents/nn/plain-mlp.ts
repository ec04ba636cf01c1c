/**
 * The plain engine: a Q-network MLP on Float32Arrays, with no tensors at all. For the small nets of classic
 * control it beats tfjs by a wide margin, because tfjs pays ~6.5 us of dispatch per op on wasm and a train step
 * is 100+ ops (figures in engine-choice.ts).
 *
 * Layout: all parameters live in one Float32Array `theta` (paramSpecs order; dense kernels [in, out] as in tfjs),
 * so the optimiser, clipping and Polyak updates are single flat loops. Matrix products run on a WebAssembly SIMD
 * kernel (simd-gemm.ts, ~4.4e9 multiply-adds/s here) where available; otherwise, and for act()'s single row, on
 * JS loops that block 4 rows x 2 columns with sums in registers (~1.1e9/s). Bias and activation are fused into
 * the product (with layer norm, normalisation then activation follow it per row). A transposed copy of each kernel ([out, in]) serves the JS forward pass and the input gradient;
 * it is refreshed after each parameter change. Buffers are preallocated per batch size: predict/act/fit allocate
 * nothing after the first call at a given batch size (predict without `out` allocates its result).
 */
import { InvalidAction, InvalidConfig, InvalidObservation, describeValue } from '../../core/errors.js';
import type { NamedArray, NetworkState, QFunction, QNetworkConfig } from './q-network.js';
import { assertSameArchitecture, checkState, initParams, optimizerEpsilon, optimizerState, outputWidth, paramSpecs, sizeOf } from './params.js';
import { simdGemm, type SimdGemm } from './simd-gemm.js';

/** Layers with at least this many weights take the SIMD kernel even for a single row (see forward()). */
const SIMD_MIN_WEIGHTS_PER_ROW = 4096;

const ACT_NONE = 0;
const ACT_RELU = 1;
const ACT_TANH = 2;

/** Adam's and RMSProp's fixed hyper-parameters, tfjs's defaults (tf.train.adam / tf.train.rmsprop). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const RMS_DECAY = 0.9;

/** Per-batch-size scratch buffers. */
interface Work {
  /** acts[l] = output of layer l-1 after its activation, batch x sizes[l]; acts[0] is unused (the input). */
  acts: Float32Array[];
  /** Layer norm only: lnHat[l] = normalised pre-activation of layer l-1 (batch x sizes[l]), lnRstd[l] = its
      1 / sqrt(variance + eps) per row; empty arrays where there is no layer norm. */
  lnHat: Float32Array[];
  lnRstd: Float32Array[];
  /** Q-values, batch x numActions (for a dueling head, combined from the raw output). */
  q: Float32Array;
  /** Gradient w.r.t. the raw output layer, batch x outputWidth. */
  dOut: Float32Array;
  /** Two ping-pong buffers for gradients w.r.t. hidden activations, batch x max hidden width. */
  g0: Float32Array;
  g1: Float32Array;
  /** Transposed copies of a layer's input and output gradient, batch x max width. */
  xT: Float32Array;
  dzT: Float32Array;
}

/**
 * The one kernel every pass uses: out[r, c] = act(bias[c] + sum_k a[r, k] * b[c, k]) for a (rows x inner) and
 * b (cols x inner), both row-major, i.e. out = a b^T. Blocks of 4 rows x 2 columns keep 8 sums in registers
 * (float64) so that each loaded value serves 2 or 4 multiply-adds; leftover rows run 1 x 4 so that four independent
 * sums hide the add latency (this is the act() path). Measured: 4x2 is ~40% faster than 4x1, and an i-outer
 * "axpy" loop that updates out in memory is ~35% slower than 4x1.
 */
function gemmNT(
  a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array,
  rows: number, inner: number, cols: number, act: number,
): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a0 = r * inner;
    const a1 = a0 + inner;
    const a2 = a1 + inner;
    const a3 = a2 + inner;
    const o0 = r * cols;
    const o1 = o0 + cols;
    const o2 = o1 + cols;
    const o3 = o2 + cols;
    let c = 0;
    for (; c + 2 <= cols; c += 2) {
      const b0 = c * inner;
      const b1 = b0 + inner;
      const bs0 = bias === null ? 0 : bias[c]!;
      const bs1 = bias === null ? 0 : bias[c + 1]!;
      let s0 = bs0;
      let s1 = bs0;
      let s2 = bs0;
      let s3 = bs0;
      let t0 = bs1;
      let t1 = bs1;
      let t2 = bs1;
      let t3 = bs1;
      for (let k = 0; k < inner; k++) {
        const w = b[b0 + k]!;
        const v = b[b1 + k]!;
        const x0 = a[a0 + k]!;
        const x1 = a[a1 + k]!;
        const x2 = a[a2 + k]!;
        const x3 = a[a3 + k]!;
        s0 += x0 * w;
        s1 += x1 * w;
        s2 += x2 * w;
        s3 += x3 * w;
        t0 += x0 * v;
        t1 += x1 * v;
        t2 += x2 * v;
        t3 += x3 * v;
      }
      if (act === ACT_RELU) {
        out[o0 + c] = s0 > 0 ? s0 : 0;
        out[o1 + c] = s1 > 0 ? s1 : 0;
        out[o2 + c] = s2 > 0 ? s2 : 0;
        out[o3 + c] = s3 > 0 ? s3 : 0;
        out[o0 + c + 1] = t0 > 0 ? t0 : 0;
        out[o1 + c + 1] = t1 > 0 ? t1 : 0;
        out[o2 + c + 1] = t2 > 0 ? t2 : 0;
        out[o3 + c + 1] = t3 > 0 ? t3 : 0;
      } else if (act === ACT_TANH) {
        out[o0 + c] = Math.tanh(s0);
        out[o1 + c] = Math.tanh(s1);
        out[o2 + c] = Math.tanh(s2);
        out[o3 + c] = Math.tanh(s3);
        out[o0 + c + 1] = Math.tanh(t0);
        out[o1 + c + 1] = Math.tanh(t1);
        out[o2 + c + 1] = Math.tanh(t2);
        out[o3 + c + 1] = Math.tanh(t3);
      } else {
        out[o0 + c] = s0;
        out[o1 + c] = s1;
        out[o2 + c] = s2;
        out[o3 + c] = s3;
        out[o0 + c + 1] = t0;
        out[o1 + c + 1] = t1;
        out[o2 + c + 1] = t2;
        out[o3 + c + 1] = t3;
      }
    }
    for (; c < cols; c++) {
      const b0 = c * inner;
      const bs = bias === null ? 0 : bias[c]!;
      let s0 = bs;
      let s1 = bs;
      let s2 = bs;
      let s3 = bs;
      for (let k = 0; k < inner; k++) {
        const w = b[b0 + k]!;
        s0 += a[a0 + k]! * w;
        s1 += a[a1 + k]! * w;
        s2 += a[a2 + k]! * w;
        s3 += a[a3 + k]! * w;
      }
      out[o0 + c] = act === ACT_RELU ? (s0 > 0 ? s0 : 0) : act === ACT_TANH ? Math.tanh(s0) : s0;
      out[o1 + c] = act === ACT_RELU ? (s1 > 0 ? s1 : 0) : act === ACT_TANH ? Math.tanh(s1) : s1;
      out[o2 + c] = act === ACT_RELU ? (s2 > 0 ? s2 : 0) : act === ACT_TANH ? Math.tanh(s2) : s2;
      out[o3 + c] = act === ACT_RELU ? (s3 > 0 ? s3 : 0) : act === ACT_TANH ? Math.tanh(s3) : s3;
    }
  }
  for (; r < rows; r++) {
    const a0 = r * inner;
    const o0 = r * cols;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const b0 = c * inner;
      const b1 = b0 + inner;
      const b2 = b1 + inner;
      const b3 = b2 + inner;
      let s0 = bias === null ? 0 : bias[c]!;
      let s1 = bias === null ? 0 : bias[c + 1]!;
      let s2 = bias === null ? 0 : bias[c + 2]!;
      let s3 = bias === null ? 0 : bias[c + 3]!;
      for (let k = 0; k < inner; k++) {
        const x = a[a0 + k]!;
        s0 += x * b[b0 + k]!;
        s1 += x * b[b1 + k]!;
        s2 += x * b[b2 + k]!;
        s3 += x * b[b3 + k]!;
      }
      out[o0 + c] = act === ACT_RELU ? (s0 > 0 ? s0 : 0) : act === ACT_TANH ? Math.tanh(s0) : s0;
      out[o0 + c + 1] = act === ACT_RELU ? (s1 > 0 ? s1 : 0) : act === ACT_TANH ? Math.tanh(s1) : s1;
      out[o0 + c + 2] = act === ACT_RELU ? (s2 > 0 ? s2 : 0) : act === ACT_TANH ? Math.tanh(s2) : s2;
      out[o0 + c + 3] = act === ACT_RELU ? (s3 > 0 ? s3 : 0) : act === ACT_TANH ? Math.tanh(s3) : s3;
    }
    for (; c < cols; c++) {
      const b0 = c * inner;
      let s = bias === null ? 0 : bias[c]!;
      for (let k = 0; k < inner; k++) s += a[a0 + k]! * b[b0 + k]!;
      out[o0 + c] = act === ACT_RELU ? (s > 0 ? s : 0) : act === ACT_TANH ? Math.tanh(s) : s;
    }
  }
}


/** dst (cols x rows) = src (rows x cols) transposed. */
function transpose(src: Float32Array, dst: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[ro + c]!;
  }
}

/**
 * Backward through y = act(x W + b) given dz = dLoss/d(x W + b) (rows x m), as two gemmNT calls on transposed
 * copies: gw = x^T dz (n x m, kernel layout), gb = column sums of dz, and, when dx is given,
 * dx = (dz W^T) * act'(x), x being the previous layer's post-activation output.
 */
function denseBackward(
  x: Float32Array, dz: Float32Array, w: Float32Array, gw: Float32Array, gb: Float32Array, dx: Float32Array | null,
  rows: number, n: number, m: number, actPrev: number, xT: Float32Array, dzT: Float32Array,
): void {
  transpose(x, xT, rows, n);
  transpose(dz, dzT, rows, m);
  gemmNT(xT, dzT, null, gw, n, rows, m, ACT_NONE);
  for (let j = 0; j < m; j++) {
    const o = j * rows;
    let s = 0;
    for (let r = 0; r < rows; r++) s += dzT[o + r]!;
    gb[j] = s;
  }
  if (dx === null) return;
  gemmNT(dz, w, null, dx, rows, m, n, ACT_NONE);
  // The activation backward stays inline here and in denseBackwardSimd: as a shared function it made every
  // fit allocate ~400 bytes more (measured with bench/_alloc.ts: ~416 vs ~16 bytes per DQN cycle on simd).
  const len = rows * n;
  if (actPrev === ACT_RELU) {
    for (let i = 0; i < len; i++) if (!(x[i]! > 0)) dx[i] = 0;
  } else {
    for (let i = 0; i < len; i++) {
      const a = x[i]!;
      dx[i] = dx[i]! * (1 - a * a);
    }
  }
}

/** torch's LayerNorm epsilon. */
const LN_EPS = 1e-5;

/**
 * Layer norm without gain or bias, then the activation, in place on y (rows x m): keeps the normalised values
 * in hat and 1 / sqrt(var + eps) per row in rstd for the backward pass.
 */
function layerNormForward(y: Float32Array, hat: Float32Array, rstd: Float32Array, rows: number, m: number, act: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    let mean = 0;
    for (let j = 0; j < m; j++) mean += y[o + j]!;
    mean /= m;
    let v = 0;
    for (let j = 0; j < m; j++) {
      const d = y[o + j]! - mean;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / m + LN_EPS);
    rstd[r] = rs;
    for (let j = 0; j < m; j++) {
      const h = (y[o + j]! - mean) * rs;
      hat[o + j] = h;
      y[o + j] = act === ACT_RELU ? (h > 0 ? h : 0) : Math.tanh(h);
    }
  }
}

/** In place: d (rows x m, gradient w.r.t. the normalised values) becomes the gradient w.r.t. the raw ones. */
function layerNormBackward(d: Float32Array, hat: Float32Array, rstd: Float32Array, rows: number, m: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    let md = 0;
    let mdh = 0;
    for (let j = 0; j < m; j++) {
      md += d[o + j]!;
      mdh += d[o + j]! * hat[o + j]!;
    }
    md /= m;
    mdh /= m;
    const rs = rstd[r]!;
    for (let j = 0; j < m; j++) d[o + j] = rs * (d[o + j]! - md - hat[o + j]! * mdh);
  }
}

/** denseBackward on the SIMD kernel: strides read x transposed in place, and W^T is the engine's kernelsT copy. */
function denseBackwardSimd(
  gemm: SimdGemm, x: Float32Array, dz: Float32Array, wt: Float32Array, gw: Float32Array, gb: Float32Array,
  dx: Float32Array | null, rows: number, n: number, m: number, actPrev: number,
): void {
  gemm(x, 1, n, dz, null, gw, n, rows, m, false);
  gb.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    for (let j = 0; j < m; j++) gb[j] = gb[j]! + dz[o + j]!;
  }
  if (dx === null) return;
  gemm(dz, m, 1, wt, null, dx, rows, m, n, false);
  const len = rows * n;
  if (actPrev === ACT_RELU) {
    for (let i = 0; i < len; i++) if (!(x[i]! > 0)) dx[i] = 0;
  } else {
    for (let i = 0; i < len; i++) {
      const a = x[i]!;
      dx[i] = dx[i]! * (1 - a * a);
    }
  }
}

/** The plain engine's QFunction. Build it through `qNetwork({ ..., engine: 'plain' })`. */
export class PlainQ implements QFunction {
  readonly config: QNetworkConfig;
  readonly engine = 'plain' as const;
  /** Layer widths: [obsDim, ...hidden, outputWidth]. */
  private readonly sizes: number[];
  private readonly nLayers: number;
  private readonly activation: number;
  private readonly numActions: number;
  private readonly outW: number;
  /** All parameters, flat, in paramSpecs order; `kernels`/`biases` are views into it. */
  private readonly theta: Float32Array;
  private readonly grad: Float32Array;
  private readonly kernels: Float32Array[];
  private readonly biases: Float32Array[];
  private readonly gKernels: Float32Array[];
  private readonly gBiases: Float32Array[];
  /** Transposed kernels ([out, in]): read by the JS forward pass and by the input gradient. */
  private readonly kernelsT: Float32Array[];
  /** Optimiser slots, flat like theta: Adam m and v, or RMSProp's mean square in slotA. */
  private readonly slotA: Float32Array;
  private readonly slotB: Float32Array;
  private step = 0;
  private readonly work = new Map<number, Work>();
  private readonly eps: number;
  /** The WebAssembly SIMD kernel, or null for the JS loops. */
  private readonly simd: SimdGemm | null;
  /** 'simd' or 'js': which kernel this network runs. */
  readonly kernel: 'simd' | 'js';
  private readonly layerNorm: boolean;

  constructor(config: QNetworkConfig) {
    if (config.conv) throw new InvalidConfig("Expected engine 'tfjs' for a conv torso, got 'plain'. The plain engine only runs MLPs.");
    this.config = config;
    this.sizes = [config.obsDim, ...config.hidden, outputWidth(config)];
    this.nLayers = this.sizes.length - 1;
    this.activation = config.activation === 'relu' ? ACT_RELU : ACT_TANH;
    this.layerNorm = config.layerNorm;
    this.numActions = config.numActions;
    this.outW = outputWidth(config);
    this.eps = optimizerEpsilon(config);
    const want = config.plainKernel ?? 'auto';
    if (want === 'simd' && !simdGemm) {
      throw new InvalidConfig("Expected plainKernel 'simd' to find WebAssembly SIMD, got none. Use 'auto' or 'js'.");
    }
    this.simd = want === 'js' ? null : simdGemm;
    this.kernel = this.simd ? 'simd' : 'js';
    const specs = paramSpecs(config);
    const total = specs.reduce((n, s) => n + sizeOf(s.shape), 0);
    this.theta = new Float32Array(total);
    this.grad = new Float32Array(total);
    this.slotA = new Float32Array(total);
    this.slotB = new Float32Array(config.optimizer === 'adam' ? total : 0);
    this.kernels = [];
    this.biases = [];
    this.gKernels = [];
    this.gBiases = [];
    this.kernelsT = [];
    let off = 0;
    for (let l = 0; l < this.nLayers; l++) {
      const n = this.sizes[l]!;
      const m = this.sizes[l + 1]!;
      this.kernels.push(this.theta.subarray(off, off + n * m));
      this.gKernels.push(this.grad.subarray(off, off + n * m));
      off += n * m;
      this.biases.push(this.theta.subarray(off, off + m));
      this.gBiases.push(this.grad.subarray(off, off + m));
      off += m;
      this.kernelsT.push(new Float32Array(n * m));
    }
    let p = 0;
    for (const arr of initParams(config)) {
      this.theta.set(arr.data, p);
      p += arr.data.length;
    }
    this.refreshTransposed();
  }

  private refreshTransposed(): void {
    for (let l = 0; l < this.nLayers; l++) {
      const n = this.sizes[l]!;
      const m = this.sizes[l + 1]!;
      const w = this.kernels[l]!;
      const wt = this.kernelsT[l]!;
      for (let i = 0; i < n; i++) {
        const io = i * m;
        for (let j = 0; j < m; j++) wt[j * n + i] = w[io + j]!;
      }
    }
  }

  private workFor(batch: number): Work {
    let w = this.work.get(batch);
    if (!w) {
      const acts = this.sizes.map((s, l) => (l === 0 ? new Float32Array(0) : new Float32Array(batch * s)));
      const maxHidden = Math.max(1, ...this.sizes.slice(1, -1));
      w = {
        acts,
        lnHat: this.sizes.map((s, l) => (this.layerNorm && l > 0 && l < this.nLayers ? new Float32Array(batch * s) : new Float32Array(0))),
        lnRstd: this.sizes.map((_, l) => (this.layerNorm && l > 0 && l < this.nLayers ? new Float32Array(batch) : new Float32Array(0))),
        q: this.config.dueling ? new Float32Array(batch * this.numActions) : acts[this.nLayers]!,
        dOut: new Float32Array(batch * this.outW),
        g0: new Float32Array(batch * maxHidden),
        g1: new Float32Array(batch * maxHidden),
        xT: new Float32Array(batch * Math.max(...this.sizes)),
        dzT: new Float32Array(batch * Math.max(...this.sizes)),
      };
      this.work.set(batch, w);
    }
    return w;
  }

  private checkBatch(obs: Float32Array, batchSize: number): void {
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new InvalidConfig(`Expected batchSize to be a positive integer, got ${describeValue(batchSize)}.`);
    }
    if (!(obs instanceof Float32Array) || obs.length < batchSize * this.config.obsDim) {
      throw new InvalidObservation(
        `Expected obs to be a Float32Array of batchSize * obsDim = ${batchSize * this.config.obsDim} floats, got ${describeValue(obs)}.`,
      );
    }
  }

  /** Runs the network on `batch` rows of obs; returns the work buffers (Q-values in work.q). */
  private forward(obs: Float32Array, batch: number): Work {
    const w = this.workFor(batch);
    let x = obs;
    const last = this.nLayers - 1;
    for (let l = 0; l <= last; l++) {
      const y = w.acts[l + 1]!;
      const n = this.sizes[l]!;
      const m = this.sizes[l + 1]!;
      const norm = this.layerNorm && l < last;
      // With layer norm the activation comes after normalising, below.
      const act = l === last || norm ? ACT_NONE : this.activation;
      // For a row or two (act()) the SIMD path's cost is mostly copying W into wasm memory: worth it for big
      // layers only.
      if (this.simd && (batch >= 4 || n * m >= SIMD_MIN_WEIGHTS_PER_ROW)) {
        this.simd(x, n, 1, this.kernels[l]!, this.biases[l]!, y, batch, n, m, act === ACT_RELU);
        if (act === ACT_TANH) for (let i = 0; i < batch * m; i++) y[i] = Math.tanh(y[i]!);
      } else {
        gemmNT(x, this.kernelsT[l]!, this.biases[l]!, y, batch, n, m, act);
      }
      if (norm) layerNormForward(y, w.lnHat[l + 1]!, w.lnRstd[l + 1]!, batch, m, this.activation);
      x = y;
    }
    if (this.config.dueling) {
      // Q = V + A - mean(A); column 0 of the raw output is V.
      const raw = w.acts[this.nLayers]!;
      const q = w.q;
      const na = this.numActions;
      const ow = this.outW;
      for (let r = 0; r < batch; r++) {
        const ro = r * ow;
        let mean = 0;
        for (let k = 1; k < ow; k++) mean += raw[ro + k]!;
        mean /= na;
        const v = raw[ro]!;
        for (let k = 0; k < na; k++) q[r * na + k] = v + raw[ro + 1 + k]! - mean;
      }
    }
    return w;
  }

  predict(obs: Float32Array, batchSize: number, out?: Float32Array): Float32Array {
    this.checkBatch(obs, batchSize);
    const n = batchSize * this.numActions;
    const w = this.forward(obs, batchSize);
    const res = out ?? new Float32Array(n);
    if (res.length < n) throw new InvalidConfig(`Expected out to hold batchSize * numActions = ${n} floats, got ${res.length}.`);
    res.set(n === w.q.length ? w.q : w.q.subarray(0, n));
    return res;
  }

  act(obs: Float32Array): number {
    this.checkBatch(obs, 1);
    const q = this.forward(obs, 1).q;
    let best = 0;
    let bestQ = q[0]!;
    for (let k = 1; k < this.numActions; k++) {
      if (q[k]! > bestQ) {
        bestQ = q[k]!;
        best = k;
      }
    }
    return best;
  }

  /**
   * Forward, loss and backward without an optimiser step: fills the flat gradient (before clipping) and returns
   * the mean weighted loss. Used by fit() and by tests comparing gradients with tfjs.
   */
  computeGradients(
    obs: Float32Array, actions: Int32Array, targets: Float32Array, batchSize: number,
    options?: { weights?: Float32Array; tdErrorsOut?: Float32Array },
  ): number {
    this.checkBatch(obs, batchSize);
    if (actions.length < batchSize || targets.length < batchSize) {
      throw new InvalidConfig(`Expected actions and targets to hold batchSize = ${batchSize} values, got ${actions.length} and ${targets.length}.`);
    }
    const weights = options?.weights;
    const td = options?.tdErrorsOut;
    if (weights && weights.length < batchSize) throw new InvalidConfig(`Expected weights to hold ${batchSize} values, got ${weights.length}.`);
    if (td && td.length < batchSize) throw new InvalidConfig(`Expected tdErrorsOut to hold ${batchSize} values, got ${td.length}.`);
    const w = this.forward(obs, batchSize);
    const q = w.q;
    const na = this.numActions;
    const ow = this.outW;
    const dOut = w.dOut;
    dOut.fill(0);
    const huber = this.config.loss === 'huber';
    const dueling = this.config.dueling;
    const invB = 1 / batchSize;
    let lossSum = 0;
    for (let r = 0; r < batchSize; r++) {
      const a = actions[r]!;
      if (!(a >= 0 && a < na)) throw new InvalidAction(`Expected actions[${r}] to be an integer in [0, ${na}), got ${a}.`);
      const d = q[r * na + a]! - targets[r]!;
      const ad = Math.abs(d);
      const wr = weights ? weights[r]! : 1;
      let l: number;
      let g: number;
      if (huber) {
        l = ad <= 1 ? 0.5 * d * d : ad - 0.5;
        g = ad <= 1 ? d : d > 0 ? 1 : -1;
      } else {
        l = d * d;
        g = 2 * d;
      }
      lossSum += wr * l;
      if (td) td[r] = ad;
      const gq = wr * g * invB;
      if (dueling) {
        // dQ_a = gq; V gets gq; A_k gets [k == a] gq - gq / numActions.
        const ro = r * ow;
        dOut[ro] = gq;
        const share = gq / na;
        for (let k = 0; k < na; k++) dOut[ro + 1 + k] = (k === a ? gq : 0) - share;
      } else {
        dOut[r * ow + a] = gq;
      }
    }
    let dz = dOut;
    for (let l = this.nLayers - 1; l >= 0; l--) {
      const x = l === 0 ? obs : w.acts[l]!;
      // Ping-pong: the layer below reads dz while this one's dx goes to the other buffer.
      const dx = l === 0 ? null : (this.nLayers - 1 - l) % 2 === 0 ? w.g0 : w.g1;
      if (this.simd) {
        denseBackwardSimd(this.simd, x, dz, this.kernelsT[l]!, this.gKernels[l]!, this.gBiases[l]!, dx, batchSize, this.sizes[l]!, this.sizes[l + 1]!, this.activation);
      } else {
        denseBackward(x, dz, this.kernels[l]!, this.gKernels[l]!, this.gBiases[l]!, dx, batchSize, this.sizes[l]!, this.sizes[l + 1]!, this.activation, w.xT, w.dzT);
      }
      if (dx !== null) {
        // dx is now dLoss / d(normalised pre-activation) of layer l - 1; take it back through the norm.
        if (this.layerNorm) layerNormBackward(dx, w.lnHat[l]!, w.lnRstd[l]!, batchSize, this.sizes[l]!);
        dz = dx;
      }
    }
    return lossSum * invB;
  }

  /** The flat gradient from the last computeGradients(), as named arrays in kernel layout (copies). */
  gradients(): NamedArray[] {
    return this.named(this.grad);
  }

  fit(
    obs: Float32Array, actions: Int32Array, targets: Float32Array, batchSize: number,
    options?: { weights?: Float32Array; tdErrorsOut?: Float32Array },
  ): number {
    const loss = this.computeGradients(obs, actions, targets, batchSize, options);
    const g = this.grad;
    const max = this.config.maxGradNorm;
    let scale = 1;
    if (max !== null) {
      // Four partial sums: one running sum is bound by the add latency.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const n4 = g.length & ~3;
      let i = 0;
      for (; i < n4; i += 4) {
        const a = g[i]!;
        const b = g[i + 1]!;
        const c = g[i + 2]!;
        const d = g[i + 3]!;
        s0 += a * a;
        s1 += b * b;
        s2 += c * c;
        s3 += d * d;
      }
      for (; i < g.length; i++) s0 += g[i]! * g[i]!;
      const norm = Math.sqrt(s0 + s1 + s2 + s3);
      // torch's clip_grad_norm_: scale by max / (norm + 1e-6) when that is below 1 (applied inside the optimiser).
      const coef = max / (norm + 1e-6);
      if (coef < 1) scale = coef;
    }
    this.applyOptimizer(scale);
    this.refreshTransposed();
    return loss;
  }

  /** One Adam or RMSProp step on theta with tfjs's update rules, on the gradient times `scale` (clipping). */
  private applyOptimizer(scale: number): void {
    const p = this.theta;
    const g = this.grad;
    const lr = this.config.learningRate;
    const eps = this.eps;
    this.step++;
    if (this.config.optimizer === 'adam') {
      const m = this.slotA;
      const v = this.slotB;
      // p -= lr (m / bc1) / (sqrt(v / bc2) + eps), with the per-step constants hoisted out of the loop.
      const stepSize = lr / (1 - Math.pow(BETA1, this.step));
      const invBc2 = 1 / (1 - Math.pow(BETA2, this.step));
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * scale;
        const mi = BETA1 * m[i]! + (1 - BETA1) * gi;
        const vi = BETA2 * v[i]! + (1 - BETA2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi * invBc2) + eps);
      }
    } else {
      // tfjs RMSProp without momentum or centering: ms = decay ms + (1 - decay) g^2; p -= lr g / sqrt(ms + eps).
      const ms = this.slotA;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * scale;
        const si = RMS_DECAY * ms[i]! + (1 - RMS_DECAY) * gi * gi;
        ms[i] = si;
        p[i] = p[i]! - (lr * gi) / Math.sqrt(si + eps);
      }
    }
  }

  updateFrom(source: QFunction, tau: number): void {
    assertSameArchitecture(this.config, source.config);
    if (!(tau > 0 && tau <= 1)) throw new InvalidConfig(`Expected tau in (0, 1], got ${describeValue(tau)}.`);
    let src: Float32Array;
    if (source instanceof PlainQ) {
      src = source.theta;
    } else {
      src = new Float32Array(this.theta.length);
      let off = 0;
      for (const a of source.getState().params) {
        src.set(a.data, off);
        off += a.data.length;
      }
    }
    const p = this.theta;
    if (tau === 1) p.set(src);
    else for (let i = 0; i < p.length; i++) p[i] = p[i]! + tau * (src[i]! - p[i]!);
    this.refreshTransposed();
  }

  clone(): QFunction {
    const c = new PlainQ(this.config);
    c.theta.set(this.theta);
    c.refreshTransposed();
    return c;
  }

  private named(flat: Float32Array): NamedArray[] {
    let off = 0;
    return paramSpecs(this.config).map((s) => {
      const n = sizeOf(s.shape);
      const data = flat.slice(off, off + n);
      off += n;
      return { name: s.name, shape: [...s.shape], data };
    });
  }

  private split(flat: Float32Array): Float32Array[] {
    return this.named(flat).map((a) => a.data);
  }

  getState(): NetworkState {
    const slots = this.config.optimizer === 'adam' ? [this.split(this.slotA), this.split(this.slotB)] : [this.split(this.slotA)];
    return { params: this.named(this.theta), optimizer: optimizerState(this.config, slots), step: this.step };
  }

  setState(state: NetworkState): void {
    const { params, slots, step } = checkState(this.config, state);
    let off = 0;
    for (const a of params) {
      this.theta.set(a, off);
      off += a.length;
    }
    const targets = [this.slotA, this.slotB];
    if (slots) {
      slots.forEach((arrays, k) => {
        let o = 0;
        for (const a of arrays) {
          targets[k]!.set(a, o);
          o += a.length;
        }
      });
      this.step = step;
    } else {
      this.slotA.fill(0);
      this.slotB.fill(0);
      this.step = 0;
    }
    this.refreshTransposed();
  }

  dispose(): void {
    this.work.clear();
  }
}

/** Builds a plain-engine Q-function (MLP only: no conv torso, no layer norm). */
export function createPlainQ(config: QNetworkConfig): QFunction {
  return new PlainQ(config);
}
