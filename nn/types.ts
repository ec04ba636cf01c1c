/**
 * The contract every rxgym network, optimiser and loss shares, on both engines (the Float32Array engine with its
 * WebAssembly SIMD kernel, and tfjs). Agents and models code against these types only; tensors never escape.
 *
 * Arrays are row-major Float32Arrays: a batch of n inputs is n x inputSize floats, its outputs n x outputSize.
 * Parameters and gradients are flat Float32Arrays (the layers' tensors laid end to end, in `paramShapes()`
 * order), so that optimisers, gradient clipping, Polyak updates and checkpoints are single loops over one array.
 */

/** Elementwise nonlinearities a layer can apply. */
export type Activation = 'relu' | 'tanh' | 'elu' | 'identity';

/** A fully connected layer y = act(x W + b); W is [in, units] (tfjs's layout), b is [units]. */
export interface DenseLayer {
  kind: 'dense';
  units: number;
  /** Applied after the affine map; default 'identity'. */
  activation?: Activation;
}

/** Layer normalisation over the features of each row (eps 1e-5, torch's), with an optional learned gain and bias. */
export interface LayerNormLayer {
  kind: 'layerNorm';
  /** Learned gain (init 1) and bias (init 0); default false. */
  affine?: boolean;
}

/** A standalone nonlinearity (for example after a layer norm). */
export interface ActivationLayer {
  kind: 'activation';
  fn: Activation;
}

/**
 * The pixel torso: Nature DQN's three conv layers (32@8x8/4, 64@4x4/2, 64@3x3/1, valid, relu) for images of at
 * least 36 pixels a side, else two (16@3x3/1, 32@3x3/2, valid, relu); its output is flattened. Only valid as the
 * first layer, with `NetSpec.input` an [height, width, channels] shape. tfjs engine only.
 */
export interface ConvTorsoLayer {
  kind: 'convTorso';
}

/** One layer of a network. */
export type LayerSpec = DenseLayer | LayerNormLayer | ActivationLayer | ConvTorsoLayer;

/** Everything that defines a network's shape and initial parameters. Plain JSON, saved with checkpoints. */
export interface NetSpec {
  /** Input width, or [height, width, channels] for a network that starts with a conv torso. */
  input: number | [number, number, number];
  layers: LayerSpec[];
  /**
   * Seed of the initial parameters: torch's defaults (weights and biases uniform in +-1/sqrt(fan_in)); layer-norm
   * gains 1 and biases 0.
   */
  seed: number;
}

/** Which engine runs a network: 'auto' picks by measured speed for the layer sizes and the real batch size. */
export type EngineName = 'plain' | 'tfjs';
export type EngineChoice = EngineName | 'auto';

/** One named parameter tensor of a network (its slice of the flat `params`). */
export interface ParamShape {
  /** For example `0/dense/kernel`, `0/dense/bias`, `2/layerNorm/gain`, `0/convTorso/conv1/kernel`. */
  name: string;
  shape: number[];
  /** Offset into the flat `params`/`grads` arrays. */
  offset: number;
  /** Element count (the product of `shape`). */
  size: number;
}

import type { NamedArray } from '../core/named-array.js';

/** A named Float32Array with its shape: how networks and optimisers export their state (defined in core for checkpoints). */
export type { NamedArray };

/**
 * A differentiable network. `forward` keeps what the next `backward` needs (one pending forward per network);
 * `predict` is inference only and keeps nothing, so it may run between a `forward` and its `backward`.
 */
export interface Net {
  readonly spec: Readonly<NetSpec>;
  readonly engine: EngineName;
  /** Floats per input row (the product of the input shape). */
  readonly inputSize: number;
  /** Floats per output row. */
  readonly outputSize: number;
  /** All parameters, flat. Optimisers write it in place and then call `paramsChanged()`. */
  readonly params: Float32Array;
  /** Gradients of the loss with respect to `params`, accumulated by `backward` until `zeroGrad()`. */
  readonly grads: Float32Array;
  /** Where each named tensor sits in `params`/`grads`. */
  paramShapes(): readonly ParamShape[];

  /** Inference: n rows of x (n x inputSize) to n x outputSize outputs (into `out` if given). Keeps no state. */
  predict(x: Float32Array, n: number, out?: Float32Array): Float32Array;
  /**
   * Training forward pass: like `predict`, and it keeps the activations for one `backward`. The returned array
   * may be an internal buffer, valid until the next call on this network: copy what must outlive it.
   */
  forward(x: Float32Array, n: number, out?: Float32Array): Float32Array;
  /**
   * Backward through the last `forward`: dOut is dLoss/dOutput (n x outputSize). Adds dLoss/dParams into `grads`
   * and, when `dIn` is given, writes dLoss/dInput (n x inputSize) into it and returns it.
   */
  backward(dOut: Float32Array, n: number, dIn?: Float32Array): Float32Array | undefined;
  /** Sets `grads` to zero. */
  zeroGrad(): void;
  /** Tells the engine that `params` was written (refreshes transposed copies, uploads to tfjs variables). */
  paramsChanged(): void;

  /** A network of the same spec and engine with a copy of the parameters (gradients zero). */
  clone(): Net;
  /** params = params + tau (src.params - params): tau 1 copies (hard update), tau < 1 blends (Polyak). */
  polyakFrom(src: Net, tau: number): void;
  /** Parameters as named arrays (copies), for checkpoints. */
  getParams(): NamedArray[];
  /** Restores `getParams()` output; throws `IncompatibleState` naming the tensor whose name or shape differs. */
  setParams(params: readonly NamedArray[]): void;
  /** Frees engine memory (tfjs variables). The network is unusable afterwards. */
  dispose(): void;
}

/** An optimiser over the parameters of one or more networks (for example an actor and its log-std). */
export interface Optimizer {
  readonly kind: 'adam' | 'rmsprop' | 'sgd';
  /** Step size; writable, for schedules. */
  learningRate: number;
  /** Optimiser steps taken. */
  readonly steps: number;
  /**
   * One update from the networks' accumulated `grads`: clips the global gradient norm over all its networks
   * when `maxGradNorm` is set, updates `params` in place, calls `paramsChanged()`, and zeroes the gradients.
   * Returns the gradient norm before clipping.
   */
  step(): number;
  /** Slot arrays (named `<net index>/<slot>`) and the step count, for checkpoints. */
  getState(): { steps: number; slots: NamedArray[] };
  /** Restores `getState()` output; throws `IncompatibleState` on a mismatch. */
  setState(state: { steps: number; slots: readonly NamedArray[] }): void;
}
