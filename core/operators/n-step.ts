import type { OperatorFunction } from 'rxjs';
import type { Transition } from '../env.js';
import { InvalidConfig, describeValue } from '../errors.js';
import { operate } from './operate.js';

/** A transition spanning `k <= n` steps, as `nStep` emits it. */
export interface NStepTransition<O, A> extends Transition<O, A> {
  /**
   * `gamma^k` for the `k` steps actually summed into `reward`: bootstrap with
   * `reward + discount * (terminated ? 0 : V(nextObs))`.
   */
  discount: number;
}

/**
 * Turns one-step transitions into n-step ones. The output for the transition at step `t` keeps its `obs`,
 * `action`, `episode`, `t` and `step`, and takes from step `t + k - 1`: `nextObs`, `terminated`,
 * `truncated` and `info`. `reward` is `sum_{i<k} gamma^i * r_{t+i}` and `discount` is `gamma^k`, where
 * `k = n`, or fewer when the episode ends first: sums never cross an episode boundary.
 *
 * Like a receipt that is printed `n` purchases late, or at closing time for whatever is still open: each
 * output appears once `n` later steps are known. At an episode's end (terminated or truncated) every
 * pending transition is flushed with its shorter `k`; so is the tail when the source completes, or when
 * a new episode starts before the previous one ended (a cut stream) — a k-step return with its own
 * `gamma^k` is still a correct bootstrap target. Outputs keep the order of their first steps.
 *
 * @example
 * ```ts
 * steps$(env, actor).pipe(nStep(3, 0.99)).subscribe((x) => replay.add(x)); // x.discount is 0.99^3 or less
 * ```
 * @param n Steps summed into each output, a positive integer (1 gives one-step transitions with `discount = gamma`).
 * @param gamma Discount factor in [0, 1].
 */
export function nStep<O, A>(n: number, gamma: number): OperatorFunction<Transition<O, A>, NStepTransition<O, A>> {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidConfig(`Expected nStep n to be a positive integer, got ${describeValue(n)}.`);
  }
  if (typeof gamma !== 'number' || !(gamma >= 0 && gamma <= 1)) {
    throw new InvalidConfig(`Expected nStep gamma to be a number in [0, 1], got ${describeValue(gamma)}.`);
  }
  return operate<Transition<O, A>, NStepTransition<O, A>>((subscriber) => {
    // A ring of the last transitions whose n-step output is not out yet (at most n).
    const ring: (Transition<O, A> | undefined)[] = new Array<Transition<O, A> | undefined>(n).fill(undefined);
    let head = 0; // oldest pending
    let size = 0;

    /** Emits the oldest pending transition summed over every pending step, then drops it. */
    const emitOldest = (): void => {
      const first = ring[head]!;
      let reward = 0;
      let discount = 1;
      let last = first;
      for (let i = 0; i < size; i++) {
        last = ring[(head + i) % n]!;
        reward += discount * last.reward; // discounted n-step return
        discount *= gamma;
      }
      ring[head] = undefined; // let the consumer own the only reference
      head = (head + 1) % n;
      size--;
      subscriber.next({
        obs: first.obs,
        action: first.action,
        reward,
        nextObs: last.nextObs,
        terminated: last.terminated,
        truncated: last.truncated,
        info: last.info,
        episode: first.episode,
        t: first.t,
        step: first.step,
        discount,
      });
    };
    const flush = (): void => {
      while (size > 0) emitOldest();
    };

    return {
      next(x) {
        if (size > 0 && ring[head]!.episode !== x.episode) flush(); // the previous episode was cut off
        ring[(head + size) % n] = x;
        size++;
        if (x.terminated || x.truncated) flush();
        else if (size === n) emitOldest();
      },
      complete: flush,
    };
  });
}
