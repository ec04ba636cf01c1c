/**
 * The off-policy training loop over a vector of N envs (`numEnvs` > 1, or worker-thread envs): every vector
 * step acts on all N observations at once (one batched forward pass), stores N transitions, and trains on
 * Stable-Baselines3's schedule for vector envs (off_policy_algorithm.py):
 * - a step is one env transition, so the global step grows by N per vector step (SB3's `num_timesteps`);
 * - `trainFreq` counts vector steps, and each round runs `gradientSteps` gradient steps, or with
 *   `gradientSteps` -1 as many as env steps were collected in the round (trainFreq x N);
 * - training starts once the global step passes `learningStarts`.
 * Autoreset is the vector's same-step autoreset: the transition that ends an episode is stored with the
 * episode's FINAL observation (`finalObs`), never the next episode's reset observation, and with its own
 * `terminated`/`truncated` flags, so the learner bootstraps through a truncation and not through a termination.
 * Episode statistics are kept per env. The run restarts every env's episode (the vector resets) at its start.
 */
import { Subject, type OperatorFunction, type Subscription } from 'rxjs';
import type { StepResult, Transition } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { unflatten, type AnySpace, type Space } from '../../core/spaces.js';
import { yieldToEventLoop, type ActorContext, type EpisodeSummary } from '../../core/streams.js';
import type { VecStepResult } from '../../envs/vector.js';
import { checkHooks, checkInteger, now, type LoopHook, type LoopProgress, type LoopResult } from './common.js';
import type { VecEnvLike } from './vec-env.js';
import { TransitionTap, type TapListener } from './single-env-vec.js';

/** A finished episode of one env of the vector. */
export interface VecLoopEpisode extends EpisodeSummary {
  /** Which env of the vector it ran in. */
  env: number;
  /** Global step after the vector step that ended it. */
  globalStep: number;
}

/** Where the loop stores env i's transition: flat rows (obsDim floats, actDim action numbers), views reused every step. */
export type RowSink = (env: number, obs: Float32Array, action: Int32Array | Float32Array, reward: number, nextObs: Float32Array, terminated: boolean, truncated: boolean) => void;

/** Options of `runOffPolicyVec` (the counterpart of `runOffPolicy`'s, on N envs). */
export interface OffPolicyVecOptions<O = unknown, A = unknown> {
  /** Env transitions to take at least (whole vector steps: the last may overshoot by up to N - 1). */
  steps: number;
  /** Behaviour policy on the N observation rows (N x obsDim): write N x actDim actions into `out`; `step` is the global step before this vector step. */
  act(obs: Float32Array, step: number, out: Int32Array | Float32Array): void;
  /** Stores each env's transition. */
  store: RowSink;
  /** Training runs only once the global step is above this. Default 0. */
  learningStarts?: number;
  /** Vector steps between training rounds. Default 1. */
  trainFreq?: number;
  /** Gradient steps per round; -1: one per env transition collected in the round (trainFreq x N). Default 1. */
  gradientSteps?: number;
  /** One gradient step at global step `step`; return the loss to have it averaged into the metrics. */
  train(step: number): void | number;
  /** Checked once per due round: false skips the round. Default always true. */
  canTrain?: () => boolean;
  /** Once per vector step, after the training round, with the global step and the vector steps taken in all. */
  afterStep?(step: number, vectorSteps: number): void;
  /** Async work at vector-step boundaries: a hook runs once the global step passed a multiple of its `every`. */
  hooks?: readonly LoopHook[];
  /** Consumers of env 0's transitions (needs env 0 to be a `TransitionTap`), `episode` its index in this call (see `onEpisode`). */
  consumers?: readonly OperatorFunction<Transition<O, A>, unknown>[];
  /** Called after each reset of env 0 (needs the tap), before its first action. */
  onReset?: (obs: O, ctx: ActorContext) => void;
  /**
   * Each finished episode. Indices are global and unique: env 0's episodes are numbered when they start (so its
   * transitions carry their final index), every other env's when they end; with N envs, env 0's may come late.
   */
  onEpisode?(e: VecLoopEpisode): void;
  /** Each time the global step passes a multiple of `logInterval`, with the mean loss since the last record. */
  onLog?(p: LoopProgress): void;
  /** Each time the global step passes a multiple of 100 (except log steps), after each episode, and at the end. */
  onProgress?(p: LoopProgress): void;
  logInterval?: number;
  startStep?: number;
  startEpisodes?: number;
  startUpdates?: number;
  /** Seed of the vector's reset (env i gets seed + i). */
  seed?: number;
  signal?: AbortSignal;
}

const WHO = 'runOffPolicyVec';
/** Vector steps between yields to the event loop (a signal handler must get to run). */
const CHUNK = 256;

/**
 * Runs the vector `vec` until at least `options.steps` env transitions are taken or the signal aborts, storing,
 * training and reporting as the module doc says; closes `vec` at the end. Rejects with the first error of the
 * env, the policy, the learner, a hook or a consumer.
 */
export async function runOffPolicyVec<O, A>(vec: VecEnvLike, options: OffPolicyVecOptions<O, A>): Promise<LoopResult> {
  const o = options;
  const steps = checkInteger(o.steps, `${WHO} option steps`, 0);
  const learningStarts = checkInteger(o.learningStarts ?? 0, `${WHO} option learningStarts`, 0);
  const trainFreq = checkInteger(o.trainFreq ?? 1, `${WHO} option trainFreq`, 1);
  const gradientSteps = o.gradientSteps === -1 ? -1 : checkInteger(o.gradientSteps ?? 1, `${WHO} option gradientSteps (or -1)`, 0);
  const logInterval = checkInteger(o.logInterval ?? 1000, `${WHO} option logInterval`, 1);
  const startStep = checkInteger(o.startStep ?? 0, `${WHO} option startStep`, 0);
  const startEpisodes = checkInteger(o.startEpisodes ?? 0, `${WHO} option startEpisodes`, 0);
  const startUpdates = checkInteger(o.startUpdates ?? 0, `${WHO} option startUpdates`, 0);
  for (const name of ['act', 'train', 'store'] as const) {
    if (typeof o[name] !== 'function') throw new InvalidConfig(`Expected ${WHO} option ${name} to be a function, got ${describeValue(o[name])}.`);
  }
  const hooks = o.hooks ?? [];
  checkHooks(hooks, WHO);
  const consumers = o.consumers ?? [];
  const tap = vec.envs?.[0];
  if ((consumers.length > 0 || o.onReset !== undefined) && !(tap instanceof TransitionTap)) {
    throw new InvalidConfig(`Expected ${WHO} env 0 to be a TransitionTap for consumers or onReset, got ${describeValue(tap)}. Build the vector with learnerVec(env, n, true).`);
  }
  const canTrain = o.canTrain ?? (() => true);
  const n = vec.numEnvs, d = vec.obsDim, m = vec.actDim;
  const started = now();
  const c = { step: startStep, episodes: startEpisodes, updates: startUpdates, env0Episode: startEpisodes, nextEpisode: startEpisodes + 1 };
  const result = (stopped: 'done' | 'aborted'): LoopResult => {
    const seconds = (now() - started) / 1000;
    return { step: c.step, episodes: c.episodes, updates: c.updates, seconds, fps: (c.step - startStep) / Math.max(seconds, 1e-9), stopped };
  };
  if (steps === 0 || o.signal?.aborted) return result(o.signal?.aborted ? 'aborted' : 'done');

  // BOOKKEEPING: the loss accumulators of the progress and log records, per-env episode figures, row views.
  let progressSum = 0, progressCount = 0, lastLoss = NaN, logSum = 0, logCount = 0;
  const progress = (): LoopProgress => {
    const loss = progressCount > 0 ? progressSum / progressCount : lastLoss;
    [lastLoss, progressSum, progressCount] = [loss, 0, 0];
    return { step: c.step, episodes: c.episodes, updates: c.updates, fps: ((c.step - startStep) * 1000) / Math.max(1, now() - started), loss };
  };
  const epReturn = new Float64Array(n), epLength = new Int32Array(n);
  let lastEpisodeAt = now();
  const cur = new Float32Array(n * d); // the observations acted on (the vector overwrites its own at the step)
  const curRows = rows(cur, n, d);
  const actRows = rows(vec.actionBuffer, n, m);
  let obsRows: Float32Array[] = [], finalRows: Float32Array[] = [];
  const taps = tapConsumers<O, A>(tap instanceof TransitionTap ? (tap as TransitionTap<O, A>) : null, consumers, o.onReset, c, startStep, startEpisodes);
  const hookSteps = hooks.map(() => startStep);

  try {
    let r0 = vec.reset(o.seed === undefined ? {} : { seed: o.seed });
    if (isPromise(r0)) r0 = await r0;
    cur.set(r0.obs);
    taps?.afterVecStep();
    let vectorSteps = Math.floor(startStep / n);
    for (let sinceYield = 0; c.step - startStep < steps; sinceYield++) {
      // BOOKKEEPING: the step boundary: hooks whose interval the global step passed, then a yield, then abort.
      if (c.step > startStep) {
        for (let h = 0; h < hooks.length; h++) {
          const every = hooks[h]!.every;
          if (Math.floor(c.step / every) > Math.floor(hookSteps[h]! / every)) {
            hookSteps[h] = c.step;
            await hooks[h]!.run(c.step);
          }
        }
      }
      if (sinceYield >= CHUNK) {
        sinceYield = 0;
        await new Promise<void>((resolve) => yieldToEventLoop(resolve));
      }
      if (o.signal?.aborted) return result('aborted');

      // ALGORITHM: act on all N rows at once, step, store N transitions with the final observation at an episode's end.
      o.act(cur, c.step, vec.actionBuffer);
      let r: VecStepResult | Promise<VecStepResult> = vec.step(vec.actionBuffer);
      if (isPromise(r)) r = await r;
      if (obsRows[0]?.buffer !== r.obs.buffer || obsRows[0]?.byteOffset !== r.obs.byteOffset) [obsRows, finalRows] = [rows(r.obs, n, d), rows(r.finalObs, n, d)];
      const before = c.step;
      c.step += n;
      vectorSteps++;
      storeVecStep(o.store, r, n, curRows, actRows, obsRows, finalRows);
      // ALGORITHM: SB3's round: every trainFreq vector steps once past learningStarts, gradientSteps (-1: trainFreq x N) steps.
      const rounds = gradientStepsDue(c.step, vectorSteps, learningStarts, trainFreq, gradientSteps, n);
      if (rounds > 0 && canTrain()) {
        for (let g = 0; g < rounds; g++) {
          const loss = o.train(c.step);
          c.updates++;
          if (typeof loss === 'number') [progressSum, progressCount, logSum, logCount] = [progressSum + loss, progressCount + 1, logSum + loss, logCount + 1];
        }
      }
      o.afterStep?.(c.step, vectorSteps);

      // BOOKKEEPING: per-env episode statistics, then the progress and log records, then env 0's consumers.
      for (let i = 0; i < n; i++) {
        epReturn[i]! += r.rewards[i]!;
        epLength[i]!++;
        if (r.done[i] !== 1) continue;
        const t = now();
        const terminated = r.terminated[i] === 1;
        const episode = i === 0 ? c.env0Episode : c.nextEpisode++;
        c.episodes = Math.max(c.episodes, episode + 1);
        o.onEpisode?.({
          episode, env: i, return: epReturn[i]!, length: epLength[i]!, terminated, truncated: !terminated && r.truncated[i] === 1,
          step: c.step - 1, globalStep: c.step, seconds: (t - lastEpisodeAt) / 1000,
        });
        lastEpisodeAt = t;
        epReturn[i] = 0;
        epLength[i] = 0;
        o.onProgress?.(progress());
      }
      if (Math.floor(c.step / logInterval) > Math.floor(before / logInterval) && o.onLog) {
        const p = progress();
        p.loss = logCount > 0 ? logSum / logCount : NaN;
        [logSum, logCount] = [0, 0];
        o.onLog(p);
      } else if (Math.floor(c.step / 100) > Math.floor(before / 100)) {
        o.onProgress?.(progress());
      }
      if (r.done[0] === 1) c.env0Episode = c.nextEpisode++; // after the other envs' episodes that ended on this step
      cur.set(r.obs);
      taps?.afterVecStep();
    }
    taps?.complete();
    o.onProgress?.(progress());
    return result('done');
  } finally {
    taps?.close();
    const closed = vec.close();
    if (isPromise(closed)) await closed;
  }
}

/**
 * Stores the N transitions of one vector step: env i's row acted on, its action, reward, and as next observation
 * the episode's final one where it ended (`done`), else the new one; `terminated` and `truncated` as the env said.
 */
export function storeVecStep(
  store: RowSink, r: Pick<VecStepResult, 'rewards' | 'done' | 'terminated' | 'truncated'>, n: number,
  curRows: readonly Float32Array[], actRows: readonly (Int32Array | Float32Array)[], obsRows: readonly Float32Array[], finalRows: readonly Float32Array[],
): void {
  for (let i = 0; i < n; i++) {
    const done = r.done[i] === 1;
    store(i, curRows[i]!, actRows[i]!, r.rewards[i]!, done ? finalRows[i]! : obsRows[i]!, r.terminated[i] === 1, r.truncated[i] === 1);
  }
}

/**
 * Gradient steps due after a vector step (SB3's schedule): none until the global step passes `learningStarts` or
 * off every `trainFreq`-th vector step; else `gradientSteps`, or with -1 one per env step of the round (trainFreq x n).
 */
export function gradientStepsDue(step: number, vectorSteps: number, learningStarts: number, trainFreq: number, gradientSteps: number, n: number): number {
  if (!(step > learningStarts && vectorSteps % trainFreq === 0)) return 0;
  return gradientSteps < 0 ? trainFreq * n : gradientSteps;
}

/** Views of the n rows (width w) of `a`: made once, so storing a row allocates nothing. */
function rows<T extends Float32Array | Int32Array>(a: T, n: number, w: number): T[] {
  return Array.from({ length: n }, (_, i) => a.subarray(i * w, (i + 1) * w) as T);
}

/**
 * A `RowSink` into a replay buffer of observations of `space`: Box rows go in as they are (views), other spaces
 * are unflattened first (an allocation, only for non-Box observations); a discrete action is its number.
 */
export function replayRows<O>(
  replay: { add(obs: O, action: never, reward: number, nextObs: O, terminated: boolean, truncated: boolean, stream: number): void },
  space: Space<O>, discrete: boolean,
): RowSink {
  const s = space as AnySpace;
  const asObs = s.kind === 'box' ? (x: Float32Array) => x as unknown as O : (x: Float32Array) => unflatten(space, x);
  const add = replay.add.bind(replay) as (obs: O, action: unknown, reward: number, nextObs: O, terminated: boolean, truncated: boolean, stream: number) => void;
  return (env, obs, action, reward, nextObs, terminated, truncated) =>
    add(asObs(obs), discrete ? action[0]! : action, reward, asObs(nextObs), terminated, truncated, env);
}

/** Env 0's transitions to the consumers and its resets to `onReset`, through its tap; null without either. */
function tapConsumers<O, A>(
  tap: TransitionTap<O, A> | null, consumers: readonly OperatorFunction<Transition<O, A>, unknown>[],
  onReset: ((obs: O, ctx: ActorContext) => void) | undefined, c: { step: number; env0Episode: number }, startStep: number, startEpisodes: number,
): { afterVecStep(): void; complete(): void; close(): void } | null {
  if (tap === null || (consumers.length === 0 && onReset === undefined)) return null;
  const transitions = new Subject<Transition<O, A>>();
  let failure: { error: unknown } | null = null;
  const subs: Subscription[] = consumers.map((op) => transitions.pipe(op).subscribe({ error: (error: unknown) => void (failure ??= { error }) }));
  let t = 0;
  const ctx: ActorContext = { step: 0, episode: 0, t: 0 };
  const listener: TapListener<O, A> = {
    onStep(obs: O, action: A, r: StepResult<O>): void {
      const a = ArrayBuffer.isView(action) ? ((action as unknown as Float32Array).slice() as A) : action; // vectors reuse their action rows
      const episode = c.env0Episode - startEpisodes;
      transitions.next({ obs, action: a, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info, episode, t: t++, step: c.step - startStep });
      if (r.terminated || r.truncated) t = 0;
    },
  };
  tap.listener = listener;
  tap.resets = 0;
  return {
    afterVecStep(): void {
      if (tap.resets > 0 && onReset) {
        [ctx.step, ctx.episode, ctx.t] = [c.step - startStep, c.env0Episode - startEpisodes, 0];
        onReset(tap.obs, ctx);
      }
      tap.resets = 0;
      if (failure !== null) throw failure.error;
    },
    complete: () => transitions.complete(),
    close(): void {
      tap.listener = null;
      for (const s of subs) s.unsubscribe();
    },
  };
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | null | undefined)?.then === 'function';
}
