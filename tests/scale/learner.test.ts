/** The on-policy learner: rollouts more than one policy version old are dropped and counted; the rest are learned from once each. */
import { describe, expect, it } from 'vitest';
import { make } from '../../envs/registry.js';
import '../../envs/builtin.js';
import { reinforce } from '../../agents/reinforce.js';
import { RolloutBuffer } from '../../agents/loops/rollout.js';
import { distributedLearner, type LearnerLink, type LinkHandlers } from '../../scale/learner.js';
import { encodeRollout, FLAG } from '../../scale/wire.js';

/** A rollout of one env and `n` steps, its last step ending an episode, as an actor at policy `version` sends it. */
function rollout(n: number, version: number): ArrayBuffer {
  const r = new RolloutBuffer({ numEnvs: 1, capacity: n, obsDim: 4, actionKind: 'discrete', actionDim: 1 });
  for (let t = 0; t < n; t++) {
    r.obs.set([0.01 * t, 0, 0.02, 0], t * 4);
    r.actions[t] = t % 2;
    r.rewards[t] = 1;
  }
  r.terminated[n - 1] = 1;
  r.lengths[0] = n;
  return encodeRollout(r, version, [{ row: n - 1, ret: n, len: n, end: FLAG.terminated }]);
}

describe('distributedLearner (on-policy)', () => {
  it('drops a rollout collected more than one version before the current policy, and counts it', async () => {
    const agent = reinforce(make('CartPole-v1'), { hidden: [8], engine: 'plain' });
    let h: LinkHandlers | null = null;
    const published: number[] = [];
    const link: LearnerLink = {
      ackOnSave: false, down: false,
      start: async (handlers) => void (h = handlers),
      publish: async (_w, version) => void published.push(version),
      acknowledge: async () => {},
      poll: async () => null,
      close: async () => {},
    };
    const learner = distributedLearner(agent, null, link, { publishEvery: 1, log: () => {} });
    const episodes: number[] = [];
    const done = learner.learn({ steps: 30, onEpisode: (e) => episodes.push(e.length), log: () => {} });
    await new Promise((r) => setTimeout(r, 20));
    h!.onMessage('a', rollout(10, 0), null); // current (version 0): update 1
    h!.onMessage('a', rollout(10, 0), null); // one version old: update 2
    h!.onMessage('b', rollout(10, 0), null); // two versions old: dropped
    h!.onMessage('b', new Uint8Array(12), null); // malformed: skipped
    h!.onMessage('b', rollout(10, 2), null); // current: update 3, and the run's 30 steps are done
    const result = await done;
    expect([result.step, result.updates, learner.stats.dropped, learner.stats.malformed]).toEqual([30, 3, 1, 1]);
    expect(episodes).toEqual([10, 10, 10]);
    expect(published).toEqual([0, 1, 2, 3]);
  });
});
