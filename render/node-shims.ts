/**
 * The few browser globals pixi.js 8 touches when it loads and renders in Node, installed only when absent.
 * Import this module before anything that imports 'pixi.js' (pixi reads `navigator` while it loads).
 *
 * - `navigator`: pixi sniffs the user agent at import time (Node 20 has no `navigator`).
 * - `requestAnimationFrame`: pixi's system ticker (texture garbage collection) schedules with it from the
 *   first renderer on; the timers are unref'd so that they never keep a finished Node process alive.
 * - `OffscreenCanvas`: pixi's canvas renderer draws into a render texture's canvas only when it is an
 *   `OffscreenCanvas` (or an HTMLCanvasElement); aliasing @napi-rs/canvas's Canvas makes it draw into ours.
 */
import { Canvas } from '@napi-rs/canvas';

const g = globalThis as Record<string, unknown>;
if (g.navigator === undefined) g.navigator = { userAgent: 'Node.js', gpu: null };
if (g.requestAnimationFrame === undefined) {
  g.requestAnimationFrame = (cb: (time: number) => void): ReturnType<typeof setTimeout> => setTimeout(() => cb(performance.now()), 16).unref();
  g.cancelAnimationFrame = (id: ReturnType<typeof setTimeout>): void => clearTimeout(id);
}
if (g.OffscreenCanvas === undefined) g.OffscreenCanvas = Canvas;
