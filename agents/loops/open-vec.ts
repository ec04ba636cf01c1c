/**
 * The vector of envs a learner steps, as its config asks: `numEnvs` copies in this thread (`learnerVec`:
 * env 0 is the learner's own env, so a recorder or viewer drawing it sees env 0), or in worker threads
 * (`asyncEnvs`: an `AsyncVectorEnv` built from the env's registered id, its calls awaited by the loops).
 */
import type { AnyEnv, Env } from '../../core/env.js';
import { InvalidConfig } from '../../core/errors.js';
import { AsyncVectorEnv } from '../../envs/node/async-vector.js';
import type { VecEnvLike } from './vec-env.js';
import { learnerVec } from './single-env-vec.js';

/** How a learner's vector is built. */
export interface VecPlan {
  /** Envs stepped side by side. */
  numEnvs: number;
  /** Step them in worker threads (`AsyncVectorEnv`) instead of this thread. */
  asyncEnvs: boolean;
  /** Env 0 tapped for consumers or `onReset` (not possible in worker threads). */
  tap: boolean;
  /** The learner's own wrappers, put on every copy; null when it has none (worker threads cannot take any). */
  wrap: ((copy: AnyEnv) => AnyEnv) | null;
}

/**
 * The vector for `env` (its copies made from `env.spec`); `InvalidConfig` for worker-thread envs the learner
 * cannot use: an env without a registered id, a run that records or watches env 0, or wrappers of the learner's.
 */
export async function openLearnerVec<O, A>(algo: string, env: Env<O, A>, plan: VecPlan): Promise<VecEnvLike> {
  if (!plan.asyncEnvs) return learnerVec(env, plan.numEnvs, plan.tap, plan.wrap ?? undefined);
  const spec = env.spec;
  const why = !spec ? 'an env without a registered id (workers build their envs from it)'
    : plan.tap ? 'a run that records or watches env 0 (it lives in a worker)'
    : plan.wrap !== null ? `${algo}'s own env wrappers (frame skip, reward clipping), which workers do not apply` : null;
  if (why !== null || !spec) throw new InvalidConfig(`Expected ${algo}.asyncEnvs false for ${why}, got true. Use envs in this thread (no --async).`);
  const workers = await AsyncVectorEnv.create({ id: spec.id, kwargs: spec.kwargs }, plan.numEnvs, spec.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: spec.maxEpisodeSteps } : {});
  return workerVec(workers);
}

/** An `AsyncVectorEnv` as the loops see a vector: its own action buffer, which each step copies to the workers. */
export function workerVec(v: AsyncVectorEnv): VecEnvLike {
  const box = v.singleActionSpace.kind === 'box';
  return {
    numEnvs: v.numEnvs, obsDim: v.obsDim, actDim: v.actDim, singleActionSpace: v.singleActionSpace,
    actionBuffer: box ? new Float32Array(v.numEnvs * v.actDim) : new Int32Array(v.numEnvs * v.actDim),
    reset: (args) => v.reset(args), step: (actions) => v.step(actions), close: () => v.close(),
  };
}
