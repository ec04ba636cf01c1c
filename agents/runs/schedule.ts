/**
 * When to write a checkpoint: every N environment steps, or every T seconds of wall time, whichever comes first.
 * The step trigger keeps checkpoints at round steps (multiples of N, also after a resume); the time trigger
 * bounds the work a crash can lose when steps are slow (big networks, slow envs).
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';

/** Default seconds between time-triggered checkpoints when a loop wants one: five minutes. */
export const DEFAULT_CHECKPOINT_SECONDS = 300;

/**
 * A default checkpoint interval in steps for a run of `totalSteps`: a tenth of the run, rounded to one
 * significant digit (50_000 -> 5000, 12_345 -> 1000, 7 -> 1), so a run writes about ten checkpoints. With a
 * speed guess (steps per second) the interval is capped at about `DEFAULT_CHECKPOINT_SECONDS` of training.
 */
export function defaultCheckpointEvery(totalSteps: number, stepsPerSecondGuess?: number): number {
  if (!Number.isSafeInteger(totalSteps) || totalSteps < 1) {
    throw new InvalidConfig(`Expected the total steps of a run to be a positive integer, got ${describeValue(totalSteps)}.`);
  }
  if (stepsPerSecondGuess !== undefined && !(Number.isFinite(stepsPerSecondGuess) && stepsPerSecondGuess > 0)) {
    throw new InvalidConfig(`Expected a steps-per-second guess to be a positive number, got ${describeValue(stepsPerSecondGuess)}.`);
  }
  let every = totalSteps / 10;
  if (stepsPerSecondGuess !== undefined) every = Math.min(every, stepsPerSecondGuess * DEFAULT_CHECKPOINT_SECONDS);
  return roundToOneDigit(every);
}

function roundToOneDigit(x: number): number {
  if (x < 1) return 1;
  const unit = 10 ** Math.floor(Math.log10(x));
  return Math.max(1, Math.round(x / unit) * unit);
}

/** Options of `CheckpointSchedule`. */
export interface CheckpointScheduleOptions {
  /** Steps between checkpoints (at multiples of it); null for none. */
  everySteps: number | null;
  /** Seconds of wall time between checkpoints; null or absent for none. */
  everySeconds?: number | null;
  /** The step training starts from: 0, or the resumed checkpoint's step. Default 0. */
  startStep?: number;
  /** Wall time (ms, as `Date.now()`) at which timing starts. Default now. */
  startTime?: number;
}

/** Decides, step by step, whether the loop should write a checkpoint now. */
export class CheckpointSchedule {
  readonly everySteps: number | null;
  readonly everySeconds: number | null;
  private lastStep: number;
  private lastTime: number;

  /** Throws `InvalidConfig` when an interval is not positive. */
  constructor(options: CheckpointScheduleOptions) {
    const { everySteps, everySeconds = null, startStep = 0, startTime = Date.now() } = options;
    if (everySteps !== null && (!Number.isSafeInteger(everySteps) || everySteps < 1)) {
      throw new InvalidConfig(`Expected the checkpoint interval in steps to be a positive integer or null, got ${describeValue(everySteps)}.`);
    }
    if (everySeconds !== null && !(Number.isFinite(everySeconds) && everySeconds > 0)) {
      throw new InvalidConfig(`Expected the checkpoint interval in seconds to be a positive number or null, got ${describeValue(everySeconds)}.`);
    }
    if (!Number.isSafeInteger(startStep) || startStep < 0) {
      throw new InvalidConfig(`Expected the start step of a checkpoint schedule to be a non-negative integer, got ${describeValue(startStep)}.`);
    }
    this.everySteps = everySteps;
    this.everySeconds = everySeconds;
    this.lastStep = startStep;
    this.lastTime = startTime;
  }

  /** The next step at which the step trigger fires (the next multiple of `everySteps`), or null. */
  get nextStep(): number | null {
    return this.everySteps === null ? null : (Math.floor(this.lastStep / this.everySteps) + 1) * this.everySteps;
  }

  /**
   * True when `step` reached the next multiple of `everySteps` (vector envs may jump past it), or when
   * `everySeconds` passed since the last checkpoint and there are new steps to save. `now` in ms.
   */
  shouldCheckpoint(step: number, now: number = Date.now()): boolean {
    const next = this.nextStep;
    if (next !== null && step >= next) return true;
    return this.everySeconds !== null && step > this.lastStep && now - this.lastTime >= this.everySeconds * 1000;
  }

  /** Records that a checkpoint of `step` was written at `now` (ms): both triggers restart from there. */
  markDone(step: number, now: number = Date.now()): void {
    this.lastStep = step;
    this.lastTime = now;
  }
}
