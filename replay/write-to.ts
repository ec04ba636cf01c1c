/** The replay writer: an rxjs operator that stores each transition of a steps$ stream and passes it on. */
import { tap, type Observable } from 'rxjs';
import type { TransitionSink } from './types.js';

/**
 * Adds every transition to `sink` (a ReplayBuffer or PrioritizedReplayBuffer) and emits it
 * unchanged, like a tee into the buffer; the stream keeps its own element type. A transition the buffer
 * rejects errors the stream (rxjs style), so the subscriber's error handler sees the `InvalidTransition`.
 *
 * @example
 * steps$(env, actor).pipe(writeTo(buffer), episodeStats()).subscribe(...)
 */
export function writeTo<T>(sink: TransitionSink<T>): <U extends T>(source: Observable<U>) => Observable<U> {
  return <U extends T>(source: Observable<U>): Observable<U> => source.pipe(tap((t: U) => sink.addTransition(t)));
}
