/**
 * Termination rules of built-in envs, written as batched functions over the world model's states (mbrl-lib's
 * termination_fns), so that a dynamics model need not learn what is known.
 */
import type { TerminationFn } from './contract.js';

/** CartPole-v1: terminated when |x| > 2.4 or |theta| > 12 degrees (state [x, x_dot, theta, theta_dot]). */
export function cartPoleTermination(_states: Float32Array, _actions: Float32Array, next: Float32Array, n: number, out: Uint8Array): void {
  const thetaLimit = (12 * 2 * Math.PI) / 360;
  for (let i = 0; i < n; i++) {
    const x = next[i * 4]!, theta = next[i * 4 + 2]!;
    // Stryker disable next-line EqualityOperator: float32 states never equal +-2.4 or +-12 degrees, neither of which a float32 holds, so <= and < agree.
    out[i] = x < -2.4 || x > 2.4 || theta < -thetaLimit || theta > thetaLimit ? 1 : 0;
  }
}

/** MountainCarContinuous-v0: terminated at the goal, position >= 0.45 with velocity >= 0 (state [position, velocity]). */
export function mountainCarTermination(_states: Float32Array, _actions: Float32Array, next: Float32Array, n: number, out: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    // Stryker disable next-line EqualityOperator: a float32 position never equals 0.45, which a float32 cannot hold, so > and >= agree.
    const atGoal = next[i * 2]! >= 0.45;
    out[i] = atGoal && next[i * 2 + 1]! >= 0 ? 1 : 0;
  }
}

/** Envs that never terminate (Pendulum-v1, only truncated by its time limit). */
export function neverTerminates(_states: Float32Array, _actions: Float32Array, _next: Float32Array, n: number, out: Uint8Array): void {
  out.fill(0, 0, n);
}

/** Known rules by env id: a function, or 'never'. Envs not listed get a learned termination. */
export const KNOWN_TERMINATIONS: Readonly<Record<string, TerminationFn | 'never'>> = {
  'CartPole-v1': cartPoleTermination,
  'Pendulum-v1': 'never',
  'MountainCarContinuous-v0': mountainCarTermination,
};
