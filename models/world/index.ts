/**
 * World models: the `WorldModel` contract (an env's dynamics as a batched function), the probabilistic-ensemble
 * dynamics model, the known termination rules of built-in envs, and `dreamEnv`, the `Env` an agent trains in.
 */
export * from './contract.js';
export { DYNAMICS_DEFAULTS, EnsembleDynamics } from './dynamics.js';
export type { DynamicsConfig, DynamicsFitReport, DynamicsFunctions, TransitionRows } from './dynamics.js';
export { KNOWN_REWARDS, pendulumReward } from './known-rewards.js';
export { KNOWN_TERMINATIONS, cartPoleTermination, mountainCarTermination, neverTerminates } from './known-terminations.js';
export { TerminationClassifier, bceWithLogits } from './termination.js';
export { DREAM_SCENE_STATES, DreamEnv, dreamEnv } from './dream-env.js';
export type { DreamEnvOptions } from './dream-env.js';
