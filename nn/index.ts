/**
 * rxgym's network layer, shared by agents and models: one `Net` contract on two engines.
 *
 *   const net = createNet({ input: 4, layers: [{ kind: 'dense', units: 64, activation: 'relu' },
 *     { kind: 'dense', units: 2 }], seed: 0 });          // engine 'auto': plain + SIMD for small MLPs
 *   const y = net.forward(x, 32);                         // 32 x 2, kept for one backward
 *   net.backward(dLossDy, 32);                            // adds dLoss/dparams into net.grads
 *   const target = net.clone();  target.polyakFrom(net, 0.005);
 */
export type {
  Activation, ActivationLayer, ConvTorsoLayer, DenseLayer, EngineChoice, EngineName, LayerNormLayer, LayerSpec, NamedArray,
  Net, NetSpec, Optimizer, ParamShape,
} from './types.js';
export { createNet } from './net.js';
export type { CreateNetOptions } from './net.js';
export { convTorso, initParams, macsPerSample, netLayout, paramShapes, sizeOf, validateNetSpec } from './layout.js';
export type { ConvSpec, LayerLayout, NetLayout } from './layout.js';
export { IncompatibleState } from './errors.js';
export { BackendUnavailable, backendInfo, describeBackend, initBackend, selectedBackend } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';
export { chooseEngine, DEFAULT_BATCH_SIZE, NATIVE_WORK_LIMIT, PLAIN_JS_WORK_LIMIT } from './engine-choice.js';
export { kernelInfo } from './kernels/simd.js';
export type { KernelInfo } from './kernels/simd.js';
export { createPlainNet, PlainNet } from './plain/net.js';
export type { PlainKernel, PlainNetOptions } from './plain/net.js';
export { createTfjsNet, TfjsNet } from './tfjs/net.js';
export { MAX_PARAMS } from './net.js';
export * from './optimizers.js';
export * from './losses.js';
export * from './heads.js';
