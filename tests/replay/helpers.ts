import type { Transition } from '../../core/env.js';

/** A transition with obs [t, 10 t, ...] of length dim, for tests that trace rows back to steps. */
export function step(
  t: number,
  opts: { dim?: number; action?: number; reward?: number; terminated?: boolean; truncated?: boolean; episode?: number } = {},
): Transition<Float32Array, number> {
  const dim = opts.dim ?? 2;
  const obs = new Float32Array(dim).map((_, i) => t * 10 ** i);
  const nextObs = new Float32Array(dim).map((_, i) => (t + 1) * 10 ** i);
  return {
    obs,
    action: opts.action ?? t % 3,
    reward: opts.reward ?? t,
    nextObs,
    terminated: opts.terminated ?? false,
    truncated: opts.truncated ?? false,
    info: {},
    episode: opts.episode ?? 0,
    t,
    step: t,
  };
}
