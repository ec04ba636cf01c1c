// The GAN's losses against their definitions, through one training step replayed from the model's own draws:
// the discriminator's reported loss (non-saturating with label smoothing, or the critic's with the gradient
// penalty), both networks' first Adam step (-lr sign(gradient) per parameter) and the gradient it took (Adam's
// first moment) against finite differences of the written-out loss, the weight average's warm-up, and WGAN-GP's
// penalty against input gradients from the plain engine. `npm run mutate` runs this file against gan.ts's two steps
// and gan-penalty.ts.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { Gan } from '../../models/gan.js';
import { gradientPenalty } from '../../models/gan-penalty.js';
import type { Net, Optimizer } from '../../nn/types.js';

const softplus = (u: number): number => Math.log1p(Math.exp(u));
const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/** lambda mean_i (||grad_x C(x_i)|| - 1)^2, the input gradients from the plain engine's backward. */
function penaltyByHand(critic: Net, x: Float32Array, rows: number, lambda: number): number {
  critic.forward(x, rows);
  const dIn = new Float32Array(rows * critic.inputSize);
  critic.backward(new Float32Array(rows).fill(1), rows, dIn);
  critic.zeroGrad();
  let s = 0;
  for (let i = 0; i < rows; i++) {
    let sq = 0;
    for (let j = 0; j < critic.inputSize; j++) sq += dIn[i * critic.inputSize + j]! ** 2;
    s += (Math.sqrt(sq) - 1) ** 2;
  }
  return (lambda * s) / rows;
}

/** Central differences of `loss` in each parameter of `net` (every `stride`-th). */
function numericGrad(net: Net, loss: () => number, stride = 1, h = 1e-3): Map<number, number> {
  const g = new Map<number, number>();
  for (let k = 0; k < net.params.length; k += stride) {
    const v = net.params[k]!;
    net.params[k] = v + h;
    net.paramsChanged();
    const up = loss();
    net.params[k] = v - h;
    net.paramsChanged();
    const down = loss();
    net.params[k] = v;
    net.paramsChanged();
    g.set(k, (up - down) / (2 * h));
  }
  return g;
}

/** Adam's first step moves each parameter by -lr g / (|g| + eps): check the sign where the gradient is clear. */
function expectFirstAdamStep(before: Float32Array, after: Float32Array, grad: Map<number, number>, lr: number): void {
  let clear = 0;
  for (const [k, g] of grad) {
    if (Math.abs(g) < 1e-3) continue;
    clear++;
    expect((after[k]! - before[k]!) / lr, `param ${k}: gradient ${g}`).toBeCloseTo(-Math.sign(g), 2);
  }
  expect(clear).toBeGreaterThan(8);
}

/**
 * The gradient of the first Adam step of `which` network (Adam's first moment is (1 - beta1) g after one step, beta1
 * 0.5): checked against finite differences of the written-out loss, magnitudes included, where signs alone (the
 * step) cannot tell one loss from another whose gradients point the same way.
 */
function expectFirstGradient(gan: Gan, which: 'optG' | 'optD', grad: Map<number, number>): void {
  const opt = (gan as unknown as Record<'optG' | 'optD', Optimizer>)[which];
  const m = opt.getState().slots.find((s) => s.name === '0/m')!.data;
  let clear = 0;
  for (const [k, g] of grad) {
    expect(m[k]! / 0.5 - g, `param ${k}: gradient ${g}`).toBeCloseTo(0, 3);
    if (Math.abs(g) > 1e-3) clear++;
  }
  expect(clear).toBeGreaterThan(8);
}

const n = 8;
const data = Float32Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? 1 : -1) * (1 + 0.1 * k));

/** The model's draws replayed: the constructor's two seeds, fit's first shuffle of the n rows. */
function replay(seed: number): { rng: Rng; order: number[] } {
  const rng = new Rng(seed);
  rng.int(2 ** 31);
  rng.int(2 ** 31);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return { rng, order };
}

describe('Gan: one non-saturating step', () => {
  const lr = 1e-3;
  const latent = 2;

  for (const emaDecay of [0.999, 0.05]) {
    it(`D's loss, both networks' first steps and the average (realLabel 0.8, emaDecay ${emaDecay})`, async () => {
      const gan = new Gan({ dim: 2, latent, generatorHidden: [6], discriminatorHidden: [6], realLabel: 0.8, learningRate: lr, emaDecay, seed: 3 });
      const G0 = gan.generator.clone();
      const D0 = gan.discriminator.clone();
      const report = await gan.fit(data, n, { epochs: 1, batchSize: n });
      const { rng, order } = replay(3);
      const real = Float32Array.from(order.flatMap((r) => [data[2 * r]!, data[2 * r + 1]!]));
      const z1 = Float32Array.from({ length: n * latent }, () => rng.normal());
      const z2 = Float32Array.from({ length: n * latent }, () => rng.normal());
      const fake = G0.predict(z1, n).slice();
      const dLoss = () => {
        const lr0 = D0.predict(real, n);
        const a = mean(Array.from(lr0, (l) => softplus(l) - 0.8 * l));
        const lf = D0.predict(fake, n);
        return a + mean(Array.from(lf, (l) => softplus(l)));
      };
      expect(report.losses[0]).toBeCloseTo(dLoss(), 5);
      const d0 = D0.params.slice();
      const dGrad = numericGrad(D0, dLoss);
      expectFirstAdamStep(d0, gan.discriminator.params, dGrad, lr);
      expectFirstGradient(gan, 'optD', dGrad);
      // G's step: -log sigmoid D1(G(z2)) = softplus(-D1(G(z2))), through the updated discriminator.
      const D1 = gan.discriminator.clone();
      const gLoss = () => mean(Array.from(D1.predict(G0.predict(z2, n), n), (l) => softplus(-l)));
      const g0 = G0.params.slice();
      const gGrad = numericGrad(G0, gLoss);
      expectFirstAdamStep(g0, gan.generator.params, gGrad, lr);
      expectFirstGradient(gan, 'optG', gGrad);
      // The average: TensorFlow's warm-up decay min(emaDecay, (1 + t) / (10 + t)) at t = 0.
      const decay = Math.min(emaDecay, 0.1);
      for (let k = 0; k < g0.length; k++) expect(gan.average.params[k]).toBeCloseTo(decay * g0[k]! + (1 - decay) * gan.generator.params[k]!, 6);
      // One more epoch: t = 1.
      const avg1 = gan.average.params.slice();
      await gan.fit(data, n, { epochs: 1, batchSize: n });
      const decay2 = Math.min(emaDecay, 2 / 11);
      for (let k = 0; k < g0.length; k++) expect(gan.average.params[k]).toBeCloseTo(decay2 * avg1[k]! + (1 - decay2) * gan.generator.params[k]!, 6);
    });
  }

  it('PacGAN2: the discriminator judges consecutive pairs of samples as one row', async () => {
    const gan = new Gan({ dim: 2, latent, pack: 2, generatorHidden: [6], discriminatorHidden: [6], learningRate: lr, seed: 4 });
    expect(gan.discriminator.inputSize).toBe(4);
    const G0 = gan.generator.clone();
    const D0 = gan.discriminator.clone();
    const report = await gan.fit(data, n, { epochs: 1, batchSize: n });
    const { rng, order } = replay(4);
    const real = Float32Array.from(order.flatMap((r) => [data[2 * r]!, data[2 * r + 1]!]));
    const fake = G0.predict(Float32Array.from({ length: n * latent }, () => rng.normal()), n).slice();
    const a = mean(Array.from(D0.predict(real, n / 2), (l) => softplus(l) - 0.9 * l));
    expect(report.losses[0]).toBeCloseTo(a + mean(Array.from(D0.predict(fake, n / 2), (l) => softplus(l))), 5);
  });
});

describe('Gan: one WGAN-GP step', () => {
  it("the critic's loss mean C(fake) - mean C(real) + the penalty at interpolates, and both first steps", async () => {
    const lr = 1e-3;
    const latent = 2;
    const gan = new Gan({ dim: 2, latent, loss: 'wgan-gp', generatorHidden: [6], discriminatorHidden: [5], discriminatorSteps: 1, gradientPenalty: 3, learningRate: lr, seed: 5 });
    const G0 = gan.generator.clone();
    const C0 = gan.discriminator.clone();
    const report = await gan.fit(data, n, { epochs: 1, batchSize: n });
    const { rng, order } = replay(5);
    const real = Float32Array.from(order.flatMap((r) => [data[2 * r]!, data[2 * r + 1]!]));
    const fake = G0.predict(Float32Array.from({ length: n * latent }, () => rng.normal()), n).slice();
    const hat = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const t = rng.float();
      for (let j = 0; j < 2; j++) hat[i * 2 + j] = t * real[i * 2 + j]! + (1 - t) * fake[i * 2 + j]!;
    }
    const z2 = Float32Array.from({ length: n * latent }, () => rng.normal());
    const cLoss = () => mean(C0.predict(fake, n)) - mean(C0.predict(real, n)) + penaltyByHand(C0, hat, n, 3);
    expect(report.losses[0]).toBeCloseTo(cLoss(), 4);
    const cGrad = numericGrad(C0, cLoss);
    expectFirstAdamStep(C0.params.slice(), gan.discriminator.params, cGrad, lr);
    expectFirstGradient(gan, 'optD', cGrad);
    const C1 = gan.discriminator.clone();
    const gLoss = () => -mean(C1.predict(G0.predict(z2, n), n));
    const gGrad = numericGrad(G0, gLoss);
    expectFirstAdamStep(G0.params.slice(), gan.generator.params, gGrad, lr);
    expectFirstGradient(gan, 'optG', gGrad);
  });

  it('gradientPenalty: its value from the input gradients, its parameter gradient by finite differences, added to the grads', () => {
    const gan = new Gan({ dim: 3, loss: 'wgan-gp', discriminatorHidden: [4, 3], seed: 6 });
    const critic = gan.discriminator;
    const rng = new Rng(7);
    const x = Float32Array.from({ length: 5 * 3 }, () => rng.normal());
    critic.zeroGrad();
    critic.grads.fill(0.5);
    const value = gradientPenalty(critic, x, 5, 2.5);
    expect(value).toBeCloseTo(penaltyByHand(critic.clone(), x, 5, 2.5), 5);
    const analytic = Array.from(critic.grads, (g) => g - 0.5);
    const probe = critic.clone();
    const numeric = numericGrad(probe, () => penaltyByHand(probe, x, 5, 2.5), 2);
    for (const [k, g] of numeric) expect(analytic[k]! - g, `param ${k}`).toBeCloseTo(0, 2);
    // The output bias shifts C but not its input gradient, so not the penalty (no activation on the output).
    const bias = critic.paramShapes().at(-1)!;
    const shifted = critic.clone();
    for (const b of [-50, 50]) {
      shifted.params[bias.offset] = b;
      shifted.paramsChanged();
      expect(gradientPenalty(shifted, x, 5, 2.5)).toBeCloseTo(value, 5);
    }
    // Only the first `rows` rows count.
    expect(gradientPenalty(critic, x, 2, 2.5)).toBeCloseTo(penaltyByHand(critic.clone(), x.subarray(0, 6), 2, 2.5), 5);
  });
});
