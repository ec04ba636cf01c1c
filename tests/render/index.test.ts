import { describe, expect, it } from 'vitest';
import * as render from '../../render/index.js';

describe('rxgym/render entry point', () => {
  it('loads in Node (shims before pixi) and exposes the rasterizer, wrapper, recorder and exporters', () => {
    for (const name of ['drawScene', 'createNodeRasterizer', 'PixelObservation', 'recordEpisodes', 'readEpisode', 'exportEpisode', 'GifEncoder', 'MissingTool', 'startServer', 'liveViewer'] as const) {
      expect(typeof render[name]).toBe('function');
    }
    const r = render.createNodeRasterizer({ width: 2, height: 1 });
    const px = r.render({ width: 2, height: 1, viewport: { xMin: 0, xMax: 2, yMin: 0, yMax: 1 }, background: '#00ff00', shapes: [{ type: 'rect', x: 1.5, y: 0.5, width: 1, height: 1, fill: '#0000ff' }] });
    expect(Array.from(px)).toEqual([0, 255, 0, 0, 0, 255]);
    r.close();
  });
});
