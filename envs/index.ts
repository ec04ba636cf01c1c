/** rxgym/envs: the registry and make(), built-in environments, wrappers, vector envs and the checker. */
import './builtin.js';

export * from './registry.js';
export { loadEnv, isModuleTarget, parseModuleTarget } from './load.js';
export { OrderEnforcing } from './wrappers/order-enforcing.js';
export { PassiveEnvChecker } from './wrappers/passive-checker.js';
export { TimeLimit } from './wrappers/time-limit.js';
