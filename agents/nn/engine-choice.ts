/**
 * How engine: 'auto' picks between the plain Float32Array MLP and tfjs.
 *
 * The plain engine costs time in proportion to the work: ~1.1e6 multiply-adds per ms in V8 (4-row x 2-column
 * blocked loops, measured 1.0-1.3 GMAC/s), a train step being ~3x the forward multiply-adds of a batch. tfjs on
 * wasm pays a fixed ~1.2 ms per train step (130-150 ops at ~6.5-9 us of dispatch each) and then runs ~7e6
 * multiply-adds per ms (XNNPACK SIMD). Measured train steps/s on a quiet machine (bench/nn.ts, STACK figures):
 *
 *   net / batch         plain   tfjs-wasm (transposed-gradient matMul)
 *   4-64-64-2 / 32       2342   ~700
 *   4-64-64-2 / 64       1221   743
 *   4-64-64-2 / 256       398   596
 *   8-256-256-4 / 64       97   328
 *
 * Setting the two cost lines equal puts the break-even at batch x (multiply-adds per sample) ~ 500k: plain below,
 * tfjs above. So SB3's CartPole DQN ([64, 64], batch 32: 143k) runs plain and rl-zoo's ([256, 256], batch 64: 4.3M)
 * runs tfjs. On tfjs's pure-JS cpu backend tfjs is slower than plain at every MLP size (dispatch ~2 us/op and
 * matMul slower than the plain loops), so MLPs stay plain there. Conv torsos and layer norm exist only in tfjs.
 */
import { selectedBackend } from './backend.js';
import type { QNetworkConfig } from './q-network.js';
import { outputWidth } from './params.js';

/** batch x multiply-adds per sample above which tfjs (wasm or native) trains faster than the plain engine. */
export const PLAIN_WORK_LIMIT = 500_000;

/** Multiply-adds of one forward pass for one sample through the MLP layers. */
export function macsPerSample(config: QNetworkConfig): number {
  const sizes = [config.obsDim, ...config.hidden, outputWidth(config)];
  let macs = 0;
  for (let i = 0; i + 1 < sizes.length; i++) macs += sizes[i]! * sizes[i + 1]!;
  return macs;
}

/**
 * The engine 'auto' resolves to for this config on `backend`: by default the one `initBackend()` chose, or, before
 * it has run, wasm (always installed), so that a caller can decide whether it needs `initBackend()` at all.
 */
export function chooseEngine(config: QNetworkConfig, backend: string = selectedBackend() ?? 'wasm'): 'plain' | 'tfjs' {
  if (config.conv || config.layerNorm) return 'tfjs';
  if (backend !== 'wasm' && backend !== 'tensorflow') return 'plain';
  return (config.batchSize ?? 32) * macsPerSample(config) <= PLAIN_WORK_LIMIT ? 'plain' : 'tfjs';
}
