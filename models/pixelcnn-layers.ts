/**
 * The gated PixelCNN's network (van den Oord et al. 2016) as a `Net` of its own, so that nn/'s optimisers train
 * it: images n x (H W) of one channel in, one Bernoulli logit per pixel out. Convolutions are written as lists of
 * (dy, dx) offsets, which makes the causal shapes explicit:
 *   vertical stack  rows i - k/2 .. i, columns j - k/2 .. j + k/2   (it sees rows <= i)
 *   horizontal      columns j - k/2 .. j of row i (layer 0: .. j - 1, strictly before the pixel)
 *   vertical -> horizontal through offset (-1, 0): the horizontal stack at row i sees the vertical one of row i - 1,
 * so every logit sees all pixels above and to the left (no blind spot) and none at or after its own.
 * Layer: v = gate(convV(v)); h = h + 1x1(gate(convH(h) + convVH(vPre))) (layer 0 without the residual), gate(a, b) =
 * tanh(a) sigmoid(b); then relu(1x1) and a 1x1 to the logit. Convs run as im2col and the WebAssembly SIMD matrix
 * kernel (JS loops where it does not load). Images are NHWC, row-major.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { simdGemm, type SimdGemm } from '../nn/kernels/simd.js';
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

type Offsets = ReadonlyArray<readonly [number, number]>;

/** JS fallback of the SIMD kernel's contract (see nn/kernels/simd.ts). */
const jsGemm: SimdGemm = (a, saI, saK, b, bias, out, rows, inner, cols, _relu, accumulate) => {
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) if (!accumulate) out[i * cols + c] = bias ? bias[c]! : 0;
    for (let k = 0; k < inner; k++) {
      const av = a[i * saI + k * saK]!;
      if (av === 0) continue;
      for (let c = 0; c < cols; c++) out[i * cols + c] = out[i * cols + c]! + av * b[k * cols + c]!;
    }
  }
};

/** A convolution over the offsets `taps` (zero padding), weights [taps * cin, cout] and bias [cout] in `params`. */
class OffsetConv {
  readonly inner: number;
  /** A 1x1 conv at offset (0, 0): im2col would copy its input unchanged. */
  readonly pointwise: boolean;
  constructor(readonly name: string, readonly cin: number, readonly cout: number, readonly taps: Offsets, readonly wOff: number) {
    this.inner = taps.length * cin;
    this.pointwise = taps.length === 1 && taps[0]![0] === 0 && taps[0]![1] === 0;
  }
  get bOff(): number {
    return this.wOff + this.inner * this.cout;
  }
  get size(): number {
    return (this.inner + 1) * this.cout;
  }

  /** im2col of `input` (n x H x W x cin) into cols (n H W x taps cin). */
  im2col(input: Float32Array, n: number, h: number, w: number, cols: Float32Array): void {
    const { cin, inner, taps } = this;
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const row = ((b * h + y) * w + x) * inner;
          for (let t = 0; t < taps.length; t++) {
            const yy = y + taps[t]![0];
            const xx = x + taps[t]![1];
            const dst = row + t * cin;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) cols.fill(0, dst, dst + cin);
            else {
              const src = ((b * h + yy) * w + xx) * cin;
              for (let c = 0; c < cin; c++) cols[dst + c] = input[src + c]!;
            }
          }
        }
      }
    }
  }

  /** out (rows x cout) = cols W + bias, or out += cols W when `accumulate`. */
  apply(gemm: SimdGemm, params: Float32Array, cols: Float32Array, rows: number, out: Float32Array, accumulate: boolean): void {
    const W = params.subarray(this.wOff, this.bOff);
    const bias = params.subarray(this.bOff, this.bOff + this.cout);
    gemm(cols, this.inner, 1, W, accumulate ? null : bias, out, rows, this.inner, this.cout, false, accumulate);
    // The kernel skips the bias when accumulating; added here so that every conv has its bias once.
    if (accumulate) for (let r = 0; r < rows; r++) for (let c = 0; c < this.cout; c++) out[r * this.cout + c] = out[r * this.cout + c]! + bias[c]!;
  }

  /** Adds dW = cols^T dOut and db = sum dOut into grads; with dIn, adds the input gradient (col2im of dOut W^T). */
  backward(gemm: SimdGemm, params: Float32Array, grads: Float32Array, cols: Float32Array, dOut: Float32Array, n: number, h: number, w: number,
    dCols: Float32Array, dIn: Float32Array | null): void {
    const rows = n * h * w;
    const { cin, cout, inner, taps } = this;
    gemm(cols, 1, inner, dOut, null, grads.subarray(this.wOff, this.bOff), inner, rows, cout, false, true);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cout; c++) grads[this.bOff + c] = grads[this.bOff + c]! + dOut[r * cout + c]!;
    if (!dIn) return;
    const WT = new Float32Array(cout * inner);
    for (let k = 0; k < inner; k++) for (let c = 0; c < cout; c++) WT[c * inner + k] = params[this.wOff + k * cout + c]!;
    if (this.pointwise) {
      gemm(dOut, cout, 1, WT, null, dIn, rows, cout, inner, false, true);
      return;
    }
    gemm(dOut, cout, 1, WT, null, dCols, rows, cout, inner, false, false);
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const row = ((b * h + y) * w + x) * inner;
          for (let t = 0; t < taps.length; t++) {
            const yy = y + taps[t]![0];
            const xx = x + taps[t]![1];
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            const dst = ((b * h + yy) * w + xx) * cin;
            for (let c = 0; c < cin; c++) dIn[dst + c] = dIn[dst + c]! + dCols[row + t * cin + c]!;
          }
        }
      }
    }
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
  private readonly convs: OffsetConv[][];
  private readonly head: [OffsetConv, OffsetConv];
  /** Activations of the last `forward`, by name, and its batch size (0: none pending). */
  private tape = new Map<string, Float32Array>();
  private pending = 0;

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
    const r = (k - 1) / 2;
    const vTaps: [number, number][] = [];
    for (let dy = -r; dy <= 0; dy++) for (let dx = -r; dx <= r; dx++) vTaps.push([dy, dx]);
    const hTaps = (first: boolean): [number, number][] => Array.from({ length: first ? r : r + 1 }, (_, i) => [0, i - r] as [number, number]);
    let off = 0;
    const conv = (name: string, cin: number, cout: number, taps: Offsets): OffsetConv => {
      const c = new OffsetConv(name, cin, cout, taps, off);
      off += c.size;
      return c;
    };
    this.convs = [];
    for (let l = 0; l < L; l++) {
      const cin = l === 0 ? 1 : C;
      const layer = [conv(`${l}/v`, cin, 2 * C, vTaps), conv(`${l}/h`, cin, 2 * C, hTaps(l === 0)), conv(`${l}/vh`, 2 * C, 2 * C, [[-1, 0]])];
      if (l > 0) layer.push(conv(`${l}/res`, C, C, [[0, 0]]));
      this.convs.push(layer);
    }
    this.head = [conv('out/hidden', C, C, [[0, 0]]), conv('out/logit', C, 1, [[0, 0]])];
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

  private allConvs(): OffsetConv[] {
    return [...this.convs.flat(), ...this.head];
  }

  paramShapes(): readonly ParamShape[] {
    return this.allConvs().flatMap((c) => [
      { name: `${c.name}/kernel`, shape: [c.taps.length, c.cin, c.cout], offset: c.wOff, size: c.inner * c.cout },
      { name: `${c.name}/bias`, shape: [c.cout], offset: c.bOff, size: c.cout },
    ]);
  }

  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    return this.run(x, n, out ?? new Float32Array(n * this.outputSize), null, this.arch.height, this.arch.width);
  }

  /**
   * Logits of n crops of h x w pixels (n x h w in, n x h w out). Every tap looks up or left, so a logit depends only
   * on pixels inside its receptive field (`receptiveField()` rows up, columns either side): a crop that holds that
   * field gives the logit of the full image (what makes sampling affordable).
   */
  predictCrop(x: Float32Array, n: number, h: number, w: number, out?: Float32Array): Float32Array {
    return this.run(x, n, out ?? new Float32Array(n * h * w), null, h, w);
  }

  /** How far a logit's inputs reach: rows above it, and columns to either side. */
  receptiveField(): { up: number; side: number } {
    const r = (this.arch.kernel - 1) / 2;
    const L = this.arch.layers;
    return { up: L * r + 1, side: (L + 1) * r };
  }

  forward(x: Float32Array, n: number, out?: Float32Array): Float32Array {
    this.tape = new Map();
    this.pending = n;
    return this.run(x, n, out ?? new Float32Array(n * this.outputSize), this.tape, this.arch.height, this.arch.width);
  }

  /** The whole network over n images; with a tape, keeps every buffer `backward` reads. */
  private run(x: Float32Array, n: number, out: Float32Array, tape: Map<string, Float32Array> | null, H: number, W: number): Float32Array {
    if (!(x instanceof Float32Array) || x.length < n * H * W) {
      throw new InvalidConfig(`Expected n x (H W) = ${n} x ${H * W} floats, got ${describeValue(x?.length)}.`);
    }
    const C = this.arch.channels;
    const R = n * H * W;
    const keep = (name: string, a: Float32Array) => tape?.set(name, a);
    const colsOf = (c: OffsetConv, input: Float32Array): Float32Array => {
      // A 1x1 conv's columns are its input itself.
      if (c.pointwise) {
        keep(`${c.name}/cols`, input.subarray(0, R * c.inner));
        return input;
      }
      const cols = new Float32Array(R * c.inner);
      c.im2col(input, n, H, W, cols);
      keep(`${c.name}/cols`, cols);
      return cols;
    };
    const input = x.subarray(0, R);
    let v = input;
    let h = input;
    this.convs.forEach((layer, l) => {
      const [cv, ch, cvh, cres] = layer as [OffsetConv, OffsetConv, OffsetConv, OffsetConv | undefined];
      const vPre = new Float32Array(R * 2 * C);
      cv.apply(this.gemm, this.params, colsOf(cv, v), R, vPre, false);
      const hPre = new Float32Array(R * 2 * C);
      ch.apply(this.gemm, this.params, colsOf(ch, h), R, hPre, false);
      cvh.apply(this.gemm, this.params, colsOf(cvh, vPre), R, hPre, true);
      keep(`${l}/vPre`, vPre);
      keep(`${l}/hPre`, hPre);
      v = gate(vPre, R, C);
      const g = gate(hPre, R, C);
      if (cres) {
        const hNew = h.slice();
        cres.apply(this.gemm, this.params, colsOf(cres, g), R, hNew, true);
        h = hNew;
      } else h = g;
    });
    const [c1, c2] = this.head;
    const hid = new Float32Array(R * C);
    c1.apply(this.gemm, this.params, colsOf(c1, h), R, hid, false);
    for (let i = 0; i < hid.length; i++) if (hid[i]! < 0) hid[i] = 0;
    keep('out/hidden', hid);
    c2.apply(this.gemm, this.params, colsOf(c2, hid), R, out, false);
    return out;
  }

  backward(dOut: Float32Array, n: number, dIn?: Float32Array): Float32Array | undefined {
    if (this.pending !== n) throw new InvalidConfig(`Expected backward over the last forward's ${this.pending} rows, got ${n}.`);
    const { height: H, width: W, channels: C } = this.arch;
    const R = n * H * W;
    const t = (name: string) => this.tape.get(name)!;
    const scratch = new Map<number, Float32Array>();
    const dColsFor = (c: OffsetConv) => {
      const len = R * c.inner;
      let a = scratch.get(len);
      if (!a) scratch.set(len, (a = new Float32Array(len)));
      return a;
    };
    const back = (c: OffsetConv, d: Float32Array, dInput: Float32Array | null) =>
      c.backward(this.gemm, this.params, this.grads, t(`${c.name}/cols`), d, n, H, W, dColsFor(c), dInput);
    const [c1, c2] = this.head;
    const dHid = new Float32Array(R * C);
    back(c2, dOut.subarray(0, R), dHid);
    const hid = t('out/hidden');
    for (let i = 0; i < dHid.length; i++) if (hid[i]! <= 0) dHid[i] = 0;
    let dh: Float32Array = new Float32Array(R * C);
    back(c1, dHid, dh);
    let dv: Float32Array = new Float32Array(R * C);
    const inputGrad = dIn ? dIn.fill(0, 0, R) : null;
    for (let l = this.convs.length - 1; l >= 0; l--) {
      const [cv, ch, cvh, cres] = this.convs[l] as [OffsetConv, OffsetConv, OffsetConv, OffsetConv | undefined];
      const vPre = t(`${l}/vPre`);
      const hPre = t(`${l}/hPre`);
      const dg = new Float32Array(R * C);
      if (cres) {
        back(cres, dh, dg);
      } else dg.set(dh);
      const dhPre = gateBackward(hPre, dg, R, C);
      const dvPre = gateBackward(vPre, dv, R, C);
      back(cvh, dhPre, dvPre);
      const first = l === 0;
      const dhIn = first ? inputGrad : cres ? dh : new Float32Array(R * C);
      back(ch, dhPre, dhIn);
      const dvIn = first ? inputGrad : new Float32Array(R * C);
      back(cv, dvPre, dvIn);
      if (!first) {
        dh = dhIn!;
        dv = dvIn!;
      }
    }
    this.pending = 0;
    this.tape = new Map();
    return dIn;
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

  dispose(): void {
    this.tape = new Map();
  }
}

/** gate(pre) = tanh(pre[:, :C]) sigmoid(pre[:, C:]) per row of 2C: R x C out. */
function gate(pre: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let i = 0; i < R; i++) {
    for (let c = 0; c < C; c++) {
      // tanh through one exp: Math.tanh costs several times Math.exp in V8, and gates are a third of the work.
      const a = 2 / (1 + Math.exp(-2 * pre[i * 2 * C + c]!)) - 1;
      const s = 1 / (1 + Math.exp(-pre[i * 2 * C + C + c]!));
      out[i * C + c] = a * s;
    }
  }
  return out;
}

/** d gate / d pre (R x 2C) given dOut (R x C). */
function gateBackward(pre: Float32Array, dOut: Float32Array, R: number, C: number): Float32Array {
  const d = new Float32Array(R * 2 * C);
  for (let i = 0; i < R; i++) {
    for (let c = 0; c < C; c++) {
      const a = 2 / (1 + Math.exp(-2 * pre[i * 2 * C + c]!)) - 1;
      const s = 1 / (1 + Math.exp(-pre[i * 2 * C + C + c]!));
      const g = dOut[i * C + c]!;
      d[i * 2 * C + c] = g * s * (1 - a * a);
      d[i * 2 * C + C + c] = g * a * s * (1 - s);
    }
  }
  return d;
}
