/**
 * Exploration noise for deterministic policies (DDPG, TD3): independent Gaussian draws, or an Ornstein-Uhlenbeck
 * process whose draws are correlated in time (Lillicrap et al. 2016), as Stable-Baselines3's `NormalActionNoise`
 * and `OrnsteinUhlenbeckActionNoise`. Noise is in the policy's own units, [-1, 1] per action dimension (half the
 * action range), so one std suits every action space. A draw allocates nothing.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/** A noise process over `dim` action dimensions. */
export interface ActionNoise {
  readonly kind: 'gaussian' | 'ornstein-uhlenbeck';
  readonly dim: number;
  /** Writes the next draw (dim values, in units of half the action range) into `out` and returns it. */
  sample(out: Float32Array): Float32Array;
  /** Starts the process again (at episode ends: OU returns to 0). */
  reset(): void;
  /** The process state (OU: its current value; Gaussian: none), for checkpoints. */
  getState(): number[];
  /** Restores `getState()` output. */
  setState(state: readonly number[]): void;
}

/**
 * A standard normal draw from two uniforms (Box-Muller, cosine branch). Unlike `Rng.normal` it caches no spare
 * value, so the rng's saved state is the whole state and a resumed run draws the same numbers.
 */
export function standardNormal(rng: Rng): number {
  const u = 1 - rng.float(); // (0, 1]: log(u) is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
}

/** Uniform pairs for `fillStandardNormal`, grown to the largest request (never per draw). */
let uniforms = new Float64Array(64);

/**
 * Writes `count` standard normal draws into `out` from `offset`: the same numbers as `count` calls of
 * `standardNormal(rng)`, drawn through `Rng.fillUniform` so that no draw is a boxed double on the heap.
 */
export function fillStandardNormal(rng: Rng, out: Float32Array | Float64Array, offset = 0, count = out.length - offset): void {
  if (uniforms.length < 2 * count) uniforms = new Float64Array(2 * count);
  rng.fillUniform(uniforms, 0, 1, 0, 2 * count);
  for (let i = 0; i < count; i++) out[offset + i] = Math.sqrt(-2 * Math.log(1 - uniforms[2 * i]!)) * Math.cos(2 * Math.PI * uniforms[2 * i + 1]!);
}

function checkArgs(dim: number, std: number, rng: Rng): void {
  if (!Number.isSafeInteger(dim) || dim < 1) throw new InvalidConfig(`Expected noise dim to be a positive integer, got ${describeValue(dim)}.`);
  if (typeof std !== 'number' || !Number.isFinite(std) || std < 0) throw new InvalidConfig(`Expected noise std to be a finite number >= 0, got ${describeValue(std)}.`);
  if (rng === null || typeof rng !== 'object' || typeof rng.float !== 'function') throw new InvalidConfig(`Expected an Rng, got ${describeValue(rng)}.`);
}

function checkOut(out: Float32Array, dim: number): void {
  if (!(out instanceof Float32Array) || out.length < dim) throw new InvalidConfig(`Expected out to be a Float32Array of at least ${dim} values, got ${describeValue(out)}.`);
}

/** Independent N(0, std^2) draws per dimension and step (TD3's and CleanRL's exploration noise). */
export function gaussianNoise(dim: number, std: number, rng: Rng): ActionNoise {
  checkArgs(dim, std, rng);
  return {
    kind: 'gaussian',
    dim,
    sample(out) {
      checkOut(out, dim);
      fillStandardNormal(rng, out, 0, dim);
      for (let j = 0; j < dim; j++) out[j] = std * out[j]!;
      return out;
    },
    reset() {},
    getState: () => [],
    setState() {},
  };
}

/** Options of `ornsteinUhlenbeckNoise`; defaults are SB3's. */
export interface OrnsteinUhlenbeckOptions {
  /** sigma: the scale of each step's shock. */
  std: number;
  /** Pull towards 0 per unit of time; default 0.15. */
  theta?: number;
  /** Time step; default 1e-2. */
  dt?: number;
}

/**
 * x_{t+1} = x_t - theta x_t dt + std sqrt(dt) N(0, 1), from x_0 = 0 (SB3's discretisation, mean 0). The stationary
 * variance is std^2 / (theta (2 - theta dt)) and the lag-1 autocorrelation 1 - theta dt: with SB3's defaults the
 * noise drifts over hundreds of steps, which pushes a car up a hill where white noise cancels out.
 */
export function ornsteinUhlenbeckNoise(dim: number, options: OrnsteinUhlenbeckOptions, rng: Rng): ActionNoise {
  const { std, theta = 0.15, dt = 1e-2 } = options ?? {};
  checkArgs(dim, std, rng);
  if (typeof theta !== 'number' || !Number.isFinite(theta) || theta < 0) throw new InvalidConfig(`Expected OU theta to be a finite number >= 0, got ${describeValue(theta)}.`);
  if (typeof dt !== 'number' || !(dt > 0) || !(theta * dt <= 1)) throw new InvalidConfig(`Expected OU dt > 0 with theta * dt <= 1, got dt ${describeValue(dt)}.`);
  const x = new Float64Array(dim);
  const eps = new Float64Array(dim);
  const shock = std * Math.sqrt(dt);
  return {
    kind: 'ornstein-uhlenbeck',
    dim,
    sample(out) {
      checkOut(out, dim);
      fillStandardNormal(rng, eps);
      for (let j = 0; j < dim; j++) {
        x[j] = x[j]! - theta * x[j]! * dt + shock * eps[j]!;
        out[j] = x[j]!;
      }
      return out;
    },
    reset() {
      x.fill(0);
    },
    getState: () => Array.from(x),
    setState(state) {
      if (!Array.isArray(state) || state.length !== dim || !state.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new InvalidConfig(`Expected an OU state of ${dim} finite numbers, got ${describeValue(state)}.`);
      }
      x.set(state);
    },
  };
}

/**
 * TD3's target policy smoothing: a'_i = scale(clip(u_i + clip(eps, -noiseClip, noiseClip), -1, 1)), eps ~ N(0, std^2)
 * per dimension, from the target actor's tanh outputs u (n x d) into out, with scale(v) = low + (v + 1) half and
 * half = (high - low) / 2 (d values each). std 0: a' = scale(u), DDPG's target action.
 */
export function smoothTargetActions(u: Float32Array, n: number, d: number, std: number, noiseClip: number, rng: Rng, low: Float32Array, half: Float32Array, out: Float32Array): Float32Array {
  if (std > 0) fillStandardNormal(rng, out, 0, n * d); // the draws go through out, then become the actions
  for (let i = 0; i < n * d; i++) {
    const eps = std > 0 ? Math.min(noiseClip, Math.max(-noiseClip, std * out[i]!)) : 0;
    out[i] = low[i % d]! + (Math.min(1, Math.max(-1, u[i]! + eps)) + 1) * half[i % d]!;
  }
  return out;
}
