/**
 * The on-policy training loop (REINFORCE now; A2C/PPO-style updates later): collect a rollout from one env
 * or a vector of N envs into a `RolloutBuffer`, call `update(rollout)`, repeat. Stopping is rxjs's: the run
 * is an Observable ended by `takeUntil` at the next step boundary after an abort.
 */
import { Observable, Subject, takeUntil, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import type { Env, StepResult, Transition } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { describeSpace } from '../../core/spaces.js';
import { yieldToEventLoop, type ActorContext } from '../../core/streams.js';
import type { VecStepResult } from '../../envs/vector.js';
import { abortAtBoundary, checkHooks, checkInteger, now, type LoopHook, type LoopProgress, type LoopResult } from './common.js';
import { RolloutBuffer } from './rollout.js';
import { SingleEnvVec, TransitionTap, type TapListener } from './single-env-vec.js';
import type { OnPolicyEpisode, OnPolicyPolicy, PolicyOutput, VecEnvLike } from './vec-env.js';

export type { OnPolicyEpisode, OnPolicyPolicy, PolicyOutput, VecEnvLike } from './vec-env.js';

/** Options of `runOnPolicy`; `O` and `A` are env 0's observation and action types (what consumers see). */
export interface OnPolicyOptions<O = unknown, A = unknown> {
  /** Environment steps (over all envs) this call takes at least: rollouts are whole, so the last may overshoot. */
  steps: number;
  /** Per update: `{ rolloutLength: T }` steps of every env, or `{ episodes: k }` whole finished episodes. */
  collect: { rolloutLength: number } | { episodes: number };
  policy: OnPolicyPolicy;
  /** The learner's update on a full rollout (may be async); return the loss for the progress record. */
  update(rollout: RolloutBuffer): void | number | Promise<void | number>;
  /** Async work after an update once the global step passes a multiple of `every` (evaluation, checkpoints). */
  hooks?: readonly LoopHook[];
  onEpisode?(e: OnPolicyEpisode): void;
  /** Called after every update; `loss` is what that update returned (NaN for none). */
  onProgress?(p: LoopProgress): void;
  /** Global step counter on entry. Default 0. */
  startStep?: number;
  startEpisodes?: number;
  startUpdates?: number;
  /** Seed of the first reset (vector env i gets seed + i). */
  seed?: number;
  /** Aborting stops the run at the next step boundary (after an update in flight); resolves 'aborted'. */
  signal?: AbortSignal;
  /**
   * Consumers of env 0's transitions (recorder, live viewer), as `runOffPolicy`'s: each gets every step of env 0
   * while env 0 still shows it (before an autoreset), with the action as the env took it, nextObs the final
   * observation at an episode's end, `episode` and `step` counted from 0 in this call (`step` counts every env's
   * steps) and `t` within the episode; an error from one fails the loop. Needs env 0 to be a `TransitionTap`
   * (given an `Env`, the loop puts one on it). Without consumers no transition is made.
   */
  consumers?: readonly OperatorFunction<Transition<O, A>, unknown>[];
  /** Called after each reset of env 0, before its first action (as steps$'s option), with ctx as its transitions count. */
  onReset?: (obs: O, ctx: ActorContext) => void;
}

const WHO = 'runOnPolicy';
/** Vector steps between yields to the event loop (as `steps$`). */
const CHUNK = 1000;

/**
 * Runs on-policy training on `env` (an `Env` with a Discrete or float Box action space, or a vector env)
 * until at least `steps` env steps are taken: collect into a `RolloutBuffer`, `update`, repeat. With
 * `{ rolloutLength: T }` every env contributes T steps, and a cut episode bootstraps from the value of the
 * observation after the cut. With `{ episodes: k }` collection stops once k episodes finished; each env's
 * segment holds only its finished episodes, and the steps of an episode still running are carried to the
 * front of the next rollout (their values and log-probabilities are those of the policy that took them).
 * At a truncation the value of the final observation (`finalObs`) is stored in `nextValues`. The env is
 * closed at the end; rejects with the first error of the env, the policy, `update`, a hook or a consumer.
 * `episodes` (progress and result) is one past the highest episode index reported: the finished episodes,
 * or one more with N envs while env 0's running episode holds a lower index (see `OnPolicyEpisode.episode`).
 */
export function runOnPolicy<O, A>(env: Env<O, A> | VecEnvLike, options: OnPolicyOptions<O, A>): Promise<LoopResult> {
  const o = options;
  const steps = checkInteger(o.steps, `${WHO} option steps`, 0);
  const collect = o.collect as { rolloutLength?: unknown; episodes?: unknown } | undefined;
  const rolloutLength = collect?.rolloutLength === undefined ? 0 : checkInteger(collect.rolloutLength, `${WHO} option collect.rolloutLength`, 1);
  const episodesPer = collect?.episodes === undefined ? 0 : checkInteger(collect.episodes, `${WHO} option collect.episodes`, 1);
  if ((rolloutLength > 0) === (episodesPer > 0)) {
    throw new InvalidConfig(`Expected ${WHO} option collect to be { rolloutLength } or { episodes }, got ${describeValue(o.collect)}.`);
  }
  if (typeof o.policy?.act !== 'function') throw new InvalidConfig(`Expected ${WHO} option policy to have act(obs, out), got ${describeValue(o.policy)}.`);
  if (typeof o.update !== 'function') throw new InvalidConfig(`Expected ${WHO} option update to be a function, got ${describeValue(o.update)}.`);
  const hooks = o.hooks ?? [];
  checkHooks(hooks, WHO);
  const startStep = checkInteger(o.startStep ?? 0, `${WHO} option startStep`, 0);
  const startEpisodes = checkInteger(o.startEpisodes ?? 0, `${WHO} option startEpisodes`, 0);
  const startUpdates = checkInteger(o.startUpdates ?? 0, `${WHO} option startUpdates`, 0);
  const consumers = o.consumers ?? [];
  if (!Array.isArray(consumers) || consumers.some((c) => typeof c !== 'function')) {
    throw new InvalidConfig(`Expected ${WHO} option consumers to be an array of rxjs operators, got ${describeValue(o.consumers)}.`);
  }
  if (o.onReset !== undefined && typeof o.onReset !== 'function') throw new InvalidConfig(`Expected ${WHO} option onReset to be a function (obs, ctx) => void, got ${describeValue(o.onReset)}.`);
  const watched = consumers.length > 0 || o.onReset !== undefined;
  const vec = 'numEnvs' in env ? env : new SingleEnvVec(watched ? new TransitionTap(env) : env);
  const tap = vec.envs?.[0];
  if (watched && !(tap instanceof TransitionTap)) {
    throw new InvalidConfig(`Expected ${WHO} env 0 to be a TransitionTap for consumers or onReset, got ${describeValue(tap)}. Build the vector with learnerVec(env, n, true) or wrap env 0 in a TransitionTap.`);
  }
  const kind = vec.singleActionSpace.kind;
  if (kind !== 'discrete' && kind !== 'multi-discrete' && kind !== 'box') {
    throw new InvalidConfig(`Expected ${WHO} env to have a Discrete, MultiDiscrete or Box action space, got ${describeSpace(vec.singleActionSpace)}.`);
  }
  const buffer = new RolloutBuffer({
    numEnvs: vec.numEnvs, capacity: rolloutLength || 256, obsDim: vec.obsDim,
    actionKind: kind === 'box' ? 'continuous' : 'discrete', actionDim: vec.actDim,
  });
  const counters = { step: startStep, episodes: startEpisodes, updates: startUpdates };
  const started = now();
  const result = (stopped: 'done' | 'aborted'): LoopResult => {
    const seconds = (now() - started) / 1000;
    return { ...counters, seconds, fps: (counters.step - startStep) / Math.max(seconds, 1e-9), stopped };
  };
  if (steps === 0 || o.signal?.aborted) return Promise.resolve(result(o.signal?.aborted ? 'aborted' : 'done'));

  const boundary$ = new Subject<void>();
  const run$ = new Observable<void>((subscriber) => {
    const plan = { steps, startStep, startEpisodes, rolloutLength, episodesPer, hooks, consumers, tap: watched ? (tap as TransitionTap<O, A>) : null };
    const run = new OnPolicyRun<O, A>(vec, buffer, o, plan, counters, started, boundary$, subscriber);
    queueMicrotask(run.pump);
    return () => run.close();
  });
  return new Promise<LoopResult>((resolve, reject) => {
    // The run stops at a boundary only on abort, so an aborted signal at completion means it was the abort.
    run$.pipe(takeUntil(abortAtBoundary(o.signal, boundary$))).subscribe({
      error: reject,
      complete: () => resolve(result(o.signal?.aborted ? 'aborted' : 'done')),
    });
  });
}

interface RunPlan<O, A> {
  steps: number;
  startStep: number;
  startEpisodes: number;
  rolloutLength: number;
  episodesPer: number;
  hooks: readonly LoopHook[];
  consumers: readonly OperatorFunction<Transition<O, A>, unknown>[];
  /** Env 0's tap when there are consumers or onReset. */
  tap: TransitionTap<O, A> | null;
}

/** One subscription's run: state in fields, so a vector step allocates nothing (without consumers). */
class OnPolicyRun<O, A> implements TapListener<O, A> {
  private obs!: Float32Array;
  /** Env 0's running episode's index (given at its start), and the next index to give. */
  private env0Episode: number;
  private nextEpisode: number;
  /** Env 0's transitions, when there are consumers; the first error of a consumer, thrown at the next boundary. */
  private readonly transitions: Subject<Transition<O, A>> | null = null;
  private readonly consumerSubs: Subscription[] = [];
  private consumerError: { error: unknown } | null = null;
  private readonly resetCtx: ActorContext = { step: 0, episode: 0, t: 0 };
  private started = false;
  private sinceYield = 0;
  private finishedInRollout = 0;
  private rolloutStart = true;
  private closed = false;
  private readonly hookSteps = new Map<LoopHook, number>();
  private readonly out: PolicyOutput;
  private readonly tmpValues: Float32Array;
  private readonly epReturn: Float64Array;
  private readonly epLength: Int32Array;
  /** Per env: steps up to the end of its last finished episode in this rollout (episodes mode). */
  private readonly lastEnd: Int32Array;
  /** Per env: steps of a running episode carried to the next rollout (episodes mode). */
  private readonly carry: Int32Array;

  constructor(
    private readonly vec: VecEnvLike,
    private readonly buffer: RolloutBuffer,
    private readonly o: OnPolicyOptions<O, A>,
    private readonly plan: RunPlan<O, A>,
    private readonly counters: { step: number; episodes: number; updates: number },
    private readonly startedAt: number,
    private readonly boundary$: Subject<void>,
    private readonly subscriber: Subscriber<void>,
  ) {
    const n = vec.numEnvs;
    this.out = { actions: vec.actionBuffer, values: new Float32Array(n), logProbs: new Float32Array(n) };
    this.tmpValues = new Float32Array(n);
    this.epReturn = new Float64Array(n);
    this.epLength = new Int32Array(n);
    this.lastEnd = new Int32Array(n);
    this.carry = new Int32Array(n);
    this.env0Episode = plan.startEpisodes;
    this.nextEpisode = plan.startEpisodes + 1;
    if (plan.tap !== null) {
      plan.tap.listener = this;
      plan.tap.resets = 0;
    }
    if (plan.consumers.length > 0) {
      const transitions = (this.transitions = new Subject<Transition<O, A>>());
      const fail = (error: unknown): void => void (this.consumerError ??= { error });
      for (const c of plan.consumers) this.consumerSubs.push(transitions.pipe(c).subscribe({ error: fail }));
    }
  }

  /** Collects until a rollout is full, a yield, an update in flight, the end, or unsubscription. */
  readonly pump = (): void => {
    try {
      if (!this.started) {
        this.started = true;
        const r = this.o.seed === undefined ? this.vec.reset() : this.vec.reset({ seed: this.o.seed });
        if (isPromise(r)) return void r.then((res) => this.resume(res.obs), this.fail);
        this.obs = r.obs;
        this.afterEnv0Reset();
      }
      while (!this.subscriber.closed) {
        if (this.o.signal?.aborted) {
          this.boundary$.next(); // takeUntil ends the run here
          return;
        }
        if (this.rolloutStart && this.counters.step - this.plan.startStep >= this.plan.steps) {
          this.transitions?.complete(); // a recorder drops the episode it is in
          this.throwConsumerError();
          this.subscriber.complete();
          return;
        }
        if (this.sinceYield >= CHUNK) {
          this.sinceYield = 0;
          yieldToEventLoop(this.pump);
          return;
        }
        this.rolloutStart = false;
        const full = this.collectStep();
        if (isPromise(full)) return void full.then(this.resume, this.fail);
        if (full) {
          const wait = this.finishRollout();
          if (wait !== null) {
            wait.then(this.pump, this.fail);
            return;
          }
        }
      }
    } catch (err) {
      this.subscriber.error(err);
    }
  };

  /** Goes on after an async vector call: the first reset's observations, or whether the step filled the rollout. */
  private readonly resume = (x: Float32Array | boolean): void => {
    try {
      if (typeof x !== 'boolean') {
        this.obs = x;
        this.afterEnv0Reset();
      } else if (x) {
        const wait = this.finishRollout();
        if (wait !== null) return void wait.then(this.pump, this.fail);
      }
    } catch (err) {
      return this.fail(err);
    }
    this.pump();
  };

  /** Closes the env once, and unsubscribes the consumers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.consumerSubs) s.unsubscribe();
    if (this.plan.tap !== null) this.plan.tap.listener = null;
    const closed = this.vec.close();
    if (isPromise(closed)) closed.catch(() => undefined); // workers that fail to close are terminated anyway
  }

  /** Env 0 stepped (called by its tap inside the vector step, before `counters.step` moves on): its transition to the consumers. */
  onStep(obs: O, action: A, r: StepResult<O>): void {
    if (this.transitions === null) return;
    const a = ArrayBuffer.isView(action) ? ((action as unknown as Float32Array).slice() as A) : action; // vectors reuse their action rows
    this.transitions.next({
      obs, action: a, reward: r.reward, nextObs: r.obs, terminated: r.terminated, truncated: r.truncated, info: r.info,
      episode: this.env0Episode - this.plan.startEpisodes, t: this.epLength[0]!, step: this.counters.step - this.plan.startStep,
    });
  }

  /** After a vector reset or step: env 0's new episode (if it was reset) to `onReset`, then a consumer's error. */
  private afterEnv0Reset(): void {
    const tap = this.plan.tap;
    if (tap !== null && tap.resets > 0 && this.o.onReset) {
      const ctx = this.resetCtx;
      ctx.step = this.counters.step - this.plan.startStep;
      ctx.episode = this.env0Episode - this.plan.startEpisodes;
      ctx.t = 0;
      this.o.onReset(tap.obs, ctx);
    }
    if (tap !== null) tap.resets = 0;
    this.throwConsumerError();
  }

  private throwConsumerError(): void {
    if (this.consumerError !== null) throw this.consumerError.error;
  }

  /** One vector step into the buffer; true when the rollout is full (a promise of it for async envs). */
  private collectStep(): boolean | Promise<boolean> {
    const { vec, buffer: b, out, o } = this;
    const n = vec.numEnvs;
    o.policy.act(this.obs, out);
    for (let i = 0; i < n; i++) {
      const t = b.lengths[i]!;
      if (t >= b.capacity) b.ensureCapacity(t + 1);
      const row = b.row(i, t);
      for (let k = 0; k < b.obsDim; k++) b.obs[row * b.obsDim + k] = this.obs[i * b.obsDim + k]!;
      for (let k = 0; k < b.actionDim; k++) b.actions[row * b.actionDim + k] = out.actions[i * b.actionDim + k]!;
      b.values[row] = out.values[i]!;
      b.logProbs[row] = out.logProbs[i]!;
    }
    const r = vec.step(out.actions);
    return isPromise(r) ? r.then(this.afterVecStep) : this.afterVecStep(r);
  }

  /** The vector step's results into the buffer and the episode records; true when the rollout is full. */
  private readonly afterVecStep = (r: VecStepResult): boolean => {
    const { vec, buffer: b, o } = this;
    const n = vec.numEnvs;
    let bootstrapped = false;
    this.counters.step += n;
    this.sinceYield++;
    for (let i = 0; i < n; i++) {
      const row = b.row(i, b.lengths[i]!);
      b.rewards[row] = r.rewards[i]!;
      b.terminated[row] = r.terminated[i]!;
      b.truncated[row] = r.truncated[i]!;
      b.nextValues[row] = 0;
      if (r.truncated[i] && !r.terminated[i] && o.policy.value) {
        // Bootstrap a time limit from the episode's FINAL observation, not the reset one in `obs`.
        if (!bootstrapped) o.policy.value(r.finalObs, this.tmpValues);
        bootstrapped = true;
        b.nextValues[row] = this.tmpValues[i]!;
      }
      b.lengths[i]!++;
      this.epReturn[i]! += r.rewards[i]!;
      this.epLength[i]!++;
      if (r.done[i]) {
        this.lastEnd[i] = b.lengths[i]!;
        this.finishedInRollout++;
        const episode = i === 0 ? this.env0Episode : this.nextEpisode++;
        this.counters.episodes = Math.max(this.counters.episodes, episode + 1);
        const e: OnPolicyEpisode = {
          episode, env: i, return: this.epReturn[i]!, length: this.epLength[i]!,
          terminated: r.terminated[i] === 1, truncated: r.truncated[i] === 1 && r.terminated[i] !== 1, globalStep: this.counters.step,
        };
        this.epReturn[i] = 0;
        this.epLength[i] = 0;
        o.onEpisode?.(e);
      }
    }
    // Env 0's next episode takes its index after the other envs' episodes that ended on this step.
    if (r.done[0]) this.env0Episode = this.nextEpisode++;
    this.afterEnv0Reset();
    this.obs = r.obs;
    if (this.plan.rolloutLength > 0) return b.lengths[0]! >= this.plan.rolloutLength;
    return this.finishedInRollout >= this.plan.episodesPer;
  };

  /** Closes the rollout (next values, carried steps) and runs `update`, then the due hooks; null when all ran synchronously. */
  private finishRollout(): Promise<void> | null {
    const { buffer: b, vec, o } = this;
    const n = vec.numEnvs;
    if (this.plan.rolloutLength > 0) {
      // A fixed rollout cut every running episode: bootstrap from the observation after the cut.
      if (o.policy.value) o.policy.value(this.obs, this.tmpValues);
      for (let i = 0; i < n; i++) {
        const last = b.row(i, b.lengths[i]! - 1);
        if (!b.terminated[last] && !b.truncated[last]) b.nextValues[last] = o.policy.value ? this.tmpValues[i]! : 0;
      }
    }
    for (let i = 0; i < n; i++) {
      // Whole episodes only: the running episode's steps wait for the next rollout.
      this.carry[i] = this.plan.rolloutLength > 0 ? 0 : b.lengths[i]! - this.lastEnd[i]!;
      if (this.plan.rolloutLength === 0) b.lengths[i] = this.lastEnd[i]!;
      // Inside an episode, the next value is the next step's own value.
      for (let t = 0; t + 1 < b.lengths[i]!; t++) {
        const row = b.row(i, t);
        if (!b.terminated[row] && !b.truncated[row]) b.nextValues[row] = b.values[row + 1]!;
      }
    }
    const u = o.update(b);
    return isPromise(u) ? u.then((loss) => this.afterUpdate(loss) ?? undefined) : this.afterUpdate(u);
  }

  /** Counts the update, keeps the carried steps, reports progress; returns the due hooks' promise or null. */
  private readonly afterUpdate = (loss: void | number): Promise<void> | null => {
    if (this.subscriber.closed) return null;
    const { buffer: b, counters: c } = this;
    c.updates++;
    for (let i = 0; i < b.numEnvs; i++) b.keepTail(i, this.lastEnd[i]!, this.carry[i]!);
    this.lastEnd.fill(0);
    this.finishedInRollout = 0;
    this.rolloutStart = true;
    const fps = ((c.step - this.plan.startStep) * 1000) / Math.max(1, now() - this.startedAt);
    this.o.onProgress?.({ step: c.step, episodes: c.episodes, updates: c.updates, fps, loss: typeof loss === 'number' ? loss : NaN });
    return this.dueHooks(c.step);
  };

  /** Hooks a multiple of whose `every` the global step passed since they last ran (each once, in order). */
  private dueHooks(step: number): Promise<void> | null {
    let chain: Promise<void> | null = null;
    for (const h of this.plan.hooks) {
      const passed = Math.floor(step / h.every) * h.every;
      if (passed > (this.hookSteps.get(h) ?? this.plan.startStep)) {
        this.hookSteps.set(h, passed);
        const run = (): Promise<void> => h.run(passed);
        chain = chain === null ? run() : chain.then(run);
      }
    }
    return chain;
  }

  private readonly fail = (err: unknown): void => {
    if (!this.subscriber.closed) this.subscriber.error(err);
  };
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown } | null | undefined)?.then === 'function';
}
