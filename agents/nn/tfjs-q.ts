/** The tfjs engine (being written). */
import { InvalidConfig } from '../../core/errors.js';
import type { QFunction, QNetworkConfig } from './q-network.js';

/** Builds a tfjs-engine Q-function. */
export function createTfjsQ(config: QNetworkConfig): QFunction {
  throw new InvalidConfig(`Expected an available engine, got 'tfjs' for ${JSON.stringify(config.hidden)} (not built yet).`);
}
