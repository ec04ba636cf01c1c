import { Wrapper, type AnyEnv, type Env, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidAction, InvalidObservation, describeValue } from '../../core/errors.js';
import { describeSpace, explainNotContained, type AnySpace } from '../../core/spaces.js';

/** A fast membership test for the spaces actions are checked against on every step. */
function actionTest(space: AnySpace): (x: unknown) => boolean {
  if (space.kind === 'discrete') {
    const lo = space.start, hi = space.start + space.n;
    return (x) => typeof x === 'number' && Number.isInteger(x) && x >= lo && x < hi;
  }
  return (x) => explainNotContained(space, x) === null;
}

/**
 * Validates an environment against its own spaces: every action (an action outside the action space throws
 * `InvalidAction` naming the space and the value), every reward (finite number), and the first reset's and
 * first step's observation and flags (`InvalidObservation`). Cheap enough to stay on by default.
 */
export class PassiveEnvChecker<O, A, E extends AnyEnv = Env<O, A>> extends Wrapper<O, A, E> {
  private checkedReset = false;
  private checkedStep = false;
  private readonly isValidAction: (x: unknown) => boolean;

  constructor(env: E) {
    super(env);
    this.isValidAction = actionTest(env.actionSpace);
  }

  private get label(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const result = super.reset(args);
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
    if (!this.isValidAction(action)) {
      const why = explainNotContained(this.actionSpace, action) ?? `Expected an action in ${describeSpace(this.actionSpace)}.`;
      throw new InvalidAction(`${this.label}: invalid action. ${why}`);
    }
    const result = super.step(action);
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
