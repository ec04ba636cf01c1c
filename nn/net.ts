/** `createNet`: one factory for both engines. */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { DEFAULT_BATCH_SIZE, chooseEngine } from './engine-choice.js';
import { netLayout, validateNetSpec } from './layout.js';
import { PlainNet } from './plain/net.js';
import { createTfjsNet } from './tfjs/net.js';
import type { EngineChoice, Net, NetSpec } from './types.js';

/** Options of `createNet`. */
export interface CreateNetOptions {
  /** 'auto' (default) picks by measured speed for the layers and the batch size (see engine-choice.ts). */
  engine?: EngineChoice;
  /** Rows per training call you expect (default 32); only 'auto' reads it. */
  batchSize?: number;
}

/**
 * Builds a network of `spec` (validated; `InvalidConfig` names the bad field). The tfjs engine runs on the current
 * tfjs backend: `await initBackend()` first to get tfjs-node or wasm rather than tfjs's cpu fallback, and before
 * an 'auto' choice, which depends on the backend (conv torsos always go to tfjs).
 */
export function createNet(spec: NetSpec, options: CreateNetOptions = {}): Net {
  validateNetSpec(spec);
  checkFits(spec);
  if (options === null || typeof options !== 'object') throw new InvalidConfig(`Expected options to be an object, got ${describeValue(options)}.`);
  const { engine = 'auto', batchSize = DEFAULT_BATCH_SIZE } = options;
  if (engine !== 'auto' && engine !== 'plain' && engine !== 'tfjs') {
    throw new InvalidConfig(`Expected engine to be one of 'auto', 'plain', 'tfjs', got ${describeValue(engine)}.`);
  }
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new InvalidConfig(`Expected batchSize to be a positive integer, got ${describeValue(batchSize)}.`);
  }
  const chosen = engine === 'auto' ? chooseEngine(spec, batchSize) : engine;
  return chosen === 'plain' ? new PlainNet(spec) : createTfjsNet(spec);
}

/** Parameters one network may have: 2^28 floats are 1 GiB a copy, and training keeps about five copies. */
export const MAX_PARAMS = 2 ** 28;
/** Copies of the parameters training keeps: the network, its gradients, Adam's two moments and a target network. */
const TRAINING_COPIES = 5;

/** Throws `InvalidConfig` saying how much memory a network needs when it cannot be allocated. */
function checkFits(spec: NetSpec): void {
  const n = netLayout(spec).paramCount;
  if (n <= MAX_PARAMS) return;
  const gb = (bytes: number) => `${(bytes / 1e9).toPrecision(3)} GB`;
  throw new InvalidConfig(
    `Expected a network of at most ${MAX_PARAMS} parameters (${gb(MAX_PARAMS * 4)} a copy), got one of ${n.toExponential(2)} parameters: ` +
      `${gb(n * 4)} a copy, about ${gb(n * 4 * TRAINING_COPIES)} to train. Use narrower or fewer layers.`,
  );
}
