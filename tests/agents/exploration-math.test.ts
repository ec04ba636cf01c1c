/**
 * Which exploration mode an algorithm takes: `--explore` checked per algorithm (a typed error naming the mode and
 * the algorithm), split between DQN's config and the world-model flags, and the preset it picks.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { checkExploreMode, exploreConfig, presetFor, splitExplore } from '../../agents/exploration.js';

describe('exploration modes', () => {
  it('accepts each of DQN\'s modes, whatever the algorithm name\'s case', () => {
    for (const mode of ['epsilon', 'bootstrap', 'mc-dropout']) expect(checkExploreMode('DQN', mode)).toBe(mode);
    expect(exploreConfig('dqn', 'bootstrap')).toEqual({ explore: 'bootstrap' });
    expect(exploreConfig('dqn', undefined)).toEqual({});
    expect(exploreConfig('td3', undefined)).toEqual({});
  });

  it('refuses a mode the algorithm does not have, or an algorithm without modes, naming both', () => {
    expect(() => checkExploreMode('dqn', 'thompson')).toThrow(InvalidConfig);
    expect(() => checkExploreMode('dqn', 'thompson')).toThrow('Expected --explore to be one of epsilon, bootstrap, mc-dropout for dqn, got "thompson".');
    expect(() => checkExploreMode('td3', 'bootstrap')).toThrow(InvalidConfig);
    expect(() => checkExploreMode('td3', 'bootstrap')).toThrow(
      'Expected --explore with an algorithm that has exploration modes (dqn), got --explore "bootstrap" with td3, which explores with its own action noise.',
    );
    expect(() => exploreConfig('ppo', 'epsilon')).toThrow(InvalidConfig);
  });

  it('hands --explore to DQN as config and any other algorithm to the world-model flags', () => {
    expect(splitExplore('Dqn', 'bootstrap')).toEqual({ dqn: 'bootstrap', world: undefined });
    expect(splitExplore('td3', 'disagreement')).toEqual({ dqn: undefined, world: 'disagreement' });
    expect(splitExplore('dqn', undefined)).toEqual({ dqn: undefined, world: undefined });
  });

  it("picks the env's exploring preset when it exists, else the env's own, else none", () => {
    const presets = { 'DeepSea-v0': {}, 'DeepSea-v0:bootstrap': {}, 'DeepSea-v0:epsilon': {}, 'Chain:mc-dropout': {} };
    expect(presetFor(presets, 'DeepSea-v0', 'bootstrap')).toBe('DeepSea-v0:bootstrap');
    expect(presetFor(presets, 'DeepSea-v0', 'mc-dropout')).toBe('DeepSea-v0');
    expect(presetFor(presets, 'DeepSea-v0', 'epsilon')).toBe('DeepSea-v0'); // epsilon is plain DQN's preset
    expect(presetFor(presets, 'DeepSea-v0', undefined)).toBe('DeepSea-v0');
    expect(presetFor(presets, 'Chain', 'mc-dropout')).toBe('Chain:mc-dropout');
    expect(presetFor(presets, 'Chain', 'bootstrap')).toBeNull();
    expect(presetFor(presets, 'toString', undefined)).toBeNull(); // own keys only
    expect(presetFor({ 'X:1': {}, X: {} }, 'X', 1)).toBe('X'); // only a string names a mode
  });
});
