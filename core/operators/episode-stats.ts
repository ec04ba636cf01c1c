import type { OperatorFunction } from 'rxjs';
import type { Transition } from '../env.js';
import type { EpisodeSummary } from '../streams.js';
import { operate } from './operate.js';

/** The fields of a transition that `episodeStats` reads. */
export type EpisodeStep = Pick<Transition<unknown, unknown>, 'reward' | 'terminated' | 'truncated' | 'episode' | 't' | 'step'> & {
  info?: Transition<unknown, unknown>['info'];
};

/** The return `RecordEpisodeStatistics` put in a final step's `info.episode.r`, if any. */
function recordedReturn(x: EpisodeStep): number | undefined {
  const ep = (x.info as { episode?: { r?: unknown } } | undefined)?.episode;
  return typeof ep?.r === 'number' ? ep.r : undefined;
}

/** Options of `episodeStats`. */
export interface EpisodeStatsOptions {
  /** Clock in milliseconds for `seconds`; default `performance.now`. Pass a scheduler's `now` in tests. */
  now?: () => number;
}

/**
 * Emits one `EpisodeSummary` each time a transition ends an episode (`terminated` or `truncated`): the
 * undiscounted return, the length, how it ended, the run step of its last transition, and the wall time in
 * seconds from the end of the previous episode (or from subscription, for the first) to its end. When a
 * `RecordEpisodeStatistics` wrapper below reward-changing wrappers (e.g. ClipReward) reported the episode in
 * `info.episode`, its return is used: the environment's own return, as Gymnasium's Monitor logs it.
 *
 * Like the scoreboard at the end of each game: nothing while play goes on, one line per finished game.
 * An episode still running when the source completes is not summarised. If transitions of a new episode
 * arrive before the previous one ended (a filtered stream), the unfinished one is dropped.
 *
 * @example
 * ```ts
 * steps$(env, actor).pipe(episodeStats()).subscribe((e) => console.log(e.episode, e.return, e.length));
 * ```
 */
export function episodeStats(options: EpisodeStatsOptions = {}): OperatorFunction<EpisodeStep, EpisodeSummary> {
  const now = options.now ?? (() => performance.now());
  return operate<EpisodeStep, EpisodeSummary>((subscriber) => {
    let start = now();
    let episode = -1; // the episode being summed; -1 between episodes
    let total = 0;
    return {
      next(x) {
        if (x.episode !== episode) {
          if (episode !== -1) start = now(); // the previous episode never ended here: time this one alone
          episode = x.episode;
          total = 0;
        }
        total += x.reward;
        if (x.terminated || x.truncated) {
          const end = now();
          const summary: EpisodeSummary = {
            episode: x.episode,
            return: recordedReturn(x) ?? total,
            length: x.t + 1,
            terminated: x.terminated,
            truncated: x.truncated,
            step: x.step,
            seconds: (end - start) / 1000,
          };
          start = end;
          episode = -1;
          total = 0;
          subscriber.next(summary);
        }
      },
    };
  });
}
