/** The training loops every algorithm composes: off-policy (replay), on-policy (rollouts), and their shared pieces. */
export { runOffPolicy, type BatchSource, type OffPolicyOptions, type LoopEpisode } from './off-policy.js';
export { runOffPolicyVec, replayRows, type OffPolicyVecOptions, type VecLoopEpisode, type RowSink } from './off-policy-vec.js';
export { openLearnerVec, workerVec, type VecPlan } from './open-vec.js';
export { runOnPolicy, type OnPolicyOptions, type OnPolicyPolicy, type PolicyOutput, type OnPolicyEpisode, type VecEnvLike } from './on-policy.js';
export { RolloutBuffer, discountedReturns, gae, type RolloutBufferOptions } from './rollout.js';
export { ContinueEpisode, type EpisodeInFlight } from './continue-episode.js';
export { abortAtBoundary, runDueHooks, type LoopHook, type LoopProgress, type LoopResult } from './common.js';
