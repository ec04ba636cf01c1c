/**
 * What every rxgym agent offers, whatever its family (value-based, policy gradient, deterministic policy
 * gradient): the roles the CLI, the run layer, the recorder and the viewer use. An algorithm file builds one
 * from shared networks, loops and runs; there is no base class to inherit.
 */
import type { OperatorFunction } from 'rxjs';
import type { Env, Transition } from '../core/env.js';
import type { ActorContext, EpisodeSummary } from '../core/streams.js';
import type { NamedArray } from '../nn/types.js';
import type { CheckpointContent } from '../core/node/checkpoint/checkpoint.js';
import type { EvaluateOptions, EvaluateResult } from './evaluate.js';
import type { LoopResult } from './loops/common.js';

/** Where a run is, as `learn()` reports it (every 100 steps, after every episode, and every log interval). */
export interface LearnProgress {
  /** Global environment steps taken so far (across resumes). */
  step: number;
  /** The step the run goes to. */
  totalSteps: number;
  /** The global step this `learn()` call started from (a resumed run's checkpoint step). */
  startStep: number;
  episodes: number;
  /** Environment steps per second in this `learn()` call. */
  fps: number;
  /** Mean return of the last 100 finished episodes (NaN before the first). */
  meanReturn: number;
  updates: number;
  /** The algorithm's own figures (DQN: epsilon and loss; policy gradient: entropy, value loss, ...). NaN = none yet. */
  metrics: Record<string, number>;
}

/** Async work at step boundaries every `every` steps (evaluations, checkpoints); the run pauses for it. */
export interface PeriodicHook {
  every: number;
  run: (step: number) => Promise<void>;
}

/** Options of `learn()`; `O` and `A` are the agent's observation and action types. */
export interface LearnOptions<O = unknown, A = unknown> {
  /** Environment steps to take in this call. */
  steps: number;
  /** Horizon of the run's schedules (a resumed run passes its total); default: the current step plus `steps`. */
  totalSteps?: number;
  onProgress?: (p: LearnProgress) => void;
  /** Once per finished episode; `globalStep` is the global step of its last transition. */
  onEpisode?: (e: EpisodeSummary & { globalStep: number; metrics: Record<string, number> }) => void;
  /** Every `logInterval` steps, with the algorithm's metrics averaged over the interval. */
  onLog?: (p: LearnProgress) => void;
  /** Work at step boundaries (best-model evaluations, checkpoints); `learn()` waits for each. */
  periodic?: readonly PeriodicHook[];
  /** Aborting stops the run at the next step boundary; `learn()` then resolves with `stopped: 'aborted'`. */
  signal?: AbortSignal;
  /** Where `learn()` says which engine runs; default stderr. */
  log?: (line: string) => void;
  /** More consumers of the run's transition stream (recorder, live viewer), subscribed beside the learner. */
  consumers?: readonly OperatorFunction<Transition<O, A>, unknown>[];
  /**
   * Off-policy agents: the behaviour policy for `n` observation rows (n x obsDim) at global step `step`, writing n
   * actions to `out`, in place of the agent's own exploration (a learner fed by remote actors replays their actions).
   */
  behaviour?: (rows: Float32Array, n: number, step: number, out: Int32Array | Float32Array) => void;
  /** Called after each env reset, before the first action (e.g. to record the scene after reset). */
  onReset?: (obs: O, ctx: ActorContext) => void;
}

/** What `learn()` resolves to: the loop's counters and timing, and the engine that ran. */
export interface LearnResult extends LoopResult {
  /** One line naming the engine (and tfjs backend) that ran, e.g. "plain (Float32Array MLP, WebAssembly SIMD)". */
  engine: string;
}

/** An agent of any algorithm. */
export interface Agent<O = unknown, A = unknown> {
  /** The algorithm's registry name, e.g. 'dqn'. */
  readonly algo: string;
  /** The resolved config (JSON). */
  readonly config: Readonly<object>;
  /** The training environment (wrapped as the config asks, e.g. FrameSkip). */
  readonly env: Env<O, A>;
  readonly step: number;
  readonly episodes: number;
  readonly updates: number;
  /** The deterministic (greedy) action for one observation. */
  act(obs: O): A;
  /** The agent's value estimate of an observation for recordings and the viewer: Q(s, .) or V(s). */
  values(obs: O): Float32Array;
  /** The agent's uncertainty at an observation (e.g. the spread of Q over bootstrap heads), when it has one. */
  uncertainty?(obs: O): number;
  learn(options: LearnOptions<O, A>): Promise<LearnResult>;
  evaluate(options?: EvaluateOptions): Promise<EvaluateResult>;
  /** Writes a complete checkpoint folder (networks, optimisers, rngs, counters; replay when asked). */
  save(dir: string, options?: { replay?: boolean; selection?: CheckpointContent['selection'] }): Promise<void>;
  /** Every network's parameters (copies), for best-model selection. */
  snapshot(): Record<string, NamedArray[]>;
  /** Puts `snapshot()` output back. */
  restoreSnapshot(nets: Record<string, NamedArray[]>): void;
  /** Frees network memory. */
  dispose(): void;
}
