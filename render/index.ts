/**
 * rxgym/render: scenes to pixels (Node) and to the screen (viewer), pixel observations, episode recordings
 * and their export, the viewer's server and live mode. Importing it in Node loads pixi.js with its Node
 * shims (see node-rasterizer.ts); the browser viewer imports draw-scene.ts alone.
 */
// First: pixi.js reads browser globals while it loads.
import './node-shims.js';

export { drawScene, type FrameSize } from './draw-scene.js';
export { sceneView, parseColor, type SceneView, type ParsedColor } from './view.js';
export { createNodeRasterizer, type Rasterizer, type RasterizerOptions } from './node-rasterizer.js';
export { PixelObservation, type PixelMode, type PixelObs, type PixelObservationOptions } from './pixel-observation.js';
export {
  recordEpisodes,
  readEpisode,
  EPISODE_FORMAT,
  type Episode,
  type EpisodeHeader,
  type EpisodeStep,
  type RecordOptions,
  type ReadEpisodeOptions,
} from './recorder.js';
export { exportEpisode, exportFormatOf, findOnPath, MissingTool, type ExportFormat, type ExportOptions, type ExportResult } from './export.js';
export { GifEncoder, fixedPalette, medianCutPalette, type GifOptions, type Palette } from './gif.js';
export { startServer, type ServerOptions, type ViewerServer } from './server.js';
export { liveViewer, type LiveViewer, type LiveViewerOptions } from './live.js';
export { binaryFrames, writePng, type BinaryFramesOptions, type PngOptions } from './frames.js';
