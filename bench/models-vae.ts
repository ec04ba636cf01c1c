/**
 * The VAE's figure on binary frames, for one seed at a time, and a standalone table over seeds:
 *   npm run bench -- models-vae [--seeds 0,1,2,3,4] [--out DIR]
 * `frameResult(data, seed)` is what bench/models.ts can call: a Bernoulli VAE with its defaults (784-256-16 encoder,
 * mirrored decoder) fitted for 20 epochs of batch 64, then the held-out ELBO and importance-weighted bound (K = 100)
 * in nats per image, both lower bounds on log p(x). The standalone run makes 1,500 frames each of CartPole-v1 and
 * Acrobot-v1 random play (render/frames.ts, every 3rd step), holds out 20%, and writes seed 0's samples as PNGs.
 * Prints figures; asserts nothing.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { splitIndices, takeRows } from '../models/data.js';
import { meanAndSpread } from '../models/metrics.js';
import { Vae } from '../models/vae.js';
import { initBackend } from '../nn/backend.js';
import { binaryFrames, writePng } from '../render/frames.js';

/** Held-out frames for `frameResult`: rows of `dim` binary pixels. */
export interface FrameData {
  train: Float32Array;
  nTrain: number;
  test: Float32Array;
  nTest: number;
  /** Pixels per frame (784 for 28x28). */
  dim: number;
}

/** One seed's VAE figures on frames. */
export interface FrameResult {
  /** Mean held-out ELBO, nats per image. */
  elbo: number;
  /** Mean held-out importance-weighted bound (K = 100), nats per image; >= the ELBO up to sampling noise. */
  iw: number;
  /** Wall time of the fit, seconds. */
  seconds: number;
  /** 64 samples' pixel probabilities (64 x dim), for a PNG. */
  samples: Float32Array;
}

/** Epochs and rows per step of the VAE's fit on frames. */
export const VAE_BUDGET = { epochs: 20, batchSize: 64 } as const;

/** Fits a Bernoulli VAE (seeded by `seed`) on data.train and scores data.test. */
export async function frameResult(data: FrameData, seed: number): Promise<FrameResult> {
  const vae = new Vae({ dim: data.dim, likelihood: 'bernoulli', seed });
  const fit = await vae.fit(data.train, data.nTrain, { epochs: VAE_BUDGET.epochs, batchSize: VAE_BUDGET.batchSize });
  const { elbo, iw } = vae.evaluate(data.test, data.nTest);
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  return { elbo: mean(elbo), iw: mean(iw), seconds: fit.seconds, samples: vae.sample(64, undefined, true) };
}

/** CartPole-v1 and Acrobot-v1 frames (`perEnv` each, every `stride`-th step), 20% held out by a seeded split. */
export async function cartpoleAcrobotFrames(perEnv = 1500, stride = 3): Promise<FrameData> {
  const a = await binaryFrames('CartPole-v1', perEnv, { stride, seed: 0 });
  const b = await binaryFrames('Acrobot-v1', perEnv, { stride, seed: 1 });
  const dim = 28 * 28;
  const all = new Float32Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  const { train, test } = splitIndices(2 * perEnv, 0.2, new Rng(0));
  return { train: takeRows(all, dim, train), nTrain: train.length, test: takeRows(all, dim, test), nTest: test.length, dim };
}

/** Prints the ELBO and IW bound per seed and their mean +- sample std, and writes seed 0's samples as a PNG. */
export async function main(args: string[]): Promise<void> {
  await initBackend();
  const i = args.indexOf('--seeds');
  const seeds = i >= 0 && args[i + 1] ? args[i + 1]!.split(',').map(Number) : [0, 1, 2, 3, 4];
  const o = args.indexOf('--out');
  const out = o >= 0 && args[o + 1] ? args[o + 1]! : await mkdtemp(join(tmpdir(), 'rxgym-vae-'));
  const data = await cartpoleAcrobotFrames();
  await writePng(join(out, 'frames-data.png'), data.test.subarray(0, 64 * data.dim), 28, 28);
  const rows: FrameResult[] = [];
  for (const seed of seeds) {
    const r = await frameResult(data, seed);
    rows.push(r);
    console.log(`frames seed ${seed}: ELBO ${r.elbo.toFixed(2)}, IW bound (K 100) ${r.iw.toFixed(2)} nats per image, ${r.seconds.toFixed(1)} s`);
    if (seed === seeds[0]) await writePng(join(out, 'frames-vae.png'), r.samples, 28, 28);
  }
  const f = (xs: number[]) => {
    const s = meanAndSpread(xs);
    return `${s.mean.toFixed(2)} +- ${s.std.toFixed(2)}`;
  };
  console.log(`frames.elbo.vae (${seeds.length} seeds, ${data.nTest} held-out images): ELBO ${f(rows.map((r) => r.elbo))}, IW bound ${f(rows.map((r) => r.iw))} nats per image; seconds per fit ${f(rows.map((r) => r.seconds))}`);
  console.log(`samples: ${join(out, 'frames-vae.png')}`);
}
