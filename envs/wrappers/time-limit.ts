import { Wrapper, type AnyEnv, type Env, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { stateFields as f, stateSchema } from '../snapshot.js';

const SNAPSHOT = stateSchema({ elapsedSteps: f.int(0) });

/**
 * Truncates an episode after `maxEpisodeSteps` steps (sets `truncated`; `terminated` is left as the env said).
 * `elapsedSteps` is public and settable, and `reset({ options: { elapsedSteps } })` starts the count there,
 * so a test can resume an episode mid-way from a recorded state.
 */
export class TimeLimit<O, A, E extends AnyEnv = Env<O, A>> extends Wrapper<O, A, E> {
  readonly maxEpisodeSteps: number;
  /** Steps taken in the current episode. */
  elapsedSteps = 0;

  constructor(env: E, maxEpisodeSteps: number) {
    super(env);
    if (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new InvalidConfig(`Expected TimeLimit maxEpisodeSteps to be a positive integer, got ${describeValue(maxEpisodeSteps)}.`);
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const start = args?.options?.['elapsedSteps'];
    if (start !== undefined && (!Number.isSafeInteger(start) || (start as number) < 0)) {
      throw new InvalidConfig(`Expected reset option elapsedSteps to be a non-negative integer, got ${describeValue(start)}.`);
    }
    this.elapsedSteps = (start as number | undefined) ?? 0;
    return this.env.reset(args) as ResetResult<O>;
  }

  /** The steps taken in the current episode (see `snapshotEnv`). */
  getState(): JsonValue {
    return { elapsedSteps: this.elapsedSteps };
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    this.elapsedSteps = SNAPSHOT.parse(state, 'TimeLimit').elapsedSteps;
  }

  override step(action: A): StepResult<O> {
    // A direct call (not super.step) keeps this call site monomorphic; the inner result is passed through.
    const result = this.env.step(action) as StepResult<O>;
    this.elapsedSteps++;
    if (this.elapsedSteps >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }
}
