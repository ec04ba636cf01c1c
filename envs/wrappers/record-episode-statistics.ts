import { Wrapper, type ActOf, type AnyEnv, type JsonValue, type ObsOf, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { encodeFloat, encodeFloats, stateFields as f, stateSchema } from '../snapshot.js';
import { positiveInt } from './validate.js';

const SNAPSHOT = stateSchema({
  episodeReturn: f.float(),
  episodeLength: f.int(0),
  episodeSeconds: f.float(),
  episodeCount: f.int(0),
  returnQueue: f.floats(),
  lengthQueue: f.ints(0, Number.MAX_SAFE_INTEGER),
  timeQueue: f.floats(),
});

/** What `RecordEpisodeStatistics` puts in `info.episode` at the end of an episode. */
export interface EpisodeStatistics {
  /** Undiscounted return (a float64 sum). */
  r: number;
  /** Length in steps. */
  l: number;
  /** Wall-clock duration in seconds since the episode's reset. */
  t: number;
}

/**
 * On the step that ends an episode (terminated or truncated), adds `info.episode = { r, l, t }` (return,
 * length, seconds) to a copy of the step's info, and pushes them onto `returnQueue`, `lengthQueue` and
 * `timeQueue`, which keep the most recent `bufferLength` (default 100) episodes, oldest first.
 */
export class RecordEpisodeStatistics<E extends AnyEnv, O = ObsOf<E>, A = ActOf<E>> extends Wrapper<O, A, E> {
  readonly bufferLength: number;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  /** Episodes finished since construction. */
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private startTime = performance.now();

  constructor(env: E, options: { bufferLength?: number } = {}) {
    super(env);
    this.bufferLength = positiveInt('RecordEpisodeStatistics', 'bufferLength', options.bufferLength ?? 100);
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = super.reset(args);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.startTime = performance.now();
    return r;
  }

  override step(action: A): StepResult<O> {
    const r = super.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength++;
    if (r.terminated || r.truncated) {
      const episode: EpisodeStatistics = {
        r: this.episodeReturn,
        l: this.episodeLength,
        t: Math.round(performance.now() - this.startTime) / 1000,
      };
      this.push(this.returnQueue, episode.r);
      this.push(this.lengthQueue, episode.l);
      this.push(this.timeQueue, episode.t);
      this.episodeCount++;
      // A copy: the env's info object may be shared between steps.
      r.info = { ...r.info, episode };
    }
    return r;
  }

  /**
   * The running episode (return, length, seconds so far), the episode count and the queues (see `snapshotEnv`).
   * A restored episode's clock resumes from its saved seconds.
   */
  getState(): JsonValue {
    return {
      episodeReturn: encodeFloat(this.episodeReturn),
      episodeLength: this.episodeLength,
      episodeSeconds: (performance.now() - this.startTime) / 1000,
      episodeCount: this.episodeCount,
      returnQueue: encodeFloats(this.returnQueue),
      lengthQueue: [...this.lengthQueue],
      timeQueue: encodeFloats(this.timeQueue),
    };
  }

  /** Restores `getState()` output; queues longer than this wrapper's `bufferLength` keep their newest entries. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, 'RecordEpisodeStatistics');
    this.episodeReturn = s.episodeReturn;
    this.episodeLength = s.episodeLength;
    this.startTime = performance.now() - s.episodeSeconds * 1000;
    this.episodeCount = s.episodeCount;
    const keep = (queue: number[], saved: number[]): void => {
      queue.length = 0;
      queue.push(...saved.slice(-this.bufferLength));
    };
    keep(this.returnQueue, s.returnQueue);
    keep(this.lengthQueue, s.lengthQueue);
    keep(this.timeQueue, s.timeQueue);
  }

  private push(queue: number[], x: number): void {
    queue.push(x);
    if (queue.length > this.bufferLength) queue.shift();
  }
}
