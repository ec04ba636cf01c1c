/**
 * Exact resume of an episode in flight: `steps$` always starts a run with `env.reset()`, so a run that must
 * continue the episode a checkpoint cut wraps the env in `ContinueEpisode`, whose first reset hands back the
 * saved current observation without touching the env. The caller restores the env's own state first (the
 * built-ins accept `reset({ options: { state } })`, and their rng state with it).
 */
import { Wrapper, type Env, type Info, type ResetArgs, type ResetResult } from '../../core/env.js';

/** The episode in flight that a resumed run continues. */
export interface EpisodeInFlight<O> {
  /** The observation the env is at now (the `nextObs` of the last step before the checkpoint). */
  obs: O;
  /** The info to report for it; default `{}`. */
  info?: Info;
  /** Undiscounted return of the episode before the checkpoint (added to its summary); default 0. */
  return?: number;
  /** Steps of the episode before the checkpoint (added to its summary); default 0. */
  length?: number;
}

/**
 * Wraps `env` so that its first `reset()` returns `current.obs` (ignoring the seed: the env's restored rng
 * continues) and every later reset is the env's own. Steps and close pass through.
 */
export class ContinueEpisode<O, A> extends Wrapper<O, A> {
  /** Nothing to save: it only hands back the saved observation at the first reset of a resumed run. */
  readonly stateless = true;
  private pending: EpisodeInFlight<O> | null;

  constructor(env: Env<O, A>, current: EpisodeInFlight<O>) {
    super(env);
    this.pending = current;
  }

  /** True until the first reset has handed back the saved observation. */
  get resuming(): boolean {
    return this.pending !== null;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const p = this.pending;
    if (p === null) return this.env.reset(args);
    this.pending = null;
    return { obs: p.obs, info: p.info ?? {} };
  }
}
