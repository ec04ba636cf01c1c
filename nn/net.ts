/** `createNet`: one factory for both engines. */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { DEFAULT_BATCH_SIZE, chooseEngine } from './engine-choice.js';
import { validateNetSpec } from './layout.js';
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
