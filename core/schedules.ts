/**
 * Schedules: a value as a function of training progress (exploration epsilon, prioritized replay's beta,
 * learning rates).
 * A schedule is a plain function of the global step, so it is stateless and survives checkpoints for free.
 */
import { InvalidConfig, describeValue } from '../core/errors.js';

/** A value as a function of the global environment step (0-based). */
export type Schedule = (step: number) => number;

/** Always `value`. */
export function constantSchedule(value: number): Schedule {
  return () => value;
}

/**
 * Goes linearly from `start` to `end` over `duration` steps, then stays at `end` (SB3's
 * `get_linear_fn`, CleanRL's `linear_schedule`). `duration` 0 means `end` from the first step.
 */
export function linearSchedule(start: number, end: number, duration: number): Schedule {
  for (const [name, v] of [['start', start], ['end', end]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidConfig(`Expected linearSchedule ${name} to be a finite number, got ${describeValue(v)}.`);
    }
  }
  if (typeof duration !== 'number' || !(duration >= 0) || !Number.isFinite(duration)) {
    throw new InvalidConfig(`Expected linearSchedule duration to be a number of steps >= 0, got ${describeValue(duration)}.`);
  }
  if (duration === 0) return () => end;
  const slope = (end - start) / duration;
  return (step) => (step >= duration ? end : start + slope * Math.max(0, step));
}
