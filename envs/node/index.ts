/** The Node-only part of rxgym/envs: worker-thread vector envs and loading an environment from a module file. */
export { AsyncVectorEnv, type AsyncVectorEnvOptions, type EnvSource } from './async-vector.js';
export { loadEnv, isModuleTarget, parseModuleTarget } from '../load.js';
