/**
 * Numbers behind the viewer's plots, free of the DOM so they are tested in Node: axis ticks, smoothing,
 * extents and short number labels.
 */

/** "Nice" tick values (1, 2, 5 x 10^k steps) covering [min, max] with about `count` ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  if (min > max) [min, max] = [max, min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return ticks;
}

/** [min, max] of the finite values, padded by `pad` of the range; [0, 1] when there are none. */
export function extent(values: Iterable<number>, pad = 0.05): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/**
 * Exponential moving average with debiasing (as TensorBoard's smoothing slider): `weight` in [0, 1), 0 keeps
 * the data. Non-finite values are carried through without entering the average.
 */
export function smoothEma(ys: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  const out = new Array<number>(ys.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i]!;
    if (!Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    last = last * w + (1 - w) * y;
    n++;
    out[i] = last / (1 - w ** n);
  }
  return out;
}

/** A short label: 12, 0.25, 1.5k, 2.5M, 1e-4. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e6) return `${trim(v / 1e6, 2)}M`;
  if (a >= 1e4) return `${trim(v / 1e3, 1)}k`;
  if (a >= 100) return trim(v, 0);
  if (a >= 1) return trim(v, 2);
  if (a >= 1e-3) return trim(v, 4);
  return v.toExponential(1);
}

function trim(v: number, digits: number): string {
  const s = v.toFixed(digits);
  // Only zeros after the decimal point go: 400 stays 400, 1.50 becomes 1.5.
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Index of the x closest to `x` in ascending `xs` (binary search); -1 when empty. */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo]! - x) <= Math.abs(xs[hi]! - x) ? lo : hi;
}

/** Per pixel column: the x of the column's centre, and the min, max and mean of the finite ys that fall in it. */
export interface ColumnEnvelope {
  xs: number[];
  lo: number[];
  hi: number[];
  mean: number[];
}

/**
 * Aggregates a line of many points into `columns` buckets of equal x width over [x0, x1] (one per pixel
 * column): thousands of episodes then draw as a min/max band and a mean line instead of a solid block of
 * zig-zags. Empty columns are left out; points outside [x0, x1] and non-finite ys are ignored.
 */
export function columnEnvelope(xs: readonly number[], ys: readonly number[], x0: number, x1: number, columns: number): ColumnEnvelope {
  const n = Math.max(1, Math.floor(columns));
  const span = x1 - x0;
  const lo = new Array<number>(n).fill(Infinity);
  const hi = new Array<number>(n).fill(-Infinity);
  const sum = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (!Number.isFinite(y) || x < x0 || x > x1) continue;
    const c = span > 0 ? Math.min(n - 1, Math.floor(((x - x0) / span) * n)) : 0;
    if (y < lo[c]!) lo[c] = y;
    if (y > hi[c]!) hi[c] = y;
    sum[c]! += y;
    count[c]!++;
  }
  const out: ColumnEnvelope = { xs: [], lo: [], hi: [], mean: [] };
  for (let c = 0; c < n; c++) {
    if (count[c] === 0) continue;
    out.xs.push(x0 + ((c + 0.5) / n) * span);
    out.lo.push(lo[c]!);
    out.hi.push(hi[c]!);
    out.mean.push(sum[c]! / count[c]!);
  }
  return out;
}

/** [min, max] of the finite values, or null when there are none. */
export function finiteRange(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? null : [lo, hi];
}

/**
 * Maps `ys` from [lo, hi] to [0, 1] (0 = the run's lowest, 1 = its highest): runs of different scales
 * (CartPole's 500 and MountainCar's -110) then share one axis by shape. A flat range maps to 0.5.
 */
export function scaleToUnit(ys: readonly number[], lo: number, hi: number): number[] {
  const span = hi - lo;
  return ys.map((y) => (!Number.isFinite(y) ? y : span > 0 ? (y - lo) / span : 0.5));
}
