/**
 * What both engines share: the names and shapes of a Q-network's parameters and optimiser slots, the seeded
 * weight initialisation, and the checks `setState()` runs. Same names and layouts in both engines, so a
 * checkpoint from one loads into the other (dense kernels are [in, out], tfjs's layout; conv kernels
 * [kh, kw, cin, cout]).
 */
import { InvalidConfig, RxgymError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { NamedArray, NetworkState, QNetworkConfig } from './q-network.js';

/** A state handed to `setState()` does not fit the network: wrong tensor names, shapes or sizes. */
export class IncompatibleState extends RxgymError {
  /** The tensor that does not match (its name in the state). */
  readonly tensor: string;
  constructor(tensor: string, message: string) {
    super('INCOMPATIBLE_STATE', message);
    this.tensor = tensor;
  }
}

/** One conv layer of the pixel torso. */
export interface ConvSpec {
  filters: number;
  kernel: number;
  stride: number;
  padding: 'valid' | 'same';
}

/** One parameter: its name, shape, and the fan-in its initialisation bound uses. */
export interface ParamSpec {
  name: string;
  shape: number[];
  fanIn: number;
}

/**
 * The conv torso for an [H, W, C] input: Nature DQN's three layers (32@8x8/4, 64@4x4/2, 64@3x3/1, valid) when
 * the image is at least 36 pixels on each side, else two 'valid' layers (16@3x3/1, 32@3x3/2) for small grids
 * (at least 5x5). 'valid' because tfjs-wasm's PadV2 made 'same' padding the slowest op of a small step.
 */
export function convTorso(inputShape: [number, number, number]): { layers: ConvSpec[]; outShape: [number, number, number] } {
  const [h, w] = inputShape;
  const layers: ConvSpec[] =
    Math.min(h, w) >= 36
      ? [
          { filters: 32, kernel: 8, stride: 4, padding: 'valid' },
          { filters: 64, kernel: 4, stride: 2, padding: 'valid' },
          { filters: 64, kernel: 3, stride: 1, padding: 'valid' },
        ]
      : [
          { filters: 16, kernel: 3, stride: 1, padding: 'valid' },
          { filters: 32, kernel: 3, stride: 2, padding: 'valid' },
        ];
  let [oh, ow, oc] = inputShape;
  for (const l of layers) {
    if (l.padding === 'valid') {
      oh = Math.floor((oh - l.kernel) / l.stride) + 1;
      ow = Math.floor((ow - l.kernel) / l.stride) + 1;
    } else {
      oh = Math.ceil(oh / l.stride);
      ow = Math.ceil(ow / l.stride);
    }
    oc = l.filters;
  }
  return { layers, outShape: [oh, ow, oc] };
}

/** Width of the output layer: numActions, plus one value unit for a dueling head (column 0). */
export function outputWidth(config: QNetworkConfig): number {
  return config.numActions + (config.dueling ? 1 : 0);
}

/** Parameter names and shapes in a fixed order: conv{i}/kernel|bias, hidden{i}/kernel|bias, out/kernel|bias. */
export function paramSpecs(config: QNetworkConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  let width = config.obsDim;
  if (config.conv) {
    const { layers, outShape } = convTorso(config.conv.inputShape);
    let cin = config.conv.inputShape[2];
    layers.forEach((l, i) => {
      const fanIn = l.kernel * l.kernel * cin;
      specs.push({ name: `conv${i}/kernel`, shape: [l.kernel, l.kernel, cin, l.filters], fanIn });
      specs.push({ name: `conv${i}/bias`, shape: [l.filters], fanIn });
      cin = l.filters;
    });
    width = outShape[0] * outShape[1] * outShape[2];
  }
  config.hidden.forEach((h, i) => {
    specs.push({ name: `hidden${i}/kernel`, shape: [width, h], fanIn: width });
    specs.push({ name: `hidden${i}/bias`, shape: [h], fanIn: width });
    width = h;
  });
  const out = outputWidth(config);
  specs.push({ name: 'out/kernel', shape: [width, out], fanIn: width });
  specs.push({ name: 'out/bias', shape: [out], fanIn: width });
  return specs;
}

/** Optimiser slot suffixes: Adam keeps m and v per parameter, RMSProp a mean square `ms`. */
export function optimizerSlots(config: QNetworkConfig): string[] {
  return config.optimizer === 'adam' ? ['m', 'v'] : ['ms'];
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Seeded initial parameters, torch's default for Linear and Conv2d: weights and biases uniform in
 * +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)). Drawn in `paramSpecs` order from `Rng(seed)`.
 */
export function initParams(config: QNetworkConfig): NamedArray[] {
  const rng = new Rng(config.seed);
  return paramSpecs(config).map((s) => {
    const data = new Float32Array(sizeOf(s.shape));
    const bound = 1 / Math.sqrt(s.fanIn);
    for (let i = 0; i < data.length; i++) data[i] = (rng.float() * 2 - 1) * bound;
    return { name: s.name, shape: [...s.shape], data };
  });
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Checks one named array against its expected shape; throws `IncompatibleState` naming the tensor. */
function checkArray(found: NamedArray | undefined, name: string, shape: readonly number[]): Float32Array {
  if (!found) {
    throw new IncompatibleState(name, `Expected tensor '${name}' of shape ${shapeText(shape)} in the state, got none. ` +
      'The state was saved from a network with a different config.');
  }
  const same = found.shape.length === shape.length && found.shape.every((d, i) => d === shape[i]);
  if (!same || !(found.data instanceof Float32Array) || found.data.length !== sizeOf(shape)) {
    const got = `shape ${shapeText(found.shape)} with ${found.data?.length ?? 'no'} values`;
    throw new IncompatibleState(name, `Expected tensor '${name}' of shape ${shapeText(shape)}, got ${got}. ` +
      'The state was saved from a network with a different config.');
  }
  return found.data;
}

/**
 * Validates a state against a config and returns its arrays in spec order: params, then optimiser slots
 * (null when the state carries no optimiser arrays: the optimiser then restarts fresh).
 */
export function checkState(config: QNetworkConfig, state: NetworkState): { params: Float32Array[]; slots: Float32Array[][] | null; step: number } {
  if (!state || !Array.isArray(state.params) || !Array.isArray(state.optimizer)) {
    throw new IncompatibleState('(state)', 'Expected a network state { params, optimizer, step }, got something else.');
  }
  const specs = paramSpecs(config);
  const byName = new Map(state.params.map((p) => [p.name, p]));
  const params = specs.map((s) => checkArray(byName.get(s.name), s.name, s.shape));
  const known = new Set(specs.map((s) => s.name));
  for (const p of state.params) {
    if (!known.has(p.name)) {
      throw new IncompatibleState(p.name, `Expected only tensors ${[...known].join(', ')}, got '${p.name}' too. ` +
        'The state was saved from a network with a different config.');
    }
  }
  let slots: Float32Array[][] | null = null;
  if (state.optimizer.length > 0) {
    const optByName = new Map(state.optimizer.map((p) => [p.name, p]));
    slots = optimizerSlots(config).map((slot) => specs.map((s) => checkArray(optByName.get(`${s.name}/${slot}`), `${s.name}/${slot}`, s.shape)));
  }
  const step = Number.isSafeInteger(state.step) && state.step >= 0 ? state.step : 0;
  return { params, slots, step };
}

/** Builds the optimiser half of a state from slot arrays (copies). */
export function optimizerState(config: QNetworkConfig, slots: Float32Array[][]): NamedArray[] {
  const specs = paramSpecs(config);
  const out: NamedArray[] = [];
  optimizerSlots(config).forEach((slot, k) => {
    specs.forEach((s, i) => out.push({ name: `${s.name}/${slot}`, shape: [...s.shape], data: slots[k]![i]!.slice() }));
  });
  return out;
}

/** Epsilon used by the optimiser when `adamEpsilon` is not given. */
export function optimizerEpsilon(config: QNetworkConfig): number {
  return config.adamEpsilon ?? (config.optimizer === 'adam' ? 1e-8 : 1e-7);
}

/** Throws `InvalidConfig` unless `a` and `b` describe networks of the same shape (for updateFrom). */
export function assertSameArchitecture(a: QNetworkConfig, b: QNetworkConfig): void {
  const key = (c: QNetworkConfig) =>
    JSON.stringify([c.obsDim, c.numActions, c.hidden, c.dueling, c.layerNorm, c.conv?.inputShape ?? null]);
  if (key(a) !== key(b)) {
    throw new InvalidConfig(
      `Expected a source network with the same architecture ${key(a)}, got ${key(b)}. Build the target with clone().`,
    );
  }
}
