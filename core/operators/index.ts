/** rxgym's stream operators: small, pure rxjs `OperatorFunction`s over transitions and numbers. */
export { batch } from './batch.js';
export { episodeStats, type EpisodeStatsOptions, type EpisodeStep } from './episode-stats.js';
export { movingAverage } from './moving-average.js';
