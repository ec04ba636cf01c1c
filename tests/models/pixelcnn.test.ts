import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidConfig, NotFitted } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { PixelCNN } from '../../models/pixelcnn.js';
import { PixelCnnNet } from '../../models/pixelcnn-layers.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/** 8x8 images, each one full vertical bar at a uniform column: entropy log 8 nats per image. */
function bars(n: number, rng: Rng, S = 8): Float32Array {
  const x = new Float32Array(n * S * S);
  for (let i = 0; i < n; i++) {
    const c = rng.int(S);
    for (let y = 0; y < S; y++) x[i * S * S + y * S + c] = 1;
  }
  return x;
}

describe('gated PixelCNN', () => {
  it('causal connectivity: a logit never depends on its own or a later pixel, and sees the pixels above-right (no blind spot)', () => {
    const S = 7;
    const net = new PixelCnnNet({ height: S, width: S, channels: 4, layers: 3, kernel: 3, seed: 1 });
    const rng = new Rng(2);
    const x = new Float32Array(S * S).map(() => (rng.float() < 0.5 ? 1 : 0));
    for (let p = 0; p < S * S; p++) {
      net.forward(x, 1);
      const dOut = new Float32Array(S * S);
      dOut[p] = 1;
      const dIn = new Float32Array(S * S);
      net.backward(dOut, 1, dIn);
      for (let q = p; q < S * S; q++) expect(dIn[q], `logit ${p} on pixel ${q}`).toBe(0);
      const [i, j] = [Math.floor(p / S), p % S];
      // The classic blind spot of a masked PixelCNN is above and to the right; the two stacks cover it.
      if (i > 0 && j < S - 1) expect(dIn[(i - 1) * S + j + 1], `logit ${p} on the pixel above-right`).not.toBe(0);
      if (j > 0) expect(dIn[p - 1], `logit ${p} on the pixel to the left`).not.toBe(0);
      if (i > 0) expect(dIn[p - S], `logit ${p} on the pixel above`).not.toBe(0);
    }
    net.zeroGrad();
  });

  it('a crop holding the receptive field gives the full image\'s logit (what sampling relies on)', () => {
    const S = 10;
    const net = new PixelCnnNet({ height: S, width: S, channels: 4, layers: 4, kernel: 3, seed: 1 });
    const rng = new Rng(2);
    const x = new Float32Array(S * S).map(() => (rng.float() < 0.5 ? 1 : 0));
    const full = net.predict(x, 1);
    const { up, side } = net.receptiveField();
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < S; j++) {
        const y0 = Math.max(0, i - up);
        const h = i - y0 + 1;
        const x0 = Math.max(0, j - side);
        const w = Math.min(S, j + side + 1) - x0;
        const crop = new Float32Array(h * w);
        for (let y = 0; y < h; y++) for (let c = 0; c < w; c++) crop[y * w + c] = x[(y0 + y) * S + x0 + c]!;
        expect(net.predictCrop(crop, 1, h, w)[(h - 1) * w + (j - x0)]).toBe(full[i * S + j]);
      }
    }
  });

  it('gradient of the NLL matches finite differences of the parameters', () => {
    const model = new PixelCNN({ height: 5, width: 5, seed: 3, channels: 4, layers: 2 });
    const rng = new Rng(4);
    const x = new Float32Array(3 * 25).map(() => (rng.float() < 0.4 ? 1 : 0));
    model.gradient(x, 3);
    const grads = model.net.grads.slice();
    const p = model.net.params;
    for (const s of model.net.paramShapes()) {
      for (const i of [s.offset, s.offset + s.size - 1]) {
        const p0 = p[i]!;
        const h = 2e-3;
        p[i] = p0 + h;
        const up = model.gradient(x, 3);
        p[i] = p0 - h;
        const down = model.gradient(x, 3);
        p[i] = p0;
        const fd = (up - down) / (2 * h);
        // Float32 sums and the relu kinks of the head bound the finite difference's own accuracy.
        expect(Math.abs(grads[i]! - fd), `${s.name} [${i - s.offset}]: ${grads[i]} vs ${fd}`).toBeLessThan(0.01 + 0.05 * Math.abs(fd));
      }
    }
  });

  it('learns vertical bars to near their entropy (log 8 nats), far below independent pixels, and samples whole bars', async () => {
    const rng = new Rng(5);
    const train = bars(400, rng);
    const test = bars(200, rng);
    const model = new PixelCNN({ height: 8, width: 8, seed: 0, channels: 8, layers: 4 });
    const report = await model.fit(train, 400, { epochs: 12, batchSize: 16 });
    const nll = -mean(model.logProb(test, 200));
    // Independent pixels of mean 1/8: 64 H(1/8) = 24.2 nats.
    expect(report.losses[0]!).toBeGreaterThan(10);
    expect(nll).toBeLessThan(Math.log(8) + 1.5);
    const s = model.sample(20);
    let whole = 0;
    for (let i = 0; i < 20; i++) {
      const img = s.subarray(i * 64, (i + 1) * 64);
      const ones = img.reduce((a, v) => a + v, 0);
      const col = img.indexOf(1);
      if (ones === 8 && col >= 0 && col < 8 && Array.from({ length: 8 }, (_, y) => img[y * 8 + col]).every((v) => v === 1)) whole++;
    }
    // Independent pixels of mean 1/8 would draw a whole bar with probability (1/8)^8 (7/8)^56: never.
    expect(whole).toBeGreaterThanOrEqual(10);
  });

  it('is deterministic per seed; save/load restores density and sampler; errors name the expected shape', async () => {
    const rng = new Rng(6);
    const data = bars(32, rng, 6);
    const a = new PixelCNN({ height: 6, width: 6, seed: 1, channels: 4, layers: 2 });
    const b = new PixelCNN({ height: 6, width: 6, seed: 1, channels: 4, layers: 2 });
    expect(() => a.sample(1)).toThrow(NotFitted);
    expect(() => a.sample(1)).toThrow(/Expected a fitted PixelCNN before sample\(\), got an untrained one: call fit\(\) or PixelCNN.load\(\) first/);
    await a.fit(data, 32, { epochs: 1 });
    await b.fit(data, 32, { epochs: 1 });
    expect(a.logProb(data, 32)).toEqual(b.logProb(data, 32));
    const dir = await mkdtemp(join(tmpdir(), 'pixelcnn-'));
    dirs.push(dir);
    await a.save(join(dir, 'm'));
    const c = await PixelCNN.load(join(dir, 'm'));
    expect(c.logProb(data, 32)).toEqual(a.logProb(data, 32));
    expect(c.sample(2)).toEqual(a.sample(2));
    await expect(a.fit(new Float32Array(35), 1)).rejects.toThrow(/Expected data to be a Float32Array of n x dim = 1 x 36 = 36 values, got Float32Array\(35\)/);
    await expect(a.fit(new Float32Array(36).fill(0.5), 1)).rejects.toThrow(InvalidConfig);
    await expect(a.fit(new Float32Array(36).fill(0.5), 1)).rejects.toThrow(/Expected data \(n x dim = 1 x 36\) to hold binary values \(0 or 1\), got 0.5 at row 0, column 0/);
    expect(() => new PixelCNN({ height: 6, width: 6, seed: 0, kernel: 4 })).toThrow(/odd integer/);
  });
});
