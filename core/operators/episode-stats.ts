import type { OperatorFunction } from 'rxjs';
import type { Transition } from '../env.js';
import type { EpisodeSummary } from '../streams.js';
import { operate } from './operate.js';

/** The fields of a transition that `episodeStats` reads. */
export type EpisodeStep = Pick<Transition<unknown, unknown>, 'reward' | 'terminated' | 'truncated' | 'episode' | 't' | 'step'> & {
  info?: Transition<unknown, unknown>['info'];
};

/** The return and length `RecordEpisodeStatistics` put in a final step's `info.episode`, if any. */
function recorded(x: EpisodeStep): { r: number; l: number } | undefined {
  const ep = (x.info as { episode?: { r?: unknown; l?: unknown } } | undefined)?.episode;
  return typeof ep?.r === 'number' && typeof ep.l === 'number' ? { r: ep.r, l: ep.l } : undefined;
}

/** Options of `episodeStats`. */
export interface EpisodeStatsOptions {
  /** Clock in milliseconds for `seconds`; default `performance.now`. Pass a scheduler's `now` in tests. */
  now?: () => number;
  /** The first episode continues one begun before (a resumed run): add this return and length to its summary. */
  carry?: { return: number; length: number };
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
    let carry = options.carry;
    return {
      next(x) {
        if (x.episode !== episode) {
          if (episode !== -1) start = now(); // the previous episode never ended here: time this one alone
          episode = x.episode;
          // A carried-over start sums in the same order as the uninterrupted episode did.
          total = carry?.return ?? 0;
        }
        total += x.reward;
        if (x.terminated || x.truncated) {
          const end = now();
          // RecordEpisodeStatistics' own figures already cover a carried-over start.
          const rec = recorded(x);
          const summary: EpisodeSummary = {
            episode: x.episode,
            return: rec ? rec.r : total,
            length: rec ? rec.l : x.t + 1 + (carry?.length ?? 0),
            terminated: x.terminated,
            truncated: x.truncated,
            step: x.step,
            seconds: (end - start) / 1000,
          };
          start = end;
          carry = undefined;
          episode = -1;
          total = 0;
          subscriber.next(summary);
        }
      },
    };
  });
}
