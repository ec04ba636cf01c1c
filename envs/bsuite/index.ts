/** Environments from bsuite (Osband et al. 2020), the behaviour suite: DeepSea for deep exploration. */
import type { Registration } from '../registry.js';
import { DeepSeaEnv, type DeepSeaOptions } from './deep-sea.js';

export * from './deep-sea.js';

declare module '../registry.js' {
  interface RegisteredEnvs {
    'DeepSea-v0': DeepSeaEnv;
  }
}

/** Registrations of the bsuite environments. DeepSea ends itself after `size` steps, so it needs no time limit. */
export const registrations: Registration[] = [
  {
    id: 'DeepSea-v0',
    entryPoint: (kwargs) => new DeepSeaEnv(kwargs as DeepSeaOptions),
    entryPointName: 'DeepSeaEnv',
    kwargs: { size: 10 },
    rewardThreshold: 0.9, // optimum 0.99 at every size
  },
];
