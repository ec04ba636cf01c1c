import { Wrapper, type AnyEnv, type Env, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { ResetNeeded } from '../../core/errors.js';
import { stateFields as f, stateSchema } from '../snapshot.js';

const SNAPSHOT = stateSchema({ phase: f.oneOf('fresh', 'running', 'ended') });

/**
 * Throws `ResetNeeded` on `step()` before the first `reset()`, or after an episode ended (terminated or
 * truncated) without a new `reset()`. `make()` puts it outermost, so it sees TimeLimit's truncation too.
 */
export class OrderEnforcing<O, A, E extends AnyEnv = Env<O, A>> extends Wrapper<O, A, E> {
  private state: 'fresh' | 'running' | 'ended' = 'fresh';

  override reset(args?: ResetArgs): ResetResult<O> {
    const result = this.env.reset(args) as ResetResult<O>;
    this.state = 'running';
    return result;
  }

  override step(action: A): StepResult<O> {
    if (this.state !== 'running') {
      const id = this.spec?.id ?? this.unwrapped.constructor.name;
      throw new ResetNeeded(
        this.state === 'fresh'
          ? `${id}: Expected reset() before the first step(), got step() on an environment that was never reset. Call env.reset() first.`
          : `${id}: Expected reset() after the episode ended (terminated or truncated), got another step(). Call env.reset() to start a new episode.`,
      );
    }
    // A direct call (not super.step) keeps this call site monomorphic: one inner env type per wrapper.
    const result = this.env.step(action) as StepResult<O>;
    if (result.terminated || result.truncated) this.state = 'ended';
    return result;
  }

  /** Whether the env was never reset, is running, or has ended its episode (see `snapshotEnv`). */
  getState(): JsonValue {
    return { phase: this.state };
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    this.state = SNAPSHOT.parse(state, 'OrderEnforcing').phase;
  }

  /** True once `reset()` has been called. */
  get hasReset(): boolean {
    return this.state !== 'fresh';
  }
}
