/**
 * The shapes the training loops share with the learners: what a loop needs of a vector env (sync or in worker
 * threads), and the acting side of an on-policy learner with what it writes and the episodes it is told of.
 */
import type { AnyEnv } from '../../core/env.js';
import type { AnySpace } from '../../core/spaces.js';
import type { VecStepResult } from '../../envs/vector.js';

/** What the loops need of a vector env (`SyncVectorEnv` has it; `workerVec` adapts `AsyncVectorEnv`): same-step autoreset with `finalObs`. */
export interface VecEnvLike {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  readonly singleActionSpace: AnySpace;
  /** The env's own action buffer (numEnvs x actDim): the policy writes into it and it is passed to `step`. */
  readonly actionBuffer: Int32Array | Float32Array;
  /** Sync, or a promise for envs in worker threads (the loop then waits for each call). */
  reset(args?: { seed?: number }): { readonly obs: Float32Array } | Promise<{ readonly obs: Float32Array }>;
  step(actions: Int32Array | Float32Array): VecStepResult | Promise<VecStepResult>;
  close(): void | Promise<void>;
  /** The envs, env 0 first (as `SyncVectorEnv.envs`): a run with consumers needs env 0 to be a `TransitionTap`. */
  readonly envs?: readonly AnyEnv[];
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
  /**
   * Global episode index: env 0's episodes are numbered when they start (so its transitions carry their final
   * index from the first step), every other env's when they end; with one env, in order. Indices are unique,
   * but with N envs an env-0 episode may be reported after higher indices.
   */
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
