/**
 * Real experience of a pixel env for a latent world model: episodes of frames with their actions, rewards
 * and terminations (`collectPixelEpisodes`), then the same transitions as rows of latent states
 * [z_{t-1}, z_t, onehot(a_{t-1})] -> [z_t, z_{t+1}, onehot(a_t)] once a VAE encodes the frames (`latentTransitions`;
 * the state is models/world/latent.ts's).
 */
import type { Env } from '../../core/env.js';
import { InvalidConfig, describeValue } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { sample, type Space } from '../../core/spaces.js';
import type { WorldAction } from './contract.js';
import type { TransitionRows } from './dynamics.js';
import { STACKED_FRAMES, latentStateDim, resolvePixels, toPixels, writeActionFeatures, type FrameEncoder, type FramePixelsOptions } from './latent.js';

/** Frames and transitions of real episodes; transition i goes from frame `cur[i]` (after `prev[i]`) to `next[i]`. */
export interface PixelEpisodes {
  /** Pixels per frame. */
  frameDim: number;
  /** Frames (frameCount x frameDim pixels in [0, 1], 1 = ink). */
  frames: Float32Array;
  frameCount: number;
  /** Transitions. */
  n: number;
  /** Frame before the transition's current one (the current one itself right after a reset). */
  prev: Int32Array;
  cur: Int32Array;
  next: Int32Array;
  /** The env's Discrete actions. */
  action: WorldAction;
  /** Discrete action values, one per transition. */
  actions: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  /** Frame index of each episode's reset frame. */
  resets: Int32Array;
}

/** Options of `collectPixelEpisodes`. */
export interface CollectOptions {
  /** Seed of the first reset (later resets continue the env's stream). */
  seed: number;
  /** Draws the random actions. */
  rng: Rng;
  /** The action from the previous and current frames (frameDim pixels each); default uniformly random actions. */
  policy?: (prev: Float32Array, cur: Float32Array) => number;
  /** How frames become pixels in [0, 1]; default 'gray' (see models/world/latent.ts). */
  pixels?: FramePixelsOptions;
}

/**
 * `steps` transitions of an env of uint8 luminance frames (e.g. a grayscale 28x28 PixelObservation of CartPole)
 * with Discrete actions, resetting when an episode ends. Async: yields to the event loop every 256 steps, as the
 * rasterizer's native readback buffers are freed only then.
 */
export async function collectPixelEpisodes(env: Env<Uint8Array, number>, steps: number, options: CollectOptions): Promise<PixelEpisodes> {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new InvalidConfig(`Expected steps to be a positive integer, got ${describeValue(steps)}.`);
  const frameDim = (env.observationSpace as { low?: readonly number[] }).low?.length ?? 0;
  if (env.observationSpace.kind !== 'box' || frameDim < 1) throw new InvalidConfig('Expected an env of uint8 frames (a Box observation space) to collect from.');
  if (env.actionSpace.kind !== 'discrete') throw new InvalidConfig('Expected a Discrete action space to collect pixel episodes from.');
  const pixels = resolvePixels(options.pixels);
  // At most steps + 1 + (episodes) frames: one per step plus each reset's.
  let frames = new Float32Array((steps + 1) * 2 * frameDim);
  let frameCount = 0;
  const keep = (f: Uint8Array): number => {
    if ((frameCount + 1) * frameDim > frames.length) {
      const grown = new Float32Array(frames.length * 2);
      grown.set(frames);
      frames = grown;
    }
    toPixels(f, frames.subarray(frameCount * frameDim, (frameCount + 1) * frameDim), pixels);
    return frameCount++;
  };
  const ep: PixelEpisodes = {
    frameDim, frames, frameCount: 0, n: steps, action: { kind: 'discrete', n: env.actionSpace.n, start: env.actionSpace.start }, prev: new Int32Array(steps), cur: new Int32Array(steps), next: new Int32Array(steps),
    actions: new Float32Array(steps), rewards: new Float32Array(steps), terminated: new Uint8Array(steps), resets: new Int32Array(0),
  };
  const resets: number[] = [];
  let cur = keep(env.reset({ seed: options.seed }).obs);
  let prev = cur;
  resets.push(cur);
  for (let i = 0; i < steps; i++) {
    const a = options.policy ? options.policy(frames.subarray(prev * frameDim, (prev + 1) * frameDim), frames.subarray(cur * frameDim, (cur + 1) * frameDim)) : (sample(env.actionSpace as Space<number>, options.rng) as number);
    const r = env.step(a);
    const next = keep(r.obs);
    ep.prev[i] = prev; ep.cur[i] = cur; ep.next[i] = next;
    ep.actions[i] = a;
    ep.rewards[i] = r.reward;
    ep.terminated[i] = r.terminated ? 1 : 0;
    [prev, cur] = [cur, next];
    if (r.terminated || r.truncated) {
      cur = prev = keep(env.reset().obs);
      resets.push(cur);
    }
    if (i % 256 === 255) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  ep.frames = frames.subarray(0, frameCount * frameDim);
  ep.frameCount = frameCount;
  ep.resets = Int32Array.from(resets);
  return ep;
}

/** Transitions as latent-state rows, and the reset states [z_0, z_0, 0] of the episodes. */
export interface LatentTransitions {
  rows: TransitionRows;
  /** Reset states (startCount x stateDim, `latentStateDim`). */
  starts: Float32Array;
  startCount: number;
  /** Every frame's latent mean (frameCount x latent). */
  latents: Float32Array;
}

/**
 * Encodes every frame of `ep` once and builds rows [z_prev, z_cur, f(a_prev)] -> [z_cur, z_next, f(a)] of the
 * transitions, f the action's one-hot (zeros when the transition starts an episode, where prev = cur).
 */
export function latentTransitions(encoder: FrameEncoder, ep: PixelEpisodes): LatentTransitions {
  if (ep.frameDim !== encoder.frameDim) throw new InvalidConfig(`Expected frames of ${encoder.frameDim} pixels for this encoder, got ${ep.frameDim}.`);
  const L = encoder.latent, d = latentStateDim(L, ep.action), f = STACKED_FRAMES * L;
  const latents = new Float32Array(ep.frameCount * L);
  const chunk = 512;
  for (let i = 0; i < ep.frameCount; i += chunk) {
    const m = Math.min(chunk, ep.frameCount - i);
    encoder.encode(ep.frames.subarray(i * ep.frameDim, (i + m) * ep.frameDim), m, latents.subarray(i * L, (i + m) * L));
  }
  const z = (frame: number) => latents.subarray(frame * L, (frame + 1) * L);
  const rows: TransitionRows = {
    n: ep.n, states: new Float32Array(ep.n * d), actions: ep.actions, rewards: ep.rewards, nextStates: new Float32Array(ep.n * d), terminated: ep.terminated,
  };
  for (let i = 0; i < ep.n; i++) {
    rows.states.set(z(ep.prev[i]!), i * d);
    rows.states.set(z(ep.cur[i]!), i * d + L);
    // Transition i - 1 led here unless this one starts an episode (its previous frame is its current one).
    if (i > 0 && ep.prev[i] !== ep.cur[i]) writeActionFeatures(ep.action, ep.actions, i - 1, rows.states, i * d + f);
    rows.nextStates.set(z(ep.cur[i]!), i * d);
    rows.nextStates.set(z(ep.next[i]!), i * d + L);
    writeActionFeatures(ep.action, ep.actions, i, rows.nextStates, i * d + f);
  }
  const starts = new Float32Array(ep.resets.length * d);
  ep.resets.forEach((frame, k) => {
    starts.set(z(frame), k * d);
    starts.set(z(frame), k * d + L);
  });
  return { rows, starts, startCount: ep.resets.length, latents };
}
