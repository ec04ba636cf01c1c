/**
 * What every engine shares about a network: spec validation, the per-layer widths, the names, shapes and offsets
 * of the parameter tensors in the one flat `params` array, and the seeded initial values. Both engines lay
 * parameters out from here, so a checkpoint of one loads into the other.
 *
 * Order and layout: layer by layer; a dense layer holds `i/dense/kernel` [in, units] (tfjs's layout) then
 * `i/dense/bias` [units]; an affine layer norm `i/layerNorm/gain` then `i/layerNorm/bias` [features]; the conv
 * torso `0/convTorso/conv<j>/kernel` [kh, kw, cin, cout] then `.../bias` [cout] for j = 1, 2(, 3).
 */
import { InvalidConfig, describeValue } from '../core/errors.js';
import { Rng, checkSeed } from '../core/rng.js';
import type { Activation, LayerSpec, NetSpec, ParamShape } from './types.js';

/** One conv layer of the pixel torso ('valid' padding, relu). */
export interface ConvSpec {
  filters: number;
  kernel: number;
  stride: number;
}

/** One layer's place in the network: its input and output widths (floats per row) and its parameter tensors. */
export interface LayerLayout {
  index: number;
  spec: LayerSpec;
  inSize: number;
  outSize: number;
  /** This layer's tensors, in `params` order (empty for an activation or a plain layer norm). */
  params: ParamShape[];
}

/** The whole network's layout. */
export interface NetLayout {
  /** Floats per input row (the product of the input shape). */
  inputSize: number;
  /** Floats per output row. */
  outputSize: number;
  layers: LayerLayout[];
  /** Every tensor, in `params` order. */
  params: ParamShape[];
  /** Length of the flat `params` array. */
  paramCount: number;
}

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'elu', 'identity'];
const KINDS: readonly LayerSpec['kind'][] = ['dense', 'layerNorm', 'activation', 'convTorso'];
/** The smallest image side the small torso accepts (two 3x3 valid convs, the second of stride 2). */
const MIN_CONV_SIDE = 5;

/**
 * The conv torso for an [H, W, C] input: Nature DQN's three layers (32@8x8/4, 64@4x4/2, 64@3x3/1) when the image
 * is at least 36 pixels a side, else two (16@3x3/1, 32@3x3/2); all 'valid' (tfjs-wasm's PadV2 made 'same' the
 * slowest op of a small step). Returns the layers and the [h, w, c] output shape.
 */
export function convTorso(inputShape: readonly [number, number, number]): { layers: ConvSpec[]; outShape: [number, number, number] } {
  const [h, w] = inputShape;
  const layers: ConvSpec[] =
    Math.min(h, w) >= 36
      ? [
          { filters: 32, kernel: 8, stride: 4 },
          { filters: 64, kernel: 4, stride: 2 },
          { filters: 64, kernel: 3, stride: 1 },
        ]
      : [
          { filters: 16, kernel: 3, stride: 1 },
          { filters: 32, kernel: 3, stride: 2 },
        ];
  let [oh, ow, oc] = inputShape;
  for (const l of layers) {
    oh = Math.floor((oh - l.kernel) / l.stride) + 1;
    ow = Math.floor((ow - l.kernel) / l.stride) + 1;
    oc = l.filters;
  }
  return { layers, outShape: [oh, ow, oc] };
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Element count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkLayer(layer: unknown, i: number, input: NetSpec['input']): void {
  const where = `spec.layers[${i}]`;
  if (layer === null || typeof layer !== 'object') throw new InvalidConfig(`Expected ${where} to be a layer object, got ${describeValue(layer)}.`);
  const l = layer as Record<string, unknown>;
  if (!(KINDS as readonly unknown[]).includes(l['kind'])) {
    throw new InvalidConfig(`Expected ${where}.kind to be one of ${KINDS.map((k) => `'${k}'`).join(', ')}, got ${describeValue(l['kind'])}.`);
  }
  const act = (key: string, optional: boolean) => {
    const v = l[key];
    if (optional && v === undefined) return;
    if (!(ACTIVATIONS as readonly unknown[]).includes(v)) {
      throw new InvalidConfig(`Expected ${where}.${key} to be one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${describeValue(v)}.`);
    }
  };
  switch (l['kind']) {
    case 'dense':
      if (!isPositiveInt(l['units'])) throw new InvalidConfig(`Expected ${where}.units to be a positive integer, got ${describeValue(l['units'])}.`);
      act('activation', true);
      return;
    case 'layerNorm':
      if (l['affine'] !== undefined && typeof l['affine'] !== 'boolean') {
        throw new InvalidConfig(`Expected ${where}.affine to be a boolean, got ${describeValue(l['affine'])}.`);
      }
      return;
    case 'activation':
      act('fn', false);
      return;
    default:
      if (i !== 0) throw new InvalidConfig(`Expected convTorso only as the first layer, got it at ${where}.`);
      if (!Array.isArray(input)) {
        throw new InvalidConfig(`Expected spec.input to be [height, width, channels] for a convTorso, got ${describeValue(input)}.`);
      }
  }
}

/**
 * Checks a network spec and returns it typed; throws `InvalidConfig` ("Expected X, got Y.") naming the first bad
 * field. Rules: input a positive integer, or [h, w, c] (each at least 5 for h, w) followed by a convTorso first
 * layer; at least one layer; dense units positive integers; known activations; seed a non-negative integer.
 */
export function validateNetSpec(spec: unknown): NetSpec {
  if (spec === null || typeof spec !== 'object') throw new InvalidConfig(`Expected a network spec object, got ${describeValue(spec)}.`);
  const s = spec as Record<string, unknown>;
  const input = s['input'];
  if (Array.isArray(input)) {
    if (input.length !== 3 || !input.every(isPositiveInt)) {
      throw new InvalidConfig(`Expected spec.input to be a positive integer or [height, width, channels] positive integers, got ${describeValue(input)}.`);
    }
    if (Math.min(input[0], input[1]) < MIN_CONV_SIDE) {
      throw new InvalidConfig(`Expected spec.input to be at least ${MIN_CONV_SIDE}x${MIN_CONV_SIDE} pixels, got ${describeValue(input)}. Flatten smaller grids and use dense layers.`);
    }
  } else if (!isPositiveInt(input)) {
    throw new InvalidConfig(`Expected spec.input to be a positive integer or [height, width, channels] positive integers, got ${describeValue(input)}.`);
  }
  const layers = s['layers'];
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new InvalidConfig(`Expected spec.layers to be a non-empty array of layers, got ${describeValue(layers)}.`);
  }
  layers.forEach((l, i) => checkLayer(l, i, input as NetSpec['input']));
  if (Array.isArray(input) && (layers[0] as LayerSpec).kind !== 'convTorso') {
    throw new InvalidConfig(`Expected spec.layers[0] to be a convTorso for a 3-d input ${describeValue(input)}, got ${describeValue(layers[0])}.`);
  }
  checkSeed(s['seed'], 'spec.seed');
  return spec as NetSpec;
}

/** Layer widths, parameter tensors and offsets of a (validated) spec. */
export function netLayout(spec: NetSpec): NetLayout {
  validateNetSpec(spec);
  const inputSize = Array.isArray(spec.input) ? sizeOf(spec.input) : spec.input;
  const params: ParamShape[] = [];
  const layers: LayerLayout[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): ParamShape => {
    const p: ParamShape = { name, shape, offset, size: sizeOf(shape) };
    offset += p.size;
    params.push(p);
    return p;
  };
  let width = inputSize;
  spec.layers.forEach((layer, i) => {
    const own: ParamShape[] = [];
    let outSize = width;
    if (layer.kind === 'dense') {
      own.push(add(`${i}/dense/kernel`, [width, layer.units]), add(`${i}/dense/bias`, [layer.units]));
      outSize = layer.units;
    } else if (layer.kind === 'layerNorm') {
      if (layer.affine) own.push(add(`${i}/layerNorm/gain`, [width]), add(`${i}/layerNorm/bias`, [width]));
    } else if (layer.kind === 'convTorso') {
      const shape = spec.input as [number, number, number];
      const torso = convTorso(shape);
      let cin = shape[2];
      torso.layers.forEach((c, j) => {
        own.push(add(`${i}/convTorso/conv${j + 1}/kernel`, [c.kernel, c.kernel, cin, c.filters]));
        own.push(add(`${i}/convTorso/conv${j + 1}/bias`, [c.filters]));
        cin = c.filters;
      });
      outSize = sizeOf(torso.outShape);
    }
    layers.push({ index: i, spec: layer, inSize: width, outSize, params: own });
    width = outSize;
  });
  return { inputSize, outputSize: width, layers, params, paramCount: offset };
}

/** The named parameter tensors of a spec, in flat `params` order. */
export function paramShapes(spec: NetSpec): ParamShape[] {
  return netLayout(spec).params;
}

/** Fan-in of a tensor for torch's default bound 1/sqrt(fan_in): [in, out] -> in; [kh, kw, cin, cout] -> kh kw cin. */
function fanIn(p: ParamShape, layerParams: readonly ParamShape[]): number {
  if (p.shape.length === 2) return p.shape[0]!;
  if (p.shape.length === 4) return p.shape[0]! * p.shape[1]! * p.shape[2]!;
  // A bias takes the fan-in of the kernel just before it.
  const k = layerParams[layerParams.indexOf(p) - 1]!;
  return fanIn(k, layerParams);
}

/**
 * The seeded initial parameters (paramCount floats, into `out` if given): torch's defaults for Linear and Conv2d,
 * weights and biases uniform in +-1/sqrt(fan_in), drawn tensor by tensor in `params` order from `new Rng(seed)`
 * (the same numbers as the DQN Q-network of the same hidden widths and seed); layer-norm gains 1, biases 0
 * (no draws).
 */
export function initParams(spec: NetSpec, out?: Float32Array): Float32Array {
  const layout = netLayout(spec);
  const theta = out ?? new Float32Array(layout.paramCount);
  if (theta.length !== layout.paramCount) {
    throw new InvalidConfig(`Expected out to hold ${layout.paramCount} parameters, got ${describeValue(theta)}.`);
  }
  const rng = new Rng(spec.seed);
  for (const layer of layout.layers) {
    for (const p of layer.params) {
      if (layer.spec.kind === 'layerNorm') {
        theta.fill(p.name.endsWith('/gain') ? 1 : 0, p.offset, p.offset + p.size);
        continue;
      }
      const bound = 1 / Math.sqrt(fanIn(p, layer.params));
      for (let i = 0; i < p.size; i++) theta[p.offset + i] = (rng.float() * 2 - 1) * bound;
    }
  }
  return theta;
}

/** Multiply-adds of one forward pass for one row through the dense layers (the conv torso not counted). */
export function macsPerSample(spec: NetSpec): number {
  let macs = 0;
  for (const l of netLayout(spec).layers) if (l.spec.kind === 'dense') macs += l.inSize * l.outSize;
  return macs;
}
