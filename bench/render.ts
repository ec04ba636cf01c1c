/**
 * `npm run bench -- render [seconds]`: frames/s of drawing CartPole scenes (plain, and with a changing text
 * label) at 600x400 and 84x84, pixel readback included, through
 *   - pixi: rxgym's drawing path (pixi.js 8 canvas renderer on @napi-rs/canvas), RGB out;
 *   - software: a minimal scanline rasterizer of the same primitives written here as a baseline (no
 *     antialiasing, text drawn as a box);
 * and env steps/s of CartPole through PixelObservation at 84x84 (step + scene + rasterize).
 * Figures are printed, never judged; the choice they support is explained in render/node-rasterizer.ts.
 */
import type { Scene, Shape } from '../core/scene.js';
import '../envs/builtin.js';
import { make } from '../envs/registry.js';
import { createNodeRasterizer } from '../render/node-rasterizer.js';
import { PixelObservation } from '../render/pixel-observation.js';
import { DEFAULT_BACKGROUND, DEFAULT_INK, DEFAULT_TEXT_SIZE, parseColor, sceneView, type SceneView } from '../render/view.js';

// ---------------------------------------------------------------------------------------------------------
// The software baseline: RGB, pixel-centre sampling, source-over alpha blending.
// ---------------------------------------------------------------------------------------------------------

/** A software rasterizer of `width` x `height` RGB frames (the benchmark's baseline). */
export function softwareRasterizer(width: number, height: number): { render(scene: Scene): Uint8Array } {
  const xs = new Float64Array(256);
  let px = new Uint8Array(width * height * 3);

  const span = (y: number, xa: number, xb: number, rgb: number, alpha: number): void => {
    // Pixels whose centre x + 0.5 lies in [xa, xb).
    const x0 = Math.max(0, Math.ceil(xa - 0.5));
    const x1 = Math.min(width - 1, Math.ceil(xb - 0.5) - 1);
    if (x1 < x0) return;
    const r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
    let i = (y * width + x0) * 3;
    if (alpha >= 1) {
      for (let x = x0; x <= x1; x++, i += 3) {
        px[i] = r;
        px[i + 1] = g;
        px[i + 2] = b;
      }
    } else {
      const k = 1 - alpha;
      for (let x = x0; x <= x1; x++, i += 3) {
        px[i] = r * alpha + px[i]! * k;
        px[i + 1] = g * alpha + px[i + 1]! * k;
        px[i + 2] = b * alpha + px[i + 2]! * k;
      }
    }
  };

  /** Even-odd scanline fill of a closed polygon given in pixels. */
  const polygon = (pts: ArrayLike<number>, rgb: number, alpha: number): void => {
    const n = pts.length / 2;
    let yMin = Infinity, yMax = -Infinity;
    for (let i = 1; i < pts.length; i += 2) {
      yMin = Math.min(yMin, pts[i]!);
      yMax = Math.max(yMax, pts[i]!);
    }
    const r0 = Math.max(0, Math.ceil(yMin - 0.5));
    const r1 = Math.min(height - 1, Math.ceil(yMax - 0.5) - 1);
    for (let y = r0; y <= r1; y++) {
      const yc = y + 0.5;
      let k = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const xi = pts[2 * i]!, yi = pts[2 * i + 1]!, xj = pts[2 * j]!, yj = pts[2 * j + 1]!;
        if (yi <= yc !== yj <= yc && k < xs.length) xs[k++] = xi + ((yc - yi) / (yj - yi)) * (xj - xi);
      }
      // Insertion sort: a handful of crossings per row.
      for (let a = 1; a < k; a++) {
        const v = xs[a]!;
        let b = a - 1;
        while (b >= 0 && xs[b]! > v) xs[b + 1] = xs[b--]!;
        xs[b + 1] = v;
      }
      for (let a = 0; a + 1 < k; a += 2) span(y, xs[a]!, xs[a + 1]!, rgb, alpha);
    }
  };

  const ellipse = (cx: number, cy: number, rx: number, ry: number, rgb: number, alpha: number): void => {
    const r0 = Math.max(0, Math.ceil(cy - ry - 0.5));
    const r1 = Math.min(height - 1, Math.ceil(cy + ry - 0.5) - 1);
    for (let y = r0; y <= r1; y++) {
      const dy = (y + 0.5 - cy) / ry;
      const half = rx * Math.sqrt(Math.max(0, 1 - dy * dy));
      span(y, cx - half, cx + half, rgb, alpha);
    }
  };

  const quad = new Float64Array(8);
  /** A thick polyline as one quad per segment (butt caps, no joins). */
  const polyline = (pts: ArrayLike<number>, closed: boolean, width: number, rgb: number, alpha: number): void => {
    const hw = Math.max(width, 1) / 2;
    const n = pts.length / 2;
    for (let s = 0; s < (closed ? n : n - 1); s++) {
      const x0 = pts[2 * s]!, y0 = pts[2 * s + 1]!;
      const x1 = pts[(2 * s + 2) % pts.length]!, y1 = pts[(2 * s + 3) % pts.length]!;
      const len = Math.hypot(x1 - x0, y1 - y0) || 1;
      const nx = (-(y1 - y0) / len) * hw, ny = ((x1 - x0) / len) * hw;
      quad[0] = x0 + nx; quad[1] = y0 + ny; quad[2] = x1 + nx; quad[3] = y1 + ny;
      quad[4] = x1 - nx; quad[5] = y1 - ny; quad[6] = x0 - nx; quad[7] = y0 - ny;
      polygon(quad, rgb, alpha);
    }
  };

  const toPixels = (points: readonly number[], v: SceneView): Float64Array => {
    const out = new Float64Array(points.length);
    for (let i = 0; i < points.length; i += 2) {
      out[i] = v.ox + points[i]! * v.sx;
      out[i + 1] = v.oy - points[i + 1]! * v.sy;
    }
    return out;
  };

  const shape = (s: Shape, v: SceneView): void => {
    let outline: Float64Array | null = null;
    let fill: string | undefined;
    let stroke: string | undefined;
    let lineWidth = 1;
    switch (s.type) {
      case 'rect': {
        const c = Math.cos(s.rotation ?? 0), sn = Math.sin(s.rotation ?? 0), hw = s.width / 2, hh = s.height / 2;
        const corners = [-hw, -hh, hw, -hh, hw, hh, -hw, hh];
        const world: number[] = [];
        for (let i = 0; i < 8; i += 2) world.push(s.x + corners[i]! * c - corners[i + 1]! * sn, s.y + corners[i]! * sn + corners[i + 1]! * c);
        outline = toPixels(world, v);
        ({ fill, stroke } = s);
        lineWidth = s.lineWidth ?? 1;
        break;
      }
      case 'polygon':
        outline = toPixels(s.points, v);
        ({ fill, stroke } = s);
        lineWidth = s.lineWidth ?? 1;
        break;
      case 'circle': {
        const f = parseColor(s.fill ?? (s.stroke === undefined ? DEFAULT_INK : '#00000000'));
        ellipse(v.ox + s.x * v.sx, v.oy - s.y * v.sy, s.radius * v.sx, s.radius * v.sy, f.rgb, f.alpha);
        return;
      }
      case 'line': {
        const c = parseColor(s.stroke ?? DEFAULT_INK);
        polyline(toPixels(s.points, v), false, (s.lineWidth ?? 1) * v.lineScale, c.rgb, c.alpha);
        return;
      }
      case 'text': {
        // A box the size of the text instead of glyphs.
        const size = (s.size ?? DEFAULT_TEXT_SIZE) * v.lineScale, w = size * 0.6 * s.text.length;
        const x = v.ox + s.x * v.sx - (s.align === 'center' ? w / 2 : s.align === 'right' ? w : 0), y = v.oy - s.y * v.sy;
        const c = parseColor(s.color ?? DEFAULT_INK);
        polygon([x, y - size / 2, x + w, y - size / 2, x + w, y + size / 2, x, y + size / 2], c.rgb, c.alpha * 0.5);
        return;
      }
    }
    if (fill !== undefined || stroke === undefined) {
      const f = parseColor(fill ?? DEFAULT_INK);
      polygon(outline, f.rgb, f.alpha);
    }
    if (stroke !== undefined) {
      const c = parseColor(stroke);
      polyline(outline, true, lineWidth * v.lineScale, c.rgb, c.alpha);
    }
  };

  return {
    render(scene: Scene): Uint8Array {
      px = new Uint8Array(width * height * 3);
      const v = sceneView(scene, width, height);
      const bg = parseColor(scene.background ?? DEFAULT_BACKGROUND);
      for (let y = 0; y < height; y++) span(y, 0, width, bg.rgb, bg.alpha);
      for (const s of scene.shapes) shape(s, v);
      return px;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------------------

/**
 * Calls `fn` for about `seconds` (after a short warm-up) and returns calls per second. Yields to the event
 * loop every 50 calls, as a real run does, so that native readback buffers get freed.
 */
async function rate(seconds: number, fn: (i: number) => void): Promise<number> {
  for (let i = 0; i < 20; i++) fn(i);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) fn(n++);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return n / ((performance.now() - start) / 1000);
}

/** Prints frames/s of both rasterizers at 600x400 and 84x84 and PixelObservation steps/s at 84x84. */
export async function main(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 1.5);
  const env = make('CartPole-v1');
  env.reset({ seed: 0 });
  // A sequence of real CartPole frames, plain and with a step counter as text (text re-rasterises when
  // its string changes, so the label costs pixi a glyph draw per frame).
  const plain: Scene[] = [];
  const labelled: Scene[] = [];
  for (let i = 0; i < 64; i++) {
    const { terminated, truncated } = env.step(i % 2);
    if (terminated || truncated) env.reset();
    const scene = env.scene!();
    plain.push(scene);
    labelled.push({ ...scene, shapes: [...scene.shapes, { type: 'text', x: -2.3, y: 2.2, text: `step ${i}`, size: 16 }] });
  }
  env.close();
  const fmt = (x: number): string => x.toFixed(0).padStart(8);
  console.log(`render: CartPole frames, RGB readback, ~${seconds}s per figure`);
  console.log('  size      scene              pixi (frames/s)  software (frames/s)');
  for (const [w, h] of [[600, 400], [84, 84]] as const) {
    for (const [what, scenes] of [['CartPole', plain], ['CartPole + text', labelled]] as const) {
      const pixi = createNodeRasterizer({ width: w, height: h });
      const soft = softwareRasterizer(w, h);
      const p = await rate(seconds, (i) => pixi.render(scenes[i % scenes.length]!));
      const s = await rate(seconds, (i) => soft.render(scenes[i % scenes.length]!));
      console.log(`  ${`${w}x${h}`.padEnd(9)} ${what.padEnd(16)} ${fmt(p)}         ${fmt(s)}`);
      pixi.close();
    }
  }
  for (const grayscale of [false, true]) {
    const pixelEnv = new PixelObservation(make('CartPole-v1'), { width: 84, height: 84, grayscale });
    pixelEnv.reset({ seed: 0 });
    const steps = await rate(seconds, (i) => {
      const { terminated, truncated } = pixelEnv.step(i % 2);
      if (terminated || truncated) pixelEnv.reset();
    });
    console.log(`PixelObservation(CartPole-v1, 84x84${grayscale ? ', grayscale' : ''}): ${steps.toFixed(0)} env steps/s`);
    pixelEnv.close();
  }
}
