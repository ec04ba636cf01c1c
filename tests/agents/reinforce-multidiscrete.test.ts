import { describe, expect, it } from 'vitest';
import { BaseEnv, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { box, multiDiscrete, type BoxSpace, type MultiDiscreteSpace } from '../../core/spaces.js';
import { RolloutBuffer } from '../../agents/loops/rollout.js';
import { categoricalPolicyLoss, policyLossScratch, reinforce, scoreWeights } from '../../agents/reinforce.js';

/**
 * One step with MultiDiscrete actions [a0 in 1..3, a1 in 0..1] (starts 1 and 0): reward 1 for a0 = 3 plus 1 for
 * a1 = 0. The best policy earns 2; a uniform one 1/3 + 1/2 = 5/6.
 */
class TwoDialEnv extends BaseEnv<Float32Array, Int32Array> {
  readonly observationSpace: BoxSpace<'float32'> = box({ low: 0, high: 1, shape: [1] });
  readonly actionSpace: MultiDiscreteSpace = multiDiscrete([3, 2], { start: [1, 0] });
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    return { obs: Float32Array.of(0.5), info: {} };
  }
  step(action: Int32Array): StepResult<Float32Array> {
    if (!(action instanceof Int32Array) || action.length !== 2) throw new Error(`Expected an Int32Array of 2 sub-actions, got ${String(action)}.`);
    return { obs: Float32Array.of(0.5), reward: (action[0] === 3 ? 1 : 0) + (action[1] === 0 ? 1 : 0), terminated: true, truncated: false, info: {} };
  }
}

describe('REINFORCE with MultiDiscrete actions', () => {
  it('act() picks each block\'s most likely sub-action plus its start', () => {
    const agent = reinforce(new TwoDialEnv(), { hidden: [4] });
    const logits = agent.policy.predict(Float32Array.of(0.5), 1);
    const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
    expect(Array.from(agent.act(Float32Array.of(0.5)))).toEqual([argmax(Array.from(logits.subarray(0, 3))) + 1, argmax(Array.from(logits.subarray(3, 5)))]);
  });

  it('update() takes the rollout\'s actions as the env does (with starts) and steps on the sum of the blocks\' log-probabilities', () => {
    const lr = 0.1;
    const agent = reinforce(new TwoDialEnv(), { optimizer: 'sgd', learningRate: lr, hidden: [4], normalizeReturns: false });
    const policy = agent.policy.clone();
    const r = new RolloutBuffer({ numEnvs: 1, capacity: 3, obsDim: 1, actionKind: 'discrete', actionDim: 2 });
    r.obs.set([0.5, 0.5, 0.5]);
    r.actions.set([3, 0, 1, 1, 2, 0]);
    r.rewards.set([2, 0, 1]);
    r.terminated.set([1, 1, 1]);
    r.lengths[0] = 3;
    const d = new Float32Array(15);
    categoricalPolicyLoss(policy.forward(r.obs, 3), Int32Array.of(2, 0, 0, 1, 1, 0), scoreWeights(Float32Array.of(2, 0, 1), 0, 3, false, new Float32Array(3)), 3, [3, 2], 0, d, policyLossScratch(3, 5));
    policy.backward(d, 3);
    agent.update(r);
    const want = policy.params.map((p, i) => p - lr * policy.grads[i]!);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(agent.policy.params[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-6);
  });

  it('learns the best dial settings through the on-policy loop (return 2; uniform play earns 5/6)', async () => {
    const agent = reinforce(new TwoDialEnv(), { episodesPerUpdate: 16, hidden: [16], baseline: 'mean', seed: 2 });
    await agent.learn({ steps: 3000, log: () => {} });
    expect(Array.from(agent.act(Float32Array.of(0.5)))).toEqual([3, 0]);
    expect((await agent.evaluate({ episodes: 5, env: new TwoDialEnv() })).mean).toBe(2);
  });
});
