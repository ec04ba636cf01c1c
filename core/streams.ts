/**
 * Environment runs as rxjs streams. `steps$(env, actor)` is a cold Observable of transitions: subscribing
 * runs the env, unsubscribing (Ctrl-C, `take(n)`) stops it and closes the env. `episodes$` summarises the
 * finished episodes of such a run.
 *
 * Several consumers (a replay writer, stats, a recorder, a live viewer) share one run with `share()`:
 * ```ts
 * const run$ = steps$(env, actor, { seed: 1, maxSteps: 100_000 }).pipe(share());
 * run$.subscribe((x) => replay.add(x));
 * run$.pipe(episodeStats()).subscribe(logEpisode);
 * run$.pipe(filter((x) => x.episode % 50 === 0)).subscribe(recorder);
 * ```
 * The run starts on the microtask after the first subscription, so consumers subscribed in the same
 * synchronous block all see every transition, and the env runs once. A consumer that subscribes later
 * joins mid-run (use `connectable()` for explicit control of the start).
 */
import { Observable, type Subscriber } from 'rxjs';
import type { AnyEnv, Env, ResetResult, StepResult, Transition } from './env.js';
import { EnvFailed, InvalidConfig, InvalidObservation, RxgymError, describeValue } from './errors.js';
import { checkSeed } from './rng.js';
import { episodeStats } from './operators/episode-stats.js';

/**
 * Picks an action for an observation; may be async. `ctx` is one object reused for the whole run: read
 * it before the returned action (or promise) settles, and copy the fields you want to keep.
 */
export type Actor<O, A> = (obs: O, ctx: ActorContext) => A | Promise<A>;

/** Where the run is when the actor is asked for an action. */
export interface ActorContext {
  /** Run step, from 0 (the `step` of the transition this action makes). */
  step: number;
  /** Episode index in this run, from 0. */
  episode: number;
  /** Step within the episode, from 0. */
  t: number;
}

/** Options of `steps$` and `episodes$`; `O` is the observation type that `onReset` receives. */
export interface StepsOptions<O = unknown> {
  /** Seed of the first reset; later resets continue the env's random stream. Omit for the env's own state. */
  seed?: number;
  /** Complete after this many steps (with `maxEpisodes`: whichever limit comes first). Default: no limit. */
  maxSteps?: number;
  /** Complete after this many finished episodes. Default: no limit. */
  maxEpisodes?: number;
  /** Steps run between yields to the event loop when the actor is synchronous (or resolves at once). Default 1000. */
  chunk?: number;
  /** Close the env on complete, error and unsubscribe. Default true; pass false to re-subscribe (`repeat`, `retry`). */
  closeEnv?: boolean;
  /**
   * Called right after each `env.reset()`, before the episode's first action, with the reset observation and
   * the coming first step's context (`t` 0). A transition arrives only after its step, so this is the one
   * moment to see the reset state, e.g. to record the scene after reset (`resetSceneTracker(...).onReset`).
   * It must not step the env. An error it throws ends the run through the error channel.
   */
  onReset?: (obs: O, ctx: ActorContext) => void;
}

/** One finished episode. */
export interface EpisodeSummary {
  /** Episode index in the run, from 0. */
  episode: number;
  /** Undiscounted sum of the episode's rewards. */
  return: number;
  /** Number of steps in the episode. */
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** Run step of the episode's last transition. */
  step: number;
  /** Wall time in seconds from the end of the previous episode (or from subscription) to this one's end. */
  seconds: number;
}

/** Default `chunk`: large enough that a yield (~1 us with setImmediate) costs nothing per step, small enough for ~60 fps. */
const DEFAULT_CHUNK = 1000;

/** Envs that a `steps$` subscription is stepping right now: a second concurrent run would interleave steps. */
const busyEnvs = new WeakSet<object>();

/**
 * Runs `callback` on a later turn of the event loop, after pending I/O and timers get their turn:
 * setImmediate in Node, else a MessageChannel message (browsers; setTimeout is clamped to 4 ms when nested),
 * else setTimeout(0). Microtasks are not enough: they run before timers, signals and rendering.
 */
export function yieldToEventLoop(callback: () => void): void {
  if (typeof globalThis.setImmediate === 'function') {
    globalThis.setImmediate(callback);
  } else if (typeof globalThis.MessageChannel === 'function') {
    postMessageTask(callback);
  } else {
    globalThis.setTimeout(callback, 0);
  }
}

/** A port that may be referenced or not (Node's MessagePort; browsers have neither method). */
interface RefPort {
  ref?: () => void;
  unref?: () => void;
}
let channel: MessageChannel | undefined;
const queued: (() => void)[] = [];

function postMessageTask(callback: () => void): void {
  if (channel === undefined) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const task = queued.shift();
      // Keep a Node process alive only while a task waits.
      if (queued.length === 0) (channel!.port1 as unknown as RefPort).unref?.();
      task?.();
    };
  }
  queued.push(callback);
  (channel.port1 as unknown as RefPort).ref?.();
  channel.port2.postMessage(null);
}

function checkCount(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new InvalidConfig(`Expected steps$ option ${name} to be ${what}, got ${describeValue(value)}.`);
  }
  return value;
}

/** `StepsOptions` checked, with defaults filled in. */
interface RunConfig<O> {
  seed: number | undefined;
  maxSteps: number;
  maxEpisodes: number;
  chunk: number;
  closeEnv: boolean;
  onReset: ((obs: O, ctx: ActorContext) => void) | undefined;
}

function checkOptions<O>(options: StepsOptions<O>): RunConfig<O> {
  if (options.closeEnv !== undefined && typeof options.closeEnv !== 'boolean') {
    throw new InvalidConfig(`Expected steps$ option closeEnv to be a boolean, got ${describeValue(options.closeEnv)}.`);
  }
  if (options.onReset !== undefined && typeof options.onReset !== 'function') {
    throw new InvalidConfig(`Expected steps$ option onReset to be a function (obs, ctx) => void, got ${describeValue(options.onReset)}.`);
  }
  return {
    seed: options.seed === undefined ? undefined : checkSeed(options.seed, 'steps$ option seed'),
    maxSteps: options.maxSteps === undefined ? Infinity : checkCount(options.maxSteps, 'maxSteps', 0),
    maxEpisodes: options.maxEpisodes === undefined ? Infinity : checkCount(options.maxEpisodes, 'maxEpisodes', 0),
    chunk: options.chunk === undefined ? DEFAULT_CHUNK : checkCount(options.chunk, 'chunk', 1),
    closeEnv: options.closeEnv ?? true,
    onReset: options.onReset,
  };
}

/** How errors name an env: its registered id, else the class of the innermost env (`CustomEnv`), else `env`. */
export function envName(env: AnyEnv): string {
  const id = env.spec?.id;
  if (typeof id === 'string' && id !== '') return id;
  const inner = (env.unwrapped as AnyEnv | undefined) ?? env;
  const name = (inner as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'env';
}

/**
 * What a run reports when `env.<method>()` throws: rxgym's own typed errors as they are (the wrappers'
 * already name the env), anything else as one line naming the env and the method, the original as `cause`.
 */
function envFailure(env: AnyEnv, method: 'reset' | 'step', err: unknown): unknown {
  if (err instanceof RxgymError) return err;
  const text = err instanceof Error ? err.message : describeValue(err);
  // One line: a multi-line message stays whole in `cause`.
  return new EnvFailed(`${envName(env)}.${method}() threw: ${text.split('\n')[0]}`, { cause: err });
}

/**
 * One subscription's run: the loop state lives in fields and the callbacks are bound once, so a
 * synchronous step allocates only its Transition (no closures or promises per step).
 */
class StepsRun<O, A> {
  private obs!: O;
  private needsReset = true;
  private firstReset = true;
  private step = 0;
  private episode = 0;
  private t = 0;
  private sinceYield = 0;
  private envClosed = false;
  private readonly ctx: ActorContext = { step: 0, episode: 0, t: 0 };

  private readonly env: Env<O, A>;
  private readonly actor: Actor<O, A>;
  private readonly config: RunConfig<O>;
  private readonly subscriber: Subscriber<Transition<O, A>>;

  constructor(env: Env<O, A>, actor: Actor<O, A>, config: RunConfig<O>, subscriber: Subscriber<Transition<O, A>>) {
    this.env = env;
    this.actor = actor;
    this.config = config;
    this.subscriber = subscriber;
  }

  /** Runs steps until a limit, a yield, a pending async action, or unsubscription. */
  readonly pump = (): void => {
    const subscriber = this.subscriber;
    const config = this.config;
    try {
      while (!subscriber.closed) {
        if (this.step >= config.maxSteps || this.episode >= config.maxEpisodes) {
          this.finish();
          return;
        }
        if (this.sinceYield >= config.chunk) {
          this.sinceYield = 0;
          yieldToEventLoop(this.pump);
          return;
        }
        if (this.needsReset) this.reset();
        const ctx = this.ctx;
        ctx.step = this.step;
        ctx.episode = this.episode;
        ctx.t = this.t;
        const action = this.actor(this.obs, ctx);
        if (typeof (action as { then?: unknown } | null | undefined)?.then === 'function') {
          (action as Promise<A>).then(this.resume, this.fail);
          return;
        }
        this.advance(action as A);
      }
    } catch (err) {
      this.fail(err);
    }
  };

  /** Continues the loop with an async actor's action. */
  private readonly resume = (action: A): void => {
    if (this.subscriber.closed) return;
    try {
      this.advance(action);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.pump();
  };

  /** Sends `err` downstream after closing the env (an error from close itself is dropped: the first error matters). */
  readonly fail = (err: unknown): void => {
    if (this.subscriber.closed) return;
    try {
      this.closeEnv();
    } catch {
      // keep the original error
    }
    this.subscriber.error(err);
  };

  /** Closes the env once (if configured); teardown of every ending path calls it. */
  closeEnv(): void {
    if (this.envClosed) return;
    this.envClosed = true;
    busyEnvs.delete(this.env);
    if (this.config.closeEnv) this.env.close();
  }

  private reset(): void {
    const env = this.env;
    const seed = this.firstReset ? this.config.seed : undefined;
    this.firstReset = false;
    let result: ResetResult<O>;
    try {
      result = seed === undefined ? env.reset() : env.reset({ seed });
    } catch (err) {
      throw envFailure(env, 'reset', err);
    }
    if (result === null || typeof result !== 'object' || !('obs' in result)) {
      throw new InvalidObservation(`Expected ${envName(env)}.reset() to return { obs, info }, got ${describeValue(result)}.`);
    }
    this.obs = result.obs;
    this.needsReset = false;
    const onReset = this.config.onReset;
    if (onReset !== undefined) {
      const ctx = this.ctx;
      ctx.step = this.step;
      ctx.episode = this.episode;
      ctx.t = 0;
      onReset(this.obs, ctx);
    }
  }

  private advance(action: A): void {
    let result: StepResult<O>;
    try {
      result = this.env.step(action);
    } catch (err) {
      throw envFailure(this.env, 'step', err);
    }
    if (result === null || typeof result !== 'object') {
      throw new InvalidObservation(`Expected ${envName(this.env)}.step() to return { obs, reward, terminated, truncated, info }, got ${describeValue(result)}.`);
    }
    const transition: Transition<O, A> = {
      obs: this.obs,
      action,
      reward: result.reward,
      nextObs: result.obs,
      terminated: result.terminated,
      truncated: result.truncated,
      info: result.info,
      episode: this.episode,
      t: this.t,
      step: this.step,
    };
    // State moves on before emitting, so a re-entrant consumer sees the run as it is.
    this.step++;
    this.sinceYield++;
    if (result.terminated || result.truncated) {
      this.needsReset = true;
      this.episode++;
      this.t = 0;
    } else {
      this.obs = result.obs;
      this.t++;
    }
    this.subscriber.next(transition);
  }

  /** Completes; an error from `env.close()` goes to the error channel instead. */
  private finish(): void {
    try {
      this.closeEnv();
    } catch (err) {
      this.subscriber.error(err);
      return;
    }
    this.subscriber.complete();
  }
}

/**
 * A cold Observable of transitions: subscribing resets and runs `env` with `actor`, unsubscribing stops it
 * at once and closes the env. Completes at `maxSteps` steps or `maxEpisodes` finished episodes. Errors of
 * `env.reset`, `env.step` and the actor (thrown or rejected) arrive through the error channel; an env's own
 * failure (a throw that is not an `RxgymError`, a reset or step returning no result) as one line naming the
 * env and the method (`Expected CustomEnv.reset() to return { obs, info }, got undefined.`). Invalid
 * options throw `InvalidConfig` here, at the call. A sync actor runs in chunks of `chunk` steps with a
 * yield to the event loop between them; an async actor is awaited step by step. Two runs of one env at the
 * same time are refused with an error (`ENV_BUSY`): share one run with `share()` instead. `obs` and
 * `nextObs` are the values the env returned, not copies: an env that reuses one buffer must return copies.
 */
export function steps$<O, A>(env: Env<O, A>, actor: Actor<O, A>, options: StepsOptions<O> = {}): Observable<Transition<O, A>> {
  const config = checkOptions(options);
  return new Observable<Transition<O, A>>((subscriber) => {
    if (busyEnvs.has(env)) {
      subscriber.error(
        new RxgymError(
          'ENV_BUSY',
          'Expected one steps$ run per environment at a time, got a second subscription while the env is running. ' +
            'Share one run between consumers with share(), or make a second env.',
        ),
      );
      return;
    }
    busyEnvs.add(env);
    const run = new StepsRun(env, actor, config, subscriber);
    // Start on the next microtask: consumers subscribed in the same tick (through share()) all see step 0.
    queueMicrotask(run.pump);
    return () => run.closeEnv();
  });
}

/** Finished-episode summaries of a `steps$` run (same options; `maxSteps` may end the run mid-episode). */
export function episodes$<O, A>(env: Env<O, A>, actor: Actor<O, A>, options: StepsOptions<O> = {}): Observable<EpisodeSummary> {
  return steps$(env, actor, options).pipe(episodeStats());
}
