// MADE's masks and likelihoods against definitions: the mask entries by degree, outputs that never see their own
// or later inputs, Bernoulli log-probabilities that sum to 1 over every binary row, a Gaussian-mixture density that
// integrates to 1, and `gradient` against finite differences. `npm run mutate` runs this file against made.ts.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { MADE, madeMask } from '../../models/made.js';
import { createNet } from '../../nn/net.js';

/** Every binary row of `dim` values, row s holding the bits of s. */
function allBinary(dim: number): Float32Array {
  return Float32Array.from({ length: 2 ** dim * dim }, (_, k) => (Math.floor(k / dim) >> (k % dim)) & 1);
}

/** A MADE fitted one epoch (so it may be scored), its unmasked weights then moved at random so that no output is trivial. */
async function model(output: 'bernoulli' | 'gaussianMixture', dim: number, seed: number): Promise<MADE> {
  const made = new MADE({ dim, seed, output, components: 3, hidden: [12, 12] });
  const rng = new Rng(seed);
  const data = output === 'bernoulli'
    ? Float32Array.from({ length: 32 * dim }, () => (rng.float() < 0.3 ? 1 : 0))
    : Float32Array.from({ length: 32 * dim }, () => 2 + 3 * rng.normal());
  await made.fit(data, 32, { epochs: 1, batchSize: 16 });
  // Moved only where the mask allows a weight, as training would.
  const mask = madeMask(made.net, dim, [12, 12], made.perDim);
  for (let i = 0; i < made.net.params.length; i++) made.net.params[i] = (made.net.params[i]! + rng.normal(0, 0.3)) * mask[i]!;
  made.net.paramsChanged();
  return made;
}

describe('madeMask', () => {
  it('lets hidden units see inputs of degree up to their own and outputs only units of lower degree', () => {
    // dim 3, one hidden layer of 4 (degrees 1, 2, 1, 2), 2 outputs per dimension (degrees 1, 1, 2, 2, 3, 3).
    const net = createNet({ input: 3, layers: [{ kind: 'dense', units: 4, activation: 'relu' }, { kind: 'dense', units: 6 }], seed: 0 }, { engine: 'plain' });
    const mask = madeMask(net, 3, [4], 2);
    const [k0, b0, k1, b1] = net.paramShapes();
    expect(Array.from(mask.subarray(k0!.offset, k0!.offset + k0!.size))).toEqual([1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0]);
    expect(Array.from(mask.subarray(k1!.offset, k1!.offset + k1!.size))).toEqual([
      0, 0, 1, 1, 1, 1,
      0, 0, 0, 0, 1, 1,
      0, 0, 1, 1, 1, 1,
      0, 0, 0, 0, 1, 1,
    ]);
    expect(Array.from(mask.subarray(b0!.offset, b0!.offset + b0!.size)).every((v) => v === 1)).toBe(true);
    expect(Array.from(mask.subarray(b1!.offset, b1!.offset + b1!.size)).every((v) => v === 1)).toBe(true);
    expect(mask.length).toBe(net.params.length);
  });

  it('makes every output of dimension d independent of inputs d and later, and not of all earlier ones', async () => {
    const made = await model('gaussianMixture', 4, 1);
    const x = Float32Array.from([0.3, -1, 2, 0.5]);
    const base = made.net.predict(x, 1).slice();
    const P = made.perDim;
    for (let j = 0; j < 4; j++) {
      const moved = x.slice();
      moved[j] = moved[j]! + 1.5;
      const out = made.net.predict(moved, 1);
      for (let d = 0; d < 4; d++) {
        const changed = Array.from({ length: P }, (_, p) => out[d * P + p] !== base[d * P + p]).some(Boolean);
        if (d <= j) expect(changed, `output ${d}, input ${j}`).toBe(false);
      }
    }
    // The last dimension sees the first.
    const moved = x.slice();
    moved[0] = 3;
    const out = made.net.predict(moved, 1);
    expect(Array.from({ length: P }, (_, p) => out[3 * P + p] !== base[3 * P + p]).some(Boolean)).toBe(true);
  });
});

describe('MADE likelihoods', () => {
  it('Bernoulli: p(x) sums to 1 over the 2^5 binary rows', async () => {
    const made = await model('bernoulli', 5, 2);
    const lp = made.logProb(allBinary(5), 32);
    expect(lp.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 5);
  });

  it('standardises by the training data: the density sits where the data are, not at minus their mean', async () => {
    const made = new MADE({ dim: 2, seed: 0, output: 'gaussianMixture', components: 3, hidden: [12, 12] });
    const rng = new Rng(9);
    await made.fit(Float32Array.from({ length: 64 * 2 }, () => 50 + rng.normal()), 64, { epochs: 2, batchSize: 32 });
    const lp = made.logProb(Float32Array.from([50, 50, -50, -50]), 2);
    expect(lp[0]! - lp[1]!).toBeGreaterThan(100);
  });

  it('scores rows in chunks of 256, writing n values and nothing past them; names x and the call before fit', async () => {
    const made = await model('bernoulli', 3, 7);
    const rng = new Rng(8);
    const x = Float32Array.from({ length: 300 * 3 }, () => (rng.float() < 0.5 ? 1 : 0));
    const out = new Float32Array(301).fill(7);
    made.logProb(x, 300, out);
    for (const i of [0, 255, 256, 299]) expect(out[i]).toBeCloseTo(made.logProb(x.subarray(i * 3, i * 3 + 3), 1)[0]!, 5);
    expect(out[300]).toBe(7);
    expect(() => made.logProb(Float32Array.from([0, 0.5, 1]), 1)).toThrow(/Expected x .*binary/);
    expect(() => made.gradient(Float32Array.from([0, 0.5, 1]), 1)).toThrow(/Expected x .*binary/);
    expect(() => new MADE({ dim: 3, seed: 0, output: 'bernoulli' }).logProb(new Float32Array(3), 1)).toThrow(
      'Expected a fitted MADE before logProb(), got an untrained one: call fit() or MADE.load() first.',
    );
  });

  it('Bernoulli: log p(x) = sum_d x_d l_d - softplus(l_d) from the logits', async () => {
    const made = await model('bernoulli', 3, 3);
    const x = Float32Array.from([1, 0, 1]);
    const l = made.net.predict(x, 1);
    const want = [0, 1, 2].reduce((s, d) => s + x[d]! * l[d]! - Math.log1p(Math.exp(l[d]!)), 0);
    expect(made.logProb(x, 1)[0]).toBeCloseTo(want, 5);
  });

  it('Gaussian mixture: the density integrates to 1 over the plane (the standardisation\'s log-determinant included)', async () => {
    const made = await model('gaussianMixture', 2, 4);
    const step = 0.15;
    const pts: number[] = [];
    for (let a = -14; a <= 18; a += step) for (let b = -14; b <= 18; b += step) pts.push(a, b);
    const lp = made.logProb(Float32Array.from(pts), pts.length / 2);
    expect(lp.reduce((s, v) => s + Math.exp(v), 0) * step * step).toBeCloseTo(1, 2);
  });

  for (const output of ['bernoulli', 'gaussianMixture'] as const) {
    it(`${output}: gradient returns the mean NLL and its parameter gradient (finite differences)`, async () => {
      const made = await model(output, 3, 5);
      const x = output === 'bernoulli' ? Float32Array.from([1, 0, 1, 0, 1, 1, 0, 0, 1]) : Float32Array.from([2.5, -1, 4, 0, 3, 1.5, 6, 2, -2]);
      const nll = () => -made.logProb(x, 3).reduce((s, v) => s + v, 0) / 3;
      expect(made.gradient(x, 3)).toBeCloseTo(nll(), 4);
      const analytic = made.net.grads.slice();
      const net = made.net;
      let checked = 0;
      const central = (k: number, h: number): number => {
        const v = net.params[k]!;
        net.params[k] = v + h;
        net.paramsChanged();
        const up = nll();
        net.params[k] = v - h;
        net.paramsChanged();
        const down = nll();
        net.params[k] = v;
        net.paramsChanged();
        return (up - down) / (2 * h);
      };
      for (let k = 0; k < net.params.length; k += 5) {
        const fd = central(k, 2e-3);
        // A relu kink inside the step makes the difference quotient depend on the step: skip that parameter.
        if (Math.abs(fd - central(k, 1e-3)) > 2e-3) continue;
        expect(analytic[k]! - fd, `param ${k}`).toBeCloseTo(0, 2);
        if (analytic[k] !== 0) checked++;
      }
      expect(checked).toBeGreaterThan(10);
    });
  }

  it('Gaussian mixture: a log-std past its clip passes no gradient', async () => {
    const made = await model('gaussianMixture', 2, 6);
    // The last layer's bias: per dimension [3 logits, 3 means, 3 log-stds]; push dimension 1's log-stds to +-20.
    const bias = made.net.paramShapes().at(-1)!;
    const P = made.perDim;
    made.net.params[bias.offset + P + 6] = 20;
    made.net.params[bias.offset + P + 7] = -20;
    made.net.paramsChanged();
    made.gradient(Float32Array.from([2, 1]), 1);
    expect(made.net.grads[bias.offset + P + 6]).toBe(0);
    expect(made.net.grads[bias.offset + P + 7]).toBe(0);
    expect(made.net.grads[bias.offset + P + 8]).not.toBe(0);
  });

  for (const raw of [-20, -7, 3, 20]) {
    it(`Gaussian mixture: a log-std output of ${raw} (at or past its clip to [-7, 3]) passes no gradient where its component explains the point`, async () => {
      const made = await model('gaussianMixture', 2, 6);
      const { mean, std } = made as unknown as { mean: Float64Array; std: Float64Array };
      const kernel = made.net.paramShapes().at(-2)!;
      const bias = made.net.paramShapes().at(-1)!;
      const P = made.perDim;
      const K = 3;
      // Dimension 1, component 0: its mean and log-std outputs are their biases alone (kernel columns zeroed), the
      // mean half a clipped std from the point, so that its responsibility is far from 0.
      const [mu, ls] = [P + K, P + 2 * K];
      for (let h = 0; h < 12; h++) made.net.params[kernel.offset + h * 2 * P + mu] = made.net.params[kernel.offset + h * 2 * P + ls] = 0;
      const u1 = (1 - mean[1]!) / std[1]!;
      made.net.params[bias.offset + mu] = u1 - 0.5 * Math.exp(Math.min(3, Math.max(-7, raw)));
      made.net.params[bias.offset + ls] = raw;
      made.net.paramsChanged();
      made.gradient(Float32Array.from([2, 1]), 1);
      expect(made.net.grads[bias.offset + ls]).toBe(0);
      expect(made.net.grads[bias.offset + mu]).not.toBe(0);
    });
  }

  it('scores a whole chunk of 256 rows, and 300 rows in two chunks, as row by row', async () => {
    for (const output of ['bernoulli', 'gaussianMixture'] as const) {
      const made = await model(output, 2, 7);
      const rng = new Rng(8);
      const x = Float32Array.from({ length: 300 * 2 }, () => (output === 'bernoulli' ? (rng.float() < 0.5 ? 1 : 0) : rng.normal(2, 3)));
      for (const n of [256, 300]) {
        const out = new Float32Array(n + 1).fill(7);
        made.logProb(x, n, out);
        for (const i of [0, 255, n - 1]) expect(out[i]).toBeCloseTo(made.logProb(x.subarray(2 * i, 2 * i + 2), 1)[0]!, 5);
        expect(out[n]).toBe(7);
      }
    }
  });
});
