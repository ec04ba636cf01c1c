/**
 * Pixels to a latent state for world models: a fitted VAE (models/vae.ts) encodes frames to the means of q(z|x)
 * and decodes latents back to pixel probabilities; `LatentObservation` turns an env of uint8 luminance frames
 * (e.g. a grayscale PixelObservation) into one observing latents.
 *
 * Pixels are ink intensities in [0, 1] (1 - luminance / 255, 'gray') by default, or thresholded to {0, 1}
 * ('binary', as render/frames.ts). Gray keeps the antialiased edges, which move with the sub-pixel position of
 * the cart and pole: at 28x28 a binary CartPole frame changes only when an edge crosses a pixel, and whether
 * it does next step depends on a position the frames do not show (measured in the bench's file comment).
 *
 * The latent state of a step is the last two frames' latent means stacked, then the previous action's features,
 * [z_{t-1}, z_t, onehot(a_{t-1})] (2 x latent + n floats for n Discrete actions): one frame shows where things are
 * but not how fast they move (CartPole's cart and pole velocities), so a model or a policy of one frame's latent
 * sees a non-Markov process; the difference of two frames carries the velocity, as frame stacking does for DQN on
 * Atari. The previous action is there because an explicit-Euler env such as CartPole moves by the velocity before
 * this step's push (x_{t+1} = x_t + tau * v_t, v_t = v_{t-1} + tau * acc(a_{t-1})): frame t+1 depends on a_{t-1},
 * which two frames alone do not show, and not on a_t. At a reset both frame latents are the first frame's (zero
 * velocity) and the previous action is all zeros.
 */
import type { Env, ResetArgs, ResetResult, StepResult } from '../../core/env.js';
import { Wrapper } from '../../core/env.js';
import { InvalidConfig, InvalidObservation, describeValue } from '../../core/errors.js';
import { box, describeSpace, type AnySpace, type BoxSpace } from '../../core/spaces.js';
import type { Vae } from '../vae.js';
import { actionFeatures, type WorldAction } from './contract.js';

/** Frames per latent state: the previous and the current one. */
export const STACKED_FRAMES = 2;

/** Floats of a latent state: `STACKED_FRAMES` frame latents, then the previous action's `actionFeatures`. */
export function latentStateDim(latent: number, action: WorldAction): number {
  return STACKED_FRAMES * latent + actionFeatures(action);
}

/**
 * Writes action row `i` of `actions` (actionWidth floats per row) as network features into `out` from `offset`:
 * a one-hot of n for a Discrete action (value - start), the Box row itself otherwise.
 */
export function writeActionFeatures(action: WorldAction, actions: ArrayLike<number>, i: number, out: Float32Array, offset: number): void {
  if (action.kind === 'continuous') {
    for (let j = 0; j < action.dim; j++) out[offset + j] = actions[i * action.dim + j]!;
    return;
  }
  out.fill(0, offset, offset + action.n);
  const k = Math.round(actions[i]!) - action.start;
  if (k >= 0 && k < action.n) out[offset + k] = 1;
}

/** How a uint8 luminance frame becomes pixels in [0, 1]: ink intensity 1 - luminance / 255, or 1 below a threshold. */
export type FramePixels = 'gray' | 'binary';

/** Options of `FrameEncoder` and of the frame conversion `toPixels`. */
export interface FramePixelsOptions {
  /** Default 'gray'. */
  pixels?: FramePixels;
  /** 'binary': a pixel is ink (1) when its luminance (0-255) is below this, else 0; default 240 (render/frames.ts's). */
  threshold?: number;
}

/** Checks the options and returns them resolved: `InvalidConfig` naming a bad mode or threshold. */
export function resolvePixels(options: FramePixelsOptions = {}): Required<FramePixelsOptions> {
  const pixels = options.pixels ?? 'gray', threshold = options.threshold ?? 240;
  if (pixels !== 'gray' && pixels !== 'binary') throw new InvalidConfig(`Expected pixels 'gray' or 'binary', got ${describeValue(pixels)}.`);
  if (!(Number.isFinite(threshold) && threshold > 0 && threshold <= 256)) {
    throw new InvalidConfig(`Expected threshold to be a luminance in (0, 256], got ${describeValue(threshold)}.`);
  }
  return { pixels, threshold };
}

/** One uint8 luminance frame as pixels in [0, 1] (1 = ink) into `out` (same length), per `resolvePixels` options. */
export function toPixels(frame: Uint8Array, out: Float32Array, o: Required<FramePixelsOptions>): Float32Array {
  if (o.pixels === 'gray') for (let p = 0; p < frame.length; p++) out[p] = 1 - frame[p]! / 255;
  else for (let p = 0; p < frame.length; p++) out[p] = frame[p]! < o.threshold ? 1 : 0;
  return out;
}

/** A fitted Bernoulli VAE used as a frame encoder and decoder: frames of `frameDim` pixels in [0, 1] to `latent` floats and back. */
export class FrameEncoder {
  readonly frameDim: number;
  readonly latent: number;
  readonly pixels: Required<FramePixelsOptions>;
  private readonly scratch: Float32Array;

  /** `vae` must be a Bernoulli VAE fitted on frames converted with the same `options`; it is used as is, not copied. */
  constructor(readonly vae: Vae, options: FramePixelsOptions = {}) {
    if (vae.config.likelihood !== 'bernoulli') {
      throw new InvalidConfig(`Expected a Bernoulli VAE for frames of pixels in [0, 1], got one with likelihood ${describeValue(vae.config.likelihood)}.`);
    }
    this.pixels = resolvePixels(options);
    this.frameDim = vae.dim;
    this.latent = vae.config.latent;
    this.scratch = new Float32Array(this.frameDim);
  }

  /** One uint8 luminance frame (frameDim bytes) as pixels in [0, 1] (1 = ink) into `out`. */
  toPixels(frame: Uint8Array, out: Float32Array = new Float32Array(this.frameDim)): Float32Array {
    if (!(frame instanceof Uint8Array) || frame.length !== this.frameDim) {
      throw new InvalidObservation(`Expected a uint8 luminance frame of ${this.frameDim} pixels, got ${describeValue(frame)}.`);
    }
    return toPixels(frame, out, this.pixels);
  }

  /** Latent means of q(z|x) for n frames (n x frameDim pixels in [0, 1]) into `out` (n x latent). */
  encode(frames: Float32Array, n: number, out: Float32Array = new Float32Array(n * this.latent)): Float32Array {
    if (frames.length < n * this.frameDim || out.length < n * this.latent) {
      throw new InvalidConfig(`Expected ${n} frames of ${this.frameDim} pixels into ${n} x ${this.latent} latents, got ${frames.length} and ${out.length} values.`);
    }
    const L = this.latent;
    // The encoder's rows are [mu (L), log-variance (L)]; the state is the mean, a deterministic function of the frame.
    const enc = this.vae.encoder.predict(frames.subarray(0, n * this.frameDim), n);
    for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) out[i * L + j] = enc[i * 2 * L + j]!;
    return out;
  }

  /** Pixel probabilities of p(x|z) (n x frameDim, in [0, 1]) for n latents (n x latent), into `out`. */
  decode(latents: Float32Array, n: number, out: Float32Array = new Float32Array(n * this.frameDim)): Float32Array {
    if (latents.length < n * this.latent || out.length < n * this.frameDim) {
      throw new InvalidConfig(`Expected ${n} latents of ${this.latent} floats into ${n} x ${this.frameDim} pixels, got ${latents.length} and ${out.length} values.`);
    }
    const logits = this.vae.decoder.predict(latents.subarray(0, n * this.latent), n);
    for (let k = 0; k < n * this.frameDim; k++) out[k] = 1 / (1 + Math.exp(-logits[k]!));
    return out;
  }

  /** The latent of one uint8 frame, via `toPixels` into a scratch row, into `out` (latent floats). */
  encodeFrame(frame: Uint8Array, out: Float32Array): Float32Array {
    this.toPixels(frame, this.scratch);
    return this.encode(this.scratch, 1, out);
  }
}

/**
 * Observations of stacked frame latents and the previous action: wraps an env of uint8 luminance frames (a Box of
 * frameDim bytes, e.g. `new PixelObservation(env, { width: 28, height: 28, grayscale: true })`) with Discrete
 * actions and observes [z_{t-1}, z_t, onehot(a_{t-1})], a Box of 2 x latent unbounded floats and n in [0, 1].
 * Throws `InvalidConfig` when the frames do not fit the encoder or the actions are not Discrete.
 */
export class LatentObservation<A> extends Wrapper<Float32Array, A, Env<Uint8Array, A>> {
  override observationSpace: BoxSpace<'float32'>;
  /** The action side the previous-action features encode (Discrete). */
  readonly action: WorldAction;
  private readonly current: Float32Array;
  private readonly stateDim: number;
  private readonly actionRow = new Float32Array(1);

  constructor(env: Env<Uint8Array, A>, readonly encoder: FrameEncoder) {
    super(env);
    const space = env.observationSpace as unknown as BoxSpace;
    const size = space.kind === 'box' ? space.low.length : -1;
    if (space.kind !== 'box' || space.dtype !== 'uint8' || size !== encoder.frameDim) {
      throw new InvalidConfig(
        `Expected an env of uint8 luminance frames of ${encoder.frameDim} pixels (a grayscale PixelObservation) for LatentObservation, got observation space ${describeSpace(space)}.`,
      );
    }
    const actions = env.actionSpace as unknown as AnySpace;
    if (actions.kind !== 'discrete') throw new InvalidConfig(`Expected a Discrete action space for LatentObservation's previous-action features, got ${describeSpace(actions)}.`);
    this.action = { kind: 'discrete', n: actions.n, start: actions.start };
    this.observationSpace = latentStateSpace(encoder.latent, this.action);
    this.stateDim = latentStateDim(encoder.latent, this.action);
    this.current = new Float32Array(encoder.latent);
  }

  override reset(args?: ResetArgs): ResetResult<Float32Array> {
    const { obs, info } = this.env.reset(args);
    this.encoder.encodeFrame(obs, this.current);
    // The previous-action part stays zero: no action has been taken yet.
    const state = new Float32Array(this.stateDim);
    state.set(this.current, 0);
    state.set(this.current, this.encoder.latent);
    return { obs: state, info };
  }

  override step(action: A): StepResult<Float32Array> {
    const { obs, reward, terminated, truncated, info } = this.env.step(action);
    const L = this.encoder.latent;
    // A new array every step: agents and replay keep observations.
    const state = new Float32Array(this.stateDim);
    state.set(this.current, 0);
    this.encoder.encodeFrame(obs, this.current);
    state.set(this.current, L);
    this.actionRow[0] = action as unknown as number;
    writeActionFeatures(this.action, this.actionRow, 0, state, STACKED_FRAMES * L);
    return { obs: state, reward, terminated, truncated, info };
  }
}

/** The observation space of latent states: 2 x latent unbounded floats, then the previous action's features (a one-hot in [0, 1] for Discrete actions, unbounded for Box ones). */
export function latentStateSpace(latent: number, action: WorldAction): BoxSpace<'float32'> {
  const d = latentStateDim(latent, action), frames = STACKED_FRAMES * latent;
  const low = new Array<number>(d).fill(-Infinity), high = new Array<number>(d).fill(Infinity);
  if (action.kind === 'discrete') for (let j = frames; j < d; j++) [low[j], high[j]] = [0, 1];
  return box({ low, high, shape: [d] });
}
