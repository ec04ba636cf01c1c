/**
 * RealNVP's options (flow.ts) and their validation: every field checked, defaults filled in, bad input an
 * `InvalidConfig` naming the expected form.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { checkSeed } from '../core/rng.js';
import type { Activation } from '../nn/types.js';

/** Options of `RealNVP`. */
export interface RealNvpConfig {
  /** Floats per row (>= 2). */
  dim: number;
  /** Seed of the initial parameters, the shuffling and the sampler. */
  seed: number;
  /** Coupling layers (default 24; alternating masks). */
  couplings?: number;
  /** Hidden widths of each coupling's MLP (default [32, 32]). */
  hidden?: number[];
  /** Hidden nonlinearity (default 'relu'). */
  activation?: Activation;
  /** Adam's step size at the start (default 2e-3); it decays on a cosine to `finalLrFraction` of it. */
  learningRate?: number;
  /** Learning rate at the end of a fit as a fraction of the start (default 0.05). */
  finalLrFraction?: number;
  /** Soft clamp c of the log-scales: s = c tanh(raw / c) (default 2). */
  scaleClamp?: number;
  /**
   * Global gradient-norm clip (default 100: a guard against a rare exploding step, not a regulariser). On the ring
   * a few batches per epoch hit rows mapped far out (epoch losses of 1e2 to 1e6 nats); 10 did not help over seeds,
   * and on two moons seed 1 it left one test row at log p = -10527 (11.7 nats mean; 38 with averaging).
   */
  maxGradNorm?: number;
  /**
   * A learned invertible linear layer z = x W + b before every coupling, W starting at a random rotation
   * (Glow's invertible 1x1 convolution; default true). The alternating masks then split along learned directions.
   */
  linearMixing?: boolean;
  /**
   * Decay of an exponential moving average of the parameters taken after every step (Polyak averaging; default 0,
   * off). At the end of `fit` the flow takes the averaged parameters: Adam's step noise widens sharp modes. At 0.999
   * the ring (12500 steps) gains (bench/models-density.ts), but two moons (3200 steps, so the average reaches back
   * into the large early steps) loses: 1.303 nats over seeds 0-4 against 1.185 without.
   */
  averageDecay?: number;
  /** Fraction of the fit over which the learning rate rises linearly from 0 before its cosine decay (default 0, none). */
  warmupFraction?: number;
  /** Decay of the running statistics of a normalisation before every coupling (flow-norm.ts; default 0: none). */
  movingNorm?: number;
  /** Soft clamp of the shifts, t = c_t tanh(raw / c_t) in standardised units (default 0: unclamped). */
  shiftClamp?: number;
}

/** A config with every default filled in. */
export type ResolvedRealNvpConfig = Required<RealNvpConfig>;

/** Validates a config and fills in its defaults; throws `InvalidConfig` naming the first bad field. */
export function resolveRealNvpConfig(c: RealNvpConfig): ResolvedRealNvpConfig {
  if (!c || typeof c !== 'object') throw new InvalidConfig(`Expected a RealNVP config object, got ${describeValue(c)}.`);
  if (!Number.isInteger(c.dim) || c.dim < 2) throw new InvalidConfig(`Expected dim to be an integer >= 2, got ${describeValue(c.dim)}.`);
  checkSeed(c.seed);
  const r: ResolvedRealNvpConfig = {
    dim: c.dim, seed: c.seed, couplings: c.couplings ?? 24, hidden: c.hidden ?? [32, 32], activation: c.activation ?? 'relu',
    learningRate: c.learningRate ?? 2e-3, finalLrFraction: c.finalLrFraction ?? 0.05, scaleClamp: c.scaleClamp ?? 2, maxGradNorm: c.maxGradNorm ?? 100,
    linearMixing: c.linearMixing ?? true, averageDecay: c.averageDecay ?? 0,
    warmupFraction: c.warmupFraction ?? 0, shiftClamp: c.shiftClamp ?? 0, movingNorm: c.movingNorm ?? 0,
  };
  if (!Number.isInteger(r.couplings) || r.couplings < 1) throw new InvalidConfig(`Expected couplings to be a positive integer, got ${describeValue(r.couplings)}.`);
  if (!Array.isArray(r.hidden) || !r.hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new InvalidConfig(`Expected hidden to be an array of positive integers, got ${describeValue(r.hidden)}.`);
  }
  for (const k of ['learningRate', 'scaleClamp', 'maxGradNorm'] as const) {
    if (!(Number.isFinite(r[k]) && r[k] > 0)) throw new InvalidConfig(`Expected ${k} to be a finite number > 0, got ${describeValue(r[k])}.`);
  }
  if (!(r.finalLrFraction > 0 && r.finalLrFraction <= 1)) throw new InvalidConfig(`Expected finalLrFraction in (0, 1], got ${describeValue(r.finalLrFraction)}.`);
  if (!(r.averageDecay >= 0 && r.averageDecay < 1)) throw new InvalidConfig(`Expected averageDecay in [0, 1), got ${describeValue(r.averageDecay)}.`);
  if (!(r.movingNorm >= 0 && r.movingNorm < 1)) throw new InvalidConfig(`Expected movingNorm in [0, 1) (0: none), got ${describeValue(r.movingNorm)}.`);
  if (!(r.warmupFraction >= 0 && r.warmupFraction < 1)) throw new InvalidConfig(`Expected warmupFraction in [0, 1), got ${describeValue(r.warmupFraction)}.`);
  if (!(Number.isFinite(r.shiftClamp) && r.shiftClamp >= 0)) throw new InvalidConfig(`Expected shiftClamp to be a finite number >= 0 (0: off), got ${describeValue(r.shiftClamp)}.`);
  if (typeof r.linearMixing !== 'boolean') throw new InvalidConfig(`Expected linearMixing to be true or false, got ${describeValue(r.linearMixing)}.`);
  return r;
}
