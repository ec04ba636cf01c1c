/**
 * How engine: 'auto' picks between the plain engine (Float32Array MLP, WebAssembly SIMD matMul) and tfjs.
 *
 * Measured with `npm run bench -- nn` (train steps per CPU-second, forward + Huber + backward + clip + Adam;
 * Node 20 on 2 shared cores, load ~2-3, so the ratios count more than the absolute figures):
 *
 *   net / batch          plain SIMD   plain JS loops   tfjs-wasm (transposed grad)   tfjs-wasm (stock)   tfjs-cpu
 *   4-64-64-2 / 32          8187          2544               338                        510             193
 *   4-64-64-2 / 64          5203          1298               693                        718             162
 *   4-64-64-2 / 256         2150           406               639                        300              62
 *   4-256-256-2 / 64         362            63               119                         68              11
 *   4-256-256-2 / 256        132            31               107                         22               5
 *   8-256-256-4 / 64         449            80               138                         55              12
 *   8-256-256-4 / 256        160            22                86                         22               5
 *
 * tfjs pays ~130 op dispatches per train step (~6.5 us each on wasm), and XNNPACK's matMul does not outrun our
 * SIMD kernel at these sizes, so with WebAssembly SIMD the plain engine wins every MLP we measured, by 1.2x at
 * 4-256-256-2 / 256 and 16x at SB3's CartPole size (4-64-64-2 / 32). Without SIMD the plain JS loops (~1.1e9 multiply-adds/s)
 * lose to tfjs-wasm once batch x multiply-adds per sample passes ~500k (4-64-64-2 / 256 is 1.1M). Native
 * TensorFlow (tfjs-node, multi-threaded) could not be installed here and is unmeasured: we give it the MLPs whose
 * batch x multiply-adds per sample exceeds 5M, where compute dominates dispatch. Conv torsos exist only in tfjs.
 */
import { selectedBackend } from './backend.js';
import type { QNetworkConfig } from './q-network.js';
import { outputWidth } from './params.js';
import { simdGemm } from './simd-gemm.js';

/** Without WebAssembly SIMD: batch x multiply-adds per sample above which tfjs-wasm beats the JS loops. */
export const PLAIN_JS_WORK_LIMIT = 500_000;
/** On native TensorFlow (tfjs-node): batch x multiply-adds per sample above which tfjs is preferred. */
export const NATIVE_WORK_LIMIT = 5_000_000;

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
 * `simd` says whether the plain engine has its WebAssembly SIMD kernel (it does wherever wasm SIMD exists).
 */
export function chooseEngine(
  config: QNetworkConfig,
  backend: string = selectedBackend() ?? 'wasm',
  simd: boolean = simdGemm !== null && config.plainKernel !== 'js',
): 'plain' | 'tfjs' {
  if (config.conv) return 'tfjs';
  const work = (config.batchSize ?? 32) * macsPerSample(config);
  if (backend === 'tensorflow') return work > NATIVE_WORK_LIMIT ? 'tfjs' : 'plain';
  if (simd || backend !== 'wasm') return 'plain';
  return work > PLAIN_JS_WORK_LIMIT ? 'tfjs' : 'plain';
}
