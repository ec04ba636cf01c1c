/**
 * The one place where rxgym's operators meet rxjs: subscribe to the source, run the operator's handlers,
 * and route everything a handler throws into `subscriber.error` (rxjs's own operators do the same through
 * an internal helper that is not exported, so this is its small public-API twin).
 */
import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';

/** What one subscription to an operator does with the source's notifications. */
export interface OperatorHandlers<T> {
  /** Handles one source value; may emit through the subscriber. A throw becomes `subscriber.error`. */
  next(value: T): void;
  /** Runs when the source completes, before the downstream completes (a place to flush buffers). */
  complete?(): void;
}

/**
 * Builds an operator from per-subscription handlers. `init` runs once per subscription, so operator state
 * (buffers, sums) lives in its closure and never leaks between subscribers. Source errors pass through
 * unchanged; a buffer is not flushed on error (as with rxjs's `bufferCount`).
 */
export function operate<T, R>(init: (subscriber: Subscriber<R>) => OperatorHandlers<T>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const handlers = init(subscriber);
      return source.subscribe({
        next(value) {
          try {
            handlers.next(value);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error(err: unknown) {
          subscriber.error(err);
        },
        complete() {
          try {
            handlers.complete?.();
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.complete();
        },
      });
    });
}
