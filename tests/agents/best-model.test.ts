import { describe, expect, it } from 'vitest';
import { bestModelTracker } from '../../agents/best-model.js';
import { dqn } from '../../agents/dqn.js';
import '../../envs/builtin.js';
import { make } from '../../envs/registry.js';

const config = { learningRate: 2.3e-3, batchSize: 64, learningStarts: 500, targetUpdateInterval: 10, trainFreq: 128, gradientSteps: 32, explorationFraction: 0.16, explorationFinalEps: 0.04, seed: 3 };

describe('bestModelTracker', () => {
  it('restores the parameters that scored best in selection, and they reproduce that score', async () => {
    const agent = dqn(make('CartPole-v1'), config);
    const scores: { step: number; mean: number }[] = [];
    const selection = make('CartPole-v1');
    const tracker = bestModelTracker(agent, { every: 1500, seed: 77, env: selection, onEval: (step, mean) => scores.push({ step, mean }) });
    await agent.learn({ steps: 9000, log: () => {}, periodic: [tracker.hook] });
    const best = await tracker.finish();
    expect(scores.map((s) => s.step)).toEqual([1500, 3000, 4500, 6000, 7500, 9000]);
    const top = Math.max(...scores.map((s) => s.mean));
    expect(best.mean).toBe(top);
    // Ties go to the later parameters.
    expect(best.step).toBe(Math.max(...scores.filter((s) => s.mean === top).map((s) => s.step)));
    expect(best.restored).toBe(best.step !== 9000);
    // The restored greedy policy plays the selection episodes exactly as it did when it was chosen.
    const again = await agent.evaluate({ episodes: 5, seed: 77 + best.step, env: make('CartPole-v1') });
    expect(again.mean).toBe(best.mean);
    agent.dispose();
  });

  it('rejects a bad interval', () => {
    const agent = dqn(make('CartPole-v1'), config);
    expect(() => bestModelTracker(agent, { every: 0, seed: 0, env: make('CartPole-v1') })).toThrow(
      'Expected the best-model evaluation interval to be a positive integer, got 0.',
    );
    agent.dispose();
  });
});
