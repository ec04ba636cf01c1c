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
 * The latent state of a step is the last two frames' latent means stacked, [z_{t-1}, z_t] (2 x latent floats):
 * one frame shows where things are but not how fast they move (CartPole's cart and pole velocities), so a model
 * or a policy of one frame's latent sees a non-Markov process; the difference of two frames carries the velocity,
 * as frame stacking does for DQN on Atari. At a reset both halves are the first frame's latent (zero velocity).
 */
import type { Env, ResetArgs, ResetResult, StepResult } from '../../core/env.js';
import { Wrapper } from '../../core/env.js';
import { InvalidConfig, InvalidObservation, describeValue } from '../../core/errors.js';
import { box, describeSpace, type BoxSpace } from '../../core/spaces.js';
import type { Vae } from '../vae.js';

/** Frames per latent state: the previous and the current one. */
export const STACKED_FRAMES = 2;

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
 * Observations of stacked frame latents: wraps an env of uint8 luminance frames (a Box of frameDim bytes, e.g.
 * `new PixelObservation(env, { width: 28, height: 28, grayscale: true })`) and observes [z_{t-1}, z_t], a Box of
 * 2 x latent unbounded floats. Throws `InvalidConfig` when the frames do not fit the encoder.
 */
export class LatentObservation<A> extends Wrapper<Float32Array, A, Env<Uint8Array, A>> {
  override observationSpace: BoxSpace<'float32'>;
  private readonly current: Float32Array;

  constructor(env: Env<Uint8Array, A>, readonly encoder: FrameEncoder) {
    super(env);
    const space = env.observationSpace as unknown as BoxSpace;
    const size = space.kind === 'box' ? space.low.length : -1;
    if (space.kind !== 'box' || space.dtype !== 'uint8' || size !== encoder.frameDim) {
      throw new InvalidConfig(
        `Expected an env of uint8 luminance frames of ${encoder.frameDim} pixels (a grayscale PixelObservation) for LatentObservation, got observation space ${describeSpace(space)}.`,
      );
    }
    this.observationSpace = latentStateSpace(encoder.latent);
    this.current = new Float32Array(encoder.latent);
  }

  override reset(args?: ResetArgs): ResetResult<Float32Array> {
    const { obs, info } = this.env.reset(args);
    this.encoder.encodeFrame(obs, this.current);
    const state = new Float32Array(STACKED_FRAMES * this.encoder.latent);
    state.set(this.current, 0);
    state.set(this.current, this.encoder.latent);
    return { obs: state, info };
  }

  override step(action: A): StepResult<Float32Array> {
    const { obs, reward, terminated, truncated, info } = this.env.step(action);
    // A new array every step: agents and replay keep observations.
    const state = new Float32Array(STACKED_FRAMES * this.encoder.latent);
    state.set(this.current, 0);
    this.encoder.encodeFrame(obs, this.current);
    state.set(this.current, this.encoder.latent);
    return { obs: state, reward, terminated, truncated, info };
  }
}

/** The observation space of stacked latents: an unbounded float Box of 2 x latent. */
export function latentStateSpace(latent: number): BoxSpace<'float32'> {
  return box({ low: -Infinity, high: Infinity, shape: [STACKED_FRAMES * latent] });
}
