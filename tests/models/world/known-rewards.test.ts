import { describe, expect, it } from 'vitest';
import { KNOWN_REWARDS, pendulumReward } from '../../../models/world/known-rewards.js';
import { randomTransitions } from './fixtures.js';

describe('known reward functions', () => {
  it("Pendulum-v1: the env's own reward on 1000 random-action transitions (torques beyond the bounds clipped)", () => {
    const { data } = randomTransitions('Pendulum-v1', 1000, 7);
    const actions = Float32Array.from(data.actions as Float32Array, (a, i) => (i % 5 === 0 ? a * 3 : a)); // some out of [-2, 2]
    const out = new Float32Array(data.n);
    pendulumReward(data.states, actions, data.nextStates, data.n, out);
    const clipped = new Float32Array(data.n);
    pendulumReward(data.states, actions.map((a) => Math.min(2, Math.max(-2, a))), data.nextStates, data.n, clipped);
    for (let i = 0; i < data.n; i++) {
      expect(out[i]).toBeCloseTo(clipped[i]!, 6);
      if (i % 5 !== 0) expect(out[i]).toBeCloseTo(data.rewards[i]!, 4);
    }
    expect(KNOWN_REWARDS['Pendulum-v1']).toBe(pendulumReward);
  });
});
