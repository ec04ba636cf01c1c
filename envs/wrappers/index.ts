/** Every wrapper: one transformation each, `unwrapped` typed, no attribute forwarding. */
export { Autoreset } from './autoreset.js';
export { ClipAction } from './clip-action.js';
export { ClipReward } from './clip-reward.js';
export { FlattenObservation } from './flatten-observation.js';
export { FrameSkip } from './frame-skip.js';
export { FrameStack } from './frame-stack.js';
export { NormalizeObservation, type NormalizeObservationOptions } from './normalize-observation.js';
export { NormalizeReward, type NormalizeRewardOptions, type NormalizeRewardState } from './normalize-reward.js';
export { OrderEnforcing } from './order-enforcing.js';
export { PassiveEnvChecker } from './passive-checker.js';
export { RecordEpisodeStatistics, type EpisodeStatistics } from './record-episode-statistics.js';
export { RescaleAction } from './rescale-action.js';
export { RunningMeanStd, type RunningMeanStdState } from './running-mean-std.js';
export { TimeLimit } from './time-limit.js';
export { TransformAction } from './transform-action.js';
export { TransformObservation } from './transform-observation.js';
export { TransformReward } from './transform-reward.js';
