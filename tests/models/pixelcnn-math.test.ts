// The gated PixelCNN's masked likelihood against definitions: probabilities that sum to 1 over every binary image
// (only possible when no pixel sees itself or a later one), the log-probability from the logits, and `gradient`
// against finite differences. `npm run mutate` runs this file against pixelcnn.ts's likelihood and gradient.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { PixelCNN } from '../../models/pixelcnn.js';

/** A 3 x 3 PixelCNN fitted one epoch (so it may be scored), its weights then moved at random. */
async function model(seed: number): Promise<PixelCNN> {
  const pixel = new PixelCNN({ height: 3, width: 3, seed, channels: 4, layers: 2 });
  const rng = new Rng(seed);
  await pixel.fit(Float32Array.from({ length: 16 * 9 }, () => (rng.float() < 0.4 ? 1 : 0)), 16, { epochs: 1, batchSize: 8 });
  for (let i = 0; i < pixel.net.params.length; i++) pixel.net.params[i] = pixel.net.params[i]! + rng.normal(0, 0.3);
  pixel.net.paramsChanged();
  return pixel;
}

describe('PixelCNN: the masked likelihood', () => {
  it('p(x) sums to 1 over all 512 binary 3 x 3 images (chunks of 32 rows included)', async () => {
    const pixel = await model(1);
    const all = Float32Array.from({ length: 512 * 9 }, (_, k) => (Math.floor(k / 9) >> (k % 9)) & 1);
    const lp = pixel.logProb(all, 512);
    expect(lp.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 4);
    expect(new Set(Array.from(lp)).size).toBeGreaterThan(100);
  });

  it('scores any number of rows in chunks of 32, writing n values and nothing past them', async () => {
    const pixel = await model(4);
    const rng = new Rng(5);
    const x = Float32Array.from({ length: 40 * 9 }, () => (rng.float() < 0.5 ? 1 : 0));
    const out = new Float32Array(41).fill(7);
    pixel.logProb(x, 40, out);
    for (let i = 0; i < 40; i++) expect(out[i]).toBeCloseTo(pixel.logProb(x.subarray(i * 9, i * 9 + 9), 1)[0]!, 5);
    expect(out[40]).toBe(7);
  });

  it('names x and asks for binary pixels, and refuses to score before fit', async () => {
    const pixel = await model(6);
    const half = new Float32Array(9).fill(0.5);
    expect(() => pixel.logProb(half, 1)).toThrow(/Expected x .*binary/);
    expect(() => pixel.gradient(half, 1)).toThrow(/Expected x .*binary/);
    expect(() => new PixelCNN({ height: 3, width: 3, seed: 0 }).logProb(new Float32Array(9), 1)).toThrow(
      'Expected a fitted PixelCNN before logProb(), got an untrained one: call fit() or PixelCNN.load() first.',
    );
  });

  it('log p(x) = sum over pixels of x l - softplus(l) from the logits', async () => {
    const pixel = await model(2);
    const x = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1]);
    const l = pixel.net.predict(x, 2);
    const lp = pixel.logProb(x, 2);
    for (let i = 0; i < 2; i++) {
      let want = 0;
      for (let p = 0; p < 9; p++) want += x[i * 9 + p]! * l[i * 9 + p]! - Math.log1p(Math.exp(l[i * 9 + p]!));
      expect(lp[i]).toBeCloseTo(want, 4);
    }
  });

  it('gradient returns the mean NLL and its parameter gradient (finite differences)', async () => {
    const pixel = await model(3);
    const x = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1]);
    const nll = () => -pixel.logProb(x, 2).reduce((s, v) => s + v, 0) / 2;
    expect(pixel.gradient(x, 2)).toBeCloseTo(nll(), 4);
    const analytic = pixel.net.grads.slice();
    const net = pixel.net;
    let checked = 0;
    for (let k = 0; k < net.params.length; k += 7) {
      const v = net.params[k]!;
      const h = 2e-3;
      net.params[k] = v + h;
      net.paramsChanged();
      const up = nll();
      net.params[k] = v - h;
      net.paramsChanged();
      const down = nll();
      net.params[k] = v;
      net.paramsChanged();
      expect(analytic[k]! - (up - down) / (2 * h), `param ${k}`).toBeCloseTo(0, 2);
      if (analytic[k] !== 0) checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});
