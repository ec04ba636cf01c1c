import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFitted } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { Gan, loadGan } from '../../models/gan.js';
import { gradientPenalty } from '../../models/gan-penalty.js';
import { Vae } from '../../models/vae.js';
import { IncompatibleState } from '../../nn/errors.js';
import { createNet } from '../../nn/net.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** n points from `modes` Gaussians of per-coordinate std `std` evenly on a circle of `radius`, with the centres. */
function ring(n: number, rng: Rng, modes: number, radius: number, std: number): { data: Float32Array; centres: Float32Array } {
  const centres = new Float32Array(modes * 2);
  for (let m = 0; m < modes; m++) [centres[2 * m], centres[2 * m + 1]] = [radius * Math.cos((2 * Math.PI * m) / modes), radius * Math.sin((2 * Math.PI * m) / modes)];
  const data = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const m = rng.int(modes);
    data[2 * i] = centres[2 * m]! + std * rng.normal();
    data[2 * i + 1] = centres[2 * m + 1]! + std * rng.normal();
  }
  return { data, centres };
}

/** Modes with at least `min` samples within 3 std of their centre, and the fraction of samples within 3 std of any. */
function coverage(s: Float32Array, n: number, centres: Float32Array, std: number, min = 5): { modes: number; highQuality: number } {
  const modes = centres.length / 2;
  const counts = new Array<number>(modes).fill(0);
  let hq = 0;
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < modes; m++) {
      if (Math.hypot(s[2 * i]! - centres[2 * m]!, s[2 * i + 1]! - centres[2 * m + 1]!) < 3 * std) {
        counts[m]!++;
        hq++;
        break;
      }
    }
  }
  return { modes: counts.filter((c) => c >= min).length, highQuality: hq / n };
}

describe('Gan learns', () => {
  it('non-saturating GAN with PacGAN2 covers a ring of 4 modes with most samples on them (an untrained generator does not)', async () => {
    const rng = new Rng(11);
    const std = 0.1;
    const { data, centres } = ring(4096, rng, 4, 2, std);
    const gan = new Gan({ dim: 2, pack: 2, generatorHidden: [64, 64], discriminatorHidden: [64, 64], seed: 0 });
    await gan.fit(data, 4096, { epochs: 1, batchSize: 4096 });
    const before = coverage(gan.sample(1000), 1000, centres, std);
    const report = await gan.fit(data, 4096, { epochs: 40, batchSize: 128 });
    const after = coverage(gan.sample(1000), 1000, centres, std);
    expect(before.highQuality).toBeLessThan(0.2);
    expect(after.modes).toBe(4);
    expect(after.highQuality).toBeGreaterThan(0.6);
    expect(report.losses.every(Number.isFinite)).toBe(true);
  });

  it('WGAN-GP moves the generator onto a Gaussian far from its start', async () => {
    const rng = new Rng(12);
    const n = 2048;
    const data = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) [data[2 * i], data[2 * i + 1]] = [3 + 0.2 * rng.normal(), -2 + 0.2 * rng.normal()];
    const gan = new Gan({ dim: 2, loss: 'wgan-gp', generatorHidden: [32], discriminatorHidden: [32, 32], learningRate: 3e-3, discriminatorSteps: 3, seed: 1 });
    expect(gan.engine).toMatch(/gradient penalty on tfjs/);
    await gan.fit(data, n, { epochs: 8, batchSize: 128 });
    const s = gan.sample(500);
    let mx = 0;
    let my = 0;
    for (let i = 0; i < 500; i++) [mx, my] = [mx + s[2 * i]! / 500, my + s[2 * i + 1]! / 500];
    expect(Math.hypot(mx - 3, my + 2)).toBeLessThan(0.5);
  });
});

describe('WGAN-GP penalty', () => {
  it("adds lambda mean (||grad_x C|| - 1)^2's parameter gradient, matching finite differences of the penalty", () => {
    const critic = createNet({ input: 4, layers: [{ kind: 'dense', units: 6, activation: 'relu' }, { kind: 'dense', units: 5, activation: 'relu' }, { kind: 'dense', units: 1 }], seed: 2 }, { engine: 'plain' });
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 12 }, () => rng.normal());
    critic.zeroGrad();
    const value = gradientPenalty(critic, x, 3, 10);
    const analytic = critic.grads.slice();
    // The penalty at the same points computed here from the critic's input gradients (Net.backward's dIn).
    const direct = () => {
      const dIn = new Float32Array(12);
      critic.forward(x, 3);
      critic.backward(new Float32Array([1, 1, 1]), 3, dIn);
      let p = 0;
      for (let i = 0; i < 3; i++) p += (Math.hypot(dIn[4 * i]!, dIn[4 * i + 1]!, dIn[4 * i + 2]!, dIn[4 * i + 3]!) - 1) ** 2 / 3;
      return 10 * p;
    };
    expect(value).toBeCloseTo(direct(), 3);
    let worst = 0;
    for (let k = 0; k < critic.params.length; k++) {
      const v = critic.params[k]!;
      critic.params[k] = v + 3e-3;
      const up = critic.params[k]!;
      critic.paramsChanged();
      const fu = direct();
      critic.params[k] = v - 3e-3;
      const dn = critic.params[k]!;
      critic.paramsChanged();
      const fd = direct();
      critic.params[k] = v;
      critic.paramsChanged();
      const numeric = (fu - fd) / (up - dn);
      worst = Math.max(worst, Math.abs(numeric - analytic[k]!) - 1e-3 * Math.abs(numeric));
    }
    expect(worst).toBeLessThan(1e-3);
    expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(0.1);
    // tfjs's tanh gradient is not differentiable again correctly, so a tanh critic is refused rather than mistrained.
    const tanh = createNet({ input: 2, layers: [{ kind: 'dense', units: 3, activation: 'tanh' }, { kind: 'dense', units: 1 }], seed: 0 }, { engine: 'plain' });
    expect(() => gradientPenalty(tanh, new Float32Array(2), 1, 10)).toThrow(/relu/);
    expect(() => new Gan({ dim: 2, loss: 'wgan-gp', activation: 'tanh' })).toThrow(/relu/);
  });
});

describe('Gan: packing, seeds, saving, errors', () => {
  it('packs m samples per discriminator row, is deterministic for a seed, and resumes exactly after save and load', async () => {
    const { data } = ring(512, new Rng(5), 8, 2, 0.02);
    const make = () => new Gan({ dim: 2, pack: 4, generatorHidden: [16], discriminatorHidden: [16], seed: 7 });
    const a = make();
    const b = make();
    expect(a.discriminator.inputSize).toBe(8);
    await a.fit(data, 512, { epochs: 2, batchSize: 64 });
    await b.fit(data, 512, { epochs: 2, batchSize: 64 });
    expect(b.generator.params).toEqual(a.generator.params);
    const dir = await mkdtemp(join(tmpdir(), 'gan-'));
    dirs.push(dir);
    await a.save(join(dir, 'gan'));
    const c = await loadGan(join(dir, 'gan'));
    await a.fit(data, 512, { epochs: 1, batchSize: 64 });
    await c.fit(data, 512, { epochs: 1, batchSize: 64 });
    expect(c.discriminator.params).toEqual(a.discriminator.params);
    expect(c.sample(5)).toEqual(a.sample(5));

    const vae = new Vae({ dim: 2, latent: 1, hidden: [4], likelihood: 'gaussian' });
    await vae.fit(data, 64, { epochs: 1 });
    await vae.save(join(dir, 'vae'));
    await expect(loadGan(join(dir, 'vae'))).rejects.toThrow(IncompatibleState);
  });

  it('names the expected shape for bad data and bad options, and refuses to sample before fit', async () => {
    const gan = new Gan({ dim: 2, generatorHidden: [4], discriminatorHidden: [4] });
    expect(() => gan.sample(4)).toThrow(NotFitted);
    expect(() => gan.sample(4)).toThrow(/Expected a fitted GAN before sample\(\), got an untrained one: call fit\(\) or loadGan\(\) first/);
    await expect(gan.fit(new Float32Array(5), 3)).rejects.toThrow(/n x dim = 3 x 2 = 6 values/);
    await expect(gan.fit(Float32Array.from([0, Infinity]), 1)).rejects.toThrow(/Infinity at row 0, column 1/);
    expect(() => new Gan({ dim: 2, pack: 0 })).toThrow(/gan.pack/);
    expect(() => new Gan({ dim: 2, realLabel: 0.3 })).toThrow(/realLabel/);
    expect(() => new Gan({ dim: 2, loss: 'hinge' as 'wgan-gp' })).toThrow(/gan.loss/);
  });
});
