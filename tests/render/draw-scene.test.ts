import { describe, expect, it } from 'vitest';
import type { Scene, Shape } from '../../core/scene.js';
import { createNodeRasterizer } from '../../render/node-rasterizer.js';
import { sceneView } from '../../render/view.js';

const W = 100;
const H = 50;

/** A 100x50 frame over world x in [0, 10], y in [0, 5]: 10 pixels per unit, white background. */
function scene(shapes: Shape[], extra: Partial<Scene> = {}): Scene {
  return { width: W, height: H, viewport: { xMin: 0, xMax: 10, yMin: 0, yMax: 5 }, background: '#ffffff', shapes, ...extra };
}

/** Bounding box {x0, x1, y0, y1} (inclusive pixels) of pixels within 40 of `rgb` per channel, or null. */
function bbox(px: Uint8Array, width: number, rgb: [number, number, number]): { x0: number; x1: number; y0: number; y1: number; count: number } | null {
  let x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1, count = 0;
  for (let i = 0; i < px.length / 3; i++) {
    if (Math.abs(px[i * 3]! - rgb[0]) < 40 && Math.abs(px[i * 3 + 1]! - rgb[1]) < 40 && Math.abs(px[i * 3 + 2]! - rgb[2]) < 40) {
      const x = i % width, y = Math.floor(i / width);
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      count++;
    }
  }
  return count === 0 ? null : { x0, x1, y0, y1, count };
}

const pixel = (px: Uint8Array, width: number, x: number, y: number): number[] => Array.from(px.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
const RED: [number, number, number] = [255, 0, 0];

describe('drawScene through the Node rasterizer', () => {
  const r = createNodeRasterizer({ width: W, height: H });

  it('returns H*W*3 RGB bytes, top row first, and fills the background', () => {
    const px = r.render(scene([], { background: '#102030' }));
    expect(px).toBeInstanceOf(Uint8Array);
    expect(px.length).toBe(W * H * 3);
    expect(pixel(px, W, 0, 0)).toEqual([0x10, 0x20, 0x30]);
    expect(pixel(px, W, W - 1, H - 1)).toEqual([0x10, 0x20, 0x30]);
    expect(pixel(r.render(scene([], { background: undefined })), W, 5, 5)).toEqual([255, 255, 255]);
  });

  it('puts a red rect at the columns and rows its world coordinates say, y pointing up', () => {
    // Centre (3, 1), 2 x 1 units: world x in [2, 4], y in [0.5, 1.5] -> columns 20..39, rows 35..44.
    const px = r.render(scene([{ type: 'rect', x: 3, y: 1, width: 2, height: 1, fill: '#ff0000' }]));
    expect(bbox(px, W, RED)).toEqual({ x0: 20, x1: 39, y0: 35, y1: 44, count: 200 });
    // Higher y is higher on screen (smaller row).
    const up = r.render(scene([{ type: 'rect', x: 3, y: 4, width: 2, height: 1, fill: '#ff0000' }]));
    expect(bbox(up, W, RED)).toMatchObject({ y0: 5, y1: 14 });
  });

  it('maps the viewport onto the frame: shifting it moves shapes the other way', () => {
    const shifted = r.render(scene([{ type: 'rect', x: 3, y: 1, width: 2, height: 1, fill: '#ff0000' }], { viewport: { xMin: -2, xMax: 8, yMin: -1, yMax: 4 } }));
    expect(bbox(shifted, W, RED)).toEqual({ x0: 40, x1: 59, y0: 25, y1: 34, count: 200 });
    expect(sceneView(scene([]), 200, 100)).toEqual({ sx: 20, sy: 20, ox: 0, oy: 100, lineScale: 2 });
  });

  it('scales world coordinates with the frame size', () => {
    const big = createNodeRasterizer({ width: 2 * W, height: 2 * H });
    const px = big.render(scene([{ type: 'rect', x: 3, y: 1, width: 2, height: 1, fill: '#ff0000' }]));
    expect(bbox(px, 2 * W, RED)).toEqual({ x0: 40, x1: 79, y0: 70, y1: 89, count: 800 });
    big.close();
  });

  it('rotates rects counter-clockwise about their centre', () => {
    // A 4 x 0.4 bar rotated by 90 degrees becomes a 0.4 x 4 bar: tall and thin.
    const px = r.render(scene([{ type: 'rect', x: 5, y: 2.5, width: 4, height: 0.4, rotation: Math.PI / 2, fill: '#ff0000' }]));
    const b = bbox(px, W, RED)!;
    expect(b.x1 - b.x0 + 1).toBeLessThanOrEqual(5);
    expect(b.y1 - b.y0 + 1).toBeGreaterThanOrEqual(39);
    // At +45 degrees the bar's right end is up (y up): the top-right quadrant has red, the top-left none.
    // Pixel (60, 14) has its centre at world (6.05, 3.55), on the bar's axis; (40, 14) mirrors it.
    const diag = r.render(scene([{ type: 'rect', x: 5, y: 2.5, width: 4, height: 0.4, rotation: Math.PI / 4, fill: '#ff0000' }]));
    expect(pixel(diag, W, 60, 14)).toEqual([255, 0, 0]);
    expect(pixel(diag, W, 40, 14)).toEqual([255, 255, 255]);
  });

  it('draws circles, polygons and polylines where their points are', () => {
    const px = r.render(scene([
      { type: 'circle', x: 2, y: 2.5, radius: 1, fill: '#ff0000' },
      { type: 'polygon', points: [6, 1, 9, 1, 9, 4], fill: '#0000ff' },
      { type: 'line', points: [0, 0.3, 10, 0.3], stroke: '#00ff00', lineWidth: 2 },
    ]));
    expect(bbox(px, W, RED)).toMatchObject({ x0: 10, x1: 29, y0: 15, y1: 34 });
    // Columns 60..89, rows 10..39, less the antialiased sliver at the sharp corner.
    const blue = bbox(px, W, [0, 0, 255])!;
    expect(blue.x0).toBeGreaterThanOrEqual(60);
    expect(blue.x0).toBeLessThanOrEqual(62);
    expect(blue.y0).toBeGreaterThanOrEqual(10);
    expect(blue.y0).toBeLessThanOrEqual(12);
    expect([blue.x1, blue.y1]).toEqual([89, 39]);
    // Below the diagonal from (6, 1) to (9, 4) only: the upper-left corner of its box stays white.
    expect(pixel(px, W, 62, 12)).toEqual([255, 255, 255]);
    expect(bbox(px, W, [0, 255, 0])).toMatchObject({ x0: 0, x1: 99, y0: 46, y1: 47 });
  });

  it('scales line widths with the frame (nominal pixels)', () => {
    const line: Shape = { type: 'line', points: [0, 2.5, 10, 2.5], stroke: '#ff0000', lineWidth: 4 };
    const b1 = bbox(r.render(scene([line])), W, RED)!;
    expect(b1.y1 - b1.y0 + 1).toBe(4);
    const big = createNodeRasterizer({ width: 2 * W, height: 2 * H });
    const b2 = bbox(big.render(scene([line])), 2 * W, RED)!;
    expect(b2.y1 - b2.y0 + 1).toBe(8);
    big.close();
  });

  it('fills black when a shape names no paint, strokes when it names a stroke, and honours alpha', () => {
    const px = r.render(scene([
      { type: 'rect', x: 2, y: 2.5, width: 2, height: 2 },
      { type: 'rect', x: 7, y: 2.5, width: 2, height: 2, stroke: '#ff0000', lineWidth: 2 },
      { type: 'rect', x: 5, y: 4.5, width: 1, height: 0.5, fill: '#0000ff80' },
    ]));
    expect(pixel(px, W, 20, 25)).toEqual([0, 0, 0]);
    expect(pixel(px, W, 70, 25)).toEqual([255, 255, 255]);
    expect(pixel(px, W, 60, 25)).toEqual([255, 0, 0]);
    const [rr, , b] = pixel(px, W, 50, 3);
    expect(rr).toBeGreaterThan(110);
    expect(rr).toBeLessThan(145);
    expect(b).toBe(255);
  });

  it('draws text in its colour near its anchor, and later shapes on top of it', () => {
    const px = r.render(scene([{ type: 'text', x: 5, y: 2.5, text: 'MMM', size: 20, color: '#ff0000', align: 'center' }]));
    const b = bbox(px, W, RED)!;
    expect(b.count).toBeGreaterThan(30);
    expect(Math.abs((b.x0 + b.x1) / 2 - 50)).toBeLessThan(4);
    expect(Math.abs((b.y0 + b.y1) / 2 - 25)).toBeLessThan(4);
    const covered = r.render(scene([
      { type: 'text', x: 5, y: 2.5, text: 'MMM', size: 20, color: '#ff0000', align: 'center' },
      { type: 'rect', x: 5, y: 2.5, width: 10, height: 5, fill: '#00ff00' },
    ]));
    expect(bbox(covered, W, RED)).toBeNull();
  });

  it('writes into a given array, returns RGBA on request and rejects bad sizes', () => {
    const out = new Uint8Array(W * H * 3);
    expect(r.render(scene([]), out)).toBe(out);
    expect(() => r.render(scene([]), new Uint8Array(3))).toThrow(`Expected an output array of ${W * H * 3} bytes (50x100x3), got 3.`);
    const rgba = createNodeRasterizer({ width: 4, height: 2, channels: 4 });
    expect(Array.from(rgba.render(scene([], { background: '#ff0000' })).subarray(0, 8))).toEqual([255, 0, 0, 255, 255, 0, 0, 255]);
    expect(Array.from(rgba.png().subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    rgba.close();
    rgba.close();
    expect(() => rgba.render(scene([]))).toThrow('Expected an open rasterizer, got one that was closed');
    expect(() => createNodeRasterizer({ width: 0, height: 10 })).toThrow('Expected rasterizer width to be an integer from 1 to 8192 pixels, got 0.');
  });
});
