/**
 * rxgym/replay: uniform and prioritized replay on typed arrays, n-step returns, episode buffers, the rx writer.
 * Browser-safe: saving to and loading from folders is `saveReplay`/`loadReplay` in `rxgym/node`.
 */
export { ReplayBuffer, replayBufferFor, replayDimsFor } from './replay-buffer.js';
export type { ReplayBufferConfig, ReplayOptions, LoadExpectation, ContinuousActionSpace } from './replay-buffer.js';
export { PrioritizedReplayBuffer, prioritizedReplayBufferFor } from './prioritized.js';
export type { PrioritizedReplayBufferConfig, PriorityOptions, PrioritizedBatch } from './prioritized.js';
export { writeTo } from './write-to.js';
export { SumTree, MinTree } from './sum-tree.js';
export { InvalidTransition } from './errors.js';
export type { ReplaySnapshot, ReplayState, SnapshotSource, FieldArray, FieldDtype } from './snapshot.js';
export type { ActionKind, ActionArray, ActionValue, ReplayBatch, TransitionSink } from './types.js';
