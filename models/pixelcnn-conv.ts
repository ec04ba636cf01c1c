/**
 * The convolution machinery of the gated PixelCNN (pixelcnn-layers.ts): a zero-padded image layout in which a run of
 * horizontally adjacent taps reads one contiguous window per pixel, so that each run is one matrix product reading
 * the activations in place through the kernel's strides (no im2col or col2im copies), and the gate's forward and
 * backward. Activations are NHWC rows of the padded layout.
 */
import type { SimdGemm } from '../nn/kernels/simd.js';

/** JS fallback of the SIMD kernel's contract (see nn/kernels/simd.ts). */
export const jsGemm: SimdGemm = (a, saI, saK, b, bias, out, rows, inner, cols, relu, accumulate) => {
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) if (!accumulate) out[i * cols + c] = bias ? bias[c]! : 0;
    for (let k = 0; k < inner; k++) {
      const av = a[i * saI + k * saK]!;
      // Stryker disable next-line ConditionalExpression: a zero entry of A adds 0 x b; skipping it (relu zeros are common) only saves time
      if (av === 0) continue;
      for (let c = 0; c < cols; c++) out[i * cols + c] = out[i * cols + c]! + av * b[k * cols + c]!;
    }
    if (relu && !accumulate) for (let c = 0; c < cols; c++) out[i * cols + c] = Math.max(0, out[i * cols + c]!);
  }
};

/** A matrix A of ones read through zero strides: `gemm(ONE, 0, 0, ...)` sums rows (bias gradients) or adds a bias. */
const ONE = new Float32Array([1]);

/**
 * Where n padded images of h x w sit: padded width wp = w + 2r, height hp = h + r, rows n hp wp. Every output
 * between `start` (image 0's first pixel) and `end` is computed; a tap's reads then stay inside [0, rows).
 */
export interface Layout {
  n: number;
  h: number;
  w: number;
  r: number;
  wp: number;
  hp: number;
  rows: number;
  start: number;
  end: number;
}

export function layoutOf(n: number, h: number, w: number, r: number): Layout {
  const wp = w + 2 * r, hp = h + r, rows = n * hp * wp;
  return { n, h, w, r, wp, hp, rows, start: r * wp + r, end: rows - r };
}

/** Sets every padding position of `a` (rows x ch, padded layout) to zero. */
export function zeroPads(a: Float32Array, ch: number, L: Layout): void {
  const { n, hp, wp, r } = L;
  // Stryker disable next-line EqualityOperator: image n starts at the array's end, where fill writes nothing
  for (let b = 0; b < n; b++) {
    const img = b * hp * wp;
    a.fill(0, img * ch, (img + r * wp) * ch);
    // Stryker disable next-line EqualityOperator: row hp is the next image's first, a top padding row zeroed anyway
    for (let y = r; y < hp; y++) {
      const row = img + y * wp;
      a.fill(0, row * ch, (row + r) * ch);
      a.fill(0, (row + wp - r) * ch, (row + wp) * ch);
    }
  }
}

/** Taps (dy, dx0 .. dx0 + len - 1), weight rows from `tap0 * cin`: one contiguous window in the padded layout. */
export interface Run {
  dy: number;
  dx0: number;
  len: number;
  tap0: number;
}

/**
 * The vertical stack's causal taps for an odd kernel k, r = (k - 1) / 2: rows dy = -r .. 0, each one run of the k
 * columns dx = -r .. r, weight rows in that order. It sees the pixel's own row and those above, none below.
 */
export function verticalRuns(k: number): Run[] {
  const r = (k - 1) / 2;
  return Array.from({ length: r + 1 }, (_, i) => ({ dy: i - r, dx0: -r, len: k, tap0: i * k }));
}

/**
 * The horizontal stack's causal taps: columns dx = -r .. 0 of the pixel's own row, or -r .. -1 in the first layer,
 * which reads the image itself and so must not see the pixel it predicts.
 */
export function horizontalRuns(k: number, first: boolean): Run[] {
  const r = (k - 1) / 2;
  return [{ dy: 0, dx0: -r, len: first ? r : r + 1, tap0: 0 }];
}

/** One tap at (dy, dx): (0, 0) for a 1x1 convolution, (-1, 0) for the vertical stack's row above into the horizontal. */
export function singleTap(dy: number, dx: number): Run[] {
  return [{ dy, dx0: dx, len: 1, tap0: 0 }];
}

/** A convolution over runs of taps (zero padding), weights [taps * cin, cout] and bias [cout] in `params` from `wOff`. */
export class CausalConv {
  readonly taps: number;
  readonly inner: number;
  /** Per tap, its weights transposed (cout x cin), refreshed by each backward for the input gradient. */
  private readonly wT: Float32Array;
  constructor(readonly name: string, readonly cin: number, readonly cout: number, readonly runs: readonly Run[], readonly wOff: number) {
    this.taps = runs.reduce((s, r) => s + r.len, 0);
    this.inner = this.taps * cin;
    this.wT = new Float32Array(this.inner * cout);
  }
  get bOff(): number {
    return this.wOff + this.inner * this.cout;
  }
  get size(): number {
    return (this.inner + 1) * this.cout;
  }

  /**
   * out[start, end) (rows x cout) = conv(input) + bias, or += when `accumulate`, then relu'd when `relu`; input is
   * rows x cin, padded.
   */
  forward(gemm: SimdGemm, params: Float32Array, input: Float32Array, out: Float32Array, L: Layout, accumulate: boolean, relu = false): void {
    const { cin, cout } = this;
    const m = L.end - L.start;
    const o = out.subarray(L.start * cout, L.end * cout);
    const bias = params.subarray(this.bOff, this.bOff + cout);
    // The kernel's relu acts on a fresh product: one run, not accumulating. Otherwise it comes after the sum.
    // Stryker disable next-line ConditionalExpression: relu after the sum gives the same values; fusing only saves a pass
    const fused = relu && this.runs.length === 1 && !accumulate;
    this.runs.forEach((run, i) => {
      const at = L.start + run.dy * L.wp + run.dx0;
      const w = params.subarray(this.wOff + run.tap0 * cin * cout, this.wOff + (run.tap0 + run.len) * cin * cout);
      const fresh = i === 0 && !accumulate;
      gemm(input.subarray(at * cin), cin, 1, w, fresh ? bias : null, o, m, run.len * cin, cout, fused, !fresh);
    });
    // Stryker disable next-line BooleanLiteral: the kernel ignores relu when accumulating
    if (accumulate) gemm(ONE, 0, 0, bias, null, o, m, 1, cout, false, true);
    // Stryker disable next-line EqualityOperator: o[o.length] is past the subarray's end, where a typed array writes nothing
    if (relu && !fused) for (let i = 0; i < o.length; i++) o[i] = Math.max(0, o[i]!);
  }

  /** Adds dW = windows^T dOut and db = sum dOut into grads; with dIn, adds the input gradient dOut W_tap^T at each tap. */
  backward(gemm: SimdGemm, params: Float32Array, grads: Float32Array, input: Float32Array, dOut: Float32Array, L: Layout, dIn: Float32Array | null): void {
    const { cin, cout, wT } = this;
    const m = L.end - L.start;
    const d = dOut.subarray(L.start * cout, L.end * cout);
    // Stryker disable next-line BooleanLiteral: the kernel ignores relu when accumulating
    gemm(ONE, 0, 0, d, null, grads.subarray(this.bOff, this.bOff + cout), 1, m, cout, false, true);
    for (const run of this.runs) {
      const at = L.start + run.dy * L.wp + run.dx0;
      const g = grads.subarray(this.wOff + run.tap0 * cin * cout, this.wOff + (run.tap0 + run.len) * cin * cout);
      // Stryker disable next-line BooleanLiteral: the kernel ignores relu when accumulating
      gemm(input.subarray(at * cin), 1, cin, d, null, g, run.len * cin, m, cout, false, true);
    }
    if (!dIn) return;
    // Stryker disable next-line EqualityOperator: tap `taps` writes past the end of wT, which a typed array ignores
    for (let t = 0; t < this.taps; t++) {
      // Stryker disable next-line EqualityOperator: c = cout writes the next tap's first entry, rewritten when that tap comes (or past the end)
      for (let k = 0; k < cin; k++) for (let c = 0; c < cout; c++) wT[t * cin * cout + c * cin + k] = params[this.wOff + (t * cin + k) * cout + c]!;
    }
    for (const run of this.runs) {
      for (let j = 0; j < run.len; j++) {
        const t = run.tap0 + j;
        const at = L.start + run.dy * L.wp + run.dx0 + j;
        // Stryker disable next-line BooleanLiteral: the kernel ignores relu when accumulating
        gemm(d, cout, 1, wT.subarray(t * cin * cout, (t + 1) * cin * cout), null, dIn.subarray(at * cin, (at + m) * cin), m, cout, cin, false, true);
      }
    }
  }
}

/**
 * gate(pre) = tanh(pre[:, :C]) sigmoid(pre[:, C:]) for rows [from, to) of 2C: out (rows x C), and act (rows x 2C,
 * may be `pre` itself) keeps the tanh and the sigmoid for `gateBackward`.
 */
export function gate(pre: Float32Array, act: Float32Array, out: Float32Array, from: number, to: number, C: number): void {
  for (let i = from; i < to; i++) {
    const p = i * 2 * C;
    for (let c = 0; c < C; c++) {
      // tanh through one exp: Math.tanh costs several times Math.exp in V8, and gates are a large share of the work.
      const a = 2 / (1 + Math.exp(-2 * pre[p + c]!)) - 1;
      const s = 1 / (1 + Math.exp(-pre[p + C + c]!));
      act[p + c] = a;
      act[p + C + c] = s;
      out[i * C + c] = a * s;
    }
  }
}

/** d gate / d pre (rows x 2C) for rows [from, to) given dOut (rows x C) and the kept tanh and sigmoid. */
export function gateBackward(act: Float32Array, dOut: Float32Array, dPre: Float32Array, from: number, to: number, C: number): void {
  for (let i = from; i < to; i++) {
    const p = i * 2 * C;
    for (let c = 0; c < C; c++) {
      const a = act[p + c]!;
      const s = act[p + C + c]!;
      const g = dOut[i * C + c]!;
      dPre[p + c] = g * s * (1 - a * a);
      dPre[p + C + c] = g * a * s * (1 - s);
    }
  }
}
