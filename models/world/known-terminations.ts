/**
 * Termination rules of built-in envs, written as batched functions over the world model's states (mbrl-lib's
 * termination_fns), so that a dynamics model need not learn what is known.
 */
import type { TerminationFn } from './contract.js';

/** CartPole-v1: terminated when |x| > 2.4 or |theta| > 12 degrees (state [x, x_dot, theta, theta_dot]). */
export const cartPoleTermination: TerminationFn = (_states, _actions, next, n, out) => {
  const thetaLimit = (12 * 2 * Math.PI) / 360;
  for (let i = 0; i < n; i++) {
    const x = next[i * 4]!, theta = next[i * 4 + 2]!;
    out[i] = x < -2.4 || x > 2.4 || theta < -thetaLimit || theta > thetaLimit ? 1 : 0;
  }
};

/** MountainCarContinuous-v0: terminated at the goal, position >= 0.45 with velocity >= 0 (state [position, velocity]). */
export const mountainCarTermination: TerminationFn = (_states, _actions, next, n, out) => {
  for (let i = 0; i < n; i++) out[i] = next[i * 2]! >= 0.45 && next[i * 2 + 1]! >= 0 ? 1 : 0;
};

/** Envs that never terminate (Pendulum-v1, only truncated by its time limit). */
export const neverTerminates: TerminationFn = (_states, _actions, _next, n, out) => {
  out.fill(0, 0, n);
};

/** Known rules by env id: a function, or 'never'. Envs not listed get a learned termination. */
export const KNOWN_TERMINATIONS: Readonly<Record<string, TerminationFn | 'never'>> = {
  'CartPole-v1': cartPoleTermination,
  'Pendulum-v1': 'never',
  'MountainCarContinuous-v0': mountainCarTermination,
};
