/**
 * The tfjs engine against an independent float64 reference written out in loops below: outputs directly, and
 * every parameter and input gradient against central finite differences of the reference (eps 1e-6 in float64,
 * so relu kinks are practically never crossed).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { convTorso, netLayout } from '../../nn/layout.js';
import { createTfjsNet } from '../../nn/tfjs/net.js';
import type { Activation, NetSpec } from '../../nn/types.js';

function act(z: number, fn: Activation): number {
  if (fn === 'relu') return z > 0 ? z : 0;
  if (fn === 'tanh') return Math.tanh(z);
  if (fn === 'elu') return z > 0 ? z : Math.exp(z) - 1;
  return z;
}

/** One row through the network in float64: conv kernels [k, k, cin, cout], dense kernels [in, out], row-major. */
function refRow(spec: NetSpec, theta: Float64Array, x: Float64Array): Float64Array {
  const layout = netLayout(spec);
  let h = x;
  let k = 0;
  const next = () => layout.params[k++]!.offset;
  for (const { spec: layer, outSize } of layout.layers) {
    if (layer.kind === 'convTorso') {
      let [ih, iw, cin] = spec.input as [number, number, number];
      for (const c of convTorso(spec.input as [number, number, number]).layers) {
        const wOff = next();
        const bOff = next();
        const oh = Math.floor((ih - c.kernel) / c.stride) + 1;
        const ow = Math.floor((iw - c.kernel) / c.stride) + 1;
        const out = new Float64Array(oh * ow * c.filters);
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let f = 0; f < c.filters; f++) {
          let s = theta[bOff + f]!;
          for (let a = 0; a < c.kernel; a++) for (let b = 0; b < c.kernel; b++) for (let ch = 0; ch < cin; ch++) {
            const xv = h[((i * c.stride + a) * iw + (j * c.stride + b)) * cin + ch]!;
            s += xv * theta[wOff + ((a * c.kernel + b) * cin + ch) * c.filters + f]!;
          }
          out[(i * ow + j) * c.filters + f] = act(s, 'relu');
        }
        [ih, iw, cin] = [oh, ow, c.filters];
        h = out;
      }
    } else if (layer.kind === 'dense') {
      const wOff = next();
      const bOff = next();
      const out = new Float64Array(outSize);
      for (let u = 0; u < outSize; u++) {
        let s = theta[bOff + u]!;
        for (let i = 0; i < h.length; i++) s += h[i]! * theta[wOff + i * outSize + u]!;
        out[u] = act(s, layer.activation ?? 'identity');
      }
      h = out;
    } else if (layer.kind === 'layerNorm') {
      let mean = 0;
      for (const v of h) mean += v / h.length;
      let variance = 0;
      for (const v of h) variance += (v - mean) ** 2 / h.length;
      const sd = Math.sqrt(variance + 1e-5);
      const g = layer.affine ? next() : -1;
      const b = layer.affine ? next() : -1;
      h = h.map((v, i) => (layer.affine ? ((v - mean) / sd) * theta[g + i]! + theta[b + i]! : (v - mean) / sd));
    } else {
      h = h.map((v) => act(v, layer.fn));
    }
  }
  return h;
}

/** All n rows through the reference. */
function refForward(spec: NetSpec, theta: Float64Array, x: Float64Array, n: number): Float64Array {
  const { inputSize, outputSize } = netLayout(spec);
  const y = new Float64Array(n * outputSize);
  for (let r = 0; r < n; r++) y.set(refRow(spec, theta, x.subarray(r * inputSize, (r + 1) * inputSize)), r * outputSize);
  return y;
}

/** Central differences of L = sum(y * dOut) with respect to every entry of `v` (theta or x). */
function numericGrad(v: Float64Array, loss: () => number): Float64Array {
  const eps = 1e-6;
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i]!;
    v[i] = keep + eps;
    const up = loss();
    v[i] = keep - eps;
    const down = loss();
    v[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    // Relative to the entry, with a floor of 1e-3 of the largest entry for the float32 rounding of near-zero ones.
    if (!(err <= rel * (Math.abs(want[i]!) + 1e-3 * scale))) {
      expect.fail(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (error ${err})`);
    }
  }
}

/** Random parameters (so layer-norm gains and biases are not 1 and 0), inputs and output gradients. */
function setup(spec: NetSpec, n: number, seed: number) {
  const net = createTfjsNet(spec);
  const rng = new Rng(seed);
  // Keep the init scale but move every entry, layer-norm gains and biases included.
  for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! * 1.5 + rng.uniform(-0.2, 0.2);
  net.paramsChanged();
  const x = new Float32Array(n * net.inputSize).map(() => rng.uniform(-2, 2));
  const dOut = new Float32Array(n * net.outputSize).map(() => rng.uniform(-1, 1));
  return { net, x, dOut };
}

/** Checks outputs, parameter gradients and input gradients of a tfjs net of `spec` against the reference. */
function checkAgainstReference(spec: NetSpec, n: number, seed: number): void {
  const { net, x, dOut } = setup(spec, n, seed);
  try {
    const theta = Float64Array.from(net.params);
    const x64 = Float64Array.from(x);
    const loss = () => {
      const y = refForward(spec, theta, x64, n);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i]! * dOut[i]!;
      return s;
    };
    const want = refForward(spec, theta, x64, n);
    expectClose(net.predict(x, n), want, 1e-4, 'predict');
    expectClose(net.forward(x, n), want, 1e-4, 'forward');
    const dIn = new Float32Array(n * net.inputSize);
    expect(net.backward(dOut, n, dIn)).toBe(dIn);
    expectClose(net.grads, numericGrad(theta, loss), 1e-4, 'dParams');
    expectClose(dIn, numericGrad(x64, loss), 1e-4, 'dInput');
  } finally {
    net.dispose();
  }
}

const SPECS: Record<string, { spec: NetSpec; n: number }> = {
  'a dense stack with every activation': {
    spec: {
      input: 5,
      seed: 3,
      layers: [
        { kind: 'dense', units: 7, activation: 'relu' },
        { kind: 'dense', units: 6, activation: 'tanh' },
        { kind: 'dense', units: 5, activation: 'elu' },
        { kind: 'dense', units: 3 },
      ],
    },
    n: 4,
  },
  'an affine layer norm and standalone activations': {
    spec: {
      input: 4,
      seed: 4,
      layers: [
        { kind: 'dense', units: 6 },
        { kind: 'layerNorm', affine: true },
        { kind: 'activation', fn: 'elu' },
        { kind: 'dense', units: 5 },
        { kind: 'activation', fn: 'tanh' },
        { kind: 'dense', units: 2, activation: 'identity' },
      ],
    },
    n: 3,
  },
  'a plain layer norm': {
    spec: {
      input: 4,
      seed: 5,
      layers: [{ kind: 'dense', units: 6 }, { kind: 'layerNorm' }, { kind: 'activation', fn: 'relu' }, { kind: 'dense', units: 3 }],
    },
    n: 3,
  },
  // 6x6: the second conv (3x3, stride 2) reads a 4x4 map, so (4 - 3) is not a multiple of the stride.
  'a conv torso on [6, 6, 2]': {
    spec: { input: [6, 6, 2], seed: 6, layers: [{ kind: 'convTorso' }, { kind: 'dense', units: 3 }] },
    n: 2,
  },
  'a conv torso on [6, 7, 1] with a hidden layer': {
    spec: { input: [6, 7, 1], seed: 7, layers: [{ kind: 'convTorso' }, { kind: 'dense', units: 4, activation: 'relu' }, { kind: 'dense', units: 2 }] },
    n: 2,
  },
};

describe('tfjs engine on cpu: outputs and gradients against a float64 reference', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, { spec, n }] of Object.entries(SPECS)) {
    it(name, () => checkAgainstReference(spec, n, 11));
  }

  it('accumulates gradients across backward passes until zeroGrad', () => {
    const spec = SPECS['an affine layer norm and standalone activations']!.spec;
    const { net, x, dOut } = setup(spec, 3, 21);
    const rng = new Rng(22);
    const x2 = x.map(() => rng.uniform(-2, 2));
    const dOut2 = dOut.map(() => rng.uniform(-1, 1));
    try {
      const gradOf = (xi: Float32Array, di: Float32Array) => {
        net.zeroGrad();
        net.forward(xi, 3);
        net.backward(di, 3);
        return net.grads.slice();
      };
      const g1 = gradOf(x, dOut);
      const g2 = gradOf(x2, dOut2);
      net.zeroGrad();
      net.forward(x, 3);
      net.backward(dOut, 3);
      net.forward(x2, 3);
      net.backward(dOut2, 3);
      expectClose(net.grads, g1.map((v, i) => v + g2[i]!), 1e-5, 'accumulated');
      // The two gradients differ, so a backward that overwrote instead of adding would fail above.
      expect(Math.max(...g1.map((v, i) => Math.abs(v - g2[i]!)))).toBeGreaterThan(1e-2);
      net.zeroGrad();
      expect(net.grads.every((v) => v === 0)).toBe(true);
    } finally {
      net.dispose();
    }
  });
});

describe('tfjs engine on wasm (explicit-transpose matMul, custom conv filter gradient)', () => {
  let before = '';
  beforeAll(async () => {
    before = tf.getBackend();
    await import('@tensorflow/tfjs-backend-wasm');
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend(before || 'cpu');
  });

  it('matches the reference for a dense stack and a conv torso', () => {
    expect(tf.getBackend()).toBe('wasm');
    checkAgainstReference(SPECS['a dense stack with every activation']!.spec, 4, 12);
    checkAgainstReference(SPECS['a conv torso on [6, 7, 1] with a hidden layer']!.spec, 2, 13);
  });
});
