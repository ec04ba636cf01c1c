/**
 * Scenes: what one frame of an environment shows, as plain JSON-serialisable data. An environment's
 * `scene()` returns one; any renderer (pixel observations in Node, the web viewer, video export) draws it,
 * so a custom environment becomes drawable without renderer code.
 *
 * Coordinates are world units with y pointing up; `viewport` says which world rectangle fills the frame.
 * `width` x `height` is the nominal frame size in pixels; line widths and text sizes are nominal pixels and
 * scale with the frame when it is drawn at another size.
 */
import { InvalidObservation, describeValue } from './errors.js';

/** A CSS hex colour, `#rrggbb` or `#rrggbbaa`. */
export type Color = string;

/** Fill and outline of a shape. A shape with neither is drawn with a black fill. */
export interface Paint {
  fill?: Color;
  stroke?: Color;
  /** Outline width in nominal pixels (default 1). */
  lineWidth?: number;
}

/** An axis-aligned rectangle centred on (x, y), then rotated by `rotation` radians (counter-clockwise). */
export interface RectShape extends Paint {
  type: 'rect';
  x: number;
  y: number;
  width: number;
  height: number;
  rotation?: number;
}

/** A circle centred on (x, y) with a radius in world units. */
export interface CircleShape extends Paint {
  type: 'circle';
  x: number;
  y: number;
  radius: number;
}

/** An open polyline through `points` = [x0, y0, x1, y1, ...], drawn with `stroke` (default black). */
export interface LineShape {
  type: 'line';
  points: number[];
  stroke?: Color;
  /** Line width in nominal pixels (default 1). */
  lineWidth?: number;
}

/** A closed polygon through `points` = [x0, y0, x1, y1, ...]. */
export interface PolygonShape extends Paint {
  type: 'polygon';
  points: number[];
}

/** Text anchored at (x, y): `align` picks the horizontal anchor, the vertical anchor is the middle. */
export interface TextShape {
  type: 'text';
  x: number;
  y: number;
  text: string;
  /** Font size in nominal pixels (default 14). */
  size?: number;
  color?: Color;
  align?: 'left' | 'center' | 'right';
}

/** One drawable element of a scene. */
export type Shape = RectShape | CircleShape | LineShape | PolygonShape | TextShape;

/** The world rectangle that fills the frame. */
export interface Viewport {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** One frame: a viewport, a background and shapes drawn in order (later on top). */
export interface Scene {
  /** Nominal frame width in pixels. */
  width: number;
  /** Nominal frame height in pixels. */
  height: number;
  viewport: Viewport;
  background?: Color;
  shapes: Shape[];
}

const colorPattern = /^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;
const finite = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);

/** Why `scene` is not a valid Scene, as a sentence, or `null` when it is. */
export function explainInvalidScene(scene: unknown): string | null {
  if (scene === null || typeof scene !== 'object') return `Expected a scene object, got ${describeValue(scene)}.`;
  const s = scene as Partial<Scene>;
  if (!finite(s.width) || !finite(s.height) || s.width! <= 0 || s.height! <= 0) {
    return `Expected scene width and height to be positive numbers, got ${describeValue(s.width)} x ${describeValue(s.height)}.`;
  }
  const v = s.viewport;
  if (!v || ![v.xMin, v.xMax, v.yMin, v.yMax].every(finite) || !(v.xMax > v.xMin) || !(v.yMax > v.yMin)) {
    return `Expected a scene viewport {xMin < xMax, yMin < yMax} of finite numbers, got ${describeValue(v)}.`;
  }
  if (s.background !== undefined && !colorPattern.test(s.background)) {
    return `Expected scene background to be a colour like "#ffffff", got ${describeValue(s.background)}.`;
  }
  if (!Array.isArray(s.shapes)) return `Expected scene shapes to be an array, got ${describeValue(s.shapes)}.`;
  for (let i = 0; i < s.shapes.length; i++) {
    const why = explainInvalidShape(s.shapes[i]);
    if (why !== null) return `Scene shape ${i}: ${why}`;
  }
  try {
    JSON.stringify(scene);
  } catch (err) {
    return `Expected a JSON-serialisable scene, got one that fails to serialise: ${(err as Error).message}.`;
  }
  return null;
}

function explainInvalidShape(shape: unknown): string | null {
  if (shape === null || typeof shape !== 'object') return `Expected a shape object, got ${describeValue(shape)}.`;
  const sh = shape as Shape;
  for (const key of ['fill', 'stroke', 'color'] as const) {
    const c = (sh as unknown as Record<string, unknown>)[key];
    if (c !== undefined && (typeof c !== 'string' || !colorPattern.test(c))) {
      return `Expected ${key} to be a colour like "#ff0000", got ${describeValue(c)}.`;
    }
  }
  switch (sh.type) {
    case 'rect':
      return [sh.x, sh.y, sh.width, sh.height, sh.rotation ?? 0].every(finite) ? null : `Expected finite x, y, width, height (and rotation) on a rect, got ${describeValue(sh)}.`;
    case 'circle':
      return [sh.x, sh.y, sh.radius].every(finite) ? null : `Expected finite x, y, radius on a circle, got ${describeValue(sh)}.`;
    case 'line':
    case 'polygon':
      if (!Array.isArray(sh.points) || sh.points.length < 4 || sh.points.length % 2 !== 0 || !sh.points.every(finite)) {
        return `Expected ${sh.type} points to be an even-length array of at least 4 finite numbers, got ${describeValue(sh.points)}.`;
      }
      return null;
    case 'text':
      return finite(sh.x) && finite(sh.y) && typeof sh.text === 'string' ? null : `Expected finite x, y and a string text, got ${describeValue(sh)}.`;
    default:
      return `Expected shape type rect, circle, line, polygon or text, got ${describeValue((sh as { type?: unknown }).type)}.`;
  }
}

/** Throws `InvalidObservation` when `scene` is not a valid Scene. */
export function assertValidScene(scene: unknown, what = 'scene()'): asserts scene is Scene {
  const why = explainInvalidScene(scene);
  if (why !== null) throw new InvalidObservation(`Invalid ${what}: ${why}`);
}
