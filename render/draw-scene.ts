/**
 * Draws a Scene with pixi.js 8. The one drawing path of rxgym: the browser viewer runs it on WebGL, Node runs
 * it on pixi's canvas renderer over @napi-rs/canvas (see node-rasterizer.ts), so a frame looks the same in both.
 *
 * World coordinates are mapped to pixels here (see view.ts) rather than through a container transform: a
 * non-uniform world-to-pixel scale would otherwise stretch line widths and text.
 */
import { Container, Graphics, Text } from 'pixi.js';
import type { Scene, Shape } from '../core/scene.js';
import { DEFAULT_BACKGROUND, DEFAULT_INK, DEFAULT_TEXT_SIZE, parseColor, sceneView, type SceneView } from './view.js';

/** Frame size in pixels. */
export interface FrameSize {
  width: number;
  height: number;
}

/** Children drawScene keeps on a target between calls, so a frame allocates no new display objects. */
interface Layers {
  graphics: Graphics[];
  texts: Text[];
}

const layersOf = new WeakMap<Container, Layers>();
const FONT_FAMILY = 'Arial, Helvetica, sans-serif';
const ALIGN_ANCHOR = { left: 0, center: 0.5, right: 1 } as const;

/**
 * Draws `scene` into `target`, mapping its viewport onto a `width` x `height` pixel frame with the origin at
 * the top-left. drawScene owns the children of `target`: it reuses them on every call, so draw each frame into
 * the same container.
 */
export function drawScene(scene: Scene, target: Container, size: FrameSize): void {
  let layers = layersOf.get(target);
  if (layers === undefined) {
    layers = { graphics: [], texts: [] };
    layersOf.set(target, layers);
  }
  const view = sceneView(scene, size.width, size.height);
  // Shapes draw in order; text is its own display object, so a shape after a text starts a new Graphics
  // above it. The child list changes only when the interleaving of shapes and text changes.
  const used: Container[] = [];
  let gi = 0;
  let ti = 0;
  let g = nextGraphics(layers, used, gi++);
  const bg = parseColor(scene.background ?? DEFAULT_BACKGROUND);
  g.rect(0, 0, size.width, size.height).fill({ color: bg.rgb, alpha: bg.alpha });
  let afterText = false;
  for (const shape of scene.shapes) {
    if (shape.type === 'text') {
      drawText(shape, nextText(layers, used, ti++), view);
      afterText = true;
    } else {
      if (afterText) g = nextGraphics(layers, used, gi++);
      afterText = false;
      drawShape(shape, g, view);
    }
  }
  const children = target.children;
  if (children.length !== used.length || used.some((c, i) => children[i] !== c)) {
    target.removeChildren();
    target.addChild(...used);
  }
}

/** The next pooled Graphics, cleared and appended to `used`. */
function nextGraphics(layers: Layers, used: Container[], i: number): Graphics {
  let g = layers.graphics[i];
  if (g === undefined) {
    g = new Graphics();
    layers.graphics.push(g);
  }
  g.clear();
  used.push(g);
  return g;
}

/** The next pooled Text, appended to `used`. */
function nextText(layers: Layers, used: Container[], i: number): Text {
  let t = layers.texts[i];
  if (t === undefined) {
    t = new Text({ text: '', style: { fontFamily: FONT_FAMILY, fontSize: DEFAULT_TEXT_SIZE, fill: 0 } });
    layers.texts.push(t);
  }
  used.push(t);
  return t;
}

/** Draws one non-text shape into `g`, in pixels. */
function drawShape(shape: Exclude<Shape, { type: 'text' }>, g: Graphics, view: SceneView): void {
  const { sx, sy, ox, oy, lineScale } = view;
  switch (shape.type) {
    case 'rect': {
      const hw = shape.width / 2;
      const hh = shape.height / 2;
      const rot = shape.rotation ?? 0;
      if (rot === 0) {
        g.rect(ox + (shape.x - hw) * sx, oy - (shape.y + hh) * sy, shape.width * sx, shape.height * sy);
      } else {
        // Corners rotated counter-clockwise in world space (y up), then mapped to pixels.
        const c = Math.cos(rot);
        const s = Math.sin(rot);
        const pts = new Array<number>(8);
        const corners = [-hw, -hh, hw, -hh, hw, hh, -hw, hh];
        for (let i = 0; i < 8; i += 2) {
          const dx = corners[i]!;
          const dy = corners[i + 1]!;
          pts[i] = ox + (shape.x + dx * c - dy * s) * sx;
          pts[i + 1] = oy - (shape.y + dx * s + dy * c) * sy;
        }
        g.poly(pts, true);
      }
      paint(g, shape.fill, shape.stroke, shape.lineWidth, lineScale);
      return;
    }
    case 'circle':
      // An ellipse in pixels when the viewport's x and y scales differ, as the world circle would look.
      g.ellipse(ox + shape.x * sx, oy - shape.y * sy, shape.radius * sx, shape.radius * sy);
      paint(g, shape.fill, shape.stroke, shape.lineWidth, lineScale);
      return;
    case 'polygon':
      g.poly(toPixels(shape.points, view), true);
      paint(g, shape.fill, shape.stroke, shape.lineWidth, lineScale);
      return;
    case 'line': {
      const stroke = parseColor(shape.stroke ?? DEFAULT_INK);
      g.poly(toPixels(shape.points, view), false);
      g.stroke({ width: (shape.lineWidth ?? 1) * lineScale, color: stroke.rgb, alpha: stroke.alpha, join: 'miter', cap: 'butt' });
      return;
    }
  }
}

function paint(g: Graphics, fill: string | undefined, stroke: string | undefined, lineWidth: number | undefined, lineScale: number): void {
  if (fill !== undefined || stroke === undefined) {
    const f = parseColor(fill ?? DEFAULT_INK);
    g.fill({ color: f.rgb, alpha: f.alpha });
  }
  if (stroke !== undefined) {
    const s = parseColor(stroke);
    g.stroke({ width: (lineWidth ?? 1) * lineScale, color: s.rgb, alpha: s.alpha, join: 'miter' });
  }
}

function toPixels(points: readonly number[], view: SceneView): number[] {
  const out = new Array<number>(points.length);
  for (let i = 0; i < points.length; i += 2) {
    out[i] = view.ox + points[i]! * view.sx;
    out[i + 1] = view.oy - points[i + 1]! * view.sy;
  }
  return out;
}

function drawText(shape: Extract<Shape, { type: 'text' }>, text: Text, view: SceneView): void {
  // Text re-rasterises when its string or style changes, so only assign what differs.
  if (text.text !== shape.text) text.text = shape.text;
  const style = text.style;
  const fontSize = (shape.size ?? DEFAULT_TEXT_SIZE) * view.lineScale;
  if (style.fontSize !== fontSize) style.fontSize = fontSize;
  const color = parseColor(shape.color ?? DEFAULT_INK);
  if (style.fill !== color.rgb) style.fill = color.rgb;
  if (text.alpha !== color.alpha) text.alpha = color.alpha;
  text.anchor.set(ALIGN_ANCHOR[shape.align ?? 'left'], 0.5);
  text.position.set(view.ox + shape.x * view.sx, view.oy - shape.y * view.sy);
}
