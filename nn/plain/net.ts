/**
 * The plain engine: a `Net` on Float32Arrays with no tensors at all. For the small MLPs of classic control it
 * beats tfjs by a wide margin, because tfjs pays ~6.5 us of dispatch per op on wasm and a train step is 100+ ops
 * (figures in nn/engine-choice.ts).
 *
 * Parameters live in one flat Float32Array in nn/layout.ts order (dense kernels [in, out] as tfjs); the layers
 * read views of it. Matrix products run on the WebAssembly SIMD kernel (nn/kernels) where it loads, otherwise,
 * and for single rows through small layers, on JS loops (ops.ts). Bias and relu are fused into the product.
 * A transposed copy of each kernel ([out, in]) serves the JS forward pass and the input gradient; `paramsChanged()`
 * refreshes it. Scratch buffers are kept per batch size: predict/forward/backward allocate nothing after the
 * first call at a given batch size (predict without `out` allocates its result).
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { IncompatibleState } from '../errors.js';
import { initParams, netLayout, validateNetSpec, type NetLayout } from '../layout.js';
import { simdGemm, type SimdGemm } from '../kernels/simd.js';
import type { NamedArray, Net, NetSpec, ParamShape } from '../types.js';
import {
  ACT_IDENTITY, ACT_RELU, activateInPlace, activateInto, activationBackward, activationCode, gemmNT, layerNormBackward,
  layerNormForward, transpose,
} from './ops.js';

/** Layers with at least this many weights take the SIMD kernel even for fewer than 4 rows. */
const SIMD_MIN_WEIGHTS_PER_ROW = 4096;

const DENSE = 0;
const LAYER_NORM = 1;
const ACTIVATION = 2;

/** One layer, resolved: its kind, widths, activation code, and views of its parameters and gradients. */
interface Layer {
  kind: number;
  n: number;
  m: number;
  act: number;
  /** Dense: kernel [n, m], bias [m], their gradients, and the transposed kernel [m, n]. Layer norm: gain, bias. */
  w: Float32Array | null;
  b: Float32Array | null;
  gw: Float32Array | null;
  gb: Float32Array | null;
  wT: Float32Array | null;
}

/** Scratch of `forward`/`backward` at one batch size. */
interface TrainWork {
  /** A copy of the forward input (the caller may reuse its array before backward). */
  input: Float32Array;
  /** outs[l]: layer l's output, batch x m. */
  outs: Float32Array[];
  /** Layer norm: the normalised rows (outs[l] itself without gain) and 1 / sqrt(var + eps) per row. */
  hat: Float32Array[];
  rstd: Float32Array[];
  /** Ping-pong gradient buffers and the JS backward's transposes, batch x widest layer. */
  g0: Float32Array;
  g1: Float32Array;
  xT: Float32Array;
  dzT: Float32Array;
}

/** Scratch of `predict` at one batch size: two ping-pong buffers, batch x widest layer. */
interface PredictWork {
  p0: Float32Array;
  p1: Float32Array;
}

/** Which matrix kernel a plain network runs: 'auto' = SIMD where it loads (else JS, with one warning). */
export type PlainKernel = 'auto' | 'simd' | 'js';

/** Options of the plain engine. */
export interface PlainNetOptions {
  kernel?: PlainKernel;
}

/** The plain engine's `Net`. Build it with `createNet(spec, { engine: 'plain' })` or `createPlainNet(spec)`. */
export class PlainNet implements Net {
  readonly spec: Readonly<NetSpec>;
  readonly engine = 'plain' as const;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** The matrix kernel this network runs. */
  readonly kernel: 'simd' | 'js';
  private readonly kernelOption: PlainKernel;
  private readonly layout: NetLayout;
  private readonly layers: Layer[];
  private readonly maxWidth: number;
  private readonly simd: SimdGemm | null;
  private readonly train = new Map<number, TrainWork>();
  private readonly infer = new Map<number, PredictWork>();
  /** Batch size of the pending forward, 0 when there is none. */
  private pending = 0;
  /** Sources already checked by polyakFrom (so that a per-step Polyak update allocates nothing). */
  private readonly sameLayout = new WeakSet<Net>();

  /** Builds the network of `spec` with its seeded initial parameters, or a copy of `params` when given. */
  constructor(spec: NetSpec, options: PlainNetOptions = {}, params?: Float32Array) {
    validateNetSpec(spec);
    spec.layers.forEach((l, i) => {
      if (l.kind === 'convTorso') {
        throw new InvalidConfig(`Expected dense, layerNorm or activation layers on the plain engine, got a convTorso at spec.layers[${i}]. ` +
          "Conv torsos run on the tfjs engine only: use engine 'tfjs' or 'auto'.");
      }
    });
    const kernel = options.kernel ?? 'auto';
    if (kernel !== 'auto' && kernel !== 'simd' && kernel !== 'js') {
      throw new InvalidConfig(`Expected kernel to be one of 'auto', 'simd', 'js', got ${describeValue(kernel)}.`);
    }
    this.kernelOption = kernel;
    this.simd = kernel === 'js' ? null : simdGemm();
    if (kernel === 'simd' && this.simd === null) {
      throw new InvalidConfig("Expected kernel 'simd' to find WebAssembly SIMD, got none (see kernelInfo()). Use 'auto' or 'js'.");
    }
    this.kernel = this.simd ? 'simd' : 'js';
    this.spec = structuredClone(spec);
    this.layout = netLayout(this.spec as NetSpec);
    this.inputSize = this.layout.inputSize;
    this.outputSize = this.layout.outputSize;
    this.params = new Float32Array(this.layout.paramCount);
    this.grads = new Float32Array(this.layout.paramCount);
    if (params) this.params.set(params);
    else initParams(this.spec as NetSpec, this.params);
    const view = (a: Float32Array, p: ParamShape | undefined) => (p ? a.subarray(p.offset, p.offset + p.size) : null);
    this.layers = this.layout.layers.map((l): Layer => {
      const [p0, p1] = l.params;
      const s = l.spec;
      const kind = s.kind === 'dense' ? DENSE : s.kind === 'layerNorm' ? LAYER_NORM : ACTIVATION;
      const act = s.kind === 'dense' ? activationCode(s.activation) : s.kind === 'activation' ? activationCode(s.fn) : ACT_IDENTITY;
      return {
        kind, n: l.inSize, m: l.outSize, act,
        w: view(this.params, p0), b: view(this.params, p1), gw: view(this.grads, p0), gb: view(this.grads, p1),
        wT: kind === DENSE ? new Float32Array(l.inSize * l.outSize) : null,
      };
    });
    this.maxWidth = Math.max(this.inputSize, ...this.layers.map((l) => l.m));
    this.paramsChanged();
  }

  paramShapes(): readonly ParamShape[] {
    return this.layout.params;
  }

  paramsChanged(): void {
    for (const l of this.layers) if (l.kind === DENSE) transpose(l.w!, l.wT!, l.n, l.m);
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  private checkRows(x: Float32Array, n: number, what: string, width: number): void {
    if (!Number.isInteger(n) || n <= 0) throw new InvalidConfig(`Expected n (rows) to be a positive integer, got ${describeValue(n)}.`);
    if (!(x instanceof Float32Array) || x.length < n * width) {
      throw new InvalidConfig(`Expected ${what} to be a Float32Array of at least n x ${width} = ${n * width} floats, got ${describeValue(x)}.`);
    }
  }

  private useSimd(batch: number, l: Layer): boolean {
    // For a row or two the SIMD path's cost is mostly copying W into wasm memory: worth it for big layers only.
    return this.simd !== null && (batch >= 4 || l.n * l.m >= SIMD_MIN_WEIGHTS_PER_ROW);
  }

  /** y = act(x W + b) for `batch` rows. */
  private dense(l: Layer, x: Float32Array, y: Float32Array, batch: number): void {
    if (this.useSimd(batch, l)) {
      this.simd!(x, l.n, 1, l.w!, l.b!, y, batch, l.n, l.m, l.act === ACT_RELU, false);
      if (l.act !== ACT_RELU) activateInPlace(y, batch * l.m, l.act);
    } else {
      gemmNT(x, l.wT!, l.b!, y, batch, l.n, l.m, l.act, false);
    }
  }

  private trainWork(batch: number): TrainWork {
    // The building lives in its own method: closures here would make every call allocate a context for `batch`.
    return this.train.get(batch) ?? this.newTrainWork(batch);
  }

  private newTrainWork(batch: number): TrainWork {
    const outs = this.layers.map((l) => new Float32Array(batch * l.m));
    const width = batch * this.maxWidth;
    const w: TrainWork = {
      input: new Float32Array(batch * this.inputSize),
      outs,
      hat: this.layers.map((l, i) => (l.kind !== LAYER_NORM ? new Float32Array(0) : l.w ? new Float32Array(batch * l.m) : outs[i]!)),
      rstd: this.layers.map((l) => new Float32Array(l.kind === LAYER_NORM ? batch : 0)),
      g0: new Float32Array(width),
      g1: new Float32Array(width),
      xT: new Float32Array(width),
      dzT: new Float32Array(width),
    };
    this.train.set(batch, w);
    return w;
  }

  private predictWork(batch: number): PredictWork {
    let w = this.infer.get(batch);
    if (!w) {
      w = { p0: new Float32Array(batch * this.maxWidth), p1: new Float32Array(batch * this.maxWidth) };
      this.infer.set(batch, w);
    }
    return w;
  }

  private checkOut(out: Float32Array | undefined, n: number): void {
    if (out !== undefined && (!(out instanceof Float32Array) || out.length < n * this.outputSize)) {
      throw new InvalidConfig(`Expected out to be a Float32Array of at least n x ${this.outputSize} = ${n * this.outputSize} floats, got ${describeValue(out)}.`);
    }
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.checkRows(x, n, 'x', this.inputSize);
    this.checkOut(out, n);
    const res = out ?? new Float32Array(n * this.outputSize);
    const w = this.predictWork(n);
    const last = this.layers.length - 1;
    let src = x;
    for (let i = 0; i <= last; i++) {
      const l = this.layers[i]!;
      const dst = i === last ? res : src === w.p0 ? w.p1 : w.p0;
      if (l.kind === DENSE) this.dense(l, src, dst, n);
      else if (l.kind === LAYER_NORM) layerNormForward(src, dst, null, null, l.w, l.b, n, l.m);
      else activateInto(src, dst, n * l.m, l.act);
      src = dst;
    }
    return res;
  }

  forward(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.checkRows(x, n, 'x', this.inputSize);
    this.checkOut(out, n);
    const w = this.trainWork(n);
    const len = n * this.inputSize;
    if (x.length === len) w.input.set(x, 0); // set(x) without the offset allocates ~10 bytes a call (Node 20)
    else for (let i = 0; i < len; i++) w.input[i] = x[i]!;
    let src = w.input;
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i]!;
      const dst = w.outs[i]!;
      if (l.kind === DENSE) this.dense(l, src, dst, n);
      else if (l.kind === LAYER_NORM) layerNormForward(src, dst, w.hat[i]!, w.rstd[i]!, l.w, l.b, n, l.m);
      else activateInto(src, dst, n * l.m, l.act);
      src = dst;
    }
    this.pending = n;
    if (out === undefined) return src;
    out.set(src, 0);
    return out;
  }

  backward(dOut: Float32Array, n: number, dIn?: Float32Array): Float32Array | undefined {
    if (this.pending === 0) throw new InvalidConfig('Expected a forward() before backward(), got none.');
    if (n !== this.pending) throw new InvalidConfig(`Expected n to equal the last forward's ${this.pending} rows, got ${describeValue(n)}.`);
    this.checkRows(dOut, n, 'dOut', this.outputSize);
    if (dIn !== undefined) this.checkRows(dIn, n, 'dIn', this.inputSize);
    const w = this.train.get(n)!;
    // Without dIn, stop at the lowest layer that has parameters.
    let stop = 0;
    if (dIn === undefined) {
      while (stop < this.layers.length && this.layers[stop]!.w === null) stop++;
      if (stop === this.layers.length) return undefined;
    }
    let cur = w.g0;
    let other = w.g1;
    const outLen = n * this.outputSize;
    if (dOut.length === outLen) cur.set(dOut, 0);
    else for (let i = 0; i < outLen; i++) cur[i] = dOut[i]!;
    for (let i = this.layers.length - 1; i >= stop; i--) {
      const l = this.layers[i]!;
      const y = w.outs[i]!;
      if (l.kind === DENSE) {
        const x = i === 0 ? w.input : w.outs[i - 1]!;
        activationBackward(cur, y, n * l.m, l.act); // cur = dLoss/dz
        const needDx = dIn !== undefined || i > stop;
        this.denseBackward(l, x, cur, needDx ? other : null, n, w);
        if (needDx) {
          const t = cur;
          cur = other;
          other = t;
        }
      } else if (l.kind === LAYER_NORM) {
        layerNormBackward(cur, w.hat[i]!, w.rstd[i]!, l.w, l.gw, l.gb, n, l.m);
      } else {
        activationBackward(cur, y, n * l.m, l.act);
      }
    }
    if (dIn === undefined) return undefined;
    const inLen = n * this.inputSize;
    for (let i = 0; i < inLen; i++) dIn[i] = cur[i]!;
    return dIn;
  }

  /** gw += x^T dz, gb += column sums of dz, and dx = dz W^T when dx is given. */
  private denseBackward(l: Layer, x: Float32Array, dz: Float32Array, dx: Float32Array | null, n: number, w: TrainWork): void {
    // Unlike the forward pass, the backward pass gains from SIMD even for one row (measured 3x at 4-64-64-2 / 1).
    const simd = this.simd !== null;
    if (simd) {
      this.simd!(x, 1, l.n, dz, null, l.gw!, l.n, n, l.m, false, true);
    } else {
      transpose(x, w.xT, n, l.n);
      transpose(dz, w.dzT, n, l.m);
      gemmNT(w.xT, w.dzT, null, l.gw!, l.n, n, l.m, ACT_IDENTITY, true);
    }
    const gb = l.gb!;
    for (let r = 0; r < n; r++) {
      const o = r * l.m;
      for (let j = 0; j < l.m; j++) gb[j] = gb[j]! + dz[o + j]!;
    }
    if (dx === null) return;
    if (simd) this.simd!(dz, l.m, 1, l.wT!, null, dx, n, l.m, l.n, false, false);
    else gemmNT(dz, l.w!, null, dx, n, l.m, l.n, ACT_IDENTITY, false);
  }

  clone(): Net {
    return new PlainNet(this.spec as NetSpec, { kernel: this.kernelOption }, this.params);
  }

  polyakFrom(src: Net, tau: number): void {
    if (!this.sameLayout.has(src)) {
      const a = this.layout.params;
      const b = src.paramShapes();
      const same = src.inputSize === this.inputSize && src.outputSize === this.outputSize && a.length === b.length &&
        a.every((p, i) => p.name === b[i]!.name && p.size === b[i]!.size && p.offset === b[i]!.offset);
      if (!same) {
        throw new InvalidConfig(`Expected a source network with the same layers as ${describeValue(this.spec.layers)}, got ${describeValue(src.spec.layers)}. ` +
          'Build the target with clone().');
      }
      this.sameLayout.add(src);
    }
    if (typeof tau !== 'number' || !(tau >= 0 && tau <= 1)) throw new InvalidConfig(`Expected tau in [0, 1], got ${describeValue(tau)}.`);
    const p = this.params;
    const s = src.params;
    if (tau === 1) p.set(s, 0);
    else for (let i = 0; i < p.length; i++) p[i] = p[i]! + tau * (s[i]! - p[i]!);
    this.paramsChanged();
  }

  getParams(): NamedArray[] {
    return this.layout.params.map((p) => ({ name: p.name, shape: [...p.shape], data: this.params.slice(p.offset, p.offset + p.size) }));
  }

  setParams(params: readonly NamedArray[]): void {
    setNamedParams(this.layout.params, params, this.params);
    this.paramsChanged();
  }

  dispose(): void {
    this.train.clear();
    this.infer.clear();
    this.pending = 0;
  }
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * Copies named arrays into a flat parameter array after checking every tensor's name, shape and size against
 * `shapes`; throws `IncompatibleState` naming the first tensor that is missing, extra or of another shape.
 */
export function setNamedParams(shapes: readonly ParamShape[], params: readonly NamedArray[], into: Float32Array): void {
  if (!Array.isArray(params)) throw new IncompatibleState('(params)', `Expected an array of named parameter arrays, got ${describeValue(params)}.`);
  const byName = new Map(params.map((p) => [p?.name, p]));
  for (const s of shapes) {
    const found = byName.get(s.name);
    if (!found) {
      throw new IncompatibleState(s.name, `Expected tensor '${s.name}' of shape ${shapeText(s.shape)}, got none. The parameters come from a network of another spec.`);
    }
    const sameShape = Array.isArray(found.shape) && found.shape.length === s.shape.length && found.shape.every((d: number, i: number) => d === s.shape[i]);
    if (!sameShape || !(found.data instanceof Float32Array) || found.data.length !== s.size) {
      const got = `shape ${Array.isArray(found.shape) ? shapeText(found.shape) : describeValue(found.shape)} with ${describeValue(found.data?.length)} values`;
      throw new IncompatibleState(s.name, `Expected tensor '${s.name}' of shape ${shapeText(s.shape)}, got ${got}. The parameters come from a network of another spec.`);
    }
  }
  const known = new Set(shapes.map((s) => s.name));
  for (const p of params) {
    if (!known.has(p?.name)) {
      throw new IncompatibleState(String(p?.name), `Expected only tensors ${[...known].join(', ')}, got ${describeValue(p?.name)} too. The parameters come from a network of another spec.`);
    }
  }
  for (const s of shapes) into.set(byName.get(s.name)!.data, s.offset);
}

/** A plain-engine network (dense, layerNorm and activation layers; no conv torso). */
export function createPlainNet(spec: NetSpec, options?: PlainNetOptions): PlainNet {
  return new PlainNet(spec, options);
}
