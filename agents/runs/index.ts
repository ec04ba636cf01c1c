/**
 * The run layer every algorithm shares: one generic checkpoint (crash-safe, verified once), finding, listing and
 * pruning checkpoints, run folders with a lock and resumable metrics, and best-model selection. Node only.
 */
export {
  CHECKPOINT_STAGES,
  cleanLeftovers,
  readCheckpoint,
  writeCheckpoint,
  type CheckpointContent,
  type CheckpointStage,
  type JsonValue,
  type LoadedCheckpoint,
  type OptimizerState,
  type SelectionState,
  type WriteCheckpointOptions,
} from '../../core/node/checkpoint/checkpoint.js';
export {
  BACKUP_SUFFIX,
  CHECKPOINT_VERSION,
  MANIFEST,
  STATE,
  TENSORS,
  backupPathFor,
  checkpointStatus,
  readManifest,
  type CheckpointManifest,
  type CheckpointStatus,
  type ManifestEntry,
} from '../../core/node/checkpoint/manifest.js';
export { findCheckpoint, listCheckpoints, openCheckpoint, pruneCheckpoints, type CheckpointEntry, type FallBack, type FoundCheckpoint } from './find.js';
export { CheckpointSchedule, DEFAULT_CHECKPOINT_SECONDS, defaultCheckpointEvery, type CheckpointScheduleOptions } from './schedule.js';
export { createRun, resolveRun, runLabel, runPaths, timestamp, type RunDir } from './run-folder.js';
export { LOCK_FILE, lockRun, type LockInfo, type RunLock } from './lock.js';
export { MetricsWriter, type MetricsRecord, type MetricsResumeSummary } from './metrics.js';
export { bestModelTracker, type BestModelOptions, type BestModelResult, type BestModelTracker, type PeriodicHook } from './best-model.js';
export type { TensorRef } from '../../core/node/checkpoint/tensors.js';
