/**
 * The Q-function interface every value-based agent codes against, its config (defaults, validation) and the
 * `qNetwork()` factory that picks an engine: `plain` (a Float32Array MLP, no tensors) or `tfjs` (TensorFlow.js on
 * whatever backend `initBackend()` chose). Arrays in and out are row-major Float32Arrays; tensors never escape.
 */
import { InvalidConfig, describeValue } from '../../core/errors.js';
import { createPlainQ } from './plain-mlp.js';
import { createTfjsQ } from './tfjs-q.js';
import { chooseEngine } from './engine-choice.js';

export { assertSameArchitecture, optimizerEpsilon } from './params.js';

/** Everything that defines a Q-network; `qNetwork()` fills the omitted fields from `DEFAULT_Q_NETWORK_CONFIG`. */
export interface QNetworkConfig {
  /** Length of one (flattened) observation. For `conv`, the product of `conv.inputShape`. */
  obsDim: number;
  /** Number of discrete actions = outputs of the network. */
  numActions: number;
  /** Widths of the hidden layers, e.g. [64, 64] (SB3's DQN default). */
  hidden: number[];
  /** Hidden-layer nonlinearity. */
  activation: 'relu' | 'tanh';
  /** Dueling head: Q = V + A - mean(A). */
  dueling: boolean;
  /** Layer normalisation (no learned gain/bias, eps 1e-5) of each hidden layer's pre-activation; both engines. */
  layerNorm: boolean;
  /** Optimiser; update rules are tfjs's (Adam with bias correction, RMSProp without momentum or centering). */
  optimizer: 'adam' | 'rmsprop';
  /** Step size. */
  learningRate: number;
  /** The optimiser's epsilon; default 1e-8 for Adam (torch, as in SB3) and 1e-7 for RMSProp (tfjs). */
  adamEpsilon?: number;
  /** Loss on d = Q(s, a) - target: huber (delta 1, SB3's smooth_l1) or mse (mean of d^2, torch's mse_loss). */
  loss: 'huber' | 'mse';
  /** Global gradient-norm clipping (SB3's max_grad_norm, default 10); null disables it. */
  maxGradNorm: number | null;
  /** 'auto' picks by measured speed for the size (see engine-choice.ts). */
  engine: 'auto' | 'plain' | 'tfjs';
  /** Seed of the weight initialisation (torch Linear's default: Kaiming-uniform weights, uniform biases). */
  seed: number;
  /** Pixel observations: a small Nature-DQN-like conv torso over [H, W, C] inputs (tfjs engine only). The network
      takes the floats as given (each row an H x W x C image, row-major): scale uint8 pixels to [0, 1] (x / 255)
      before they reach it. */
  conv?: { inputShape: [number, number, number] };
  /** tfjs engine: dense matMul with tfjs's gradient ('stock') or explicit transposes ('transposed');
      'auto' (default) = transposed on wasm, where it trains 3.5-6x faster, stock elsewhere. */
  tfjsMatMul?: 'auto' | 'stock' | 'transposed';
  /** Plain engine: WebAssembly SIMD matMul kernel ('simd', ~4x the JS loops) or the JS loops; 'auto' (default)
      = simd where WebAssembly SIMD exists. */
  plainKernel?: 'auto' | 'simd' | 'js';
  /** The train batch size you expect to use; only engine 'auto' reads it (default 32, SB3's DQN batch). */
  batchSize?: number;
}

/** A Q-function over discrete actions. All arrays are row-major Float32Arrays; no tensor escapes. */
export interface QFunction {
  readonly config: QNetworkConfig;
  readonly engine: 'plain' | 'tfjs';
  /** Q-values of a batch: obs is batchSize*obsDim floats (row-major); returns batchSize*numActions floats (into out if given). */
  predict(obs: Float32Array, batchSize: number, out?: Float32Array): Float32Array;
  /** Greedy action for one observation (obsDim floats). Fast path: no tensors for the plain engine. */
  act(obs: Float32Array): number;
  /** One optimiser step pulling Q(obs_i, actions_i) toward targets_i; returns the mean (weighted) loss.
      weights: per-sample importance weights (PER); tdErrorsOut receives |Q - target| per sample. */
  fit(
    obs: Float32Array,
    actions: Int32Array,
    targets: Float32Array,
    batchSize: number,
    options?: { weights?: Float32Array; tdErrorsOut?: Float32Array },
  ): number;
  /** Target-network update from another QFunction of the same config: tau = 1 copies (hard), else Polyak. */
  updateFrom(source: QFunction, tau: number): void;
  /** A new QFunction with the same config and a copy of the parameters (optimiser state fresh). */
  clone(): QFunction;
  /** Parameters and optimiser state as named float arrays, for checkpoints (JSON-able header + Float32Array data). */
  getState(): NetworkState;
  /** Restores getState() output; throws a typed error naming the tensor whose shape/size does not match. */
  setState(state: NetworkState): void;
  dispose(): void;
}

/** One named float array of a network or optimiser (shape in elements, data row-major). */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Parameters and optimiser state of a QFunction; `step` counts optimiser steps taken. */
export interface NetworkState {
  params: NamedArray[];
  optimizer: NamedArray[];
  step: number;
}

/**
 * Defaults: SB3's DQN MlpPolicy ([64, 64] relu, Adam lr 1e-4, huber, max_grad_norm 10); `adamEpsilon` defaults to
 * 1e-8 (torch's Adam, which SB3 uses) for Adam and 1e-7 (tfjs's default) for RMSProp; engine 'auto'; seed 0.
 */
export const DEFAULT_Q_NETWORK_CONFIG: Omit<QNetworkConfig, 'obsDim' | 'numActions'> = {
  hidden: [64, 64],
  activation: 'relu',
  dueling: false,
  layerNorm: false,
  optimizer: 'adam',
  learningRate: 1e-4,
  loss: 'huber',
  maxGradNorm: 10,
  engine: 'auto',
  seed: 0,
};

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidConfig(`Expected ${name} to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}.`);
  }
  return value as T;
}

/** Fills defaults and validates; throws `InvalidConfig` ("Expected X, got Y") on the first bad field. */
export function resolveQNetworkConfig(
  partial: Partial<QNetworkConfig> & { obsDim: number; numActions: number },
): QNetworkConfig {
  if (partial === null || typeof partial !== 'object') {
    throw new InvalidConfig(`Expected a Q-network config object, got ${describeValue(partial)}.`);
  }
  const c: QNetworkConfig = { ...DEFAULT_Q_NETWORK_CONFIG, ...stripUndefined(partial) } as QNetworkConfig;
  c.hidden = [...c.hidden];
  if (!isPositiveInt(c.obsDim)) throw new InvalidConfig(`Expected obsDim to be a positive integer, got ${describeValue(c.obsDim)}.`);
  if (!isPositiveInt(c.numActions)) {
    throw new InvalidConfig(`Expected numActions to be a positive integer, got ${describeValue(c.numActions)}.`);
  }
  if (!Array.isArray(c.hidden) || !c.hidden.every(isPositiveInt)) {
    throw new InvalidConfig(`Expected hidden to be an array of positive integers, got ${describeValue(partial.hidden)}.`);
  }
  oneOf('activation', c.activation, ['relu', 'tanh'] as const);
  if (typeof c.dueling !== 'boolean') throw new InvalidConfig(`Expected dueling to be a boolean, got ${describeValue(c.dueling)}.`);
  if (typeof c.layerNorm !== 'boolean') {
    throw new InvalidConfig(`Expected layerNorm to be a boolean, got ${describeValue(c.layerNorm)}.`);
  }
  oneOf('optimizer', c.optimizer, ['adam', 'rmsprop'] as const);
  if (typeof c.learningRate !== 'number' || !(c.learningRate > 0) || !Number.isFinite(c.learningRate)) {
    throw new InvalidConfig(`Expected learningRate to be a positive finite number, got ${describeValue(c.learningRate)}.`);
  }
  if (c.adamEpsilon !== undefined && (typeof c.adamEpsilon !== 'number' || !(c.adamEpsilon > 0))) {
    throw new InvalidConfig(`Expected adamEpsilon to be a positive number, got ${describeValue(c.adamEpsilon)}.`);
  }
  oneOf('loss', c.loss, ['huber', 'mse'] as const);
  if (c.maxGradNorm !== null && (typeof c.maxGradNorm !== 'number' || !(c.maxGradNorm > 0))) {
    throw new InvalidConfig(`Expected maxGradNorm to be a positive number or null, got ${describeValue(c.maxGradNorm)}.`);
  }
  oneOf('engine', c.engine, ['auto', 'plain', 'tfjs'] as const);
  if (typeof c.seed !== 'number' || !Number.isSafeInteger(c.seed) || c.seed < 0) {
    throw new InvalidConfig(`Expected seed to be a non-negative integer, got ${describeValue(c.seed)}.`);
  }
  if (c.batchSize !== undefined && !isPositiveInt(c.batchSize)) {
    throw new InvalidConfig(`Expected batchSize to be a positive integer, got ${describeValue(c.batchSize)}.`);
  }
  if (c.plainKernel !== undefined) oneOf('plainKernel', c.plainKernel, ['auto', 'simd', 'js'] as const);
  if (c.tfjsMatMul !== undefined) oneOf('tfjsMatMul', c.tfjsMatMul, ['auto', 'stock', 'transposed'] as const);
  if (c.conv !== undefined) {
    const shape = c.conv?.inputShape;
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInt)) {
      throw new InvalidConfig(`Expected conv.inputShape to be [height, width, channels] positive integers, got ${describeValue(shape)}.`);
    }
    if (Math.min(shape[0], shape[1]) < 5) {
      throw new InvalidConfig(`Expected conv.inputShape to be at least 5x5 pixels, got ${describeValue(shape)}. Flatten smaller grids and use an MLP.`);
    }
    const size = shape[0] * shape[1] * shape[2];
    if (size !== c.obsDim) {
      throw new InvalidConfig(`Expected obsDim to equal the product of conv.inputShape (${size}), got ${c.obsDim}.`);
    }
    if (c.engine === 'plain') {
      throw new InvalidConfig(`Expected engine 'tfjs' or 'auto' with a conv torso, got 'plain'. The plain engine only runs MLPs.`);
    }
    c.conv = { inputShape: [shape[0], shape[1], shape[2]] };
  }
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * Builds a Q-network. Defaults are `DEFAULT_Q_NETWORK_CONFIG` (SB3's DQN). The tfjs engine runs on the current tfjs
 * backend: call `await initBackend()` first to get tfjs-node or wasm instead of tfjs's cpu fallback. Engine 'auto'
 * follows `chooseEngine()`: tfjs for conv torsos; for MLPs the plain engine wherever WebAssembly SIMD
 * exists (it out-trains tfjs-wasm at every size measured), see engine-choice.ts for the figures and the rest.
 */
export function qNetwork(config: Partial<QNetworkConfig> & { obsDim: number; numActions: number }): QFunction {
  const c = resolveQNetworkConfig(config);
  const engine = c.engine === 'auto' ? chooseEngine(c) : c.engine;
  return engine === 'plain' ? createPlainQ(c) : createTfjsQ(c);
}
