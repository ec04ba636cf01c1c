/**
 * The elementwise maps of RealNVP's couplings (flow.ts): for one moved dimension d of one row, x_d -> y_d and
 * log dy_d/dx_d from the coupling MLP's raw output row, the inverse, and the backward pass. Affine is RealNVP's
 * y = x exp(s) + t with s = c tanh(raw / c); spline is Neural Spline Flows' rational-quadratic spline (flow-spline.ts).
 */
import { createKnots, splineBackward, splineForward, splineInverse, splineParams } from './flow-spline.js';

/** One coupling's elementwise map; `raw` is the MLP's output row, starting at `o`. */
export interface CouplingMap {
  /** MLP outputs per row of D dimensions. */
  readonly width: number;
  /** y and log dy/dx of dimension d, into out[0] and out[1]. */
  forward(raw: Float32Array, o: number, d: number, x: number, out: Float64Array): void;
  /** x of dimension d from its y. */
  inverse(raw: Float32Array, o: number, d: number, y: number): number;
  /** Given gy = dL/dy and gl = dL/d(log dy/dx), adds dL/draw into graw and returns dL/dx. */
  backward(raw: Float32Array, o: number, d: number, x: number, gy: number, gl: number, graw: Float32Array): number;
}

/** RealNVP's affine map over D dimensions: raw holds D log-scale logits, then D shifts; log-scales clamped to +-c. */
export function affineMap(D: number, c: number): CouplingMap {
  return {
    width: 2 * D,
    forward(raw, o, d, x, out) {
      const s = c * Math.tanh(raw[o + d]! / c);
      out[0] = x * Math.exp(s) + raw[o + D + d]!;
      out[1] = s;
    },
    inverse(raw, o, d, y) {
      return (y - raw[o + D + d]!) * Math.exp(-c * Math.tanh(raw[o + d]! / c));
    },
    backward(raw, o, d, x, gy, gl, graw) {
      const th = Math.tanh(raw[o + d]! / c);
      const e = Math.exp(c * th);
      graw[o + d] = (gy * x * e + gl) * (1 - th * th);
      graw[o + D + d] = gy;
      return gy * e;
    },
  };
}

/** The rational-quadratic spline over D dimensions: raw holds D blocks of 3K - 1, one per dimension, on [-B, B]. */
export function splineMap(D: number, K: number, B: number): CouplingMap {
  const P = splineParams(K);
  const knots = createKnots(K);
  return {
    width: D * P,
    forward: (raw, o, d, x, out) => splineForward(raw, o + d * P, K, B, x, knots, out),
    inverse: (raw, o, d, y) => splineInverse(raw, o + d * P, K, B, y, knots),
    backward: (raw, o, d, x, gy, gl, graw) => splineBackward(raw, o + d * P, K, B, x, gy, gl, knots, graw),
  };
}
