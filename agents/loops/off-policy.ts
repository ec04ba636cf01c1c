/**
 * The off-policy training loop (DQN now; DDPG, TD3 and model-based training later): `steps$` drives the env
 * with the behaviour policy, one shared stream feeds the replay writer and the learner, episode statistics
 * and the caller's consumers, and rxjs stops it (`takeUntil` at the next step boundary after an abort).
 */
import { Subject, map, share, takeUntil, tap, type OperatorFunction, type Subscription } from 'rxjs';
import type { Env, Transition } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { episodeStats } from '../../core/operators/episode-stats.js';
import { steps$, type ActorContext, type EpisodeSummary } from '../../core/streams.js';
import type { Rng } from '../../core/rng.js';
import type { ActionKind, ReplayBatch, TransitionSink } from '../../replay/types.js';
import { writeTo } from '../../replay/write-to.js';
import { abortAtBoundary, checkHooks, checkInteger, now, runDueHooks, type LoopHook, type LoopProgress, type LoopResult } from './common.js';
import { ContinueEpisode, type EpisodeInFlight } from './continue-episode.js';

/**
 * Where an off-policy agent's update batches come from when not its own replay: fills every row of `batch` (raw
 * rows, as the replay stores them). Model-based training sets one that mixes real and imagined transitions.
 */
export interface BatchSource<K extends ActionKind = ActionKind> {
  sampleInto(batch: ReplayBatch<K>, rng: Rng): void;
}

/** A finished episode as the loop reports it. */
export interface LoopEpisode extends EpisodeSummary {
  /** Global episode index (`startEpisodes` plus the index in this call). */
  episode: number;
  /** Global step after the episode's last transition. */
  globalStep: number;
}

/** Options of `runOffPolicy`. */
export interface OffPolicyOptions<O, A> {
  /** Environment steps to take in this call (a non-negative integer). */
  steps: number;
  /** Behaviour policy: the action for `obs`; `step` is the global step of the action about to be taken. */
  act(obs: O, step: number): A;
  /** The replay the transitions are written to (through `writeTo`). */
  store: TransitionSink<Transition<O, A>>;
  /** Maps a transition before it is stored (e.g. reward clipping); episode statistics and consumers see it raw. */
  storeTransform?: (t: Transition<O, A>) => Transition<O, A>;
  /** Global step after which learning may start: `train` runs only when step > learningStarts. Default 0. */
  learningStarts?: number;
  /** Global steps between training rounds. Default 1. */
  trainFreq?: number;
  /** Gradient steps per training round. Default 1. */
  gradientSteps?: number;
  /** One gradient step at global step `step`; return the loss to have it averaged into the metrics. */
  train(step: number): void | number;
  /** Checked once per due round: false skips the round (e.g. replay.size < batchSize). Default always true. */
  canTrain?: () => boolean;
  /** Synchronous per-step work after the training round (e.g. target-network updates every N steps). */
  afterStep?(step: number): void;
  /** Async work at step boundaries (evaluation, checkpoints); see the loop's doc for when each runs. */
  hooks?: readonly LoopHook[];
  /** Extra consumers of the shared transition stream (recorder, live viewer); an error from one fails the loop. */
  consumers?: readonly OperatorFunction<Transition<O, A>, unknown>[];
  /** Called once per finished episode, before that episode's progress report. */
  onEpisode?(e: LoopEpisode): void;
  /** Called every `logInterval` global steps with the mean loss over the interval. */
  onLog?(p: LoopProgress): void;
  /** Called every 100 global steps (except on log steps), after each episode, and once at the end. */
  onProgress?(p: LoopProgress): void;
  /** Global steps between `onLog` calls. Default 1000. */
  logInterval?: number;
  /** Global step counter on entry (a resumed run's step). Default 0. */
  startStep?: number;
  /** Finished episodes before this call. Default 0. */
  startEpisodes?: number;
  /** Learner updates (`train` calls) before this call. Default 0. */
  startUpdates?: number;
  /** Seed of the first env reset (later resets continue the env's stream). Default: the env's own state. */
  seed?: number;
  /** Aborting stops the run at the next step boundary; the loop resolves with `stopped: 'aborted'`. */
  signal?: AbortSignal;
  /**
   * Continue the episode in flight instead of resetting: the first reset returns `resumeEpisode.obs` and
   * leaves the env (whose state the caller restored) untouched. The first episode summary then covers only
   * the steps taken since the resume.
   */
  resumeEpisode?: EpisodeInFlight<O>;
  /**
   * A live record of the episode in flight that the loop keeps current at every step boundary (the observation
   * about to be acted on, the return and length so far), so that a checkpoint taken in a hook can save it.
   */
  episodeState?: EpisodeState<O>;
  /** Close the env when the run ends (default true); false keeps it open to continue its episode in a later call. */
  closeEnv?: boolean;
  /** Called after each env reset, before the first action (steps$'s option; e.g. a recorder's reset scenes). A resumed episode's first reset is not a reset and is not reported. */
  onReset?: (obs: O, ctx: ActorContext) => void;
}

/** The episode in flight at a step boundary: what an exact resume continues from. */
export interface EpisodeState<O> {
  /** The observation the next action is chosen from (undefined before the first reset). */
  obs: O | undefined;
  /** Undiscounted return of the episode so far. */
  return: number;
  /** Steps of the episode so far. */
  length: number;
}

const WHO = 'runOffPolicy';
/** Global steps between throttled progress reports. */
const PROGRESS_EVERY = 100;

/**
 * Runs `env` for `options.steps` steps with `act`, storing every transition in `store` and training as
 * scheduled; resolves when the steps are done or the signal aborted (never stays pending), and rejects with
 * the first error of the env, the actor, the learner, a hook or a consumer. The env is closed when the run
 * ends (as `steps$` does); with nothing to do (0 steps, already aborted) it is left untouched.
 *
 * Counting (today's DQN, SB3 semantics). `step` is the global step counter, `startStep` on entry. For each
 * environment step:
 * 1. at the boundary before it, with `step` = s steps taken: if s > startStep, every hook whose `every`
 *    divides s runs (in order, awaited); then, unless aborted, `act(obs, s)` picks the action;
 * 2. the env steps; the transition is stored (after `storeTransform`), then `step` becomes s + 1;
 * 3. if s + 1 > learningStarts and (s + 1) % trainFreq === 0 and `canTrain()`: `train(s + 1)` runs
 *    `gradientSteps` times;
 * 4. `afterStep(s + 1)`; then `onLog` if (s + 1) % logInterval === 0, else `onProgress` if (s + 1) % 100 === 0;
 * 5. episode statistics (`onEpisode`, `onProgress`), then the consumers, see the raw transition.
 * Hooks never run at the run's last step boundary (the stream completes first): a final save is the caller's.
 */
export function runOffPolicy<O, A>(env: Env<O, A>, options: OffPolicyOptions<O, A>): Promise<LoopResult> {
  const o = options;
  const steps = checkInteger(o.steps, `${WHO} option steps`, 0);
  const learningStarts = checkInteger(o.learningStarts ?? 0, `${WHO} option learningStarts`, 0);
  const trainFreq = checkInteger(o.trainFreq ?? 1, `${WHO} option trainFreq`, 1);
  const gradientSteps = checkInteger(o.gradientSteps ?? 1, `${WHO} option gradientSteps`, 0);
  const logInterval = checkInteger(o.logInterval ?? 1000, `${WHO} option logInterval`, 1);
  const startStep = checkInteger(o.startStep ?? 0, `${WHO} option startStep`, 0);
  const startEpisodes = checkInteger(o.startEpisodes ?? 0, `${WHO} option startEpisodes`, 0);
  const startUpdates = checkInteger(o.startUpdates ?? 0, `${WHO} option startUpdates`, 0);
  for (const name of ['act', 'train'] as const) {
    if (typeof o[name] !== 'function') throw new InvalidConfig(`Expected ${WHO} option ${name} to be a function, got ${describeValue(o[name])}.`);
  }
  if (o.store === null || typeof o.store !== 'object' || typeof o.store.addTransition !== 'function') {
    throw new InvalidConfig(`Expected ${WHO} option store to have addTransition(t), got ${describeValue(o.store)}.`);
  }
  const hooks = o.hooks ?? [];
  checkHooks(hooks, WHO);
  const canTrain = o.canTrain ?? (() => true);

  // BOOKKEEPING: counters and the loss accumulators of the progress and log records.
  const started = now();
  let step = startStep;
  let episodes = startEpisodes;
  let updates = startUpdates;
  let progressSum = 0;
  let progressCount = 0;
  let lastLoss = NaN;
  let logSum = 0;
  let logCount = 0;
  const fps = (): number => ((step - startStep) * 1000) / Math.max(1, now() - started);
  const progress = (): LoopProgress => {
    const loss = progressCount > 0 ? progressSum / progressCount : lastLoss;
    lastLoss = loss;
    progressSum = 0;
    progressCount = 0;
    return { step, episodes, updates, fps: fps(), loss };
  };
  const result = (stopped: 'done' | 'aborted'): LoopResult => {
    const seconds = (now() - started) / 1000;
    return { step, episodes, updates, seconds, fps: (step - startStep) / Math.max(seconds, 1e-9), stopped };
  };

  if (steps === 0 || o.signal?.aborted) return Promise.resolve(result(o.signal?.aborted ? 'aborted' : 'done'));

  return new Promise<LoopResult>((resolve, reject) => {
    let aborted = false;
    let finished = false;
    const subs: Subscription[] = [];
    const end = (): boolean => {
      if (finished) return false;
      finished = true;
      for (const s of subs) s.unsubscribe(); // stops the shared run and closes the env
      return true;
    };
    const fail = (err: unknown): void => {
      if (end()) reject(err);
    };
    const complete = (): void => {
      if (!end()) return;
      try {
        o.onProgress?.(progress());
      } catch (err) {
        reject(err);
        return;
      }
      resolve(result(aborted ? 'aborted' : 'done'));
    };

    // BOOKKEEPING: the actor is where the run pauses for hooks and stops on abort, because it is called at
    // a step boundary: every earlier transition is stored and learned from.
    const live = o.episodeState;
    const boundary$ = new Subject<void>();
    const decide = (obs: O): A | Promise<A> => {
      if (o.signal?.aborted) {
        aborted = true;
        boundary$.next(); // takeUntil ends the run here; steps$ drops whatever the actor returns now
        return STOPPED as Promise<A>;
      }
      return o.act(obs, step);
    };
    const actor = (obs: O): A | Promise<A> => {
      // Before the hooks: a checkpoint taken in one saves the observation about to be acted on.
      if (live !== undefined) live.obs = obs;
      if (o.signal?.aborted) return decide(obs); // stop before any hook
      if (hooks.length > 0 && step > startStep) {
        const due = runDueHooks(hooks, step);
        if (due !== null) return due.then(() => decide(obs));
      }
      return decide(obs);
    };

    if (live !== undefined && o.resumeEpisode !== undefined) {
      live.return = o.resumeEpisode.return ?? 0;
      live.length = o.resumeEpisode.length ?? 0;
    }
    // The first episode of a resumed run continues one that started before the checkpoint: its summary adds
    // the return and length from before.
    const carry = o.resumeEpisode !== undefined ? { return: o.resumeEpisode.return ?? 0, length: o.resumeEpisode.length ?? 0 } : undefined;
    const source = o.resumeEpisode === undefined ? env : new ContinueEpisode(env, o.resumeEpisode);
    let skipReset = o.resumeEpisode !== undefined;
    const onReset = o.onReset;
    const runOptions = {
      maxSteps: steps, closeEnv: o.closeEnv ?? true, ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(onReset ? { onReset: (obs: O, ctx: ActorContext) => (skipReset ? void (skipReset = false) : onReset(obs, ctx)) } : {}),
    };
    const stream = steps$(source, actor, runOptions).pipe(
      takeUntil(abortAtBoundary(o.signal, boundary$)),
      share(),
    );

    // ALGORITHM: the replay writer, then the learner, which runs when the schedule says so.
    const learner = (): void => {
      const s = ++step;
      if (s > learningStarts && s % trainFreq === 0 && canTrain()) {
        for (let g = 0; g < gradientSteps; g++) {
          const loss = o.train(s);
          updates++;
          if (typeof loss === 'number') {
            progressSum += loss;
            progressCount++;
            logSum += loss;
            logCount++;
          }
        }
      }
      o.afterStep?.(s);
      if (s % logInterval === 0 && o.onLog) {
        const p = progress();
        p.loss = logCount > 0 ? logSum / logCount : NaN;
        logSum = 0;
        logCount = 0;
        o.onLog(p);
      } else if (s % PROGRESS_EVERY === 0 && o.onProgress) {
        o.onProgress(progress());
      }
    };
    const toStore = o.storeTransform ? stream.pipe(map(o.storeTransform)) : stream;
    // Errors thrown by the learner or the callbacks travel in the stream (tap), not out of a subscriber.
    subs.push(toStore.pipe(writeTo(o.store), tap(learner)).subscribe({ error: fail, complete }));

    // BOOKKEEPING: episode statistics, a consumer beside the writer and the learner.
    const onEpisode = (e: EpisodeSummary): void => {
      episodes++;
      o.onEpisode?.({ ...e, episode: episodes - 1, globalStep: step });
      o.onProgress?.(progress());
    };
    // The live episode record follows the raw (untransformed) rewards, as the episode statistics do.
    const track = (t: Transition<O, A>): void => {
      if (live === undefined) return;
      const done = t.terminated || t.truncated;
      live.return = done ? 0 : live.return + t.reward;
      live.length = done ? 0 : live.length + 1;
      // The next action is chosen from nextObs, unless the episode ended: then from a reset, unknown until the actor sees it.
      live.obs = done ? undefined : t.nextObs;
    };
    subs.push(stream.pipe(tap(track), episodeStats(carry ? { carry } : {}), tap(onEpisode)).subscribe({ error: fail }));
    // BOOKKEEPING: caller-supplied consumers (recorder, live viewer) share the same run.
    for (const consumer of o.consumers ?? []) subs.push(stream.pipe(consumer).subscribe({ error: fail }));
  });
}

/** What the actor returns once the run is stopped: settled, and ignored by the unsubscribed `steps$`. */
const STOPPED: Promise<unknown> = Promise.resolve(undefined);
