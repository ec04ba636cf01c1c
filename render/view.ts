/**
 * The mapping from a scene's world coordinates (y up) to the pixels of a frame (y down, top row first),
 * shared by every renderer so that they agree to the pixel.
 */
import type { Color, Scene } from '../core/scene.js';

/** World-to-pixel mapping of one scene drawn at one frame size. */
export interface SceneView {
  /** Pixels per world unit along x. */
  sx: number;
  /** Pixels per world unit along y. */
  sy: number;
  /** Pixel column of world x = 0 (x' = ox + x * sx). */
  ox: number;
  /** Pixel row of world y = 0 (y' = oy - y * sy). */
  oy: number;
  /**
   * Factor from nominal pixels (line widths, text sizes) to frame pixels: the geometric mean of the width
   * and height ratios, so a frame drawn at half the nominal size gets half-width lines whatever its aspect.
   */
  lineScale: number;
}

/** The mapping that puts `scene.viewport` onto a `width` x `height` pixel frame. */
export function sceneView(scene: Scene, width: number, height: number): SceneView {
  const v = scene.viewport;
  const sx = width / (v.xMax - v.xMin);
  const sy = height / (v.yMax - v.yMin);
  return {
    sx,
    sy,
    ox: 0 - v.xMin * sx,
    oy: v.yMax * sy,
    lineScale: Math.sqrt((width / scene.width) * (height / scene.height)),
  };
}

/** A parsed colour: 0xrrggbb and an alpha in [0, 1]. */
export interface ParsedColor {
  rgb: number;
  alpha: number;
}

const colorCache = new Map<string, ParsedColor>();

/** Parses `#rrggbb` or `#rrggbbaa` (cached: scenes repeat the same few colours every frame). */
export function parseColor(color: Color): ParsedColor {
  let parsed = colorCache.get(color);
  if (parsed === undefined) {
    const rgb = Number.parseInt(color.slice(1, 7), 16);
    const alpha = color.length === 9 ? Number.parseInt(color.slice(7, 9), 16) / 255 : 1;
    parsed = { rgb: Number.isNaN(rgb) ? 0 : rgb, alpha: Number.isNaN(alpha) ? 1 : alpha };
    // Scenes use a handful of colours; the bound only guards against a scene that animates its colours.
    if (colorCache.size > 4096) colorCache.clear();
    colorCache.set(color, parsed);
  }
  return parsed;
}

/** The background colour frames get when a scene names none. */
export const DEFAULT_BACKGROUND: Color = '#ffffff';
/** The colour of a filled shape that names neither fill nor stroke, of a line without stroke and of text. */
export const DEFAULT_INK: Color = '#000000';
/** Font size of text in nominal pixels when the shape names none. */
export const DEFAULT_TEXT_SIZE = 14;
