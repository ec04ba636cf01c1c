/**
 * Dreaming in latent space: `LatentDreamEnv`, an `Env` whose steps are a world model's imagined transitions over
 * latent states [z_{t-1}, z_t, onehot(a_{t-1})] (models/world/latent.ts; an agent trains in it as in the real env), drawable as the decoded current frame; and
 * `dreamFrames`, the decoded frames of a dream that follows a real episode's actions, to show beside the real ones.
 *
 * Start states are the world model's initial-state distribution (the reset latents it observed), or, with `starts`,
 * real states drawn uniformly (as Dyna and MBPO branch short rollouts from replayed states): a model's error
 * compounds along a rollout, so long dreams from resets visit latents no real frame encodes to, while short ones
 * from real states stay where the model was fitted and still reach the states near failure. An episode ends when
 * the model predicts termination, or is truncated after `maxEpisodeSteps` imagined steps.
 */
import { BaseEnv, type ResetArgs, type ResetResult, type StepResult } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Scene, Shape } from '../../core/scene.js';
import { contains, discrete, describeSpace, type BoxSpace, type DiscreteSpace } from '../../core/spaces.js';
import { worldStepOut, type WorldModel, type WorldStepOut } from './contract.js';
import { STACKED_FRAMES, latentStateDim, latentStateSpace, type FrameEncoder } from './latent.js';

/** Options of `LatentDreamEnv`. */
export interface LatentDreamOptions {
  /** Imagined steps after which an episode is truncated; default 500 (CartPole-v1's limit). */
  maxEpisodeSteps?: number;
  /** Real states to start episodes from (n x stateDim, e.g. every state of the real transitions); default the model's initialStates. */
  starts?: { states: Float32Array; n: number };
  /** Decodes the current latent for `scene()`; without it the env has no scene. */
  encoder?: FrameEncoder;
  /** Frame width and height of the decoded frames for `scene()`; default 28 x 28. */
  frameWidth?: number;
  frameHeight?: number;
}

/** An `Env` over a latent world model with Discrete actions: observations are latent states (2 x latent + n floats). */
export class LatentDreamEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: BoxSpace<'float32'>;
  readonly actionSpace: DiscreteSpace;
  readonly maxEpisodeSteps: number;
  private readonly latent: number;
  private readonly state: Float32Array;
  private readonly actionRow = new Float32Array(1);
  private readonly members = new Int32Array(1);
  private readonly out: WorldStepOut;
  private readonly pixels: Float32Array | null;
  private t = 0;
  private needsReset = true;

  /** `model` must be fitted, with n Discrete actions and stateDim = 2 x latent + n. */
  constructor(readonly model: WorldModel, private readonly options: LatentDreamOptions = {}) {
    super();
    this.latent = latentOf(model);
    const maxSteps = options.maxEpisodeSteps ?? 500;
    if (!(Number.isInteger(maxSteps) && maxSteps >= 1)) throw new InvalidConfig(`Expected maxEpisodeSteps to be a positive integer, got ${describeValue(maxSteps)}.`);
    this.maxEpisodeSteps = maxSteps;
    if (options.encoder && options.encoder.latent !== this.latent) {
      throw new InvalidConfig(`Expected an encoder of ${this.latent} latent floats for this world model, got one of ${options.encoder.latent}.`);
    }
    this.observationSpace = latentStateSpace(this.latent, model.action);
    const a = model.action as { n: number; start: number }; // Discrete: latentOf checked it
    this.actionSpace = discrete(a.n, { start: a.start });
    this.state = new Float32Array(model.stateDim);
    this.out = worldStepOut(1, model.stateDim);
    this.pixels = options.encoder ? new Float32Array(options.encoder.frameDim) : null;
    const starts = options.starts;
    if (starts && !(Number.isInteger(starts.n) && starts.n >= 1 && starts.states instanceof Float32Array && starts.states.length >= starts.n * model.stateDim)) {
      throw new InvalidConfig(`Expected starts as n >= 1 states of ${model.stateDim} floats (a Float32Array of n x ${model.stateDim}), got n ${describeValue(starts.n)} and ${describeValue(starts.states)}.`);
    }
    this.metadata = { renderFps: 50 };
  }

  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedRng(args?.seed);
    const starts = this.options.starts, d = this.model.stateDim;
    if (starts) {
      const k = this.rng.int(starts.n);
      this.state.set(starts.states.subarray(k * d, (k + 1) * d));
    } else {
      this.model.initialStates(1, this.rng, this.state);
    }
    this.model.startRollouts(1, this.rng, this.members);
    this.t = 0;
    this.needsReset = false;
    return { obs: this.state.slice(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (this.needsReset) throw new InvalidConfig('Expected reset() before step() on LatentDreamEnv (at the start or after an episode ended), got step().');
    if (!contains(this.actionSpace, action)) throw new InvalidConfig(`Expected an action in ${describeSpace(this.actionSpace)}, got ${describeValue(action)}.`);
    this.actionRow[0] = action;
    const o = this.model.step(this.state, this.actionRow, 1, this.members, this.rng, this.out);
    this.state.set(o.nextStates.subarray(0, this.model.stateDim));
    this.t++;
    const terminated = o.terminated[0] === 1;
    const truncated = !terminated && this.t >= this.maxEpisodeSteps;
    this.needsReset = terminated || truncated;
    return { obs: this.state.slice(), reward: o.rewards[0]!, terminated, truncated, info: {} };
  }

  /** The decoded current frame (pixel probabilities as gray squares); defined only with an `encoder`. */
  get scene(): (() => Scene) | undefined {
    const encoder = this.options.encoder;
    if (!encoder || !this.pixels) return undefined;
    return () => {
      encoder.decode(this.state.subarray(this.latent, STACKED_FRAMES * this.latent), 1, this.pixels!);
      return frameScene(this.pixels!, this.options.frameWidth ?? 28, this.options.frameHeight ?? 28);
    };
  }
}

/** The frame latent size of a Discrete-action model over [z_{t-1}, z_t, onehot(a_{t-1})]; `InvalidConfig` otherwise. */
function latentOf(model: WorldModel): number {
  const a = model.action;
  if (a.kind !== 'discrete') throw new InvalidConfig(`Expected a world model of Discrete actions over latent states, got ${describeValue(a)}.`);
  const latent = (model.stateDim - a.n) / STACKED_FRAMES;
  if (!(Number.isInteger(latent) && latent >= 1 && latentStateDim(latent, a) === model.stateDim)) {
    throw new InvalidConfig(`Expected a world model of ${STACKED_FRAMES} x latent + ${a.n} state floats (stacked frame latents and the previous action's one-hot), got stateDim ${model.stateDim}.`);
  }
  return latent;
}

/** A scene of one frame (width x height values in [0, 1], 1 = ink, top row first) as gray squares on white. */
export function frameScene(pixels: Float32Array, width: number, height: number): Scene {
  if (pixels.length !== width * height) throw new InvalidConfig(`Expected ${width} x ${height} = ${width * height} pixel values, got ${pixels.length}.`);
  const shapes: Shape[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.min(1, Math.max(0, pixels[y * width + x]!));
      const g = Math.round(255 * (1 - v));
      // White squares are the background already; skipping them keeps scenes small.
      if (g >= 250) continue;
      const hex = g.toString(16).padStart(2, '0');
      shapes.push({ type: 'rect', x: x + 0.5, y: height - y - 0.5, width: 1, height: 1, fill: `#${hex}${hex}${hex}` });
    }
  }
  return { width: width * 10, height: height * 10, viewport: { xMin: 0, xMax: width, yMin: 0, yMax: height }, background: '#ffffff', shapes };
}

/**
 * Decoded frames of a dream that replays a real episode's actions: from the real state `start` (stateDim floats) the
 * model's mean-free sampled transitions (seeded by `seed`) under `actions` (k values), one frame per state,
 * start included: (k + 1) x frameDim pixel probabilities. It stops early when the model predicts termination.
 */
export function dreamFrames(model: WorldModel, encoder: FrameEncoder, start: Float32Array, actions: ArrayLike<number>, seed: number): { frames: Float32Array; count: number } {
  const d = model.stateDim, L = latentOf(model);
  if (encoder.latent !== L || start.length !== d) throw new InvalidConfig(`Expected a start state of ${d} floats and an encoder of ${L} latents, got ${start.length} and ${encoder.latent}.`);
  const rng = new Rng(seed);
  const members = model.startRollouts(1, rng);
  const state = start.slice();
  const latents = new Float32Array((actions.length + 1) * L);
  latents.set(state.subarray(L, STACKED_FRAMES * L), 0);
  const out = worldStepOut(1, d);
  const row = new Float32Array(1);
  let count = 1;
  for (let k = 0; k < actions.length; k++) {
    row[0] = actions[k]!;
    model.step(state, row, 1, members, rng, out);
    state.set(out.nextStates);
    latents.set(state.subarray(L, STACKED_FRAMES * L), count * L);
    count++;
    if (out.terminated[0] === 1) break;
  }
  return { frames: encoder.decode(latents, count), count };
}
