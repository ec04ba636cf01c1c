/**
 * The policy's own action sequence as a CEM candidate (TD-MPC, Hansen et al. 2022, mixes policy trajectories into its
 * MPPI population): the actor acts from the current state through the model's mean prediction for H steps, and the
 * planner scores that sequence beside its sampled ones, so a plan is never worse in the model than the policy it
 * improves on.
 */
import type { WorldModel } from '../models/world/contract.js';
import { worldStepOut } from '../models/world/contract.js';
import type { Net } from '../nn/types.js';
import { NoiselessRng, predictsMean } from './planner.js';

/** Writes an action sequence (H x aw) for a start state (stateDim floats) into `out`. */
export type SequenceProposal = (state: Float32Array, out: Float32Array) => void;

/**
 * The actor's sequence through `model`: a(s) = low + (actor(s) + 1) (high - low) / 2, then the model's mean next
 * state (`predictMean` when it has one, else its step with noiseless draws), H times; buffers preallocated.
 */
export function actorSequence(model: WorldModel, actor: Net, low: ArrayLike<number>, high: ArrayLike<number>, horizon: number, seed: number): SequenceProposal {
  const d = model.stateDim, aw = actor.outputSize;
  const s = new Float32Array(d), u = new Float32Array(aw), a = new Float32Array(aw), members = new Int32Array(1), out = worldStepOut(1, d);
  const rng = new NoiselessRng(seed);
  return (state, seq) => {
    s.set(state.subarray(0, d));
    if (!predictsMean(model)) model.startRollouts(1, rng, members);
    // Stryker disable next-line EqualityOperator: the break below ends the loop at h = horizon - 1.
    for (let h = 0; h < horizon; h++) {
      actor.predict(s, 1, u);
      // Stryker disable next-line EqualityOperator: a holds aw floats, so a write at index aw is dropped.
      for (let j = 0; j < aw; j++) a[j] = Math.min(high[j]!, Math.max(low[j]!, low[j]! + (u[j]! + 1) * ((high[j]! - low[j]!) / 2)));
      seq.set(a, h * aw);
      // The last action needs no next state.
      if (h === horizon - 1) break;
      if (predictsMean(model)) s.set(model.predictMean(s, a, 1).nextStates);
      else s.set(model.step(s, a, 1, members, rng, out).nextStates);
    }
  };
}
