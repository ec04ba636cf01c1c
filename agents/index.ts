/** rxgym/agents: DQN, its schedules, checkpoints and run folders. Factories first. */
export { dqn, loadDqn, resolveDqnConfig, findCheckpoint, readDqnState, DQN_DEFAULTS, DQN_CONFIG_KEYS } from './dqn.js';
export type {
  DqnAgent,
  DqnConfig,
  DqnProgress,
  DqnLogRecord,
  DqnCheckpointState,
  LearnOptions,
  LearnResult,
  EvaluateOptions,
  EvaluateResult,
} from './dqn.js';
export {
  writeCheckpoint,
  verifyCheckpoint,
  readManifest,
  latestCheckpoint,
  writeFileAtomic,
  encodeArrays,
  decodeArrays,
  MANIFEST,
} from './checkpoint.js';
export type { CheckpointManifest, ManifestEntry, FoundCheckpoint, TensorIndex } from './checkpoint.js';
export { createRun, resolveRun, runPaths, MetricsWriter, timestamp } from './run.js';
export type { RunDir, MetricsRecord } from './run.js';
export * from './nn/index.js';
