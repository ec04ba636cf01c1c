/**
 * The scene canvas: one pixi.js Application (WebGL) that draws a Scene with the renderer shared by Node and
 * the browser, fitted to its container with the scene's aspect ratio.
 */
import { Application, Container } from 'pixi.js';
import type { Scene } from '../../../core/scene.js';
import { drawScene } from '../../draw-scene.js';

/** A pixi canvas inside `host`, resized to fit it. */
export class Stage {
  private scene: Scene | null = null;
  private readonly root = new Container();

  private constructor(
    private readonly host: HTMLElement,
    private readonly app: Application,
  ) {
    app.stage.addChild(this.root);
    host.appendChild(app.canvas);
    new ResizeObserver(() => {
      if (this.scene) this.draw(this.scene);
    }).observe(host);
  }

  /** Creates the WebGL application (async in pixi 8). */
  static async create(host: HTMLElement): Promise<Stage> {
    const app = new Application();
    await app.init({
      preference: 'webgl',
      antialias: true,
      autoStart: false, // drawn on demand: a paused episode costs nothing
      backgroundAlpha: 0,
      width: 600,
      height: 400,
      resolution: window.devicePixelRatio || 1,
      autoDensity: true,
      // Screenshots and tests read the canvas back after a draw.
      preserveDrawingBuffer: true,
    });
    app.canvas.setAttribute('aria-label', 'Environment scene');
    app.canvas.id = 'scene-canvas';
    return new Stage(host, app);
  }

  /** The largest size with the scene's aspect ratio that fits the host (CSS pixels, with a margin). */
  private fit(scene: Scene): { width: number; height: number } {
    const maxW = Math.max(this.host.clientWidth - 24, 50);
    const maxH = Math.max(this.host.clientHeight - 24, 50);
    const k = Math.min(maxW / scene.width, maxH / scene.height);
    return { width: Math.floor(scene.width * k), height: Math.floor(scene.height * k) };
  }

  /** Draws `scene` now. */
  draw(scene: Scene): void {
    this.scene = scene;
    const { width, height } = this.fit(scene);
    if (this.app.renderer.width !== width || this.app.renderer.height !== height) this.app.renderer.resize(width, height);
    // Whole-pixel placement: a canvas centred at a half pixel is resampled and its edges blur.
    const style = this.app.canvas.style;
    style.left = `${Math.floor((this.host.clientWidth - width) / 2)}px`;
    style.top = `${Math.floor((this.host.clientHeight - height) / 2)}px`;
    drawScene(scene, this.root, { width, height });
    this.app.render();
  }

  /** Removes the drawing (no episode selected). */
  clear(): void {
    this.scene = null;
    // drawScene pools its children per target: detach them, do not destroy them.
    this.root.removeChildren();
    this.app.render();
  }
}
