/** Toy-text environments (FrozenLake, CliffWalking, Taxi, Blackjack). */
import type { Registration } from '../registry.js';
import { BlackjackEnv, type BlackjackOptions } from './blackjack.js';
import { CliffWalkingEnv, type CliffWalkingOptions } from './cliff-walking.js';
import { FrozenLakeEnv, type FrozenLakeOptions } from './frozen-lake.js';
import { TaxiEnv, type TaxiOptions } from './taxi.js';

export * from './tabular.js';
export * from './frozen-lake.js';
export * from './cliff-walking.js';
export * from './taxi.js';
export * from './blackjack.js';

declare module '../registry.js' {
  interface RegisteredEnvs {
    'FrozenLake-v1': FrozenLakeEnv;
    'FrozenLake8x8-v1': FrozenLakeEnv;
    'CliffWalking-v1': CliffWalkingEnv;
    'Taxi-v4': TaxiEnv;
    'Blackjack-v1': BlackjackEnv;
  }
}

/** Registrations of the toy-text environments, with Gymnasium's limits and thresholds. */
export const registrations: Registration[] = [
  {
    id: 'FrozenLake-v1',
    entryPoint: (kwargs) => new FrozenLakeEnv(kwargs as FrozenLakeOptions),
    entryPointName: 'FrozenLakeEnv',
    kwargs: { mapName: '4x4' },
    maxEpisodeSteps: 100,
    rewardThreshold: 0.7, // optimum 0.74
  },
  {
    id: 'FrozenLake8x8-v1',
    entryPoint: (kwargs) => new FrozenLakeEnv(kwargs as FrozenLakeOptions),
    entryPointName: 'FrozenLakeEnv',
    kwargs: { mapName: '8x8' },
    maxEpisodeSteps: 200,
    rewardThreshold: 0.85, // optimum 0.91
  },
  {
    id: 'CliffWalking-v1',
    entryPoint: (kwargs) => new CliffWalkingEnv(kwargs as CliffWalkingOptions),
    entryPointName: 'CliffWalkingEnv',
  },
  {
    id: 'Taxi-v4',
    entryPoint: (kwargs) => new TaxiEnv(kwargs as TaxiOptions),
    entryPointName: 'TaxiEnv',
    maxEpisodeSteps: 200,
    rewardThreshold: 8, // optimum 8.46
  },
  {
    id: 'Blackjack-v1',
    entryPoint: (kwargs) => new BlackjackEnv(kwargs as BlackjackOptions),
    entryPointName: 'BlackjackEnv',
    kwargs: { sab: true, natural: false },
  },
];
