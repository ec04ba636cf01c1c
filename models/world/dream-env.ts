/**
 * `dreamEnv(model, { env })`: a world model as an `Env`, so that any agent trains in it unchanged and the viewer
 * can draw it. Episodes start from the model's initial-state distribution, step one imagined transition at a time
 * (one rollout: its member is fixed at reset under 'fixed-member' propagation), and are truncated after
 * `maxEpisodeSteps`. Imagined observations are clipped to the real observation space's bounds, where a model's
 * error could otherwise carry them (cos theta > 1). With a scene env, `scene()` sets that env to the dream state
 * (`reset({ options: { state } })`, the built-ins' exact-state option) and draws it with the real env's own scene.
 */
import { BaseEnv, type AnyEnv, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidConfig, ResetNeeded, describeValue } from '../../core/errors.js';
import type { Scene } from '../../core/scene.js';
import { assertContains, type AnySpace, type BoxSpace, type Space } from '../../core/spaces.js';
import { isRegistered, make } from '../../envs/registry.js';
import { actionWidth, checkModelFits, worldStepOut, type WorldModel, type WorldStepOut } from './contract.js';

/** Options of `dreamEnv`. */
export interface DreamEnvOptions {
  /** The real env the model imitates: its spaces, its time limit, and (through `sceneEnv`) its drawing. */
  env: AnyEnv;
  /** Steps after which a dream episode is truncated; default the real env's `spec.maxEpisodeSteps`, else 1000. */
  maxEpisodeSteps?: number;
  /** An env instance used only to draw dream states; default a fresh `make(env.spec.id)` when the env has an id. */
  sceneEnv?: AnyEnv | null;
  /** The scene env's exact state for a dream observation; default `DREAM_SCENE_STATES[id]`, else the observation itself. */
  stateOf?: (obs: Float32Array) => number[];
}

/** Observation -> exact env state for built-ins whose observation is not their state (Pendulum: [cos, sin, theta_dot]). */
export const DREAM_SCENE_STATES: Readonly<Record<string, (obs: Float32Array) => number[]>> = {
  'Pendulum-v1': (o) => [Math.atan2(o[1]!, o[0]!), o[2]!],
};

/** A world model as an `Env` with the real env's spaces; `InvalidConfig` names a model whose shapes do not fit. */
export function dreamEnv(model: WorldModel, options: DreamEnvOptions): DreamEnv {
  return new DreamEnv(model, options);
}

/** See `dreamEnv`. */
export class DreamEnv extends BaseEnv<Float32Array, Float32Array | number> {
  readonly observationSpace: Space<Float32Array>;
  readonly actionSpace: Space<Float32Array | number>;
  readonly maxEpisodeSteps: number;
  /** The current dream state (stateDim floats). */
  readonly state: Float32Array;
  scene?: () => Scene;
  private readonly actionRow: Float32Array;
  private readonly member = new Int32Array(1);
  private readonly out: WorldStepOut;
  private readonly low: Float32Array;
  private readonly high: Float32Array;
  private t = -1;

  constructor(readonly model: WorldModel, options: DreamEnvOptions) {
    super();
    const real = options?.env;
    if (!real || typeof real.reset !== 'function') throw new InvalidConfig(`Expected options.env to be the real env the model imitates, got ${describeValue(real)}.`);
    const obsSpace = real.observationSpace as AnySpace, actSpace = real.actionSpace as AnySpace;
    checkModelFits(model, obsSpace, actSpace, real.spec?.id ?? String(real));
    this.observationSpace = real.observationSpace as Space<Float32Array>;
    this.actionSpace = real.actionSpace as Space<Float32Array | number>;
    this.metadata = real.metadata;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? real.spec?.maxEpisodeSteps ?? 1000;
    if (!(Number.isSafeInteger(this.maxEpisodeSteps) && this.maxEpisodeSteps >= 1)) throw new InvalidConfig(`Expected maxEpisodeSteps to be a positive integer, got ${describeValue(this.maxEpisodeSteps)}.`);
    const box = obsSpace as BoxSpace;
    [this.low, this.high] = [Float32Array.from(box.low), Float32Array.from(box.high)];
    this.state = new Float32Array(model.stateDim);
    this.actionRow = new Float32Array(actionWidth(model.action));
    this.out = worldStepOut(1, model.stateDim);
    const id = real.spec?.id;
    const sceneEnv = options.sceneEnv !== undefined ? options.sceneEnv : id && isRegistered(id) && typeof real.scene === 'function' ? make(id, real.spec?.kwargs ?? {}) : null;
    if (sceneEnv && typeof sceneEnv.scene === 'function') {
      const stateOf = options.stateOf ?? (id ? DREAM_SCENE_STATES[id] : undefined) ?? ((o: Float32Array) => [...o]);
      this.scene = () => {
        sceneEnv.reset({ options: { state: stateOf(this.state) } });
        return sceneEnv.scene!();
      };
    }
  }

  /** A start state from the model's initial-state distribution; `seed` reseeds the dream's random stream. */
  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    this.model.initialStates(1, this.rng, this.state);
    this.model.startRollouts(1, this.rng, this.member);
    this.clip(this.state);
    this.t = 0;
    return { obs: Float32Array.from(this.state), info: { dream: true } };
  }

  /** One imagined transition; truncated after `maxEpisodeSteps`. */
  step(action: Float32Array | number): StepResult<Float32Array> {
    if (this.t < 0) throw new ResetNeeded('Expected reset() before step() on a dream env (and after an episode ends), got step() first.');
    assertContains(this.actionSpace, action, 'action');
    if (typeof action === 'number') this.actionRow[0] = action;
    else this.actionRow.set(action);
    this.model.step(this.state, this.actionRow, 1, this.member, this.rng, this.out);
    this.state.set(this.out.nextStates);
    this.clip(this.state);
    const terminated = this.out.terminated[0] === 1;
    const truncated = !terminated && ++this.t >= this.maxEpisodeSteps;
    if (terminated || truncated) this.t = -1;
    return { obs: Float32Array.from(this.state), reward: this.out.rewards[0]!, terminated, truncated, info: { dream: true } };
  }

  private clip(s: Float32Array): void {
    for (let j = 0; j < s.length; j++) s[j] = Math.min(this.high[j]!, Math.max(this.low[j]!, s[j]!));
  }
}
