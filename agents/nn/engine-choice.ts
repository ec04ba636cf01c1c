/** Picks the engine for engine: 'auto'. */
import type { QNetworkConfig } from './q-network.js';

/** 'plain' for small MLPs, 'tfjs' for conv torsos, layer norm and wide nets. */
export function chooseEngine(config: QNetworkConfig): 'plain' | 'tfjs' {
  if (config.conv || config.layerNorm) return 'tfjs';
  return Math.max(...config.hidden) <= 64 ? 'plain' : 'tfjs';
}
