/**
 * Small binary images for the model zoo, drawn from the environments' own scenes: random play of a built-in
 * env through `PixelObservation` (grayscale), thresholded to {0, 1} (1 = ink, darker than the white background),
 * and PNG pictures of such frames (or of a model's samples) to look at.
 *
 * At 28x28 Gymnasium's 600x400 CartPole frame shrinks ~21x: the cart is ~2x1 pixels and the 10-pixel pole half
 * a pixel wide, which antialiasing draws in gray 200-220. The default threshold (240) keeps every drawn shape
 * and drops only the faintest edges (and CartPole's one-pixel track line, which lands at ~248).
 */
import { createCanvas } from '@napi-rs/canvas';
import { InvalidConfig, describeValue } from '../core/errors.js';
import { writeFileAtomic } from '../core/node/files.js';
import { Rng } from '../core/rng.js';
import { sample } from '../core/spaces.js';
import { make } from '../envs/index.js';
import { PixelObservation } from './pixel-observation.js';

/** Options of `binaryFrames`. */
export interface BinaryFramesOptions {
  /** Frame width in pixels (default 28). */
  width?: number;
  /** Frame height in pixels (default 28). */
  height?: number;
  /** Seeds the env's resets and the random actions (default 0). */
  seed?: number;
  /** A pixel is 1 when its luminance (0-255, BT.601) is below this (default 240), else 0. */
  threshold?: number;
  /** Keep every `stride`-th step's frame (default 1), so that kept frames are less alike. */
  stride?: number;
}

function checkInt(v: unknown, what: string, min: number): number {
  if (!(Number.isInteger(v) && (v as number) >= min)) throw new InvalidConfig(`Expected ${what} to be an integer >= ${min}, got ${describeValue(v)}.`);
  return v as number;
}

/**
 * n binary frames (n x height*width, row-major, top row first, values 0 or 1) of uniformly random play of the
 * built-in env `envId` (any env with `scene()`, e.g. 'CartPole-v1', 'Acrobot-v1'), resetting when an episode
 * ends. The reset frame of each episode is kept too. Async: it yields to the event loop every 256 frames, as
 * PixelObservation's native readback buffers are freed only then.
 */
export async function binaryFrames(envId: string, n: number, options: BinaryFramesOptions = {}): Promise<Float32Array> {
  checkInt(n, 'n', 1);
  const width = checkInt(options.width ?? 28, 'width', 1);
  const height = checkInt(options.height ?? 28, 'height', 1);
  const stride = checkInt(options.stride ?? 1, 'stride', 1);
  const threshold = options.threshold ?? 240;
  if (!(Number.isFinite(threshold) && threshold > 0 && threshold <= 256)) {
    throw new InvalidConfig(`Expected threshold to be a luminance in (0, 256], got ${describeValue(threshold)}.`);
  }
  const rng = new Rng(options.seed ?? 0);
  const env = new PixelObservation(make(envId), { width, height, grayscale: true });
  const size = width * height;
  const out = new Float32Array(n * size);
  try {
    const keep = (frame: Uint8Array, i: number): void => {
      for (let p = 0; p < size; p++) out[i * size + p] = frame[p]! < threshold ? 1 : 0;
    };
    let { obs } = env.reset({ seed: rng.int(0x7fffffff) });
    let kept = 0;
    let step = 0;
    keep(obs, kept++);
    while (kept < n) {
      const r = env.step(sample(env.actionSpace, rng));
      step++;
      if (r.terminated || r.truncated) {
        ({ obs } = env.reset({ seed: rng.int(0x7fffffff) }));
        step = 0;
        keep(obs, kept++);
      } else if (step % stride === 0) {
        keep(r.obs, kept++);
      }
      if (kept % 256 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    env.close();
  }
  return out;
}

/** Options of `writePng`. */
export interface PngOptions {
  /** Frames per row of the grid (default: ceil(sqrt(count))). */
  cols?: number;
  /** Each pixel drawn as scale x scale (default 4). */
  scale?: number;
}

/**
 * Writes `frames` (k x height*width values in [0, 1], 1 = ink drawn black on white; k >= 1 frames tiled in a
 * grid with a one-pixel gray gap) as a grayscale PNG at `path`, crash-safe (temp file and rename).
 */
export async function writePng(path: string, frames: Float32Array, width: number, height: number, options: PngOptions = {}): Promise<void> {
  checkInt(width, 'width', 1);
  checkInt(height, 'height', 1);
  const size = width * height;
  if (frames.length === 0 || frames.length % size !== 0) {
    throw new InvalidConfig(`Expected k x ${height}x${width} = k x ${size} frame values (k >= 1), got ${frames.length}.`);
  }
  const k = frames.length / size;
  const cols = checkInt(options.cols ?? Math.ceil(Math.sqrt(k)), 'cols', 1);
  const scale = checkInt(options.scale ?? 4, 'scale', 1);
  const rows = Math.ceil(k / cols);
  const tileW = width * scale + 1, tileH = height * scale + 1;
  const W = cols * tileW + 1, H = rows * tileH + 1;
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(W, H);
  img.data.fill(160); // the gap colour (gray), alpha included, overwritten below inside tiles
  for (let p = 3; p < img.data.length; p += 4) img.data[p] = 255;
  for (let f = 0; f < k; f++) {
    const ox = (f % cols) * tileW + 1, oy = Math.floor(f / cols) * tileH + 1;
    for (let y = 0; y < height * scale; y++) {
      for (let x = 0; x < width * scale; x++) {
        const v = frames[f * size + Math.floor(y / scale) * width + Math.floor(x / scale)]!;
        const g = Math.round(255 * (1 - Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0))));
        const o = ((oy + y) * W + ox + x) * 4;
        img.data[o] = g;
        img.data[o + 1] = g;
        img.data[o + 2] = g;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  await writeFileAtomic(path, canvas.encodeSync('png'));
}
