import type { OperatorFunction } from 'rxjs';
import { InvalidConfig, describeValue } from '../errors.js';
import { operate } from './operate.js';

/**
 * Emits, for each source number, the mean of the last `window` numbers (fewer while the stream is younger
 * than the window), so the first output equals the first input.
 *
 * Like the "mean return over the last 100 episodes" line of a training log: each new score slides the
 * window by one. O(1) per value; the running sum is recomputed once per window to keep float error bounded.
 *
 * @example
 * ```ts
 * episodes$(env, actor).pipe(map((e) => e.return), movingAverage(100)).subscribe(console.log);
 * ```
 * @param window Number of most recent values averaged, a positive integer.
 */
export function movingAverage(window: number): OperatorFunction<number, number> {
  if (!Number.isSafeInteger(window) || window < 1) {
    throw new InvalidConfig(`Expected movingAverage window to be a positive integer, got ${describeValue(window)}.`);
  }
  return operate<number, number>((subscriber) => {
    const values = new Float64Array(window);
    let count = 0; // values held, up to window
    let next = 0; // slot the next value overwrites
    let sum = 0;
    return {
      next(x) {
        sum += x - values[next]!; // the slot still holds 0 while the window fills
        values[next] = x;
        next++;
        if (next === window) {
          next = 0;
          sum = 0;
          for (let i = 0; i < window; i++) sum += values[i]!; // drop accumulated rounding error
        }
        if (count < window) count++;
        subscriber.next(sum / count);
      },
    };
  });
}
