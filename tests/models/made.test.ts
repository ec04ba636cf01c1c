import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFitted } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { twoMoons } from '../../models/data.js';
import { MADE } from '../../models/made.js';
import { singleGaussianNll } from '../../models/metrics.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/** dOutput_o / dInput for one row of x, through the net's input gradient. */
function inputGrad(made: MADE, x: Float32Array, o: number): Float32Array {
  made.net.forward(x, 1);
  const dOut = new Float32Array(made.net.outputSize);
  dOut[o] = 1;
  const dIn = new Float32Array(made.dim);
  made.net.backward(dOut, 1, dIn);
  made.net.zeroGrad();
  return dIn;
}

/** Binary chains: x_0 ~ Bern(0.5), x_d = x_{d-1} flipped with probability 0.05. Entropy log 2 + (D - 1) H(0.05). */
function chains(n: number, D: number, rng: Rng): Float32Array {
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    x[i * D] = rng.float() < 0.5 ? 1 : 0;
    for (let d = 1; d < D; d++) x[i * D + d] = rng.float() < 0.05 ? 1 - x[i * D + d - 1]! : x[i * D + d - 1]!;
  }
  return x;
}

describe('MADE', () => {
  it('masked connectivity: an output never depends on its own or a later input (input gradients), before and after training', async () => {
    const D = 6;
    const made = new MADE({ dim: D, seed: 0, output: 'gaussianMixture', components: 2, hidden: [32, 32] });
    const rng = new Rng(1);
    const check = () => {
      const x = new Float32Array(D).map(() => rng.normal());
      for (let o = 0; o < made.net.outputSize; o++) {
        const d = Math.floor(o / made.perDim);
        const g = inputGrad(made, x, o);
        for (let j = d; j < D; j++) expect(g[j], `output ${o} (dim ${d}) on input ${j}`).toBe(0);
        // Not vacuous: the last dimension's outputs do see earlier inputs.
        if (d === D - 1) expect(Array.from(g.subarray(0, d)).some((v) => v !== 0)).toBe(true);
      }
    };
    check();
    const data = new Float32Array(200 * D).map(() => rng.normal());
    await made.fit(data, 200, { epochs: 3 });
    check();
  });

  it('gradient of the mixture NLL matches finite differences of the parameters', () => {
    const made = new MADE({ dim: 3, seed: 2, output: 'gaussianMixture', components: 3, hidden: [16] });
    const rng = new Rng(3);
    const x = new Float32Array(3 * 8).map(() => rng.normal());
    made.gradient(x, 8);
    const grads = made.net.grads.slice();
    const p = made.net.params;
    for (let i = 0; i < p.length; i += 37) {
      const p0 = p[i]!;
      const h = 1e-2;
      p[i] = p0 + h;
      made.net.paramsChanged();
      const up = made.gradient(x, 8);
      p[i] = p0 - h;
      made.net.paramsChanged();
      const down = made.gradient(x, 8);
      p[i] = p0;
      made.net.paramsChanged();
      expect(grads[i]!, `param ${i}`).toBeCloseTo((up - down) / (2 * h), 2);
    }
  });

  it('learns dependent binary data to near its true entropy (far below independent pixels), and its samples follow the chain', async () => {
    const D = 10;
    const rng = new Rng(4);
    const train = chains(2000, D, rng);
    const test = chains(1000, D, rng);
    const made = new MADE({ dim: D, seed: 0, output: 'bernoulli', hidden: [64] });
    await made.fit(train, 2000, { epochs: 40, batchSize: 32 });
    const h = (p: number) => -p * Math.log(p) - (1 - p) * Math.log(1 - p);
    const entropy = Math.log(2) + (D - 1) * h(0.05);
    const nll = -mean(made.logProb(test, 1000));
    expect(nll).toBeLessThan(entropy + 0.3);
    expect(nll).toBeGreaterThan(entropy - 0.1);
    expect(nll).toBeLessThan(D * Math.log(2) - 3);
    const s = made.sample(500);
    let flips = 0;
    for (let i = 0; i < 500; i++) for (let d = 1; d < D; d++) if (s[i * D + d] !== s[i * D + d - 1]) flips++;
    expect(flips / (500 * (D - 1))).toBeCloseTo(0.05, 1);
  });

  it('learns two moons with Gaussian mixtures: test NLL well below a full Gaussian; deterministic; save/load', async () => {
    const rng = new Rng(11);
    const train = twoMoons(2000, rng, { noise: 0.05 });
    const test = twoMoons(1000, rng, { noise: 0.05, standardise: train.standardisation });
    const made = new MADE({ dim: 2, seed: 0, output: 'gaussianMixture' });
    await made.fit(train.data, train.n, { epochs: 30 });
    const nll = -mean(made.logProb(test.data, test.n));
    expect(nll).toBeLessThan(singleGaussianNll(train.data, train.n, test.data, test.n) - 0.8);
    const again = new MADE({ dim: 2, seed: 0, output: 'gaussianMixture' });
    await again.fit(train.data, train.n, { epochs: 30 });
    expect(again.logProb(test.data, 50)).toEqual(made.logProb(test.data, 50));
    const dir = await mkdtemp(join(tmpdir(), 'made-'));
    dirs.push(dir);
    await made.save(join(dir, 'm'));
    const loaded = await MADE.load(join(dir, 'm'));
    expect(loaded.logProb(test.data, 50)).toEqual(made.logProb(test.data, 50));
    expect(loaded.sample(4)).toEqual(made.sample(4));
  });

  it('rejects bad data with errors naming the expected shape', async () => {
    const made = new MADE({ dim: 3, seed: 0, output: 'bernoulli' });
    expect(() => made.logProb(new Float32Array(3), 1)).toThrow(NotFitted);
    expect(() => made.sample(2)).toThrow(/Expected a fitted MADE before sample\(\), got an untrained one: call fit\(\) or MADE.load\(\) first/);
    await expect(made.fit(new Float32Array(5), 2)).rejects.toThrow(/Expected data to be a Float32Array of n x dim = 2 x 3 = 6 values, got Float32Array\(5\)/);
    await expect(made.fit(new Float32Array([0, 1, 0.5]), 1)).rejects.toThrow(/Expected data \(n x dim = 1 x 3\) to hold binary values \(0 or 1\), got 0.5 at row 0, column 2/);
    await expect(made.fit(new Float32Array([0, NaN, 1]), 1)).rejects.toThrow(/binary values \(0 or 1\), got NaN at row 0, column 1/);
    expect(() => new MADE({ dim: 3, seed: 0, output: 'poisson' as 'bernoulli' })).toThrow(/'bernoulli' or 'gaussianMixture'/);
  });
});
