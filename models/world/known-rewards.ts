/**
 * Reward functions of built-in envs, written as batched functions over the world model's rows (mbrl-lib's reward_fns,
 * which PETS uses in place of a learned reward), so that imagined rollouts need not learn what is known.
 */
import type { RewardFn } from './contract.js';

/**
 * Pendulum-v1: -(theta^2 + 0.1 theta_dot^2 + 0.001 u^2) of the state before the step (state [cos, sin, theta_dot],
 * theta in [-pi, pi] from atan2, u the torque clipped to [-2, 2] N m).
 */
export function pendulumReward(states: Float32Array, actions: Float32Array, _next: Float32Array, n: number, out: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const th = Math.atan2(states[i * 3 + 1]!, states[i * 3]!), thdot = states[i * 3 + 2]!;
    const u = Math.min(2, Math.max(-2, actions[i]!));
    out[i] = -(th * th + 0.1 * thdot * thdot + 0.001 * u * u);
  }
}

/** Known reward functions by env id. Envs not listed keep the model's learned reward. */
export const KNOWN_REWARDS: Readonly<Record<string, RewardFn>> = {
  'Pendulum-v1': pendulumReward,
};
