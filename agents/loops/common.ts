/** What every training loop shares: its result, progress records, hooks, option checks and abort-at-a-boundary. */
import { NEVER, fromEvent, switchMap, type Observable } from 'rxjs';
import { InvalidConfig, describeValue } from '../../core/errors.js';

/** What a loop resolves to. */
export interface LoopResult {
  /** Global environment steps taken (`startStep` plus this call's steps). */
  step: number;
  /** Global finished episodes (`startEpisodes` plus this call's). */
  episodes: number;
  /** Global learner updates (`startUpdates` plus this call's `train`/`update` calls). */
  updates: number;
  /** Wall time of this call in seconds. */
  seconds: number;
  /** Environment steps per second in this call. */
  fps: number;
  /** 'aborted' when the signal stopped the run, else 'done'. */
  stopped: 'done' | 'aborted';
}

/** A progress or log record of a loop. */
export interface LoopProgress {
  /** Global environment steps taken so far. */
  step: number;
  /** Global finished episodes so far. */
  episodes: number;
  /** Global learner updates so far. */
  updates: number;
  /** Environment steps per second in this call. */
  fps: number;
  /**
   * Mean of the losses `train`/`update` returned: in a log record over the log interval (NaN when none),
   * in a progress record since the previous report (else the previous report's value; NaN before any).
   */
  loss: number;
}

/** Async work at a step boundary every `every` global steps (evaluation, checkpoints); the run waits for it. */
export interface LoopHook {
  /** Global steps between runs (a positive integer). */
  every: number;
  /** Called with the global step; the stream pauses until the promise settles, and a rejection fails the loop. */
  run(step: number): Promise<void>;
}

/** Throws `InvalidConfig` unless `value` is a safe integer >= `min`; returns it. */
export function checkInteger(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer from ${min} up`;
    throw new InvalidConfig(`Expected ${name} to be ${what}, got ${describeValue(value)}.`);
  }
  return value;
}

/** Throws `InvalidConfig` unless every hook has a positive integer `every` and a `run` function. */
export function checkHooks(hooks: readonly LoopHook[], who: string): void {
  if (!Array.isArray(hooks)) throw new InvalidConfig(`Expected ${who} option hooks to be an array, got ${describeValue(hooks)}.`);
  hooks.forEach((h, i) => {
    checkInteger(h?.every, `${who} option hooks[${i}].every`, 1);
    if (typeof h.run !== 'function') throw new InvalidConfig(`Expected ${who} option hooks[${i}].run to be a function, got ${describeValue(h.run)}.`);
  });
}

/**
 * The hooks due at global step `step` (those whose `every` divides it), run one after another; null when
 * none is due, so the caller stays synchronous on the common path.
 */
export function runDueHooks(hooks: readonly LoopHook[], step: number): Promise<void> | null {
  let due: Promise<void> | null = null;
  for (let i = 0; i < hooks.length; i++) {
    const h = hooks[i]!;
    if (step % h.every === 0) due = due === null ? h.run(step) : due.then(() => h.run(step));
  }
  return due;
}

/**
 * A `takeUntil` notifier: after `signal` aborts, it fires at the next emission of `boundary$`, i.e. at the
 * next step boundary, so the step in flight is stored and learned from and an in-flight hook finishes
 * first. Without a signal it never fires.
 */
export function abortAtBoundary(signal: AbortSignal | undefined, boundary$: Observable<void>): Observable<unknown> {
  if (signal === undefined) return NEVER;
  return fromEvent(signal, 'abort').pipe(switchMap(() => boundary$));
}

/** Milliseconds since some fixed point (performance.now), the loops' clock. */
export function now(): number {
  return performance.now();
}
