import { describe, expect, it } from 'vitest';
import { GifEncoder, fixedPalette, lzw, medianCutPalette } from '../../render/gif.js';
import { decodeGif, unlzw } from './gif-decode.js';

describe('GIF encoder', () => {
  it('LZW round-trips through a textbook decoder, past the 12-bit table limit', () => {
    // Noise fills the 4096-entry table several times (clear codes); runs exercise long codes.
    let seed = 7;
    const noise = Uint8Array.from({ length: 20_000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 255);
    const runs = Uint8Array.from({ length: 20_000 }, (_, i) => Math.floor(i / 300) % 5);
    for (const data of [noise, runs, Uint8Array.of(3), new Uint8Array(0)]) {
      expect(Array.from(unlzw(lzw(data), 8, data.length))).toEqual(Array.from(data));
    }
    expect(lzw(runs).length).toBeLessThan(2_000);
  });

  it('writes a GIF89a that decodes to its header, loop, frame count, delays and pixels', () => {
    const w = 20, h = 10;
    const frame = (redColumn: number): Uint8Array => {
      const px = new Uint8Array(w * h * 3).fill(255);
      for (let y = 0; y < h; y++) px.set([255, 0, 0], (y * w + redColumn) * 3);
      return px;
    };
    const gif = new GifEncoder({ width: w, height: h });
    gif.addFrame(frame(2), 40);
    gif.addFrame(frame(7), 40);
    gif.addFrame(frame(15), 100);
    expect(gif.frames).toBe(3);
    const decoded = decodeGif(gif.finish());
    expect(decoded).toMatchObject({ signature: 'GIF89a', width: 20, height: 10, loop: 0 });
    expect(decoded.palette.length).toBe(768);
    expect(decoded.frames.map((f) => f.delayCs)).toEqual([4, 4, 10]);
    // Frame 2: red exactly in column 7 of every row, white elsewhere.
    const { indices } = decoded.frames[1]!;
    const rgbAt = (i: number): number[] => Array.from(decoded.palette.subarray(indices[i]! * 3, indices[i]! * 3 + 3));
    expect(rgbAt(3 * w + 7)).toEqual([255, 0, 0]);
    expect(rgbAt(3 * w + 6)).toEqual([255, 255, 255]);
    expect(() => gif.addFrame(new Uint8Array(5), 10)).toThrow('Expected a GIF frame of 600 RGB bytes (10x20x3), got 5.');
  });

  it('builds palettes: the fixed cube keeps black and white; median cut finds the colours in use', () => {
    const fixed = fixedPalette();
    expect(Array.from(fixed.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(fixed.subarray(251 * 3, 252 * 3))).toEqual([255, 255, 255]);
    const px = new Uint8Array(300);
    for (let i = 0; i < 100; i++) px.set(i < 50 ? [0xca, 0x98, 0x65] : [0x81, 0x84, 0xcb], i * 3);
    const palette = medianCutPalette([px]);
    const colors = new Set<string>();
    for (let k = 0; k < 256; k++) colors.add(Array.from(palette.subarray(k * 3, k * 3 + 3)).join(','));
    // The two colours, within the 5-bit binning (8 levels per step).
    const near = (c: number[]): boolean => [...colors].some((s) => s.split(',').every((v, i) => Math.abs(Number(v) - c[i]!) <= 8));
    expect(near([0xca, 0x98, 0x65])).toBe(true);
    expect(near([0x81, 0x84, 0xcb])).toBe(true);
  });
});
