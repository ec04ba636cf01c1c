/**
 * The data side of every Bayesian model's `fit`: shape checks, the per-column standardisation the models apply
 * inside (fixed by the first fit), and the checked training budget.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { checkRows } from '../checks.js';

// The row check every model shares (checks.ts), importable from here as the Bayesian models first did.
export { checkRows } from '../checks.js';

/** Per-column mean and std of targets/inputs, for the standardisation every Bayesian model applies inside. */
export interface Scaling {
  xMean: number[];
  xStd: number[];
  yMean: number[];
  yStd: number[];
}

/** Mean and population std per column of n x dim rows (a constant column gets std 1). */
export function columnStats(a: Float32Array, n: number, dim: number): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < dim; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i * dim + j]!;
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (a[i * dim + j]! - m) ** 2;
    mean.push(m);
    std.push(v > 0 ? Math.sqrt(v / n) : 1);
  }
  return { mean, std };
}

/** (a - mean) / std per column, into a new array. */
export function standardise(a: Float32Array, n: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const dim = mean.length;
  const out = new Float32Array(n * dim);
  // Stryker disable next-line EqualityOperator: an extra row writes past `out` (ignored); an extra column writes the next row's first entry, which that row then overwrites.
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = (a[i * dim + j]! - mean[j]!) / std[j]!;
  return out;
}

/** Throws `InvalidConfig` unless `v` is a positive integer (`what` names it). */
export function checkPositiveInt(v: unknown, what: string): number {
  if (!(Number.isInteger(v) && (v as number) >= 1)) throw new InvalidConfig(`Expected ${what} to be a positive integer, got ${describeValue(v)}.`);
  return v as number;
}

/** What `prepareFit` hands a Bayesian model's `fit`: the checked budget and the standardised data. */
export interface PreparedFit {
  epochs: number;
  batchSize: number;
  /** The standardisation: the one given, else taken from this data (the first fit fixes it). */
  scaling: Scaling;
  /** x and y standardised (n x inDim, n x outDim). */
  xn: Float32Array;
  yn: Float32Array;
}

/**
 * The start every `fit` of the Bayesian models shares: checks x (n x inDim), y (n x outDim), the epochs and the batch
 * size, fixes the standardisation on the first fit, and standardises the data.
 */
export function prepareFit(
  x: Float32Array, y: Float32Array, n: number, dims: { inDim: number; outDim: number },
  budget: { epochs: number; batchSize: number }, scaling: Scaling | null,
): PreparedFit {
  checkRows(x, n, dims.inDim, 'x');
  checkRows(y, n, dims.outDim, 'y');
  const { epochs, batchSize } = budget;
  checkPositiveInt(batchSize, 'batchSize');
  if (!(Number.isInteger(epochs) && epochs >= 0)) throw new InvalidConfig(`Expected epochs to be an integer >= 0, got ${describeValue(epochs)}.`);
  const s = scaling ?? scalingOf(x, y, n, dims);
  return { epochs, batchSize, scaling: s, xn: standardise(x, n, s.xMean, s.xStd), yn: standardise(y, n, s.yMean, s.yStd) };
}

/** The per-column standardisation of x (n x inDim) and y (n x outDim). */
export function scalingOf(x: Float32Array, y: Float32Array, n: number, dims: { inDim: number; outDim: number }): Scaling {
  const sx = columnStats(x, n, dims.inDim);
  const sy = columnStats(y, n, dims.outDim);
  return { xMean: sx.mean, xStd: sx.std, yMean: sy.mean, yStd: sy.std };
}
