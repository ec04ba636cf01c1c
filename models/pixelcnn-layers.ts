/**
 * The gated PixelCNN's network (van den Oord et al. 2016) as a `Net` of its own, so that nn/'s optimisers train
 * it: images n x (H W) of one channel in, one Bernoulli logit per pixel out. Convolutions are written as lists of
 * (dy, dx) offsets, which makes the causal shapes explicit:
 *   vertical stack  rows i - k/2 .. i, columns j - k/2 .. j + k/2   (it sees rows <= i)
 *   horizontal      columns j - k/2 .. j of row i (layer 0: .. j - 1, strictly before the pixel)
 *   vertical -> horizontal through offset (-1, 0): the horizontal stack at row i sees the vertical one of row i - 1,
 * so every logit sees all pixels above and to the left (no blind spot) and none at or after its own.
 * Layer: v = gate(convV(v)); h = h + 1x1(gate(convH(h) + convVH(vPre))) (layer 0 without the residual), gate(a, b) =
 * tanh(a) sigmoid(b); then relu(1x1) and a 1x1 to the logit.
 *
 * Activations live in a zero-padded layout (k/2 rows on top of each image, k/2 columns either side, NHWC), where a
 * run of horizontally adjacent taps reads one contiguous window per pixel: each run is a single matrix product
 * that reads the activations in place through the kernel's strides (no im2col, no col2im), on the WebAssembly SIMD
 * kernel (JS loops where it does not load). Outputs at padding positions are computed and then zeroed (`zeroPads`)
 * wherever a later convolution reads them; gradients there are zeroed at the same points.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { simdGemm, type SimdGemm } from '../nn/kernels/simd.js';
import {
  CausalConv, gate, gateBackward, horizontalRuns, jsGemm, layoutOf, singleTap, verticalRuns, zeroPads, type Layout, type Run,
} from './pixelcnn-conv.js';
import { IncompatibleState } from '../nn/errors.js';
import type { NamedArray, Net, NetSpec, ParamShape } from '../nn/types.js';

/** Shape of the network. */
export interface PixelCnnArch {
  height: number;
  width: number;
  /** Feature maps per stack (the gates take 2x this). */
  channels: number;
  /** Gated layers (the first included). */
  layers: number;
  /** Kernel size k (odd): vertical (k/2 + 1) x k, horizontal 1 x (k/2 + 1). */
  kernel: number;
  seed: number;
}

/** Activations of one pass and the gradients of one backward, sized for `rows` padded pixels. */
class Workspace {
  readonly x: Float32Array;
  /** Inputs of each layer's stacks (index l; index L is the last layer's output). */
  readonly v: Float32Array[];
  readonly h: Float32Array[];
  /** Per layer: convV's output (padding zeroed), its gate's tanh and sigmoid, convH + convVH's then tanh/sigmoid, the gate. */
  readonly vPre: Float32Array[];
  readonly vAct: Float32Array[];
  readonly hAct: Float32Array[];
  readonly g: Float32Array[];
  readonly hid: Float32Array;
  readonly logits: Float32Array;
  readonly dLogits: Float32Array;
  readonly dHid: Float32Array;
  readonly dh: Float32Array;
  readonly dv: Float32Array;
  readonly dg: Float32Array;
  readonly dvPre: Float32Array;
  readonly dhPre: Float32Array;
  readonly dx: Float32Array;

  /** `perLayer` keeps every layer's activations (for backward); without it, layers share buffers (inference). */
  constructor(readonly rows: number, C: number, layers: number, perLayer: boolean) {
    const f = (ch: number) => new Float32Array(rows * ch);
    const each = (ch: number): Float32Array[] => {
      const shared = perLayer ? null : f(ch);
      return Array.from({ length: layers }, () => shared ?? f(ch));
    };
    // Consecutive layers' inputs must differ (a layer reads one and writes the next): two alternate in inference.
    const chain = (count: number): Float32Array[] => {
      const pool = perLayer ? [] : [f(C), f(C)];
      return [this.x, ...Array.from({ length: count }, (_, i) => pool[(i + 1) % 2] ?? f(C))];
    };
    this.x = f(1);
    this.v = chain(layers - 1);
    this.h = chain(layers);
    this.vPre = each(2 * C);
    this.vAct = each(2 * C);
    this.hAct = each(2 * C);
    this.g = each(C);
    this.hid = f(C);
    this.logits = f(1);
    const grad = (ch: number) => (perLayer ? f(ch) : new Float32Array(0));
    this.dLogits = grad(1);
    this.dHid = grad(C);
    this.dh = grad(C);
    this.dv = grad(C);
    this.dg = grad(C);
    this.dvPre = grad(2 * C);
    this.dhPre = grad(2 * C);
    this.dx = grad(1);
  }
}

/** The gated PixelCNN as a `Net`: n x (H W) binary images in, n x (H W) logits out. */
export class PixelCnnNet implements Net {
  readonly spec: Readonly<NetSpec>;
  readonly engine = 'plain' as const;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** 'simd' or 'js': the matrix kernel the convolutions run on. */
  readonly kernel: 'simd' | 'js';
  private readonly gemm: SimdGemm;
  /** Per layer l: convV, convH, convVH, and (l > 0) the residual 1x1; then the two output 1x1s. */
  private readonly convs: CausalConv[][];
  private readonly head: [CausalConv, CausalConv];
  /** Buffers of training passes (kept for backward) and of inference, grown to the largest batch seen. */
  private trainWs: Workspace | null = null;
  private inferWs: Workspace | null = null;
  /** The layout of the last `forward` (null: no backward pending). */
  private pending: Layout | null = null;

  constructor(readonly arch: Readonly<PixelCnnArch>) {
    const { height: H, width: W, channels: C, layers: L, kernel: k, seed } = arch;
    for (const [key, v] of Object.entries({ height: H, width: W, channels: C, layers: L })) {
      if (!Number.isInteger(v) || v < 1) throw new InvalidConfig(`Expected ${key} to be a positive integer, got ${describeValue(v)}.`);
    }
    if (!Number.isInteger(k) || k < 3 || k % 2 === 0) throw new InvalidConfig(`Expected kernel to be an odd integer >= 3, got ${describeValue(k)}.`);
    // The spec records only the image shape and seed: the gated stacks have no NetSpec layer kinds.
    this.spec = { input: [H, W, 1], layers: [], seed };
    this.inputSize = H * W;
    this.outputSize = H * W;
    const vRuns = verticalRuns(k);
    let off = 0;
    const conv = (name: string, cin: number, cout: number, runs: Run[]): CausalConv => {
      const c = new CausalConv(name, cin, cout, runs, off);
      off += c.size;
      return c;
    };
    this.convs = [];
    for (let l = 0; l < L; l++) {
      const cin = l === 0 ? 1 : C;
      const layer = [conv(`${l}/v`, cin, 2 * C, vRuns), conv(`${l}/h`, cin, 2 * C, horizontalRuns(k, l === 0)), conv(`${l}/vh`, 2 * C, 2 * C, singleTap(-1, 0))];
      if (l > 0) layer.push(conv(`${l}/res`, C, C, singleTap(0, 0)));
      this.convs.push(layer);
    }
    this.head = [conv('out/hidden', C, C, singleTap(0, 0)), conv('out/logit', C, 1, singleTap(0, 0))];
    this.params = new Float32Array(off);
    this.grads = new Float32Array(off);
    // torch's default init: uniform in +-1/sqrt(fan_in) for weights and biases.
    const rng = new Rng(seed);
    for (const c of this.allConvs()) {
      const bound = 1 / Math.sqrt(c.inner);
      for (let i = c.wOff; i < c.wOff + c.size; i++) this.params[i] = rng.uniform(-bound, bound);
    }
    const simd = simdGemm();
    this.gemm = simd ?? jsGemm;
    this.kernel = simd ? 'simd' : 'js';
  }

  private allConvs(): CausalConv[] {
    return [...this.convs.flat(), ...this.head];
  }

  paramShapes(): readonly ParamShape[] {
    return this.allConvs().flatMap((c) => [
      { name: `${c.name}/kernel`, shape: [c.taps, c.cin, c.cout], offset: c.wOff, size: c.inner * c.cout },
      { name: `${c.name}/bias`, shape: [c.cout], offset: c.bOff, size: c.cout },
    ]);
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    return this.predictCrop(x, n, this.arch.height, this.arch.width, out);
  }

  /**
   * Logits of n crops of h x w pixels (n x h w in, n x h w out). Every tap looks up or left, so a logit depends only
   * on pixels inside its receptive field (`receptiveField()` rows up, columns either side): a crop that holds that
   * field gives the logit of the full image (what makes sampling affordable).
   */
  predictCrop(x: Float32Array, n: number, h: number, w: number, out?: Float32Array): Float32Array {
    const L = this.layout(x, n, h, w);
    if (!this.inferWs || this.inferWs.rows < L.rows) this.inferWs = new Workspace(L.rows, this.arch.channels, this.arch.layers, false);
    return this.pass(x, L, this.inferWs, out ?? new Float32Array(n * h * w));
  }

  /** How far a logit's inputs reach: rows above it, and columns to either side. */
  receptiveField(): { up: number; side: number } {
    const r = (this.arch.kernel - 1) / 2;
    const L = this.arch.layers;
    return { up: L * r + 1, side: (L + 1) * r };
  }

  forward(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    const L = this.layout(x, n, this.arch.height, this.arch.width);
    if (!this.trainWs || this.trainWs.rows < L.rows) this.trainWs = new Workspace(L.rows, this.arch.channels, this.arch.layers, true);
    const logits = this.pass(x, L, this.trainWs, out ?? new Float32Array(n * this.outputSize));
    this.pending = L;
    return logits;
  }

  private layout(x: Float32Array, n: number, h: number, w: number): Layout {
    if (!(x instanceof Float32Array) || !Number.isInteger(n) || n < 1 || x.length < n * h * w) {
      throw new InvalidConfig(`Expected n x (H W) = ${n} x ${h * w} floats, got ${describeValue(x?.length)}.`);
    }
    return layoutOf(n, h, w, (this.arch.kernel - 1) / 2);
  }

  /** The whole network over the images x in layout L, activations in ws; the logits into out (n x h w). */
  private pass(x: Float32Array, L: Layout, ws: Workspace, out: Float32Array): Float32Array {
    const C = this.arch.channels;
    const layers = this.convs.length;
    const { gemm, params } = this;
    ws.x.fill(0, 0, L.rows);
    for (let b = 0; b < L.n; b++) {
      for (let y = 0; y < L.h; y++) ws.x.set(x.subarray((b * L.h + y) * L.w, (b * L.h + y + 1) * L.w), (b * L.hp + y + L.r) * L.wp + L.r);
    }
    for (let l = 0; l < layers; l++) {
      const [cv, ch, cvh, cres] = this.convs[l] as [CausalConv, CausalConv, CausalConv, CausalConv | undefined];
      const vPre = ws.vPre[l]!, hAct = ws.hAct[l]!, g = ws.g[l]!, hIn = ws.h[l]!, hOut = ws.h[l + 1]!;
      cv.forward(gemm, params, ws.v[l]!, vPre, L, false);
      zeroPads(vPre, 2 * C, L);
      // The last layer's vertical output feeds nothing.
      if (l + 1 < layers) gate(vPre, ws.vAct[l]!, ws.v[l + 1]!, 0, L.rows, C);
      ch.forward(gemm, params, hIn, hAct, L, false);
      cvh.forward(gemm, params, vPre, hAct, L, true);
      gate(hAct, hAct, g, L.start, L.end, C);
      if (cres) {
        hOut.set(hIn.subarray(0, L.rows * C));
        cres.forward(gemm, params, g, hOut, L, true);
      } else hOut.set(g.subarray(0, L.rows * C));
      zeroPads(hOut, C, L);
    }
    const [c1, c2] = this.head;
    c1.forward(gemm, params, ws.h[layers]!, ws.hid, L, false, true);
    c2.forward(gemm, params, ws.hid, ws.logits, L, false);
    return this.extract(ws.logits, L, out);
  }

  /** The image pixels of a padded one-channel array, into out (n x h w). */
  private extract(padded: Float32Array, L: Layout, out: Float32Array): Float32Array {
    for (let b = 0; b < L.n; b++) {
      for (let y = 0; y < L.h; y++) {
        const src = (b * L.hp + y + L.r) * L.wp + L.r;
        out.set(padded.subarray(src, src + L.w), (b * L.h + y) * L.w);
      }
    }
    return out;
  }

  backward(dOut: Float32Array, n: number, dIn?: Float32Array): Float32Array | undefined {
    const L = this.pending;
    const ws = this.trainWs;
    if (!L || !ws || L.n !== n) throw new InvalidConfig(`Expected backward over the last forward's ${L?.n ?? 0} rows, got ${n}.`);
    const C = this.arch.channels;
    const CR = L.rows * C;
    const { gemm, params, grads } = this;
    const layers = this.convs.length;
    ws.dLogits.fill(0, 0, L.rows);
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < L.h; y++) ws.dLogits.set(dOut.subarray((b * L.h + y) * L.w, (b * L.h + y + 1) * L.w), (b * L.hp + y + L.r) * L.wp + L.r);
    }
    const [c1, c2] = this.head;
    ws.dHid.fill(0, 0, CR);
    c2.backward(gemm, params, grads, ws.hid, ws.dLogits, L, ws.dHid);
    for (let i = L.start * C; i < L.end * C; i++) if (ws.hid[i]! <= 0) ws.dHid[i] = 0;
    ws.dh.fill(0, 0, CR);
    c1.backward(gemm, params, grads, ws.h[layers]!, ws.dHid, L, ws.dh);
    ws.dx.fill(0, 0, L.rows);
    for (let l = layers - 1; l >= 0; l--) {
      const [cv, ch, cvh, cres] = this.convs[l] as [CausalConv, CausalConv, CausalConv, CausalConv | undefined];
      zeroPads(ws.dh, C, L);
      if (cres) {
        ws.dg.fill(0, 0, CR);
        cres.backward(gemm, params, grads, ws.g[l]!, ws.dh, L, ws.dg);
      } else ws.dg.set(ws.dh.subarray(0, CR));
      gateBackward(ws.hAct[l]!, ws.dg, ws.dhPre, L.start, L.end, C);
      if (l + 1 < layers) gateBackward(ws.vAct[l]!, ws.dv, ws.dvPre, L.start, L.end, C);
      else ws.dvPre.fill(0, 0, 2 * CR);
      cvh.backward(gemm, params, grads, ws.vPre[l]!, ws.dhPre, L, ws.dvPre);
      zeroPads(ws.dvPre, 2 * C, L);
      // Layer 0 reads the image itself: its input gradient only when asked for. Above it, dh keeps the residual's identity part.
      const first = l === 0;
      const dImage = first && dIn ? ws.dx : null;
      ch.backward(gemm, params, grads, ws.h[l]!, ws.dhPre, L, first ? dImage : ws.dh);
      if (!first) ws.dv.fill(0, 0, CR);
      cv.backward(gemm, params, grads, ws.v[l]!, ws.dvPre, L, first ? dImage : ws.dv);
    }
    this.pending = null;
    return dIn ? this.extract(ws.dx, L, dIn) : undefined;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** Nothing to refresh: the convolutions read `params` directly. */
  paramsChanged(): void {}

  clone(): Net {
    const c = new PixelCnnNet(this.arch);
    c.params.set(this.params);
    return c;
  }

  polyakFrom(src: Net, tau: number): void {
    if (src.params.length !== this.params.length) throw new InvalidConfig(`Expected a network of ${this.params.length} parameters, got ${src.params.length}.`);
    for (let i = 0; i < this.params.length; i++) this.params[i] = this.params[i]! + tau * (src.params[i]! - this.params[i]!);
  }

  getParams(): NamedArray[] {
    return this.paramShapes().map((p) => ({ name: p.name, shape: [...p.shape], data: this.params.slice(p.offset, p.offset + p.size) }));
  }

  setParams(params: readonly NamedArray[]): void {
    const byName = new Map(params.map((p) => [p.name, p]));
    const shapes = this.paramShapes();
    for (const s of shapes) {
      const p = byName.get(s.name);
      if (!p || !(p.data instanceof Float32Array) || p.data.length !== s.size) {
        throw new IncompatibleState(s.name, `Expected tensor '${s.name}' of shape [${s.shape.join(', ')}], got ${p ? `${p.data?.length} values` : 'none'}.`);
      }
    }
    for (const s of shapes) this.params.set(byName.get(s.name)!.data, s.offset);
  }

  /** Drops the activation buffers (they are rebuilt on the next pass). */
  dispose(): void {
    this.trainWs = null;
    this.inferWs = null;
    this.pending = null;
  }
}
