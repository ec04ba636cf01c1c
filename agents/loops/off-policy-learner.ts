/**
 * What DQN, DDPG and TD3 share around the off-policy loops: one behaviour policy on rows of flat observations,
 * run on one env (`runOffPolicy`, which continues an episode across checkpoints exactly) or on a vector of
 * `numEnvs` envs, in this thread or in worker threads (`runOffPolicyVec`, which restarts the episodes in flight
 * at each call: a checkpoint of a vector run keeps no episode in flight).
 */
import type { AnyEnv, Env, Transition } from '../../core/env.js';
import { flatdim, flatten, type AnySpace } from '../../core/spaces.js';
import type { ActorContext } from '../../core/streams.js';
import type { EpisodeInFlight } from './continue-episode.js';
import type { LoopHook, LoopProgress, LoopResult } from './common.js';
import { runOffPolicy, type EpisodeState, type LoopEpisode } from './off-policy.js';
import { replayRows, runOffPolicyVec } from './off-policy-vec.js';
import { openLearnerVec } from './open-vec.js';
import type { OperatorFunction } from 'rxjs';
import type { LearnOptions, LearnProgress } from '../agent.js';
import type { RunCounters } from '../common.js';

/** The replay as both loops write to it. */
interface Replay<O> {
  addTransition(t: Transition<O, never>): void;
  add(obs: O, action: never, reward: number, nextObs: O, terminated: boolean, truncated: boolean, stream: number): void;
}

/** What an off-policy learner gives `runOffPolicyLearner`. */
export interface OffPolicyLearner<O, A> {
  /** The algorithm's name, for messages. */
  algo: string;
  /** `numEnvs` and `asyncEnvs` from the config; `wrap` puts the learner's own env wrappers on a copy (null: none). */
  vector: { numEnvs: number; asyncEnvs: boolean; wrap: ((copy: AnyEnv) => AnyEnv) | null };
  /** The behaviour policy on n raw flat observation rows (n x obsDim): n actions (n x actDim) into `out`; `step` before the step. */
  actRows(x: Float32Array, n: number, step: number, out: Int32Array | Float32Array): void;
  replay: Replay<O>;
  steps: number;
  learningStarts: number;
  trainFreq: number;
  /** Per round; -1: as many as env steps collected in the round. */
  gradientSteps: number;
  train(step: number): number;
  canTrain(): boolean;
  /** After each (vector) step, with the global step and the (vector) steps taken in all (equal with one env). */
  afterStep(step: number, vectorSteps: number): void;
  hooks: readonly LoopHook[];
  consumers: readonly OperatorFunction<Transition<O, A>, unknown>[];
  onReset?: (obs: O, ctx: ActorContext) => void;
  /** Each finished episode; `env` is its env of the vector (absent with one env). */
  onEpisode(e: LoopEpisode & { env?: number }): void;
  onLog(p: LoopProgress): void;
  onProgress(p: LoopProgress): void;
  logInterval: number;
  startStep: number;
  startEpisodes: number;
  startUpdates: number;
  seed: number;
  signal?: AbortSignal;
  /** The episode carried across calls and checkpoints (`EpisodeCarry.take`), used with one env in this thread. */
  carried: { episodeState: EpisodeState<O>; resumeEpisode?: EpisodeInFlight<O>; closeEnv: false };
}

/** Runs `env` (one env, or numEnvs of them as `l.vector` says) with the learner's policy, replay and schedule. */
export async function runOffPolicyLearner<O, A>(env: Env<O, A>, l: OffPolicyLearner<O, A>): Promise<LoopResult> {
  const space = env.observationSpace as AnySpace;
  const actionSpace = env.actionSpace as AnySpace;
  const discrete = actionSpace.kind === 'discrete';
  const { numEnvs, asyncEnvs, wrap } = l.vector;
  const shared = {
    steps: l.steps, learningStarts: l.learningStarts, trainFreq: l.trainFreq, train: l.train, canTrain: l.canTrain,
    hooks: l.hooks, consumers: l.consumers, onEpisode: l.onEpisode, onLog: l.onLog, onProgress: l.onProgress, logInterval: l.logInterval,
    startStep: l.startStep, startEpisodes: l.startEpisodes, startUpdates: l.startUpdates, seed: l.seed,
    ...(l.onReset ? { onReset: l.onReset } : {}), ...(l.signal ? { signal: l.signal } : {}),
  };
  if (numEnvs === 1 && !asyncEnvs) {
    // One env: each observation flattened into a row of one; the action a number, or a new array (a consumer may keep it).
    const row = new Float32Array(flatdim(space));
    const out = discrete ? new Int32Array(1) : new Float32Array(flatdim(actionSpace));
    return runOffPolicy(env, {
      ...shared, ...l.carried, store: l.replay as Replay<O> as never,
      gradientSteps: l.gradientSteps < 0 ? l.trainFreq : l.gradientSteps,
      act: (obs, s) => {
        l.actRows(flatten(env.observationSpace, obs, row), 1, s, out);
        return (discrete ? out[0] : out.slice()) as A;
      },
      afterStep: (s) => l.afterStep(s, s),
    });
  }
  const tap = l.consumers.length > 0 || l.onReset !== undefined;
  const vec = await openLearnerVec(l.algo, env, { numEnvs, asyncEnvs, tap, wrap });
  return runOffPolicyVec<O, A>(vec, {
    ...shared, gradientSteps: l.gradientSteps, store: replayRows(l.replay, env.observationSpace, discrete),
    act: (x, s, out) => l.actRows(x, numEnvs, s, out), afterStep: l.afterStep.bind(l),
  });
}

/**
 * The part of `OffPolicyLearner` every `learn()` fills the same way from its options: hooks, consumers, the signal,
 * episodes counted into `k`, and progress and log records carrying the algorithm's `metrics` at a step with a loss.
 * `episodeEnd` runs at each episode's end (e.g. to reset that env's noise) and gives its row's metrics.
 */
export function learnCallbacks<O, A>(
  options: LearnOptions<O, A>, k: RunCounters, span: { startStep: number; totalSteps: number },
  metrics: (step: number, loss: number) => Record<string, number>, episodeEnd: (e: LoopEpisode & { env?: number }) => Record<string, number>,
): Pick<OffPolicyLearner<O, A>, 'hooks' | 'consumers' | 'onReset' | 'signal' | 'onEpisode' | 'onLog' | 'onProgress' | 'startStep' | 'startEpisodes' | 'startUpdates'> {
  const report = (p: LoopProgress): LearnProgress => ({
    step: p.step, totalSteps: span.totalSteps, startStep: span.startStep, episodes: p.episodes, fps: p.fps, meanReturn: k.meanReturn, updates: p.updates,
    metrics: metrics(p.step, p.loss),
  });
  return {
    hooks: options.periodic ?? [], consumers: options.consumers ?? [], ...(options.onReset ? { onReset: options.onReset } : {}), ...(options.signal ? { signal: options.signal } : {}),
    onEpisode: (e) => {
      k.addEpisode(Math.max(e.episode, k.episodes - 1), e.return); // with N envs, env 0's index may come after higher ones
      const m = episodeEnd(e);
      options.onEpisode?.({ ...e, metrics: m });
    },
    onLog: (p) => options.onLog?.(report(p)),
    onProgress: (p) => options.onProgress?.(report(p)),
    startStep: span.startStep, startEpisodes: k.episodes, startUpdates: k.updates,
  };
}
