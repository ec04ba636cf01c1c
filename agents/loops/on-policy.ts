/**
 * The on-policy training loop (REINFORCE now; A2C/PPO-style updates later): collect a rollout from one env
 * or a vector of N envs into a `RolloutBuffer`, call `update(rollout)`, repeat. Stopping is rxjs's: the run
 * is an Observable ended by `takeUntil` at the next step boundary after an abort.
 */
import { Observable, Subject, takeUntil, type Subscriber } from 'rxjs';
import type { Env } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { describeSpace, type AnySpace } from '../../core/spaces.js';
import { yieldToEventLoop } from '../../core/streams.js';
import type { VecStepResult } from '../../envs/vector.js';
import { abortAtBoundary, checkHooks, checkInteger, now, runDueHooks, type LoopHook, type LoopProgress, type LoopResult } from './common.js';
import { RolloutBuffer } from './rollout.js';
import { SingleEnvVec } from './single-env-vec.js';

/** What the loop needs of a vector env (`SyncVectorEnv` has it): same-step autoreset with `finalObs`. */
export interface VecEnvLike {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly singleActionSpace: AnySpace;
  /** The env's own action buffer (numEnvs x actDim): the policy writes into it and it is passed to `step`. */
  readonly actionBuffer: Int32Array | Float32Array;
  reset(args?: { seed?: number }): { readonly obs: Float32Array };
  step(actions: Int32Array | Float32Array): VecStepResult;
  close(): void;
}

/** Where the policy writes its choice for one batch of N observations (one object, reused every step). */
export interface PolicyOutput {
  /** N x actionDim actions to take (the env's action buffer). */
  readonly actions: Int32Array | Float32Array;
  /** N values V(obs); leave 0 for a policy without a critic. */
  readonly values: Float32Array;
  /** N log-probabilities of the actions; leave 0 when unused. */
  readonly logProbs: Float32Array;
}

/** The acting side of an on-policy learner, on flattened observations (N x obsDim, one row per env). */
export interface OnPolicyPolicy {
  /** Fills `out` for the N observation rows of `obs` (N x obsDim float32, reused: copy what you keep). */
  act(obs: Float32Array, out: PolicyOutput): void;
  /** N values of the rows of `obs` into `out`, for bootstrapping at truncations and rollout ends; absent: 0. */
  value?(obs: Float32Array, out: Float32Array): void;
}

/** A finished episode of an on-policy run. */
export interface OnPolicyEpisode {
  /** Global episode index. */
  episode: number;
  /** Which env of the vector (0 for a single env). */
  env: number;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** Global step after the vector step that ended it. */
  globalStep: number;
}

/** Options of `runOnPolicy`. */
export interface OnPolicyOptions {
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
 * closed at the end; rejects with the first error of the env, the policy, `update` or a hook.
 */
export function runOnPolicy<O, A>(env: Env<O, A> | VecEnvLike, options: OnPolicyOptions): Promise<LoopResult> {
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
  const vec = 'numEnvs' in env ? env : new SingleEnvVec(env);
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
    const run = new OnPolicyRun(vec, buffer, o, { steps, startStep, rolloutLength, episodesPer, hooks }, counters, started, boundary$, subscriber);
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

interface RunPlan {
  steps: number;
  startStep: number;
  rolloutLength: number;
  episodesPer: number;
  hooks: readonly LoopHook[];
}

/** One subscription's run: state in fields, so a vector step allocates nothing. */
class OnPolicyRun {
  private obs!: Float32Array;
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
    private readonly o: OnPolicyOptions,
    private readonly plan: RunPlan,
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
  }

  /** Collects until a rollout is full, a yield, an update in flight, the end, or unsubscription. */
  readonly pump = (): void => {
    try {
      if (!this.started) {
        this.started = true;
        this.obs = (this.o.seed === undefined ? this.vec.reset() : this.vec.reset({ seed: this.o.seed })).obs;
      }
      while (!this.subscriber.closed) {
        if (this.o.signal?.aborted) {
          this.boundary$.next(); // takeUntil ends the run here
          return;
        }
        if (this.rolloutStart && this.counters.step - this.plan.startStep >= this.plan.steps) {
          this.subscriber.complete();
          return;
        }
        if (this.sinceYield >= CHUNK) {
          this.sinceYield = 0;
          yieldToEventLoop(this.pump);
          return;
        }
        this.rolloutStart = false;
        if (this.collectStep()) {
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

  /** Closes the env once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vec.close();
  }

  /** One vector step into the buffer; true when the rollout is full. */
  private collectStep(): boolean {
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
        const e: OnPolicyEpisode = {
          episode: this.counters.episodes++, env: i, return: this.epReturn[i]!, length: this.epLength[i]!,
          terminated: r.terminated[i] === 1, truncated: r.truncated[i] === 1 && r.terminated[i] !== 1, globalStep: this.counters.step,
        };
        this.epReturn[i] = 0;
        this.epLength[i] = 0;
        o.onEpisode?.(e);
      }
    }
    this.obs = r.obs;
    if (this.plan.rolloutLength > 0) return b.lengths[0]! >= this.plan.rolloutLength;
    return this.finishedInRollout >= this.plan.episodesPer;
  }

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
