import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { binaryFrames, writePng } from '../../render/frames.js';

const S = 28 * 28;

/** The mean column of the ink in rows r0..r1 (inclusive) of frame i, or NaN when there is none. */
function inkColumn(frames: Float32Array, i: number, r0: number, r1: number): number {
  let s = 0, c = 0;
  for (let r = r0; r <= r1; r++) for (let x = 0; x < 28; x++) if (frames[i * S + r * 28 + x] === 1) { s += x; c++; }
  return c === 0 ? NaN : s / c;
}

describe('binaryFrames', () => {
  it('CartPole frames are binary, not blank, differ between steps, and the cart moves', async () => {
    const n = 150;
    const f = await binaryFrames('CartPole-v1', n, { seed: 1 });
    expect(f.length).toBe(n * S);
    for (const v of f) expect(v === 0 || v === 1).toBe(true);
    let distinct = 0;
    for (let i = 1; i < n; i++) {
      let ink = 0, diff = 0;
      for (let p = 0; p < S; p++) {
        ink += f[i * S + p]!;
        if (f[i * S + p] !== f[(i - 1) * S + p]) diff++;
      }
      expect(ink).toBeGreaterThan(2);
      expect(ink).toBeLessThan(S / 4);
      if (diff > 0) distinct++;
    }
    expect(distinct).toBeGreaterThan(n / 3);
    // The cart (black, ~2 pixels wide) sits on rows 20-21 of 28 (the track is 1/4 of the height up).
    const cols = Array.from({ length: n }, (_, i) => inkColumn(f, i, 20, 21)).filter((c) => !Number.isNaN(c));
    expect(cols.length).toBeGreaterThan(n / 2);
    expect(Math.max(...cols) - Math.min(...cols)).toBeGreaterThanOrEqual(1);
  });
  it('is deterministic per seed, and Acrobot draws too', async () => {
    const a = await binaryFrames('Acrobot-v1', 20, { seed: 3 });
    const b = await binaryFrames('Acrobot-v1', 20, { seed: 3 });
    expect(a).toEqual(b);
    expect(a.reduce((s, v) => s + v, 0)).toBeGreaterThan(20 * 5);
    const dark = await binaryFrames('Acrobot-v1', 20, { seed: 3, threshold: 1 });
    expect(dark.reduce((s, v) => s + v, 0)).toBe(0); // nothing is darker than luminance 1 there
  });
  it('rejects bad options', async () => {
    await expect(binaryFrames('CartPole-v1', 0)).rejects.toThrow(InvalidConfig);
    await expect(binaryFrames('CartPole-v1', 2, { threshold: 0 })).rejects.toThrow(/threshold/);
  });
});

describe('writePng', () => {
  it('writes a grid of frames, ink black on white, pixels scaled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'frames-'));
    try {
      // two 2x2 frames: the first has ink at (0, 0), the second at (1, 1)
      const frames = new Float32Array([1, 0, 0, 0, 0, 0, 0, 1]);
      const path = join(dir, 'x.png');
      await writePng(path, frames, 2, 2, { cols: 2, scale: 3 });
      const img = await loadImage(await readFile(path));
      // 2 tiles of (2*3 + 1) plus 1: 15 x 8
      expect([img.width, img.height]).toEqual([15, 8]);
      const ctx = createCanvas(img.width, img.height).getContext('2d');
      ctx.drawImage(img, 0, 0);
      const px = (x: number, y: number): number => ctx.getImageData(x, y, 1, 1).data[0]!;
      expect(px(1, 1)).toBe(0); // ink of frame 0
      expect(px(3, 3)).toBe(0);
      expect(px(4, 1)).toBe(255); // background of frame 0
      expect(px(0, 0)).toBe(160); // the gap
      expect(px(8 + 3, 1 + 3)).toBe(0); // ink of frame 1 at its pixel (1, 1)
      expect(px(8, 1)).toBe(255);
      await expect(writePng(path, new Float32Array(3), 2, 2)).rejects.toThrow(/k x 4/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
