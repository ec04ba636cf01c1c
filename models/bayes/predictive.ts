/**
 * The predictive distribution of the Bayesian regressors as what it is: an equal-weight mixture of Gaussians, one
 * component per ensemble member or per dropout pass. `predict` reports its moments (the mixture's variance is the
 * spread of the means plus the mean sigma^2); this file gives its density, for the held-out log-likelihood that
 * Gal and Ghahramani and Lakshminarayanan et al. report, and draws of y from it.
 */
import { logSumExp } from '../../core/math.js';
import type { Rng } from '../../core/rng.js';
import { checkRows } from '../checks.js';
import { boundedLogStd } from './heteroscedastic.js';
import type { Scaling } from './fit-data.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** K Gaussian components over n rows of d targets, in the targets' own units: mean and std are K x n x d. */
export interface GaussianComponents {
  count: number;
  n: number;
  d: number;
  mean: Float64Array;
  std: Float64Array;
}

/** Empty storage for `count` components of n x d. */
export function gaussianComponents(count: number, n: number, d: number): GaussianComponents {
  return { count, n, d, mean: new Float64Array(count * n * d), std: new Float64Array(count * n * d) };
}

/**
 * Component k's means from a network's raw outputs (n x 2d rows [mean, raw log-std], standardised units), plus
 * `prior` (n x 2d, its mean columns already scaled) when given, un-standardised with `scaling`.
 */
export function setComponentMeans(c: GaussianComponents, k: number, raw: Float32Array, scaling: Scaling, prior: Float32Array | null = null): void {
  const { n, d } = c;
  const base = k * n * d;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const z = raw[i * 2 * d + j]! + (prior ? prior[i * 2 * d + j]! : 0);
      c.mean[base + i * d + j] = z * scaling.yStd[j]! + scaling.yMean[j]!;
    }
  }
}

/** Component k's stds from raw outputs' log-std columns, through the soft clamp into [bounds.min, bounds.max], in the targets' units. */
export function setComponentStds(c: GaussianComponents, k: number, raw: Float32Array, scaling: Scaling, bounds: { min: number; max: number }): void {
  const { n, d } = c;
  const base = k * n * d;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      c.std[base + i * d + j] = Math.exp(boundedLogStd(raw[i * 2 * d + d + j]!, bounds.min, bounds.max)) * scaling.yStd[j]!;
    }
  }
}

/**
 * log p(y_i) = log (1/K) sum_k prod_j N(y_ij; mean_kij, std_kij^2) for each of the n rows of y (n x d), in nats,
 * the Gaussian constant included; computed with log-sum-exp so that far-off points stay finite. Throws
 * `InvalidConfig` naming y's expected shape unless y holds n x d finite values.
 */
export function mixtureLogProb(c: GaussianComponents, y: Float32Array, out = new Float64Array(c.n)): Float64Array {
  const { count, n, d } = c;
  checkRows(y, n, d, 'y');
  const logs = new Float64Array(count);
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: a component past the last writes past the end of logs, which typed arrays ignore.
    for (let k = 0; k < count; k++) {
      let lp = 0;
      for (let j = 0; j < d; j++) {
        const at = k * n * d + i * d + j;
        const s = c.std[at]!;
        const u = (y[i * d + j]! - c.mean[at]!) / s;
        lp -= 0.5 * u * u + Math.log(s) + HALF_LOG_2PI;
      }
      logs[k] = lp;
    }
    out[i] = logSumExp(logs) - Math.log(count);
  }
  return out;
}

/** n draws (n x d): for each row a component chosen uniformly from `rng`, then its Gaussian. */
export function mixtureSample(c: GaussianComponents, rng: Rng, out = new Float32Array(c.n * c.d)): Float32Array {
  const { count, n, d } = c;
  for (let i = 0; i < n; i++) {
    const k = rng.int(count);
    for (let j = 0; j < d; j++) {
      const at = k * n * d + i * d + j;
      out[i * d + j] = rng.normal(c.mean[at]!, c.std[at]!);
    }
  }
  return out;
}
