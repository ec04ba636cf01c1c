/**
 * The tfjs engine of `Net`: any `NetSpec` (dense, layer norm, activation, and the conv torso the plain engine
 * lacks) in raw tfjs ops on whatever backend is active, with the plain engine's parameter names, layout and
 * seeded initialisation (nn/layout.ts), so a network's state moves between engines.
 *
 * Where the parameters live: the flat `params` array is the source of truth. The tf.Variables are a copy of it,
 * uploaded by `paramsChanged()` (and by `setParams`, `polyakFrom` and `clone`, which go through it); nothing on
 * the tfjs side writes them, so nothing ever has to be copied back down.
 *
 * Training: `forward` runs the net and keeps only its input tensor; `backward` runs the net again under tfjs
 * autodiff (`tf.grads` with dOut as the upstream gradient), adds the parameter gradients into `grads` and
 * releases the input. Every other tensor lives inside one `tf.tidy`. The rerun costs one forward pass per step
 * (about a fifth of a dense train step on wasm), the price of tfjs autodiff having no tape that outlives a call.
 * Without `dIn`, the first conv layer skips its input gradient (conv2dTranspose, the slowest op on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { convTorso, initParams, netLayout, type ConvSpec, type NetLayout } from '../layout.js';
import { setNamedParams } from '../plain/net.js';
import type { NamedArray, Net, NetSpec, ParamShape } from '../types.js';
import { activate, convValid, layerNorm, matMulFor } from './ops.js';

let nextId = 0;

/** The tfjs engine's network. Build it with `createTfjsNet(spec)` (or `createNet(spec, { engine: 'tfjs' })`). */
export class TfjsNet implements Net {
  readonly spec: Readonly<NetSpec>;
  readonly engine = 'tfjs' as const;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  private readonly layout: NetLayout;
  /** One variable per parameter tensor, in layout order. */
  private readonly vars: tf.Variable[];
  /** The conv torso's layers (empty without one). */
  private readonly torso: ConvSpec[];
  /** The input of the pending `forward` ([n, inputSize]), released by `backward`, the next `forward` or `dispose`. */
  private kept: tf.Tensor2D | null = null;
  /** `forward`'s output buffer, reused while n stays the same. */
  private fwdOut = new Float32Array(0);
  private disposed = false;

  /** A network of `spec` with the seeded initial parameters, or a copy of `initial` (paramCount floats). */
  constructor(spec: NetSpec, initial?: Float32Array) {
    this.layout = netLayout(spec);
    if (initial && initial.length !== this.layout.paramCount) {
      throw new InvalidConfig(`Expected initial to hold the spec's ${this.layout.paramCount} parameters, got ${describeValue(initial)}.`);
    }
    this.spec = structuredClone(spec);
    this.inputSize = this.layout.inputSize;
    this.outputSize = this.layout.outputSize;
    this.params = initial ? initial.slice() : initParams(this.spec);
    this.grads = new Float32Array(this.layout.paramCount);
    this.torso = Array.isArray(this.spec.input) ? convTorso(this.spec.input).layers : [];
    const id = nextId++;
    // tf.variable() copies its initial value, which tidy then releases.
    this.vars = this.layout.params.map((p) =>
      tf.tidy(() => tf.variable(tf.tensor(this.params.slice(p.offset, p.offset + p.size), p.shape), true, `rxgym_net${id}/${p.name}`)),
    );
  }

  paramShapes(): readonly ParamShape[] {
    return this.layout.params;
  }

  /** The network on x [n, inputSize] with parameter tensors ps (layout order). Call inside tf.tidy or tf.grads. */
  private apply(x: tf.Tensor2D, ps: readonly tf.Tensor[], inputGrad: boolean): tf.Tensor2D {
    const n = x.shape[0];
    const mm = matMulFor(tf.getBackend());
    let h: tf.Tensor2D = x;
    let k = 0;
    for (const { spec: layer } of this.layout.layers) {
      if (layer.kind === 'convTorso') {
        let img: tf.Tensor4D = tf.reshape(h, [n, ...(this.spec.input as [number, number, number])]);
        for (const [j, c] of this.torso.entries()) {
          const z = convValid(img, ps[k++] as tf.Tensor4D, c.stride, j > 0 || inputGrad);
          img = tf.relu(tf.add(z, ps[k++]!));
        }
        // Flattened in [h, w, c] order, row-major.
        h = tf.reshape(img, [n, -1]);
      } else if (layer.kind === 'dense') {
        h = activate(tf.add(mm(h, ps[k++] as tf.Tensor2D), ps[k++]!), layer.activation ?? 'identity');
      } else if (layer.kind === 'layerNorm') {
        h = layer.affine ? layerNorm(h, ps[k++], ps[k++]) : layerNorm(h);
      } else {
        h = activate(h, layer.fn);
      }
    }
    return h;
  }

  private checkLive(): void {
    if (this.disposed) throw new InvalidConfig('Expected a live network, got one that was disposed.');
  }

  /** Checks n and x and returns x's first n rows as a tensor of a copy (the cpu backend would share memory). */
  private input(x: Float32Array, n: number): tf.Tensor2D {
    this.checkLive();
    if (!Number.isInteger(n) || n <= 0) throw new InvalidConfig(`Expected n to be a positive integer, got ${describeValue(n)}.`);
    const len = n * this.inputSize;
    if (!(x instanceof Float32Array) || x.length < len) {
      throw new InvalidConfig(`Expected x to be a Float32Array of n * inputSize = ${len} floats, got ${describeValue(x)}.`);
    }
    return tf.tensor2d(x.slice(0, len), [n, this.inputSize]);
  }

  /** Reads y (disposing it) into `out`, checked to hold n * outputSize floats, or into a new array. */
  private read(y: tf.Tensor, n: number, out: Float32Array | undefined): Float32Array {
    const len = n * this.outputSize;
    try {
      if (out && (!(out instanceof Float32Array) || out.length < len)) {
        throw new InvalidConfig(`Expected out to be a Float32Array of n * outputSize = ${len} floats, got ${describeValue(out)}.`);
      }
      const res = out ?? new Float32Array(len);
      res.set(y.dataSync() as Float32Array);
      return res;
    } finally {
      y.dispose();
    }
  }

  /** Inference: x (n x inputSize floats) to n x outputSize outputs, into `out` if given. Keeps no tensors. */
  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    const y = tf.tidy(() => this.apply(this.input(x, n), this.vars, false));
    return this.read(y, n, out);
  }

  /** Training forward: like `predict`, and keeps its input for one `backward`; without `out` returns an internal buffer. */
  forward(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    const xt = this.input(x, n);
    this.releaseKept();
    this.kept = xt;
    const y = tf.tidy(() => this.apply(xt, this.vars, false));
    if (!out && this.fwdOut.length !== n * this.outputSize) this.fwdOut = new Float32Array(n * this.outputSize);
    return this.read(y, n, out ?? this.fwdOut);
  }

  /**
   * Backward through the last `forward` (n rows): adds dLoss/dParams for dOut = dLoss/dOutput (n x outputSize) into
   * `grads`; with `dIn` (n x inputSize floats) also writes dLoss/dInput there and returns it. Releases the input.
   */
  backward(dOut: Float32Array, n: number, dIn?: Float32Array): Float32Array | undefined {
    this.checkLive();
    const x = this.kept;
    if (!x) throw new InvalidConfig('Expected a forward() before backward(), got no pending forward.');
    if (x.shape[0] !== n) throw new InvalidConfig(`Expected n to be the last forward's ${x.shape[0]} rows, got ${describeValue(n)}.`);
    const outLen = n * this.outputSize;
    if (!(dOut instanceof Float32Array) || dOut.length < outLen) {
      throw new InvalidConfig(`Expected dOut to be a Float32Array of n * outputSize = ${outLen} floats, got ${describeValue(dOut)}.`);
    }
    const inLen = n * this.inputSize;
    if (dIn !== undefined && (!(dIn instanceof Float32Array) || dIn.length < inLen)) {
      throw new InvalidConfig(`Expected dIn to be a Float32Array of n * inputSize = ${inLen} floats, got ${describeValue(dIn)}.`);
    }
    this.kept = null;
    try {
      tf.tidy(() => {
        const dy = tf.tensor2d(dOut.slice(0, outLen), [n, this.outputSize]);
        const g = dIn
          ? tf.grads((xi: tf.Tensor, ...ps: tf.Tensor[]) => this.apply(xi as tf.Tensor2D, ps, true))([x, ...this.vars], dy)
          : tf.grads((...ps: tf.Tensor[]) => this.apply(x, ps, false))(this.vars, dy);
        // One read of everything (dInput first, if asked): each dataSync is a round trip on wasm and native backends.
        const flat = tf.concat(g.map((t) => tf.reshape(t, [-1]))).dataSync() as Float32Array;
        const off = dIn ? inLen : 0;
        if (dIn) dIn.set(flat.subarray(0, inLen));
        const grads = this.grads;
        for (let i = 0; i < grads.length; i++) grads[i]! += flat[off + i]!;
      });
    } finally {
      x.dispose();
    }
    return dIn;
  }

  /** Sets `grads` to zero. */
  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** Uploads `params` into the tfjs variables; call after writing `params`. */
  paramsChanged(): void {
    this.checkLive();
    tf.tidy(() => {
      for (const [i, p] of this.layout.params.entries()) {
        // A copy: on the cpu backend a tensor made from a typed array keeps that array as its storage.
        this.vars[i]!.assign(tf.tensor(this.params.slice(p.offset, p.offset + p.size), p.shape));
      }
    });
  }

  /** A tfjs network of the same spec with a copy of the parameters and zero gradients. */
  clone(): TfjsNet {
    this.checkLive();
    return new TfjsNet(this.spec as NetSpec, this.params);
  }

  /** params += tau (src.params - params), tau in [0, 1]; src is either engine's net with the same parameter layout. */
  polyakFrom(src: Net, tau: number): void {
    this.checkLive();
    const a = this.layout.params;
    const b = src.paramShapes();
    const same = src.inputSize === this.inputSize && src.outputSize === this.outputSize && a.length === b.length &&
      a.every((p, i) => p.name === b[i]!.name && p.size === b[i]!.size && p.offset === b[i]!.offset);
    if (!same) {
      throw new InvalidConfig(`Expected a source network with the same layers as ${describeValue(this.spec.layers)}, got ${describeValue(src.spec.layers)}. ` +
        'Build the target with clone().');
    }
    if (typeof tau !== 'number' || !(tau >= 0 && tau <= 1)) throw new InvalidConfig(`Expected tau in [0, 1], got ${describeValue(tau)}.`);
    const p = this.params;
    const q = src.params;
    if (tau === 1) p.set(q);
    else for (let i = 0; i < p.length; i++) p[i] = p[i]! + tau * (q[i]! - p[i]!);
    this.paramsChanged();
  }

  /** The parameters as named arrays (copies), in layout order. */
  getParams(): NamedArray[] {
    return this.layout.params.map((p) => ({ name: p.name, shape: [...p.shape], data: this.params.slice(p.offset, p.offset + p.size) }));
  }

  /** Restores `getParams()` output (any order); throws `IncompatibleState` naming a missing, extra or misshapen tensor. */
  setParams(params: readonly NamedArray[]): void {
    this.checkLive();
    // The plain engine's check, so both engines accept and reject the same states; it writes only once all pass.
    setNamedParams(this.layout.params, params, this.params);
    this.paramsChanged();
  }

  /** Releases every variable and the pending input; the network is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseKept();
    for (const v of this.vars) v.dispose();
  }

  private releaseKept(): void {
    if (this.kept) this.kept.dispose();
    this.kept = null;
  }
}

/** Builds a tfjs-engine network of `spec` (validated; InvalidConfig otherwise) on the active tfjs backend. */
export function createTfjsNet(spec: NetSpec): Net {
  return new TfjsNet(spec);
}
