/** The plain Float32Array MLP engine (being written). */
import { InvalidConfig } from '../../core/errors.js';
import type { QFunction, QNetworkConfig } from './q-network.js';

/** Builds a plain-engine Q-function. */
export function createPlainQ(config: QNetworkConfig): QFunction {
  throw new InvalidConfig(`Expected an available engine, got 'plain' for ${JSON.stringify(config.hidden)} (not built yet).`);
}
