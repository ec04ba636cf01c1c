/**
 * The Q-network the Thompson-sampling agents use: an MLP kept as one plain-engine `Net` per dense layer, so that
 * (1) dropout masks can sit between layers (MC dropout), and (2) the first product can skip the zero inputs of
 * one-hot observations (DeepSea's N x N grid has one nonzero in N^2): `SparseRows` finds each batch row's nonzeros
 * once, and every head of an ensemble reuses them. Dense inputs take the networks' ordinary path, so any env works.
 */
import { InvalidConfig } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { createNet } from '../nn/net.js';
import { activationBackward, activationCode, activateInPlace } from '../nn/plain/ops.js';
import type { Activation, NamedArray, Net } from '../nn/types.js';

/** The nonzero entries of each row of a batch (n x dim floats); `sparse` is false when rows are too dense to gain. */
export class SparseRows {
  /** Row i's entries are index/value[start[i] .. start[i + 1]). */
  start: Int32Array = new Int32Array(1);
  index: Int32Array = new Int32Array(0);
  value: Float32Array = new Float32Array(0);
  sparse = false;

  /** Scans n rows of x (n x dim); rows count as sparse when at most a quarter of the entries are nonzero. */
  scan(x: Float32Array, n: number, dim: number): this {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a new array where the old one was long enough holds the same entries (start[0..n] is rewritten each scan)
    if (this.start.length < n + 1) this.start = new Int32Array(n + 1);
    const limit = Math.floor((n * dim) / 4);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a new array where the old one was long enough holds the same entries (0..k are rewritten each scan)
    if (this.index.length < limit) [this.index, this.value] = [new Int32Array(limit), new Float32Array(limit)];
    let k = 0;
    for (let i = 0; i < n; i++) {
      this.start[i] = k;
      const o = i * dim;
      for (let j = 0; j < dim; j++) {
        const v = x[o + j]!;
        if (v === 0) continue;
        if (k === limit) return ((this.sparse = false), this);
        this.index[k] = j;
        this.value[k++] = v;
      }
    }
    this.start[n] = k;
    this.sparse = true;
    return this;
  }
}

/** Dropout masks for the hidden layers: per row (n x width, training) or one shared row (width, acting). */
export interface LayerMasks {
  masks: Float32Array[];
  perRow: boolean;
}

/** An MLP inDim -> hidden... -> outDim as one `Net` per dense layer (hidden layers use `activation`). */
export class LayeredMlp {
  readonly nets: Net[];
  readonly widths: readonly number[];
  private readonly act: number;
  /** Per batch size: the first layer's output when it ran sparse, and the gradient ping-pong buffers. */
  private readonly work = new Map<number, { h0: Float32Array; g: [Float32Array, Float32Array]; pred: Float32Array[]; dropped: Float32Array[] }>();
  private pendingSparse: SparseRows | null = null;
  private pendingMasks: LayerMasks | null = null;
  private readonly outs: Float32Array[] = [];

  /** torch's uniform init by default; `haikuInit` redraws weights as haiku's Linear (truncated normal, std 1/sqrt(fan_in), zero bias). */
  constructor(inDim: number, hidden: readonly number[], outDim: number, private readonly activation: Activation, seed: number, haikuInit: Rng | null = null) {
    if (hidden.length === 0) throw new InvalidConfig('Expected at least one hidden layer for a Thompson-sampling Q-network, got hidden [].');
    this.widths = [inDim, ...hidden, outDim];
    this.act = activationCode(activation);
    this.nets = [];
    for (let l = 0; l + 1 < this.widths.length; l++) {
      const last = l + 2 === this.widths.length;
      const spec = { input: this.widths[l]!, layers: [{ kind: 'dense' as const, units: this.widths[l + 1]!, activation: last ? ('identity' as const) : activation }], seed: (seed * 7919 + l * 104729) % 2 ** 31 };
      const net = createNet(spec, { engine: 'plain' });
      if (haikuInit !== null) haikuDense(net, this.widths[l]!, haikuInit);
      this.nets.push(net);
    }
  }

  get outDim(): number {
    return this.widths.at(-1)!;
  }

  private buffers(n: number) {
    let w = this.work.get(n);
    if (!w) {
      const widest = Math.max(...this.widths.slice(1));
      const pred = this.widths.slice(1).map((width) => new Float32Array(n * width));
      const dropped = this.widths.slice(1, -1).map((width) => new Float32Array(n * width));
      w = { h0: new Float32Array(n * this.widths[1]!), g: [new Float32Array(n * widest), new Float32Array(n * widest)], pred, dropped };
      this.work.set(n, w);
    }
    return w;
  }

  /** act(b + sum_k v_k W[j_k, :]) per row: the first layer over the nonzeros only. */
  private sparseFirst(rows: SparseRows, n: number, out: Float32Array): Float32Array {
    const net = this.nets[0]!;
    const [kernel, bias] = net.paramShapes();
    const p = net.params;
    const m = this.widths[1]!;
    // Stryker disable next-line EqualityOperator: out holds exactly n rows (buffers(n)), so row n's writes are dropped
    for (let i = 0; i < n; i++) {
      const o = i * m;
      // Stryker disable next-line EqualityOperator: entry m of a row is the next row's first, which that row's own pass resets; past the last row the write is dropped
      for (let j = 0; j < m; j++) out[o + j] = p[bias!.offset + j]!;
      for (let k = rows.start[i]!; k < rows.start[i + 1]!; k++) {
        const w = kernel!.offset + rows.index[k]! * m;
        const v = rows.value[k]!;
        // Stryker disable next-line EqualityOperator: entry m of a row is the next row's first, which that row's own pass resets; past the last row the write is dropped
        for (let j = 0; j < m; j++) out[o + j] = out[o + j]! + v * p[w + j]!;
      }
    }
    activateInPlace(out, n * m, this.act);
    return out;
  }

  /** Inference for n rows of x (n x inDim) into out (n x outDim); `rows` from `SparseRows.scan(x)`; `masks` shared per unit. */
  predict(x: Float32Array, rows: SparseRows | null, n: number, out: Float32Array, masks: LayerMasks | null = null): Float32Array {
    // Its own buffers (not forward's), so a predict between a forward and its backward changes nothing.
    const { pred } = this.buffers(n);
    const last = this.nets.length - 1;
    let h = rows?.sparse ? this.sparseFirst(rows, n, pred[0]!) : this.nets[0]!.predict(x, n, pred[0]!);
    for (let l = 0; l < last; l++) {
      if (masks) applyMask(h, n, masks.masks[l]!, masks.perRow);
      // Stryker disable next-line ArithmeticOperator: pred[l - 1] is the input buffer or undefined (the layer then allocates): the same outputs
      h = this.nets[l + 1]!.predict(h, n, l + 1 === last ? out : pred[l + 1]!);
    }
    return h;
  }

  /** Training forward (kept for one `backward`): the outputs (n x outDim, an internal buffer). */
  forward(x: Float32Array, rows: SparseRows | null, n: number, masks: LayerMasks | null = null): Float32Array {
    let h = rows?.sparse ? this.sparseFirst(rows, n, this.buffers(n).h0) : this.nets[0]!.forward(x, n);
    this.outs[0] = h;
    for (let l = 1; l < this.nets.length; l++) {
      if (masks) {
        // Masked into a copy: the layer's own output stays as its backward needs it (tanh' reads y).
        const d = this.buffers(n).dropped[l - 1]!;
        d.set(h.subarray(0, d.length));
        applyMask(d, n, masks.masks[l - 1]!, masks.perRow);
        h = d;
      }
      h = this.nets[l]!.forward(h, n);
      this.outs[l] = h;
    }
    [this.pendingSparse, this.pendingMasks] = [rows?.sparse ? rows : null, masks];
    return h;
  }

  /** Backward through the last `forward`: adds dLoss/dParams (dOut is n x outDim) into every layer's grads. */
  backward(dOut: Float32Array, n: number): void {
    const { g } = this.buffers(n);
    let d = dOut;
    for (let l = this.nets.length - 1; l >= 1; l--) {
      const dIn = g[l % 2]!.subarray(0, n * this.widths[l]!);
      this.nets[l]!.backward(d, n, dIn);
      // A dropped unit passes no gradient: the mask (0 or 1/keep) scales it as it scaled the forward.
      if (this.pendingMasks) applyMask(dIn, n, this.pendingMasks.masks[l - 1]!, this.pendingMasks.perRow);
      d = dIn;
    }
    const rows = this.pendingSparse;
    if (rows === null) {
      this.nets[0]!.backward(d, n);
      return;
    }
    // The first layer by hand: dz = d * act'(h), grad W[j, :] += v dz for each nonzero (j, v), grad b += dz.
    const m = this.widths[1]!;
    activationBackward(d, this.outs[0]!, n * m, this.act);
    const net = this.nets[0]!;
    const [kernel, bias] = net.paramShapes();
    const gr = net.grads;
    for (let i = 0; i < n; i++) {
      const o = i * m;
      // Stryker disable next-line EqualityOperator: the bias is the layer's last tensor, so index m is past grads and the write is dropped
      for (let j = 0; j < m; j++) gr[bias!.offset + j] = gr[bias!.offset + j]! + d[o + j]!;
      for (let k = rows.start[i]!; k < rows.start[i + 1]!; k++) {
        const w = kernel!.offset + rows.index[k]! * m;
        const v = rows.value[k]!;
        for (let j = 0; j < m; j++) gr[w + j] = gr[w + j]! + v * d[o + j]!;
      }
    }
  }

  /** A copy with the same parameters (a target network). */
  clone(): LayeredMlp {
    const copy = Object.create(LayeredMlp.prototype) as LayeredMlp;
    Object.assign(copy, { nets: this.nets.map((net) => net.clone()), widths: this.widths, act: this.act, activation: this.activation, work: new Map(), outs: [], pendingSparse: null, pendingMasks: null });
    return copy;
  }

  /** params += tau (src.params - params) in every layer (tau 1 copies). */
  polyakFrom(src: LayeredMlp, tau: number): void {
    this.nets.forEach((net, l) => net.polyakFrom(src.nets[l]!, tau));
  }

  /** Parameters as named arrays `<prefix><layer>/<tensor>`, for checkpoints. */
  getParams(prefix = ''): NamedArray[] {
    return this.nets.flatMap((net, l) => net.getParams().map((p) => ({ ...p, name: `${prefix}${l}/${p.name}` })));
  }

  /** Restores `getParams(prefix)` output (`IncompatibleState` from the layers on a mismatch). */
  setParams(params: readonly NamedArray[], prefix = ''): void {
    this.nets.forEach((net, l) => {
      const head = `${prefix}${l}/`;
      net.setParams(params.filter((p) => p.name.startsWith(head)).map((p) => ({ ...p, name: p.name.slice(head.length) })));
    });
  }
}

/** h (n x w) *= mask, per row (n x w) or one row shared by all. */
export function applyMask(h: Float32Array, n: number, mask: Float32Array, perRow: boolean): void {
  const w = perRow ? mask.length / n : mask.length;
  for (let i = 0; i < n; i++) {
    const o = i * w;
    for (let j = 0; j < w; j++) h[o + j] = h[o + j]! * mask[perRow ? o + j : j]!;
  }
}

/** haiku's Linear init: weights truncated normal within 2 std, std 1/sqrt(fan_in); biases 0. */
function haikuDense(net: Net, fanIn: number, rng: Rng): void {
  const [kernel, bias] = net.paramShapes();
  const std = 1 / Math.sqrt(fanIn);
  for (let i = kernel!.offset; i < kernel!.offset + kernel!.size; i++) {
    let z = rng.normal();
    // Stryker disable next-line EqualityOperator: a normal draw is exactly 2 with probability 0
    while (Math.abs(z) > 2) z = rng.normal();
    net.params[i] = z * std;
  }
  net.params.fill(0, bias!.offset, bias!.offset + bias!.size);
  net.paramsChanged();
}
