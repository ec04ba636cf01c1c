/**
 * The arithmetic of `EnsembleDynamics` on plain rows, apart from its networks and state: the input features and
 * targets of a fit (standardised), the grouping of rows by member, a member's Gaussian sample of the next state and
 * reward, the elites' running moments, the disagreement bonus (the trace of their variance over state dimensions),
 * and the learned termination's features.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { boundedLogStd } from '../bayes/heteroscedastic.js';
import type { WorldAction, WorldStepOut } from './contract.js';

/** Rows [state (d), action features] (n x inDim) into out; Discrete actions one-hot (an action outside start..start+n-1 is refused). */
export function inputFeatures(states: ArrayLike<number>, actions: ArrayLike<number>, n: number, d: number, a: WorldAction, out: Float32Array): void {
  const inDim = d + (a.kind === 'continuous' ? a.dim : a.n);
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: one more column writes the first action feature's slot, which the action loop then overwrites.
    for (let j = 0; j < d; j++) out[i * inDim + j] = states[i * d + j]!;
    if (a.kind === 'continuous') {
      for (let j = 0; j < a.dim; j++) out[i * inDim + d + j] = actions[i * a.dim + j]!;
    } else {
      const k = actions[i]! - a.start;
      if (!(Number.isInteger(k) && k >= 0 && k < a.n)) throw new InvalidConfig(`Expected discrete actions in ${a.start}..${a.start + a.n - 1}, got ${describeValue(actions[i])} at row ${i}.`);
      for (let j = 0; j < a.n; j++) out[i * inDim + d + j] = j === k ? 1 : 0;
    }
  }
}

/** The fit's targets: rows [next state - state (d), reward] (n x (d + 1)) into y. */
export function deltaTargets(states: Float32Array, nextStates: Float32Array, rewards: Float32Array, n: number, d: number, y: Float32Array): void {
  const od = d + 1;
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: one more column writes the reward's slot, which the next line overwrites.
    for (let j = 0; j < d; j++) y[i * od + j] = nextStates[i * d + j]! - states[i * d + j]!;
    y[i * od + d] = rewards[i]!;
  }
}

/** (x - mean) / std per column, in place, on the first n rows of width w. */
export function standardiseInPlace(x: Float32Array, n: number, w: number, mean: readonly number[], std: readonly number[]): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) x[i * w + j] = (x[i * w + j]! - mean[j]!) / std[j]!;
}

/**
 * Groups n rows by member (a counting sort): chosen[i] is row i's member in 0..members-1; writes starts (members + 1)
 * with member k's rows at order[starts[k] .. starts[k + 1]), in row order.
 */
export function groupByMember(chosen: Int32Array, n: number, members: number, starts: Int32Array, order: Int32Array): void {
  starts.fill(0, 0, members + 1);
  for (let i = 0; i < n; i++) starts[chosen[i]! + 1]!++;
  for (let k = 0; k < members; k++) starts[k + 1]! += starts[k]!;
  const fill = starts.slice(0, members + 1);
  for (let i = 0; i < n; i++) order[fill[chosen[i]!]!++] = i;
}

/** The standardisation of targets and the log-std bounds a member's sample needs. */
export interface SampleScaling {
  yMean: readonly number[];
  yStd: readonly number[];
  minLogStd: number;
  maxLogStd: number;
}

/**
 * A sample of one member's Gaussian for m rows: raw (m x 2(d + 1)) holds [mean, raw log-std] per row, standardised;
 * z = mean + exp(boundedLogStd(raw)) eps, un-standardised, is the state change (added to the row's state) then the
 * reward. Row r of raw is row rows[r] of states and out.
 */
export function sampleMemberRows(raw: Float32Array, rows: Int32Array, m: number, states: Float32Array, d: number, s: SampleScaling, rng: Rng, out: WorldStepOut): void {
  const od = d + 1;
  for (let r = 0; r < m; r++) {
    const i = rows[r]!;
    for (let j = 0; j < od; j++) {
      const z = raw[r * 2 * od + j]! + Math.exp(boundedLogStd(raw[r * 2 * od + od + j]!, s.minLogStd, s.maxLogStd)) * rng.normal();
      const v = z * s.yStd[j]! + s.yMean[j]!;
      if (j < d) out.nextStates[i * d + j] = states[i * d + j]! + v;
      else out.rewards[i] = v;
    }
  }
}

/**
 * Welford's update with the `count`-th elite (0-based): its predicted means (raw n x 2od, standardised) un-standardised
 * into the running mean and sum of squared deviations m2 (n x od each).
 */
export function addEliteMeans(raw: Float32Array, n: number, od: number, yMean: readonly number[], yStd: readonly number[], count: number, mean: Float64Array, m2: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < od; j++) {
      const mu = raw[i * 2 * od + j]! * yStd[j]! + yMean[j]!;
      const q = i * od + j, delta = mu - mean[q]!;
      mean[q] = mean[q]! + delta / (count + 1);
      m2[q] = m2[q]! + delta * (mu - mean[q]!);
    }
  }
}

/** The disagreement bonus: per row, the sum over the d state columns of m2 / e (the elites' population variance), into out. */
export function stateDisagreement(m2: Float64Array, n: number, d: number, e: number, out: Float32Array): Float32Array {
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let j = 0; j < d; j++) v += m2[i * (d + 1) + j]! / e;
    out[i] = v;
  }
  return out;
}

/**
 * The learned termination's features of n rows into feat (n x (inDim + d)): the standardised inputs xn (n x inDim),
 * then the standardised predicted change (next - state - yMean) / yStd.
 */
export function terminationFeatures(xn: Float32Array, states: Float32Array, nextStates: Float32Array, n: number, inDim: number, d: number, yMean: readonly number[], yStd: readonly number[], feat: Float32Array): void {
  const w = inDim + d;
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: one more column writes the first change slot, which the next loop overwrites.
    for (let j = 0; j < inDim; j++) feat[i * w + j] = xn[i * inDim + j]!;
    for (let j = 0; j < d; j++) feat[i * w + inDim + j] = (nextStates[i * d + j]! - states[i * d + j]! - yMean[j]!) / yStd[j]!;
  }
}
