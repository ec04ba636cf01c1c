/**
 * Consumers a training run adds to its transition stream: the recorder of every Nth episode and the live viewer's
 * latest-step caption, plus the timer that samples scenes for the viewer. Shared by every algorithm.
 */
import { filter, map, tap, type OperatorFunction } from 'rxjs';
import type { Env, Transition } from '../core/env.js';
import { InvalidConfig } from '../core/errors.js';
import type { Scene } from '../core/scene.js';
import { recordEpisodes, type ResetSceneTracker } from '../render/recorder.js';
import type { LiveViewer } from '../render/live.js';


/** The scene of `env` after its latest step: wrappers forward `scene()`; else the innermost env's. */
export function sceneReader(env: Env<unknown, unknown>): () => Scene {
  const source = typeof env.scene === 'function' ? env : env.unwrapped;
  if (typeof source.scene !== 'function') {
    throw new InvalidConfig(`Expected an environment with scene() to record or watch, got ${env.spec?.id ?? 'an env'} without one. Implement scene() to make it drawable.`);
  }
  return () => source.scene!();
}

/**
 * Sends the training env's scene to the live viewer by a timer, as `viewer.sample(env)` does (between steps,
 * at most the viewer's scene rate, only while a browser is connected: no per-step cost), captioned with the
 * agent's step and episode counters, which cost nothing to read. Returns a function that stops it.
 */
export function sampleScenes(
  viewer: LiveViewer,
  scene: () => Scene,
  agent: { readonly step: number; readonly episodes: number },
  maxFps = 30,
  latest?: LatestStep,
): () => void {
  const timer = setInterval(() => {
    if (!viewer.wantsScene()) return;
    let s: Scene;
    try {
      s = scene();
    } catch {
      return; // not drawable right now (before the first reset, or closed)
    }
    // The scene after the latest step: run step agent.step - 1, in the episode that agent.episodes counts to.
    const meta: Parameters<LiveViewer['publishScene']>[1] = { step: Math.max(0, agent.step - 1), episode: agent.episodes };
    if (latest !== undefined && latest.seen) {
      meta.t = latest.numbers[0]!;
      meta.reward = latest.numbers[1]!;
      const value = latest.value !== undefined && latest.obs !== undefined ? latest.value(latest.obs) : NaN;
      if (Number.isFinite(value)) meta.value = value; // an agent without values shows none
      const spread = latest.spread !== undefined && latest.obs !== undefined ? latest.spread(latest.obs) : NaN;
      if (Number.isFinite(spread)) meta.qSpread = spread;
    }
    viewer.publishScene(s, meta);
  }, Math.max(5, Math.floor(1000 / maxFps / 2)));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The latest transition as the live viewer's caption and plots need it, kept by `keepLatest` at one typed-array
 * write and one reference per step; the value (max Q) is computed only when a scene is sent.
 */
export interface LatestStep {
  /** [t + 1 (steps so far in the episode), reward of the step]. */
  numbers: Float64Array;
  /** The observation after the step. */
  obs: unknown;
  seen: boolean;
  /** A value estimate of an observation (max Q), when the agent has one. */
  value?: (obs: unknown) => number;
  /** The agent's uncertainty at an observation (the spread of Q over its posterior), when it has one. */
  spread?: (obs: unknown) => number;
}

/** A `learn({ consumers })` entry that keeps `latest` up to date. */
export function keepLatest<O>(latest: LatestStep): OperatorFunction<Transition<O, unknown>, unknown> {
  return (source) =>
    source.pipe(
      tap((tr) => {
        latest.numbers[0] = tr.t + 1;
        latest.numbers[1] = tr.reward;
        latest.obs = tr.nextObs;
        latest.seen = true;
      }),
    );
}

/** Options of `recordTraining`. */
export interface RecordTrainingOptions<O> {
  envId: string;
  /** Record run-wide episodes whose index is a multiple of this. */
  every: number;
  /** Episodes and steps the run had before this `learn()` call (its transitions count from 0). */
  baseEpisode: number;
  baseStep: number;
  /** The scene after a step (read synchronously when the transition arrives). */
  scene: () => Scene;
  /** Q-values of an observation, recorded as `q` (the viewer plots max Q); omit to record scenes only. */
  qValues?: (obs: O) => Float32Array;
  /** The agent's uncertainty at an observation, recorded as `qSpread` (the viewer shows value ± qSpread). */
  uncertainty?: (obs: O) => number;
  /** Playback frames per second. */
  fps: number;
  header?: Record<string, unknown>;
  /**
   * The scenes after reset, recorded as each episode's frame 0. A transition arrives only after its step, so
   * the tracker must see the resets itself: give the run `onReset: resetScenes.onReset` (steps$'s option) and
   * make it with `wanted: (e) => (baseEpisode + e) % every === 0` so unrecorded episodes cost no scene.
   */
  resetScenes?: ResetSceneTracker<O, unknown>;
}

/**
 * A `learn({ consumers })` entry that records every `every`-th episode of the run to `dir`: transitions of
 * other episodes are dropped before any copy, so unrecorded steps cost one comparison.
 */
export function recordTraining<O>(dir: string, o: RecordTrainingOptions<O>): OperatorFunction<Transition<O, unknown>, unknown> {
  const { every, baseEpisode, baseStep } = o;
  const qValues = o.qValues;
  const uncertainty = o.uncertainty;
  return (source) =>
    source.pipe(
      filter((tr) => (baseEpisode + tr.episode) % every === 0),
      map((tr) => ({ ...tr, episode: baseEpisode + tr.episode, step: baseStep + tr.step })),
      recordEpisodes<O, unknown>(dir, {
        envId: o.envId,
        sceneOf: o.scene,
        ...(qValues ? { valuesOf: (tr: Transition<O, unknown>) => ({ q: qValues(tr.obs), ...(uncertainty ? { qSpread: uncertainty(tr.obs) } : {}) }) } : {}),
        ...(o.resetScenes ? { resetSceneOf: o.resetScenes.sceneOf } : {}),
        fps: o.fps,
        header: { kind: 'train', ...o.header },
      }),
    );
}
