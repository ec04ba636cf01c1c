import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { initParams, macsPerSample, netLayout, paramShapes, validateNetSpec } from '../../nn/layout.js';
import type { NetSpec } from '../../nn/types.js';

describe('netLayout', () => {
  it('lays out dense and affine layer-norm tensors end to end with widths per layer', () => {
    const spec: NetSpec = {
      input: 3,
      layers: [{ kind: 'dense', units: 5, activation: 'tanh' }, { kind: 'layerNorm', affine: true }, { kind: 'activation', fn: 'elu' },
        { kind: 'layerNorm' }, { kind: 'dense', units: 2 }],
      seed: 1,
    };
    const l = netLayout(spec);
    expect(l.inputSize).toBe(3);
    expect(l.outputSize).toBe(2);
    expect(l.layers.map((x) => [x.inSize, x.outSize])).toEqual([[3, 5], [5, 5], [5, 5], [5, 5], [5, 2]]);
    expect(l.params).toEqual([
      { name: '0/dense/kernel', shape: [3, 5], offset: 0, size: 15 },
      { name: '0/dense/bias', shape: [5], offset: 15, size: 5 },
      { name: '1/layerNorm/gain', shape: [5], offset: 20, size: 5 },
      { name: '1/layerNorm/bias', shape: [5], offset: 25, size: 5 },
      { name: '4/dense/kernel', shape: [5, 2], offset: 30, size: 10 },
      { name: '4/dense/bias', shape: [2], offset: 40, size: 2 },
    ]);
    expect(l.paramCount).toBe(42);
    expect(macsPerSample(spec)).toBe(3 * 5 + 5 * 2);
  });

  it('gives the conv torso its kernels [kh, kw, cin, cout] and the flattened output width', () => {
    const small: NetSpec = { input: [7, 9, 2], layers: [{ kind: 'convTorso' }, { kind: 'dense', units: 3 }], seed: 0 };
    const l = netLayout(small);
    // 7x9 -> 3x3/1 -> 5x7 -> 3x3/2 -> 2x3, 32 filters.
    expect(l.layers[0]!.outSize).toBe(2 * 3 * 32);
    expect(l.inputSize).toBe(7 * 9 * 2);
    expect(l.params.map((p) => [p.name, p.shape])).toEqual([
      ['0/convTorso/conv1/kernel', [3, 3, 2, 16]],
      ['0/convTorso/conv1/bias', [16]],
      ['0/convTorso/conv2/kernel', [3, 3, 16, 32]],
      ['0/convTorso/conv2/bias', [32]],
      ['1/dense/kernel', [192, 3]],
      ['1/dense/bias', [3]],
    ]);
    // Nature torso for 84x84x4: 20x20x32, 9x9x64, 7x7x64.
    const big = netLayout({ input: [84, 84, 4], layers: [{ kind: 'convTorso' }], seed: 0 });
    expect(big.outputSize).toBe(7 * 7 * 64);
    expect(big.params.map((p) => p.shape)).toEqual([[8, 8, 4, 32], [32], [4, 4, 32, 64], [64], [3, 3, 64, 64], [64]]);
    expect(paramShapes(small)).toEqual(l.params);
  });
});

describe('initParams', () => {
  /** torch's default init drawn in tensor order from Rng(seed): uniform in +-1/sqrt(fan_in), fan_in per tensor. */
  const expected = (seed: number, tensors: { size: number; fanIn: number }[]): Float32Array => {
    const rng = new Rng(seed);
    return Float32Array.from(tensors.flatMap((t) => Array.from({ length: t.size }, () => (rng.float() * 2 - 1) / Math.sqrt(t.fanIn))));
  };

  it('draws torch default bounds in tensor order from Rng(seed) (the numbers the DQN Q-network always started from)', () => {
    for (const seed of [0, 7, 123456]) {
      const spec: NetSpec = {
        input: 4,
        layers: [{ kind: 'dense', units: 64, activation: 'relu' }, { kind: 'dense', units: 64, activation: 'relu' }, { kind: 'dense', units: 2 }],
        seed,
      };
      const want = expected(seed, [{ size: 256, fanIn: 4 }, { size: 64, fanIn: 4 }, { size: 4096, fanIn: 64 }, { size: 64, fanIn: 64 }, { size: 128, fanIn: 64 }, { size: 2, fanIn: 64 }]);
      expect(initParams(spec)).toEqual(want);
    }
  });

  it('draws conv torso tensors with fan_in = kernel x kernel x input channels', () => {
    const spec: NetSpec = { input: [6, 6, 3], layers: [{ kind: 'convTorso' }, { kind: 'dense', units: 8, activation: 'relu' }, { kind: 'dense', units: 4 }], seed: 5 };
    // Small torso: 16@3x3 over 3 channels, 32@3x3 over 16; 6x6 -> 4x4 -> 1x1 x 32 into the dense layers.
    const want = expected(5, [
      { size: 3 * 3 * 3 * 16, fanIn: 27 }, { size: 16, fanIn: 27 }, { size: 3 * 3 * 16 * 32, fanIn: 144 }, { size: 32, fanIn: 144 },
      { size: 32 * 8, fanIn: 32 }, { size: 8, fanIn: 32 }, { size: 8 * 4, fanIn: 8 }, { size: 4, fanIn: 8 },
    ]);
    expect(initParams(spec)).toEqual(want);
  });

  it('uses torch bounds, gain 1 and bias 0 for an affine layer norm, and draws nothing for it', () => {
    const spec: NetSpec = { input: 9, layers: [{ kind: 'layerNorm', affine: true }, { kind: 'dense', units: 2 }], seed: 3 };
    const theta = initParams(spec);
    expect(Array.from(theta.subarray(0, 9))).toEqual(new Array(9).fill(1));
    expect(Array.from(theta.subarray(9, 18))).toEqual(new Array(9).fill(0));
    const rng = new Rng(3);
    const bound = 1 / 3; // 1 / sqrt(9)
    for (let i = 18; i < theta.length; i++) expect(theta[i]).toBe(Math.fround((rng.float() * 2 - 1) * bound));
    expect(() => initParams(spec, new Float32Array(5))).toThrow(InvalidConfig);
  });
});

describe('validateNetSpec', () => {
  const bad: [unknown, RegExp][] = [
    [null, /Expected a network spec object, got null/],
    [{ input: 0, layers: [{ kind: 'dense', units: 1 }], seed: 0 }, /Expected spec.input to be a positive integer .* got 0\./],
    [{ input: [4, 4], layers: [{ kind: 'convTorso' }], seed: 0 }, /Expected spec.input .* got \[4, 4\]\./],
    [{ input: [4, 9, 1], layers: [{ kind: 'convTorso' }], seed: 0 }, /at least 5x5 pixels, got \[4, 9, 1\]/],
    [{ input: 3, layers: [], seed: 0 }, /Expected spec.layers to be a non-empty array of layers, got \[\]\./],
    [{ input: 3, layers: [{ kind: 'conv' }], seed: 0 }, /Expected spec.layers\[0\].kind to be one of .*, got "conv"\./],
    [{ input: 3, layers: [{ kind: 'dense', units: 2.5 }], seed: 0 }, /Expected spec.layers\[0\].units to be a positive integer, got 2.5\./],
    [{ input: 3, layers: [{ kind: 'dense', units: 2, activation: 'gelu' }], seed: 0 }, /spec.layers\[0\].activation .* got "gelu"\./],
    [{ input: 3, layers: [{ kind: 'activation' }], seed: 0 }, /spec.layers\[0\].fn .* got undefined\./],
    [{ input: 3, layers: [{ kind: 'layerNorm', affine: 1 }], seed: 0 }, /spec.layers\[0\].affine to be a boolean, got 1\./],
    [{ input: 3, layers: [{ kind: 'convTorso' }], seed: 0 }, /Expected spec.input to be \[height, width, channels\] for a convTorso, got 3\./],
    [{ input: [8, 8, 1], layers: [{ kind: 'convTorso' }, { kind: 'convTorso' }], seed: 0 }, /convTorso only as the first layer, got it at spec.layers\[1\]/],
    [{ input: [8, 8, 1], layers: [{ kind: 'dense', units: 2 }], seed: 0 }, /Expected spec.layers\[0\] to be a convTorso for a 3-d input/],
    [{ input: 3, layers: [{ kind: 'dense', units: 2 }], seed: -1 }, /Expected spec.seed to be a non-negative integer, got -1\./],
  ];
  it.each(bad)('rejects %j', (spec, message) => {
    expect(() => validateNetSpec(spec)).toThrow(InvalidConfig);
    expect(() => validateNetSpec(spec)).toThrow(message);
  });

  it('accepts every layer kind where it may stand', () => {
    const spec: NetSpec = { input: [6, 6, 1], layers: [{ kind: 'convTorso' }, { kind: 'layerNorm' }, { kind: 'activation', fn: 'tanh' }, { kind: 'dense', units: 1 }], seed: 0 };
    expect(validateNetSpec(spec)).toBe(spec);
  });
});
