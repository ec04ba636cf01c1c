/** Schedules for annealed hyper-parameters such as prioritized replay's beta. */
import { InvalidConfig, describeValue } from '../core/errors.js';

/** A value as a function of a step count (or any progress measure). */
export type Schedule = (step: number) => number;

/**
 * Goes linearly from `from` to `to` over `duration` steps, then stays at `to`:
 * `per.beta = betaSchedule(step)` with `betaSchedule = linearSchedule(0.4, 1, totalSteps)`.
 */
export function linearSchedule(from: number, to: number, duration: number): Schedule {
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    throw new InvalidConfig(`Expected linearSchedule from and to to be finite numbers, got ${describeValue(from)} and ${describeValue(to)}.`);
  }
  if (!(duration > 0) || !Number.isFinite(duration)) {
    throw new InvalidConfig(`Expected linearSchedule duration to be a positive number of steps, got ${describeValue(duration)}.`);
  }
  return (step: number): number => {
    if (!(step > 0)) return from;
    if (step >= duration) return to;
    return from + ((to - from) * step) / duration;
  };
}
