/**
 * The plain engine's elementwise and per-row operations on Float32Arrays: activations (forward, and backward
 * from the outputs alone), layer normalisation, and the JS matrix loops that serve single rows and runtimes
 * without WebAssembly SIMD. Rows are row-major; nothing here allocates.
 */
import type { Activation } from '../types.js';

export const ACT_IDENTITY = 0;
export const ACT_RELU = 1;
export const ACT_TANH = 2;
export const ACT_ELU = 3;

/** The numeric code of an activation, as the loops below take it. */
export function activationCode(a: Activation | undefined): number {
  return a === 'relu' ? ACT_RELU : a === 'tanh' ? ACT_TANH : a === 'elu' ? ACT_ELU : ACT_IDENTITY;
}

/**
 * dst[i] = act(src[i]) for i < len (dst may be src). One loop per kind and no call per element: a helper that
 * returns a double and is not inlined boxes every result (V8 stops inlining after ~920 bytecodes per function).
 */
export function activateInto(src: Float32Array, dst: Float32Array, len: number, act: number): void {
  if (act === ACT_RELU) {
    for (let i = 0; i < len; i++) {
      const v = src[i]!;
      dst[i] = v > 0 ? v : 0;
    }
  } else if (act === ACT_TANH) {
    for (let i = 0; i < len; i++) dst[i] = Math.tanh(src[i]!);
  } else if (act === ACT_ELU) {
    for (let i = 0; i < len; i++) {
      const v = src[i]!;
      dst[i] = v > 0 ? v : Math.expm1(v);
    }
  } else if (src !== dst) {
    for (let i = 0; i < len; i++) dst[i] = src[i]!;
  }
}

/** In place: y[i] = act(y[i]) for i < len. */
export function activateInPlace(y: Float32Array, len: number, act: number): void {
  activateInto(y, y, len, act);
}

/**
 * In place: d[i] *= act'(z_i), computed from the output y = act(z): relu y > 0 (0 at z = 0, as tfjs), tanh
 * 1 - y^2, elu y > 0 ? 1 : y + 1 (= e^z).
 */
export function activationBackward(d: Float32Array, y: Float32Array, len: number, act: number): void {
  if (act === ACT_RELU) {
    for (let i = 0; i < len; i++) if (!(y[i]! > 0)) d[i] = 0;
  } else if (act === ACT_TANH) {
    for (let i = 0; i < len; i++) {
      const a = y[i]!;
      d[i] = d[i]! * (1 - a * a);
    }
  } else if (act === ACT_ELU) {
    for (let i = 0; i < len; i++) {
      const a = y[i]!;
      if (!(a > 0)) d[i] = d[i]! * (a + 1);
    }
  }
}

/** torch's LayerNorm epsilon. */
export const LN_EPS = 1e-5;

/**
 * Layer norm of each row of x (rows x m) into y: hat = (x - mean) / sqrt(var + eps) (biased variance), y = hat
 * gain + bias when gain/bias are given (views of [m]), else y = hat. Keeps hat (when `hat` is given and differs
 * from y) and 1 / sqrt(var + eps) per row in rstd for the backward pass. x and y may be the same array.
 */
export function layerNormForward(
  x: Float32Array, y: Float32Array, hat: Float32Array | null, rstd: Float32Array | null,
  gain: Float32Array | null, bias: Float32Array | null, rows: number, m: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    let mean = 0;
    for (let j = 0; j < m; j++) mean += x[o + j]!;
    mean /= m;
    let v = 0;
    for (let j = 0; j < m; j++) {
      const d = x[o + j]! - mean;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / m + LN_EPS);
    if (rstd !== null) rstd[r] = rs;
    for (let j = 0; j < m; j++) {
      const h = (x[o + j]! - mean) * rs;
      if (hat !== null) hat[o + j] = h;
      y[o + j] = gain === null ? h : h * gain[j]! + bias![j]!;
    }
  }
}

/**
 * In place through a layer norm: d (rows x m) holds dLoss/dy and becomes dLoss/dx. With an affine layer it
 * first adds sum_r d hat into gGain and sum_r d into gBias, then scales d by the gain.
 */
export function layerNormBackward(
  d: Float32Array, hat: Float32Array, rstd: Float32Array, gain: Float32Array | null,
  gGain: Float32Array | null, gBias: Float32Array | null, rows: number, m: number,
): void {
  if (gain !== null) {
    for (let r = 0; r < rows; r++) {
      const o = r * m;
      for (let j = 0; j < m; j++) {
        const g = d[o + j]!;
        gGain![j] = gGain![j]! + g * hat[o + j]!;
        gBias![j] = gBias![j]! + g;
        d[o + j] = g * gain[j]!;
      }
    }
  }
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

/** dst (cols x rows) = src (rows x cols) transposed. */
export function transpose(src: Float32Array, dst: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const ro = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[ro + c]!;
  }
}

/**
 * The JS matrix loops: out[r, c] = act(start + sum_k a[r, k] b[c, k]) for a (rows x inner) and b (cols x inner),
 * both row-major (out = a b^T), where start is out[r, c] itself when `accumulate` (act then ignored), else
 * bias[c], else 0. Blocks of 4 rows x 2 columns keep 8 sums in registers (float64), so each loaded value serves
 * 2 or 4 multiply-adds; leftover rows run 1 x 4 so that four independent sums hide the add latency (the
 * single-row path). Measured on the DQN engine: 4x2 is ~40% faster than 4x1, and an i-outer "axpy" loop ~35%
 * slower than 4x1.
 */
export function gemmNT(
  a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array,
  rows: number, inner: number, cols: number, act: number, accumulate: boolean,
): void {
  gemmLoops(a, b, bias, out, rows, inner, cols, accumulate);
  // The activation runs as its own pass over the outputs (1/inner of the multiply work): fused into the
  // blocks it made sixteen call sites, too many for V8 to inline.
  if (!accumulate && act !== ACT_IDENTITY) activateInPlace(out, rows * cols, act);
}

function gemmLoops(
  a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array,
  rows: number, inner: number, cols: number, accumulate: boolean,
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
      let s0 = accumulate ? out[o0 + c]! : bs0;
      let s1 = accumulate ? out[o1 + c]! : bs0;
      let s2 = accumulate ? out[o2 + c]! : bs0;
      let s3 = accumulate ? out[o3 + c]! : bs0;
      let t0 = accumulate ? out[o0 + c + 1]! : bs1;
      let t1 = accumulate ? out[o1 + c + 1]! : bs1;
      let t2 = accumulate ? out[o2 + c + 1]! : bs1;
      let t3 = accumulate ? out[o3 + c + 1]! : bs1;
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
      out[o0 + c] = s0;
      out[o1 + c] = s1;
      out[o2 + c] = s2;
      out[o3 + c] = s3;
      out[o0 + c + 1] = t0;
      out[o1 + c + 1] = t1;
      out[o2 + c + 1] = t2;
      out[o3 + c + 1] = t3;
    }
    for (; c < cols; c++) {
      const b0 = c * inner;
      const bs = bias === null ? 0 : bias[c]!;
      let s0 = accumulate ? out[o0 + c]! : bs;
      let s1 = accumulate ? out[o1 + c]! : bs;
      let s2 = accumulate ? out[o2 + c]! : bs;
      let s3 = accumulate ? out[o3 + c]! : bs;
      for (let k = 0; k < inner; k++) {
        const w = b[b0 + k]!;
        s0 += a[a0 + k]! * w;
        s1 += a[a1 + k]! * w;
        s2 += a[a2 + k]! * w;
        s3 += a[a3 + k]! * w;
      }
      out[o0 + c] = s0;
      out[o1 + c] = s1;
      out[o2 + c] = s2;
      out[o3 + c] = s3;
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
      let s0 = accumulate ? out[o0 + c]! : bias === null ? 0 : bias[c]!;
      let s1 = accumulate ? out[o0 + c + 1]! : bias === null ? 0 : bias[c + 1]!;
      let s2 = accumulate ? out[o0 + c + 2]! : bias === null ? 0 : bias[c + 2]!;
      let s3 = accumulate ? out[o0 + c + 3]! : bias === null ? 0 : bias[c + 3]!;
      for (let k = 0; k < inner; k++) {
        const x = a[a0 + k]!;
        s0 += x * b[b0 + k]!;
        s1 += x * b[b1 + k]!;
        s2 += x * b[b2 + k]!;
        s3 += x * b[b3 + k]!;
      }
      out[o0 + c] = s0;
      out[o0 + c + 1] = s1;
      out[o0 + c + 2] = s2;
      out[o0 + c + 3] = s3;
    }
    for (; c < cols; c++) {
      const b0 = c * inner;
      let s = accumulate ? out[o0 + c]! : bias === null ? 0 : bias[c]!;
      for (let k = 0; k < inner; k++) s += a[a0 + k]! * b[b0 + k]!;
      out[o0 + c] = s;
    }
  }
}
