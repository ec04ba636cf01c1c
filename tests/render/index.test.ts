import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

  it('lets a Node process that rendered exit by itself (pixi\'s ticker timers do not hold it open)', () => {
    const entry = fileURLToPath(new URL('../../render/index.ts', import.meta.url));
    const script = `const r = (await import(${JSON.stringify(entry)})).createNodeRasterizer({ width: 4, height: 4 });
      r.render({ width: 4, height: 4, viewport: { xMin: 0, xMax: 1, yMin: 0, yMax: 1 }, shapes: [] }); console.log('drawn');`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stdout.trim()).toBe('drawn');
    expect(run.status).toBe(0);
  });
});
