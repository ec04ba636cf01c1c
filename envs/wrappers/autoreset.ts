import { Wrapper, type ActOf, type AnyEnv, type JsonValue, type ObsOf, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { stateFields as f, stateSchema } from '../snapshot.js';

const SNAPSHOT = stateSchema({ needsReset: f.bool() });

/**
 * Resets the wrapped env automatically with Gymnasium 1.x "next-step" semantics: the step that ends an
 * episode is returned unchanged (its `obs` is the final observation); the NEXT `step()` ignores its action,
 * resets the env (no seed: the env's random stream continues) and returns the reset observation with reward
 * 0, terminated and truncated false, and the reset's info. Put it outside OrderEnforcing.
 */
export class Autoreset<E extends AnyEnv, O = ObsOf<E>, A = ActOf<E>> extends Wrapper<O, A, E> {
  /** True when the last step ended an episode, so the next step() resets instead of stepping. */
  needsReset = false;

  override reset(args?: ResetArgs): ResetResult<O> {
    this.needsReset = false;
    return super.reset(args);
  }

  /** Whether the next step resets (see `snapshotEnv`). */
  getState(): JsonValue {
    return { needsReset: this.needsReset };
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    this.needsReset = SNAPSHOT.parse(state, 'Autoreset').needsReset;
  }

  override step(action: A): StepResult<O> {
    if (this.needsReset) {
      this.needsReset = false;
      const r = super.reset();
      return { obs: r.obs, reward: 0, terminated: false, truncated: false, info: r.info };
    }
    const r = super.step(action);
    this.needsReset = r.terminated || r.truncated;
    return r;
  }
}
