/**
 * Figures of the exact-likelihood models (RealNVP, MADE, gated PixelCNN), one seed per call, for bench/models.ts
 * to aggregate over seeds (mean and spread). Every function trains from scratch and returns test NLLs in nats.
 *
 *   moonsResult(seed, { noise })   two moons standardised by the train set: flow, MADE, one full Gaussian, and the
 *                                  data's exact entropy (the floor no model can beat: 1.83 nats at noise 0.1,
 *                                  1.14 at 0.05), so that a published figure is read against the right noise.
 *   ringFlowResult(seed)           RealNVP on the ring of 8 Gaussians (radius 2, std 0.02) against its exact entropy.
 *   framesResult(data, n, seed)    held-out NLL per image of PixelCNN and MADE on binary frames (n x 784).
 */
import { Rng } from '../core/rng.js';
import { ringOfGaussians, split, twoMoons } from '../models/data.js';
import { RealNVP } from '../models/flow.js';
import { MADE } from '../models/made.js';
import { ringEntropy, singleGaussianNll } from '../models/metrics.js';
import { PixelCNN } from '../models/pixelcnn.js';

const meanOf = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/**
 * The exact differential entropy (nats) of standardised two moons of `noise`: the density is the moons' arc
 * measure convolved with N(0, noise^2 I), integrated over t by the midpoint rule and averaged over `n` draws.
 */
export function moonsEntropy(noise: number, n = 2000, seed = 99): number {
  const raw = twoMoons(n, new Rng(seed), { noise, standardise: false });
  const logDet = twoMoons(100000, new Rng(seed + 1), { noise }).standardisation.logDet;
  const T = 2000;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const x = raw.data[2 * i]!;
    const y = raw.data[2 * i + 1]!;
    let p = 0;
    for (let k = 0; k < T; k++) {
      const t = ((k + 0.5) * Math.PI) / T;
      p += Math.exp(-((x - Math.cos(t)) ** 2 + (y - Math.sin(t)) ** 2) / (2 * noise * noise));
      p += Math.exp(-((x - 1 + Math.cos(t)) ** 2 + (y - 0.5 + Math.sin(t)) ** 2) / (2 * noise * noise));
    }
    h -= Math.log(p / (2 * T) / (2 * Math.PI * noise * noise));
  }
  return h / n - logDet;
}

/** Test NLLs (nats per row) on standardised two moons: 3000 train and 2000 test rows of `noise` (default 0.1). */
export async function moonsResult(seed: number, options: { noise?: number; epochs?: number } = {}): Promise<{
  flow: number; made: number; gaussian: number; seconds: { flow: number; made: number };
}> {
  const noise = options.noise ?? 0.1;
  const epochs = options.epochs ?? 100;
  const rng = new Rng(1000 + seed);
  const train = twoMoons(3000, rng, { noise });
  const test = twoMoons(2000, rng, { noise, standardise: train.standardisation });
  const flow = new RealNVP({ dim: 2, seed });
  const fr = await flow.fit(train.data, train.n, { epochs });
  const made = new MADE({ dim: 2, seed, output: 'gaussianMixture' });
  const mr = await made.fit(train.data, train.n, { epochs });
  return {
    flow: -meanOf(flow.logProb(test.data, test.n)),
    made: -meanOf(made.logProb(test.data, test.n)),
    gaussian: singleGaussianNll(train.data, train.n, test.data, test.n),
    seconds: { flow: fr.seconds, made: mr.seconds },
  };
}

/** RealNVP's test NLL (nats per row) on the ring of 8 Gaussians (4000 train, 2000 test rows) and the exact entropy. */
export async function ringFlowResult(seed: number, options: { epochs?: number } = {}): Promise<{ nll: number; entropy: number; seconds: number }> {
  const rng = new Rng(2000 + seed);
  const train = ringOfGaussians(4000, rng);
  const test = ringOfGaussians(2000, rng);
  const flow = new RealNVP({ dim: 2, seed });
  const r = await flow.fit(train.data, train.n, { epochs: options.epochs ?? 200 });
  return { nll: -meanOf(flow.logProb(test.data, test.n)), entropy: ringEntropy(), seconds: r.seconds };
}

/**
 * Held-out NLL (nats per image) of the gated PixelCNN and of MADE (Bernoulli) on n binary frames of
 * side x side (n x side^2), 20% held out, plus 16 samples of each model (16 x side^2) for PNG grids.
 */
export async function framesResult(data: Float32Array, n: number, seed: number, options: { side?: number; epochs?: number; madeEpochs?: number } = {}): Promise<{
  pixelcnn: number; made: number; seconds: { pixelcnn: number; made: number }; samples: { pixelcnn: Float32Array; made: Float32Array };
}> {
  const side = options.side ?? 28;
  const D = side * side;
  const { train, test, nTrain, nTest } = split(data, n, D, 0.2, new Rng(3000 + seed));
  const pixel = new PixelCNN({ height: side, width: side, seed });
  const pr = await pixel.fit(train, nTrain, { epochs: options.epochs ?? 5, batchSize: 16 });
  const made = new MADE({ dim: D, seed, output: 'bernoulli', hidden: [500] });
  const mr = await made.fit(train, nTrain, { epochs: options.madeEpochs ?? 30, batchSize: 64 });
  return {
    pixelcnn: -meanOf(pixel.logProb(test, nTest)),
    made: -meanOf(made.logProb(test, nTest)),
    seconds: { pixelcnn: pr.seconds, made: mr.seconds },
    samples: { pixelcnn: pixel.sample(16), made: made.sample(16) },
  };
}
