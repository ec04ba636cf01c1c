/**
 * Every gradient of the plain engine, parameters and inputs, for each layer kind and activation: against central
 * finite differences of an independent float64 reference, and against tfjs autodiff on its cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { netLayout } from '../../nn/layout.js';
import { PlainNet, type PlainKernel } from '../../nn/plain/net.js';
import type { Activation, NetSpec } from '../../nn/types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function act64(z: number, fn: Activation | undefined): number {
  if (fn === 'relu') return Math.max(z, 0);
  if (fn === 'tanh') return Math.tanh(z);
  if (fn === 'elu') return z > 0 ? z : Math.expm1(z);
  return z;
}

/** An independent float64 forward pass of `spec` from flat params: n rows of x to n x outputSize. */
function reference64(spec: NetSpec, theta: ArrayLike<number>, x: ArrayLike<number>, n: number): Float64Array {
  const layout = netLayout(spec);
  let h = Float64Array.from({ length: n * layout.inputSize }, (_, i) => x[i]!);
  for (const l of layout.layers) {
    const y = new Float64Array(n * l.outSize);
    const s = l.spec;
    for (let r = 0; r < n; r++) {
      const row = h.subarray(r * l.inSize, (r + 1) * l.inSize);
      if (s.kind === 'dense') {
        const [k, b] = l.params;
        for (let j = 0; j < l.outSize; j++) {
          let z = theta[b!.offset + j]!;
          for (let i = 0; i < l.inSize; i++) z += row[i]! * theta[k!.offset + i * l.outSize + j]!;
          y[r * l.outSize + j] = act64(z, s.activation);
        }
      } else if (s.kind === 'layerNorm') {
        const mean = row.reduce((a, v) => a + v, 0) / l.inSize;
        const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / l.inSize;
        for (let j = 0; j < l.inSize; j++) {
          const hat = (row[j]! - mean) / Math.sqrt(variance + 1e-5);
          y[r * l.outSize + j] = s.affine ? hat * theta[l.params[0]!.offset + j]! + theta[l.params[1]!.offset + j]! : hat;
        }
      } else if (s.kind === 'activation') {
        for (let j = 0; j < l.inSize; j++) y[r * l.outSize + j] = act64(row[j]!, s.fn);
      }
    }
    h = y;
  }
  return h;
}

/** The same network with raw tfjs ops, from tensors per parameter. */
function tfForward(spec: NetSpec, ps: tf.Tensor[], x: tf.Tensor2D): tf.Tensor2D {
  const layout = netLayout(spec);
  const byName = new Map(layout.params.map((p, i) => [p.name, ps[i]!]));
  const act = (z: tf.Tensor2D, fn: Activation | undefined): tf.Tensor2D =>
    fn === 'relu' ? tf.relu(z) : fn === 'tanh' ? tf.tanh(z) : fn === 'elu' ? tf.elu(z) : z;
  let h = x;
  spec.layers.forEach((s, i) => {
    if (s.kind === 'dense') {
      h = act(tf.add(tf.matMul(h, byName.get(`${i}/dense/kernel`) as tf.Tensor2D), byName.get(`${i}/dense/bias`)!), s.activation);
    } else if (s.kind === 'layerNorm') {
      const { mean, variance } = tf.moments(h, 1, true);
      h = tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5)));
      if (s.affine) h = tf.add(tf.mul(h, byName.get(`${i}/layerNorm/gain`)!), byName.get(`${i}/layerNorm/bias`)!);
    } else if (s.kind === 'activation') {
      h = act(h, s.fn);
    }
  });
  return h;
}

interface Case {
  name: string;
  spec: NetSpec;
}

const dense = (units: number, activation?: Activation) => ({ kind: 'dense' as const, units, ...(activation ? { activation } : {}) });
const CASES: Case[] = [
  { name: 'dense relu', spec: { input: 3, layers: [dense(4, 'relu')], seed: 1 } },
  { name: 'dense tanh', spec: { input: 3, layers: [dense(5, 'tanh'), dense(2)], seed: 2 } },
  { name: 'dense elu', spec: { input: 4, layers: [dense(6, 'elu'), dense(3, 'identity')], seed: 3 } },
  { name: 'dense relu + affine layerNorm + activation', spec: { input: 3, layers: [dense(6, 'relu'), { kind: 'layerNorm', affine: true }, { kind: 'activation', fn: 'tanh' }, dense(2)], seed: 4 } },
  { name: 'dense + plain layerNorm + elu', spec: { input: 5, layers: [dense(7), { kind: 'layerNorm' }, { kind: 'activation', fn: 'elu' }, dense(3, 'tanh')], seed: 5 } },
  { name: 'layerNorm first, relu activation', spec: { input: 6, layers: [{ kind: 'layerNorm', affine: true }, { kind: 'activation', fn: 'relu' }, dense(3)], seed: 6 } },
  { name: 'MLP wide enough for 4x8 SIMD blocks', spec: { input: 11, layers: [dense(20, 'relu'), dense(9, 'tanh'), dense(17, 'elu'), dense(3)], seed: 7 } },
  { name: 'parameter-free', spec: { input: 4, layers: [{ kind: 'activation', fn: 'tanh' }, { kind: 'layerNorm' }], seed: 8 } },
];

/** A net with random parameters (layer-norm gains away from 1) and a random batch, upstream gradient R. */
function setup(spec: NetSpec, kernel: PlainKernel, n: number, seed: number) {
  const rng = new Rng(seed);
  const net = new PlainNet(spec, { kernel });
  for (const p of net.paramShapes()) {
    const gain = p.name.endsWith('/gain');
    for (let i = 0; i < p.size; i++) net.params[p.offset + i] = gain ? rng.uniform(0.5, 1.5) : rng.uniform(-0.8, 0.8);
  }
  net.paramsChanged();
  const x = new Float32Array(n * net.inputSize).map(() => rng.uniform(-1.5, 1.5));
  const R = new Float32Array(n * net.outputSize).map(() => rng.uniform(-1, 1));
  return { net, x, R };
}

/** The float64 loss sum(reference(theta, x) * R). */
function loss64(spec: NetSpec, theta: Float64Array, x: Float64Array, n: number, R: Float32Array): number {
  const y = reference64(spec, theta, x, n);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * R[i]!;
  return s;
}

function expectGradClose(got: Float32Array, want: ArrayLike<number>, rel: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (err > rel * scale + 1e-6) expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (scale ${scale})`);
  }
}

describe.each(['simd', 'js'] as const)('plain engine gradients (%s kernel)', (kernel) => {
  describe.each(CASES)('$name', ({ spec }) => {
    it.each([1, 3, 5, 8])('match central finite differences of a float64 reference, batch %i', (n) => {
      const { net, x, R } = setup(spec, kernel, n, 100 + n);
      const y = net.forward(x, n);
      // The forward values themselves agree with the reference.
      expectGradClose(y, reference64(spec, net.params, x, n), 1e-5, 'output');
      const dIn = new Float32Array(n * net.inputSize);
      net.zeroGrad();
      net.backward(R, n, dIn);
      const theta = Float64Array.from(net.params);
      const x64 = Float64Array.from(x);
      const h = 1e-6;
      const fd = (arr: Float64Array, i: number, f: () => number) => {
        const v = arr[i]!;
        arr[i] = v + h;
        const up = f();
        arr[i] = v - h;
        const down = f();
        arr[i] = v;
        return (up - down) / (2 * h);
      };
      const f = () => loss64(spec, theta, x64, n, R);
      expectGradClose(net.grads, Array.from(theta, (_, i) => fd(theta, i, f)), 1e-3, 'grads');
      expectGradClose(dIn, Array.from(x64, (_, i) => fd(x64, i, f)), 1e-3, 'dIn');
    });

    it('matches tfjs autodiff for parameters and inputs', () => {
      const n = 6;
      const { net, x, R } = setup(spec, kernel, n, 7);
      net.forward(x, n);
      const dIn = new Float32Array(n * net.inputSize);
      net.backward(R, n, dIn);
      const shapes = net.paramShapes();
      const want = tf.tidy(() => {
        const xs = tf.tensor2d(x, [n, net.inputSize]);
        const ps = shapes.map((p) => tf.tensor(net.params.slice(p.offset, p.offset + p.size), p.shape));
        const r = tf.tensor2d(R, [n, net.outputSize]);
        const g = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(tfForward(spec, args.slice(1), args[0] as tf.Tensor2D), r)))([xs, ...ps]);
        return g.map((t) => t.dataSync() as Float32Array);
      });
      expectGradClose(dIn, want[0]!, 1e-4, 'dIn');
      shapes.forEach((p, i) => expectGradClose(net.grads.subarray(p.offset, p.offset + p.size), want[i + 1]!, 1e-4, p.name));
    });
  });
});

describe('backward without dIn', () => {
  it('gives the same parameter gradients and stops below the lowest parameter', () => {
    const spec: NetSpec = { input: 4, layers: [{ kind: 'activation', fn: 'tanh' }, dense(5, 'elu'), dense(2)], seed: 0 };
    const { net, x, R } = setup(spec, 'auto', 5, 1);
    net.forward(x, 5);
    net.backward(R, 5, new Float32Array(20));
    const withIn = net.grads.slice();
    net.zeroGrad();
    expect(net.backward(R, 5)).toBeUndefined();
    expect(net.grads).toEqual(withIn);
  });
});
