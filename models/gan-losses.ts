/**
 * The GAN's losses as pure functions of the discriminator's outputs on `rows` (packed) rows. Each returns the mean
 * loss over those rows (nats for the cross-entropies) and writes d loss / d output (rows values) into `grad`, which
 * gan.ts passes to the network's backward:
 *   D on real rows:           mean softplus(l) - y l   (-y log sigmoid l - (1 - y) log(1 - sigmoid l); y = realLabel)
 *   D on fakes:               mean softplus(l)         (-log(1 - sigmoid l): fakes keep label 0, so the smoothing is one-sided)
 *   G, non-saturating:        mean softplus(-l)        (-log sigmoid l: its gradient stays near -1 where D rejects the fake)
 *   Wasserstein critic:       sign x mean C            (sign -1 on real rows, +1 on fakes; the generator's is -mean C(G(z)))
 * and PacGAN's packing: m consecutive samples form one row of D's input, so a batch must be a multiple of m.
 */
import { sigmoid, softplus } from './density-layers.js';

/** D's loss on real rows with target `realLabel` y (one-sided label smoothing): mean_i softplus(l_i) - y l_i; grad (sigmoid(l_i) - y) / rows. */
export function discriminatorRealLoss(logits: Float32Array, rows: number, realLabel: number, grad: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const l = logits[i]!;
    sum += softplus(l) - realLabel * l;
    grad[i] = (sigmoid(l) - realLabel) / rows;
  }
  return sum / rows;
}

/** D's loss on fake rows (label 0): mean_i softplus(l_i) = -log(1 - sigmoid l_i); grad sigmoid(l_i) / rows. */
export function discriminatorFakeLoss(logits: Float32Array, rows: number, grad: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const l = logits[i]!;
    sum += softplus(l);
    grad[i] = sigmoid(l) / rows;
  }
  return sum / rows;
}

/** G's non-saturating loss on D's logits of fakes: mean_i softplus(-l_i) = -log sigmoid l_i; grad (sigmoid(l_i) - 1) / rows. */
export function nonSaturatingGeneratorLoss(logits: Float32Array, rows: number, grad: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const l = logits[i]!;
    sum += softplus(-l);
    grad[i] = (sigmoid(l) - 1) / rows;
  }
  return sum / rows;
}

/** A Wasserstein loss term sign x mean_i C_i of critic values; grad sign / rows (sign -1: real rows and the generator, +1: fakes). */
export function wassersteinLoss(values: Float32Array, rows: number, sign: 1 | -1, grad: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    sum += values[i]!;
    grad[i] = sign / rows;
  }
  return (sign * sum) / rows;
}

/** Samples per training step: min(batchSize, n) cut down to a multiple of `pack`, and at least one packed row (pack samples). */
export function packedBatch(batchSize: number, n: number, pack: number): number {
  return Math.max(pack, Math.floor(Math.min(batchSize, n) / pack) * pack);
}

/**
 * WGAN-GP's interpolates: row i of `out` (rows x width, width = pack x dim) is t_i real_i + (1 - t_i) fake_i, a
 * point on the line between a real and a fake packed row.
 */
export function interpolate(real: Float32Array, fake: Float32Array, t: Float64Array, rows: number, width: number, out: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    const ti = t[i]!;
    for (let j = 0; j < width; j++) out[i * width + j] = ti * real[i * width + j]! + (1 - ti) * fake[i * width + j]!;
  }
}

/**
 * The decay of the generator's weight average after `steps` earlier generator steps: TensorFlow's
 * ExponentialMovingAverage warm-up min(emaDecay, (1 + t) / (10 + t)), so that a short fit is not dragged towards
 * the initial weights.
 */
export function averageDecay(emaDecay: number, steps: number): number {
  return Math.min(emaDecay, (1 + steps) / (10 + steps));
}
