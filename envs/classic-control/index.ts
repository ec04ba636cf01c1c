/** Classic-control environments (CartPole, MountainCar, MountainCarContinuous, Pendulum, Acrobot). */
import type { Registration } from '../registry.js';
import { AcrobotEnv } from './acrobot.js';
import { CartPoleEnv, type CartPoleOptions } from './cartpole.js';
import { ContinuousMountainCarEnv, type ContinuousMountainCarOptions } from './continuous-mountain-car.js';
import { MountainCarEnv, type MountainCarOptions } from './mountain-car.js';
import { PendulumEnv, type PendulumOptions } from './pendulum.js';

export { AcrobotEnv } from './acrobot.js';
export { CartPoleEnv, type CartPoleOptions } from './cartpole.js';
export { ContinuousMountainCarEnv, type ContinuousMountainCarOptions } from './continuous-mountain-car.js';
export { MountainCarEnv, mountainHeight, type MountainCarOptions } from './mountain-car.js';
export { PendulumEnv, angleNormalize, type PendulumOptions } from './pendulum.js';
export type { ClassicResetOptions } from './util.js';

declare module '../registry.js' {
  interface RegisteredEnvs {
    'CartPole-v1': CartPoleEnv;
    'MountainCar-v0': MountainCarEnv;
    'MountainCarContinuous-v0': ContinuousMountainCarEnv;
    'Pendulum-v1': PendulumEnv;
    'Acrobot-v1': AcrobotEnv;
  }
}

/** Registrations of the classic-control environments, with Gymnasium's limits and thresholds. */
export const registrations: Registration[] = [
  {
    id: 'CartPole-v1',
    entryPoint: (kwargs) => new CartPoleEnv(kwargs as CartPoleOptions),
    entryPointName: 'CartPoleEnv',
    maxEpisodeSteps: 500,
    rewardThreshold: 475.0,
  },
  {
    id: 'MountainCar-v0',
    entryPoint: (kwargs) => new MountainCarEnv(kwargs as MountainCarOptions),
    entryPointName: 'MountainCarEnv',
    maxEpisodeSteps: 200,
    rewardThreshold: -110.0,
  },
  {
    id: 'MountainCarContinuous-v0',
    entryPoint: (kwargs) => new ContinuousMountainCarEnv(kwargs as ContinuousMountainCarOptions),
    entryPointName: 'Continuous_MountainCarEnv',
    maxEpisodeSteps: 999,
    rewardThreshold: 90.0,
  },
  {
    id: 'Pendulum-v1',
    entryPoint: (kwargs) => new PendulumEnv(kwargs as PendulumOptions),
    entryPointName: 'PendulumEnv',
    maxEpisodeSteps: 200,
  },
  {
    id: 'Acrobot-v1',
    entryPoint: (kwargs) => new AcrobotEnv(kwargs),
    entryPointName: 'AcrobotEnv',
    maxEpisodeSteps: 500,
    rewardThreshold: -100.0,
  },
];
