/**
 * The monotone rational-quadratic spline of Neural Spline Flows (Durkan et al. 2019), the elementwise map of
 * RealNVP's `coupling: 'spline'` (flow.ts). On [-B, B] it runs through K + 1 knots whose bin widths and heights
 * come from softmaxes and whose inner slopes come from softplus; outside it is the identity, and the end slopes are
 * 1 so that the map and its slope are continuous. All raw parameters zero give the identity (uniform bins, slopes
 * of 1), so a coupling whose last layer starts at zero starts as the identity.
 *
 * One element's raw parameters are 3K - 1 floats: K width logits, K height logits, K - 1 inner slope logits.
 * Every function recomputes the knots from them, so the only tape a coupling keeps is the network's output.
 */

/** Smallest bin width and height as a fraction of 2B, and smallest slope (Durkan et al.'s defaults). */
const MIN_BIN = 1e-3;
const MIN_SLOPE = 1e-3;
/** Makes a zero slope logit give a slope of exactly 1: MIN_SLOPE + softplus(0 + SLOPE_SHIFT) = 1. */
const SLOPE_SHIFT = Math.log(Math.expm1(1 - MIN_SLOPE));

/** Raw floats per element of a spline of `bins` bins. */
export function splineParams(bins: number): number {
  return 3 * bins - 1;
}

/** Knots, bin sizes and slopes of one element, in buffers reused between calls (K is fixed per flow). */
interface Knots {
  xs: Float64Array; ys: Float64Array; w: Float64Array; h: Float64Array; d: Float64Array;
  pw: Float64Array; ph: Float64Array; gw: Float64Array; gh: Float64Array; gd: Float64Array;
}

/** Reusable knot buffers for `bins` bins: a spline call then allocates nothing. */
export function createKnots(bins: number): Knots {
  const f = (k: number): Float64Array => new Float64Array(k);
  return { xs: f(bins + 1), ys: f(bins + 1), w: f(bins), h: f(bins), d: f(bins + 1), pw: f(bins), ph: f(bins), gw: f(bins), gh: f(bins), gd: f(bins + 1) };
}

/** Softmax of raw[o .. o + K) into p. */
function softmax(raw: ArrayLike<number>, o: number, K: number, p: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < K; i++) max = Math.max(max, raw[o + i]!);
  let sum = 0;
  for (let i = 0; i < K; i++) { p[i] = Math.exp(raw[o + i]! - max); sum += p[i]!; }
  // Stryker disable next-line EqualityOperator: p holds K floats: a write past its end is dropped.
  for (let i = 0; i < K; i++) p[i] = p[i]! / sum;
}

// Stryker disable next-line EqualityOperator: at v = 20 both branches give 20 to within 2e-9.
const softplus = (v: number): number => (v > 20 ? v : Math.log1p(Math.exp(v)));
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Fills the knots of the element whose raw parameters start at raw[o], on [-B, B] with K bins. */
function setKnots(raw: ArrayLike<number>, o: number, K: number, B: number, k: Knots): void {
  softmax(raw, o, K, k.pw);
  softmax(raw, o + K, K, k.ph);
  const scale = 2 * B * (1 - MIN_BIN * K);
  k.xs[0] = -B;
  k.ys[0] = -B;
  // Stryker disable next-line EqualityOperator: a pass at i = K only writes past the ends of w, h, xs and ys.
  for (let i = 0; i < K; i++) {
    k.w[i] = 2 * B * MIN_BIN + scale * k.pw[i]!;
    k.h[i] = 2 * B * MIN_BIN + scale * k.ph[i]!;
    k.xs[i + 1] = k.xs[i]! + k.w[i]!;
    k.ys[i + 1] = k.ys[i]! + k.h[i]!;
  }
  // The last knots sit at B exactly, whatever the rounding of the sums.
  k.xs[K] = B;
  k.ys[K] = B;
  k.d[0] = 1;
  k.d[K] = 1;
  for (let i = 1; i < K; i++) k.d[i] = MIN_SLOPE + softplus(raw[o + 2 * K + i - 1]! + SLOPE_SHIFT);
}

/** Whether v lies inside (-B, B), where the spline acts. */
// Stryker disable next-line EqualityOperator: at v = -B or B the spline gives y = v and log-slope 0 (end knots at +-B, end slopes 1), as the identity does.
const inside = (v: number, B: number): boolean => v > -B && v < B;

/** Sets the knots of raw[o ..] and returns the bin j with knots[j] <= v < knots[j + 1] along xs or ys (v inside). */
function locate(raw: ArrayLike<number>, o: number, K: number, B: number, v: number, k: Knots, along: 'xs' | 'ys'): number {
  setKnots(raw, o, K, B, k);
  const knots = k[along];
  let j = 0;
  // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: knots[K] = B > v stops the walk at K - 1 anyway, and at a knot both bins give the same y and slope.
  while (j < K - 1 && v >= knots[j + 1]!) j++;
  return j;
}

/** y and log dy/dx of one element, written to out[0] and out[1]. */
export function splineForward(raw: ArrayLike<number>, o: number, K: number, B: number, x: number, k: Knots, out: Float64Array): void {
  if (!inside(x, B)) { out[0] = x; out[1] = 0; return; }
  const j = locate(raw, o, K, B, x, k, 'xs');
  const w = k.w[j]!, h = k.h[j]!, d0 = k.d[j]!, d1 = k.d[j + 1]!;
  const s = h / w;
  const xi = (x - k.xs[j]!) / w;
  const a = xi * (1 - xi);
  const den = s + (d1 + d0 - 2 * s) * a;
  out[0] = k.ys[j]! + (h * (s * xi * xi + d0 * a)) / den;
  const P = d1 * xi * xi + 2 * s * a + d0 * (1 - xi) * (1 - xi);
  out[1] = 2 * Math.log(s) + Math.log(P) - 2 * Math.log(den);
}

/** x of one element from its y: the exact inverse of `splineForward` (the root of a quadratic in the bin). */
export function splineInverse(raw: ArrayLike<number>, o: number, K: number, B: number, y: number, k: Knots): number {
  if (!inside(y, B)) return y;
  const j = locate(raw, o, K, B, y, k, 'ys');
  const w = k.w[j]!, h = k.h[j]!, d0 = k.d[j]!, d1 = k.d[j + 1]!;
  const s = h / w;
  const dy = y - k.ys[j]!;
  const c2 = d1 + d0 - 2 * s;
  const qa = h * (s - d0) + dy * c2;
  const qb = h * d0 - dy * c2;
  const qc = -s * dy;
  // The stable root of qa xi^2 + qb xi + qc = 0 in [0, 1] (Durkan et al., eq. 29).
  const xi = (2 * qc) / (-qb - Math.sqrt(Math.max(0, qb * qb - 4 * qa * qc)));
  return k.xs[j]! + xi * w;
}

/**
 * Backpropagates one element: given gy = dL/dy and gl = dL/d(log dy/dx), adds dL/draw into graw[o ..
 * o + 3K - 1) and returns dL/dx. Outside [-B, B] the map is the identity: gy passes and raw gets nothing.
 */
export function splineBackward(
  raw: ArrayLike<number>, o: number, K: number, B: number, x: number, gy: number, gl: number, k: Knots, graw: Float32Array,
): number {
  if (!inside(x, B)) return gy;
  const j = locate(raw, o, K, B, x, k, 'xs');
  const w = k.w[j]!, h = k.h[j]!, d0 = k.d[j]!, d1 = k.d[j + 1]!;
  const s = h / w;
  const xi = (x - k.xs[j]!) / w;
  const a = xi * (1 - xi);
  const c2 = d1 + d0 - 2 * s;
  const den = s + c2 * a;
  const num = h * (s * xi * xi + d0 * a);
  const P = d1 * xi * xi + 2 * s * a + d0 * (1 - xi) * (1 - xi);
  const den2 = den * den;
  // Partials of y = ys_j + num / den and of log dy/dx = 2 log s + log P - 2 log den in xi, s, d0, d1 and h.
  const dDenXi = c2 * (1 - 2 * xi);
  const gXi = gy * ((h * (2 * s * xi + d0 * (1 - 2 * xi))) * den - num * dDenXi) / den2
    + gl * ((2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * (1 - xi)) / P - (2 * dDenXi) / den);
  const gS = gy * (h * xi * xi * den - num * (1 - 2 * a)) / den2 + gl * (2 / s + (2 * a) / P - (2 * (1 - 2 * a)) / den);
  const gD0 = gy * (h * a * den - num * a) / den2 + gl * ((1 - xi) * (1 - xi) / P - (2 * a) / den);
  const gD1 = gy * (-num * a) / den2 + gl * ((xi * xi) / P - (2 * a) / den);
  const gH = gy * (s * xi * xi + d0 * a) / den;
  // xi = (x - xs_j) / w and s = h / w; xs_j = -B + sum_{i<j} w_i and ys_j = -B + sum_{i<j} h_i.
  const { gw, gh, gd } = k;
  gw.fill(0);
  gh.fill(0);
  gd.fill(0);
  gw[j] = (-gXi * xi) / w - (gS * s) / w;
  gh[j] = gH + gS / w;
  for (let i = 0; i < j; i++) { gw[i] = gw[i]! - gXi / w; gh[i] = gh[i]! + gy; }
  gd[j] = gD0;
  gd[j + 1] = gD1;
  // w_i = 2B MIN_BIN + scale softmax_i: the softmax's Jacobian p_i (g_i - sum_m p_m g_m).
  const scale = 2 * B * (1 - MIN_BIN * K);
  let dotW = 0, dotH = 0;
  for (let i = 0; i < K; i++) { dotW += k.pw[i]! * gw[i]!; dotH += k.ph[i]! * gh[i]!; }
  for (let i = 0; i < K; i++) {
    graw[o + i] = graw[o + i]! + scale * k.pw[i]! * (gw[i]! - dotW);
    graw[o + K + i] = graw[o + K + i]! + scale * k.ph[i]! * (gh[i]! - dotH);
  }
  for (let i = 1; i < K; i++) graw[o + 2 * K + i - 1] = graw[o + 2 * K + i - 1]! + gd[i]! * sigmoid(raw[o + 2 * K + i - 1]! + SLOPE_SHIFT);
  return gXi / w;
}
