/**
 * How engine 'auto' picks between the plain engine (Float32Array layers, WebAssembly SIMD matrix kernel) and tfjs.
 *
 * Measured for the DQN Q-network with `npm run bench -- nn` (train steps per CPU-second, forward + Huber +
 * backward + clip + Adam; Node 20 on 2 shared cores, load ~2-3, so the ratios count more than the absolute
 * figures):
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
 * tfjs pays ~130 op dispatches per train step (~6.5 us each on wasm), and XNNPACK's matMul does not outrun the
 * SIMD kernel at these sizes, so with WebAssembly SIMD the plain engine wins every MLP measured, by 1.2x at
 * 4-256-256-2 / 256 and 16x at 4-64-64-2 / 32. Without SIMD the plain JS loops (~1.1e9 multiply-adds/s) lose to
 * tfjs-wasm once batch x multiply-adds per sample passes ~500k (4-64-64-2 / 256 is 1.1M). Native TensorFlow
 * (tfjs-node, multi-threaded) is unmeasured here: it gets the MLPs whose batch x multiply-adds per sample exceeds
 * 5M, where compute dominates dispatch. Conv torsos exist only in tfjs.
 */
import { selectedBackend } from './backend.js';
import { kernelInfo } from './kernels/simd.js';
import { macsPerSample } from './layout.js';
import type { EngineName, NetSpec } from './types.js';

/** Without WebAssembly SIMD: batch x multiply-adds per sample above which tfjs-wasm beats the JS loops. */
export const PLAIN_JS_WORK_LIMIT = 500_000;
/** On native TensorFlow (tfjs-node): batch x multiply-adds per sample above which tfjs is preferred. */
export const NATIVE_WORK_LIMIT = 5_000_000;
/** The batch size assumed when the caller gives none (SB3's DQN batch). */
export const DEFAULT_BATCH_SIZE = 32;

/**
 * The engine 'auto' resolves to for `spec` at `batchSize` rows per training call, on `backend` (by default the
 * one `initBackend()` chose, or wasm before it has run), with or without the plain engine's SIMD kernel (by
 * default: whether it loads here). Rules: conv torso -> tfjs; on tfjs-node, tfjs above NATIVE_WORK_LIMIT; with
 * SIMD, or on tfjs's cpu backend, plain; on wasm without SIMD, tfjs above PLAIN_JS_WORK_LIMIT.
 */
export function chooseEngine(
  spec: NetSpec,
  batchSize: number = DEFAULT_BATCH_SIZE,
  backend: string = selectedBackend() ?? 'wasm',
  simd: boolean = kernelInfo().kernel === 'simd',
): EngineName {
  if (spec.layers.some((l) => l.kind === 'convTorso')) return 'tfjs';
  const work = batchSize * macsPerSample(spec);
  if (backend === 'tensorflow') return work > NATIVE_WORK_LIMIT ? 'tfjs' : 'plain';
  if (simd || backend !== 'wasm') return 'plain';
  return work > PLAIN_JS_WORK_LIMIT ? 'tfjs' : 'plain';
}
