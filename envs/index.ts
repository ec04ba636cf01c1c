/**
 * rxgym/envs: the registry and make(), built-in environments, wrappers, vector envs and the checker.
 * Browser-safe (no Node built-ins); `AsyncVectorEnv` and `loadEnv` (module files) are in `rxgym/node`.
 */
import './builtin.js';

export * from './registry.js';
export * from './wrappers/index.js';
export {
  AcrobotEnv,
  CartPoleEnv,
  ContinuousMountainCarEnv,
  MountainCarEnv,
  PendulumEnv,
  angleNormalize,
  mountainHeight,
  type CartPoleOptions,
  type ClassicResetOptions,
  type ContinuousMountainCarOptions,
  type MountainCarOptions,
  type PendulumOptions,
} from './classic-control/index.js';
export {
  BlackjackEnv,
  CliffWalkingEnv,
  FrozenLakeEnv,
  TabularEnv,
  TaxiEnv,
  FROZEN_LAKE_MAPS,
  generateRandomMap,
} from './toy-text/index.js';
export { DeepSeaEnv, type DeepSeaOptions } from './bsuite/index.js';
export { SyncVectorEnv, VectorEnvError, isVectorizable, type VectorizableEnv, type VecStepResult, type VecResetResult } from './vector.js';
export {
  snapshotEnv,
  restoreEnv,
  unsavableLayer,
  stateSchema,
  stateFields,
  encodeFloat,
  encodeFloats,
  type EnvSnapshot,
  type EnvSnapshotLayer,
  type StateField,
  type StateSchema,
} from './snapshot.js';
export { checkEnv, assertEnvOk, ENV_CHECKS, type EnvCheck, type EnvCheckReport, type CheckEnvOptions } from './checker.js';
