/**
 * The tfjs and plain engines are one network: for the same spec and seed they start from the same parameters,
 * give the same outputs and gradients (1e-4 relative), and a state moves from one to the other.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { createPlainNet } from '../../nn/plain/net.js';
import { createTfjsNet } from '../../nn/tfjs/net.js';
import type { Net, NetSpec } from '../../nn/types.js';

/** |got - want| within rel of |want|, floored at 1% of the largest |want| (float32 sums in different orders). */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  expect(scale, `${what} is all zeros`).toBeGreaterThan(0);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= rel * Math.max(Math.abs(want[i]!), 0.01 * scale))) expect.fail(`${what}[${i}]: tfjs ${got[i]}, plain ${want[i]}`);
  }
}

const SPECS: Record<string, NetSpec> = {
  'relu, tanh, elu and identity dense layers': {
    input: 6,
    seed: 31,
    layers: [
      { kind: 'dense', units: 16, activation: 'relu' },
      { kind: 'dense', units: 12, activation: 'tanh' },
      { kind: 'dense', units: 9, activation: 'elu' },
      { kind: 'dense', units: 4 },
    ],
  },
  'affine and plain layer norms with standalone activations': {
    input: 5,
    seed: 32,
    layers: [
      { kind: 'dense', units: 10 },
      { kind: 'layerNorm', affine: true },
      { kind: 'activation', fn: 'relu' },
      { kind: 'dense', units: 8 },
      { kind: 'layerNorm' },
      { kind: 'activation', fn: 'elu' },
      { kind: 'dense', units: 3, activation: 'tanh' },
    ],
  },
  // Wide enough that the plain engine takes its SIMD kernel.
  'a wide relu MLP': {
    input: 8,
    seed: 33,
    layers: [{ kind: 'dense', units: 64, activation: 'relu' }, { kind: 'dense', units: 64, activation: 'relu' }, { kind: 'dense', units: 2 }],
  },
};

function run(net: Net, x: Float32Array, dOut: Float32Array, n: number) {
  const predicted = net.predict(x, n);
  const out = net.forward(x, n).slice();
  const dIn = new Float32Array(n * net.inputSize);
  net.zeroGrad();
  net.backward(dOut, n, dIn);
  return { predicted, out, grads: net.grads.slice(), dIn };
}

describe('tfjs engine against the plain engine', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, spec] of Object.entries(SPECS)) {
    it(`same parameters, outputs and gradients: ${name}`, () => {
      const t = createTfjsNet(spec);
      const p = createPlainNet(spec);
      try {
        expect(Array.from(t.params)).toEqual(Array.from(p.params));
        expect(t.paramShapes()).toEqual(p.paramShapes());
        const rng = new Rng(7);
        // Move layer-norm gains and biases off 1 and 0 so their gradients and effects count.
        const theta = t.params.map((v) => v + rng.uniform(-0.1, 0.1));
        for (const net of [t, p]) {
          net.params.set(theta);
          net.paramsChanged();
        }
        const n = 5;
        const x = new Float32Array(n * t.inputSize).map(() => rng.uniform(-2, 2));
        const dOut = new Float32Array(n * t.outputSize).map(() => rng.uniform(-1, 1));
        const a = run(t, x, dOut, n);
        const b = run(p, x, dOut, n);
        expectClose(a.predicted, b.predicted, 1e-4, 'predict');
        expectClose(a.out, b.out, 1e-4, 'forward');
        expectClose(a.grads, b.grads, 1e-4, 'grads');
        expectClose(a.dIn, b.dIn, 1e-4, 'dIn');
      } finally {
        t.dispose();
        p.dispose();
      }
    });
  }

  it('moves a state across engines both ways, by setParams and by polyakFrom', () => {
    const spec = SPECS['affine and plain layer norms with standalone activations']!;
    const t = createTfjsNet({ ...spec, seed: 1 });
    const p = createPlainNet({ ...spec, seed: 2 });
    try {
      const x = new Float32Array(3 * t.inputSize).map((_, i) => Math.sin(i + 1));
      t.setParams(p.getParams());
      expectClose(t.predict(x, 3), p.predict(x, 3), 1e-4, 'plain -> tfjs');
      const other = createTfjsNet({ ...spec, seed: 3 });
      try {
        const before = t.params.slice();
        t.polyakFrom(other, 0.5);
        expectClose(t.params, before.map((v, i) => v + 0.5 * (other.params[i]! - v)), 1e-6, 'blended');
        p.polyakFrom(t, 1);
        expect(Array.from(p.params)).toEqual(Array.from(t.params));
        expectClose(p.predict(x, 3), t.predict(x, 3), 1e-4, 'tfjs -> plain');
      } finally {
        other.dispose();
      }
    } finally {
      t.dispose();
      p.dispose();
    }
  });
});
