import { Wrapper, type AnyEnv, type Env, type JsonValue, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidAction, InvalidObservation, describeValue } from '../../core/errors.js';
import { explainNotContained, type AnySpace } from '../../core/spaces.js';
import { stateFields as f, stateSchema } from '../snapshot.js';

const SNAPSHOT = stateSchema({ checkedReset: f.bool(), checkedStep: f.bool() });

// Which fast per-step action test applies: a discrete range, numeric box bounds, or only the general check.
const TEST_DISCRETE = 0;
const TEST_BOX = 1;
const TEST_GENERAL = 2;

/**
 * Validates an environment against its own spaces: every action (an action outside the action space throws
 * `InvalidAction` naming the space and the value), every reward (finite number), and the first reset's and
 * first step's observation and flags (`InvalidObservation`). Cheap enough to stay on by default.
 */
export class PassiveEnvChecker<O, A, E extends AnyEnv = Env<O, A>> extends Wrapper<O, A, E> {
  private checkedReset = false;
  private checkedStep = false;
  // The per-step action test reads these plain fields (no closure call): a discrete range [lo, hi), or a
  // box's bounds. It only ever answers "certainly valid"; anything else goes to explainNotContained, so the
  // accepted set and the messages are exactly those of the general check.
  private readonly testKind: number;
  private readonly lo: number;
  private readonly hi: number;
  private readonly boxLow: Float64Array;
  private readonly boxHigh: Float64Array;
  private readonly boxInteger: boolean;

  constructor(env: E) {
    super(env);
    const space = env.actionSpace as AnySpace;
    this.lo = 0;
    this.hi = 0;
    this.boxLow = new Float64Array(0);
    this.boxHigh = new Float64Array(0);
    this.boxInteger = false;
    if (space.kind === 'discrete') {
      this.testKind = TEST_DISCRETE;
      this.lo = space.start;
      this.hi = space.start + space.n;
    } else if (space.kind === 'box') {
      this.testKind = TEST_BOX;
      this.boxLow = Float64Array.from(space.low);
      this.boxHigh = Float64Array.from(space.high);
      this.boxInteger = space.dtype === 'uint8' || space.dtype === 'int32';
    } else {
      this.testKind = TEST_GENERAL;
    }
  }

  /** True when `x` is certainly in the action space (false may still be valid: ask explainNotContained). */
  private quickValid(x: unknown): boolean {
    if (this.testKind === TEST_DISCRETE) {
      return typeof x === 'number' && x >= this.lo && x < this.hi && Number.isInteger(x);
    }
    if (this.testKind === TEST_BOX) {
      if (!(x instanceof Float32Array || x instanceof Float64Array || Array.isArray(x))) return false;
      const v = x as ArrayLike<unknown>;
      const low = this.boxLow, high = this.boxHigh, n = low.length;
      if (v.length !== n) return false;
      for (let i = 0; i < n; i++) {
        const e = v[i];
        // NaN fails both comparisons.
        if (typeof e !== 'number' || !(e >= low[i]! && e <= high[i]!)) return false;
        if (this.boxInteger && !Number.isInteger(e)) return false;
      }
      return true;
    }
    return false;
  }

  /** Which of the one-time checks (first reset, first step) have run (see `snapshotEnv`). */
  getState(): JsonValue {
    return { checkedReset: this.checkedReset, checkedStep: this.checkedStep };
  }

  /** Restores `getState()` output. */
  setState(state: JsonValue): void {
    const s = SNAPSHOT.parse(state, 'PassiveEnvChecker');
    this.checkedReset = s.checkedReset;
    this.checkedStep = s.checkedStep;
  }

  private get label(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const result = this.env.reset(args) as ResetResult<O>;
    if (!this.checkedReset) {
      this.checkedReset = true;
      if (result === null || typeof result !== 'object' || !('obs' in result)) {
        throw new InvalidObservation(`${this.label}: Expected reset() to return { obs, info }, got ${describeValue(result)}.`);
      }
      this.checkObs(result.obs, 'reset()');
    }
    return result;
  }

  override step(action: A): StepResult<O> {
    if (!this.quickValid(action)) {
      const why = explainNotContained(this.actionSpace, action);
      if (why !== null) throw new InvalidAction(`${this.label}: invalid action. ${why}`);
    }
    // A direct call (not super.step) keeps this call site monomorphic: one env type per checker.
    const result = this.env.step(action) as StepResult<O> | undefined;
    if (result === null || typeof result !== 'object') {
      throw new InvalidObservation(`${this.label}: Expected step() to return { obs, reward, terminated, truncated, info }, got ${describeValue(result)}.`);
    }
    const reward = result.reward;
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw new InvalidObservation(`${this.label}: Expected step() to return a finite number reward, got ${describeValue(reward)}.`);
    }
    if (!this.checkedStep) {
      this.checkedStep = true;
      if (typeof result.terminated !== 'boolean' || typeof result.truncated !== 'boolean') {
        throw new InvalidObservation(
          `${this.label}: Expected step() to return boolean terminated and truncated, got ${describeValue(result.terminated)} and ${describeValue(result.truncated)}.`,
        );
      }
      this.checkObs(result.obs, 'step()');
    }
    return result;
  }

  private checkObs(obs: unknown, where: string): void {
    const why = explainNotContained(this.observationSpace, obs);
    if (why !== null) throw new InvalidObservation(`${this.label}: ${where} returned an observation outside the observation space. ${why}`);
  }
}
