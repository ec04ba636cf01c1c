/**
 * Scenes to pixels in Node: the same `drawScene` the browser viewer uses, run by pixi.js 8's canvas renderer
 * on @napi-rs/canvas (Skia), read back as row-major RGB or RGBA bytes, top row first.
 *
 * Why pixi and not a hand-written software rasterizer: `npm run bench -- render` draws CartPole frames
 * (readback included, yielding to the event loop every 50 frames as a `steps$` run does) through both;
 * frames/s over two runs on 2 shared, busy cores (load 2.3-2.9):
 *
 *   size      scene             pixi          software (scanline, no antialiasing, text as boxes)
 *   600x400   CartPole          313-533        890-1,100
 *   600x400   + changing text   373-466        830-860
 *   84x84     CartPole          4,700-5,900   25,000-27,000
 *   84x84     + changing text   3,000-3,500   26,000-31,000
 *   PixelObservation(CartPole-v1, 84x84): 6,000-6,200 env steps/s (4,500 grayscale): step, scene, draw, readback
 *
 * The software rasterizer is 2-9x faster (most of pixi's time is Skia rasterising at readback). Yet pixi at
 * 84x84 is not what limits a pixel agent: a DQN train step on tfjs-wasm runs at most ~750/s even for a
 * 4-64-64-2 MLP, and a convolutional network on 84x84 frames is slower still. Pixi draws real text and
 * antialiased edges, and it is the code the viewer runs, so an observation, a recorded frame and a video
 * look alike. One drawing path wins; the software rasterizer stays in bench/render.ts as the baseline.
 * (Without yields, in one long synchronous loop, readback buffers pile up until the loop ends and pixi
 * measured 3-5x slower: 69-133 frames/s at 600x400, 530-2,600 at 84x84.)
 *
 * Importing this module loads pixi.js (about a second), installs the globals of node-shims.ts when they are
 * absent, and initialises one shared canvas renderer; each rasterizer draws into its own render texture,
 * so `createNodeRasterizer` and `render` are synchronous.
 */
import './node-shims.js';
import { Canvas, Image, createCanvas } from '@napi-rs/canvas';
import { Container, DOMAdapter, RenderTexture, autoDetectRenderer, type Adapter, type ICanvas } from 'pixi.js';
import 'pixi.js/graphics';
import 'pixi.js/text';
import { InvalidConfig, describeValue } from '../core/errors.js';
import type { Scene } from '../core/scene.js';
import { drawScene } from './draw-scene.js';

/** Options of `createNodeRasterizer`. */
export interface RasterizerOptions {
  /** Frame width in pixels. */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** 3 for RGB (default), 4 for RGBA (alpha premultiplied; 255 wherever the background is opaque). */
  channels?: 3 | 4;
}

/** Draws scenes into pixel arrays of one fixed size. */
export interface Rasterizer {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  /**
   * Draws `scene` (its viewport fills the frame) and returns its pixels, `height * width * channels` bytes,
   * row-major, top row first. Writes into `out` when given (it must have that length), else into a new array.
   * Each call also reads the frame back into a native buffer that Node frees on a later event-loop turn: a
   * long synchronous loop of large frames should yield now and then (`steps$` does, every `chunk` steps).
   */
  render(scene: Scene, out?: Uint8Array): Uint8Array;
  /** The last rendered frame as PNG bytes. */
  png(): Uint8Array;
  /** Releases the render texture. Calling it twice is harmless; `render` after `close` throws. */
  close(): void;
}

/** @napi-rs/canvas with every context but '2d' refused, so pixi's WebGL probes see "unsupported". */
function nodeCanvas(width = 1, height = 1): ICanvas {
  const canvas = createCanvas(width, height);
  const get2d = canvas.getContext.bind(canvas);
  Object.defineProperty(canvas, 'getContext', {
    value: (type: string, attrs?: { alpha?: boolean }) => (type === '2d' ? get2d('2d', attrs) : null),
  });
  return canvas as unknown as ICanvas;
}

const nodeAdapter: Adapter = {
  createCanvas: nodeCanvas,
  createImage: () => new Image() as unknown as HTMLImageElement,
  getCanvasRenderingContext2D: () => ({ prototype: Object.getPrototypeOf(createCanvas(1, 1).getContext('2d')) }),
  getWebGLRenderingContext: () => undefined as unknown as typeof WebGLRenderingContext,
  getNavigator: () => ({ userAgent: 'Node.js', gpu: null }),
  getBaseUrl: () => 'file:///',
  getFontFaceSet: () => null,
  fetch: (url, options) => fetch(url, options),
  parseXML: () => {
    throw new InvalidConfig('Expected no XML parsing in Node rendering, got a request for it: scenes need no assets.');
  },
};

DOMAdapter.set(nodeAdapter);
// manageImports: false keeps pixi from loading its browser extensions (DOM events, accessibility); the
// graphics and text pipes are imported above instead.
const renderer = await autoDetectRenderer({
  preference: 'canvas',
  width: 1,
  height: 1,
  antialias: true,
  backgroundAlpha: 0,
  manageImports: false,
});

/** The part of @napi-rs/canvas a render texture's canvas exposes here. */
interface RawCanvas {
  data(): Uint8Array;
  encodeSync(format: 'png'): Uint8Array;
}

function checkSize(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 8192) {
    throw new InvalidConfig(`Expected rasterizer ${what} to be an integer from 1 to 8192 pixels, got ${describeValue(value)}.`);
  }
  return value as number;
}

/** A Node rasterizer of `width` x `height` frames (see `Rasterizer`). */
export function createNodeRasterizer(options: RasterizerOptions): Rasterizer {
  const width = checkSize(options?.width, 'width');
  const height = checkSize(options?.height, 'height');
  const channels = options.channels ?? 3;
  if (channels !== 3 && channels !== 4) {
    throw new InvalidConfig(`Expected rasterizer channels to be 3 (RGB) or 4 (RGBA), got ${describeValue(channels)}.`);
  }
  const size = { width, height };
  const texture = RenderTexture.create({ width, height, antialias: true });
  const stage = new Container();
  let closed = false;
  let rendered = false;

  const canvasOf = (): RawCanvas => {
    const resource: unknown = texture.source.resource;
    if (!(resource instanceof Canvas)) {
      throw new InvalidConfig(`Expected pixi to draw into a @napi-rs/canvas canvas, got ${describeValue(resource)}: is node-shims.js loaded before pixi.js?`);
    }
    return resource as unknown as RawCanvas;
  };
  const draw = (scene: Scene): RawCanvas => {
    if (closed) throw new InvalidConfig('Expected an open rasterizer, got one that was closed: create a new one with createNodeRasterizer().');
    drawScene(scene, stage, size);
    renderer.render({ container: stage, target: texture, clear: true });
    rendered = true;
    return canvasOf();
  };

  return {
    width,
    height,
    channels,
    render(scene: Scene, out?: Uint8Array): Uint8Array {
      const n = width * height;
      if (out !== undefined && out.length !== n * channels) {
        throw new InvalidConfig(`Expected an output array of ${n * channels} bytes (${height}x${width}x${channels}), got ${out.length}.`);
      }
      // data() hands back the canvas's RGBA bytes without encoding; it is faster than getImageData.
      const rgba = draw(scene).data();
      if (channels === 4) {
        if (out === undefined) return new Uint8Array(rgba.buffer.slice(rgba.byteOffset, rgba.byteOffset + n * 4));
        out.set(rgba.subarray(0, n * 4));
        return out;
      }
      const rgb = out ?? new Uint8Array(n * 3);
      for (let i = 0, j = 0; i < n; i++, j += 4) {
        const k = i * 3;
        rgb[k] = rgba[j]!;
        rgb[k + 1] = rgba[j + 1]!;
        rgb[k + 2] = rgba[j + 2]!;
      }
      return rgb;
    },
    png(): Uint8Array {
      if (!rendered) throw new InvalidConfig('Expected a rendered frame before png(), got none: call render(scene) first.');
      return canvasOf().encodeSync('png');
    },
    close(): void {
      if (closed) return;
      closed = true;
      stage.destroy({ children: true });
      texture.destroy(true);
    },
  };
}
