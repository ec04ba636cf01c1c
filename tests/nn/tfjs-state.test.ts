/**
 * The tfjs engine's state and lifetime: initial parameters from nn/layout.ts, the params -> variables rule,
 * get/setParams, polyakFrom, clone, argument errors, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { IncompatibleState } from '../../nn/errors.js';
import { initParams } from '../../nn/layout.js';
import { createTfjsNet } from '../../nn/tfjs/net.js';
import type { NamedArray, Net, NetSpec } from '../../nn/types.js';

/** One dense layer 3 -> 2: y = x W + b, easy to compute by hand. */
const LINEAR: NetSpec = { input: 3, layers: [{ kind: 'dense', units: 2 }], seed: 1 };
const DEEP: NetSpec = {
  input: [6, 6, 2],
  layers: [{ kind: 'convTorso' }, { kind: 'dense', units: 8, activation: 'elu' }, { kind: 'layerNorm', affine: true }, { kind: 'dense', units: 3 }],
  seed: 2,
};

/** x W + b for the LINEAR spec from flat params (W [3, 2] then b [2]). */
function linear(p: Float32Array, x: readonly number[]): number[] {
  return [0, 1].map((u) => p[6 + u]! + x[0]! * p[u]! + x[1]! * p[2 + u]! + x[2]! * p[4 + u]!);
}

function caught(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('tfjs engine state', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('starts from nn/layout.ts initParams and predicts with them', () => {
    const net = createTfjsNet(LINEAR);
    try {
      expect(net.engine).toBe('tfjs');
      expect([net.inputSize, net.outputSize]).toEqual([3, 2]);
      expect(Array.from(net.params)).toEqual(Array.from(initParams(LINEAR)));
      expect(net.paramShapes().map((p) => [p.name, p.shape, p.offset])).toEqual([['0/dense/kernel', [3, 2], 0], ['0/dense/bias', [2], 6]]);
      const y = net.predict(new Float32Array([1, -2, 0.5, 0, 1, 1]), 2);
      const want = [...linear(net.params, [1, -2, 0.5]), ...linear(net.params, [0, 1, 1])];
      want.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
    } finally {
      net.dispose();
    }
  });

  it('reads params only when paramsChanged() uploads them', () => {
    const net = createTfjsNet(LINEAR);
    try {
      const x = new Float32Array([1, 2, 3]);
      const before = Array.from(net.predict(x, 1));
      const old = net.params.slice();
      net.params.set([1, 0, 0, 1, 1, 1, 0.5, -0.5]);
      // Written but not announced: the variables still hold the old values.
      expect(Array.from(net.predict(x, 1))).toEqual(before);
      expect(linear(old, [1, 2, 3])[0]).toBeCloseTo(before[0]!, 6);
      net.paramsChanged();
      expect(Array.from(net.predict(x, 1))).toEqual([1 + 3 + 0.5, 2 + 3 - 0.5]);
    } finally {
      net.dispose();
    }
  });

  it('round-trips getParams/setParams between nets, with copies both ways', () => {
    const a = createTfjsNet(DEEP);
    const b = createTfjsNet({ ...DEEP, seed: 3 });
    try {
      const x = new Float32Array(2 * a.inputSize).map((_, i) => Math.sin(i));
      const state = a.getParams();
      expect(state.map((s) => s.name)).toEqual(a.paramShapes().map((p) => p.name));
      expect(state[0]!.shape).toEqual([3, 3, 2, 16]);
      expect(Array.from(b.predict(x, 2))).not.toEqual(Array.from(a.predict(x, 2)));
      b.setParams([...state].reverse());
      expect(Array.from(b.params)).toEqual(Array.from(a.params));
      expect(Array.from(b.predict(x, 2))).toEqual(Array.from(a.predict(x, 2)));
      state[0]!.data[0] = 123;
      expect(a.params[0]).not.toBe(123);
      expect(b.params[0]).not.toBe(123);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('setParams names the tensor that does not fit and leaves the net unchanged', () => {
    const net = createTfjsNet(LINEAR);
    try {
      const good = net.getParams();
      const before = net.params.slice();
      const cases: [NamedArray[], string, RegExp][] = [
        [[good[0]!], '0/dense/bias', /^Expected tensor '0\/dense\/bias' of shape \[2\], got none\./],
        [[good[0]!, { name: '0/dense/bias', shape: [3], data: new Float32Array(3) }], '0/dense/bias', /^Expected tensor '0\/dense\/bias' of shape \[2\], got shape \[3\] with 3 values\./],
        [[{ ...good[0]!, data: new Float32Array(5) }, good[1]!], '0/dense/kernel', /^Expected tensor '0\/dense\/kernel' of shape \[3, 2\], got shape \[3, 2\] with 5 values\./],
        [[good[0]!, { ...good[1]!, data: [1, 2] as unknown as Float32Array }], '0/dense/bias', /^Expected tensor '0\/dense\/bias' of shape \[2\], got shape \[2\] with 2 values\./],
        [[...good, { name: '1/dense/kernel', shape: [2, 2], data: new Float32Array(4) }], '1/dense/kernel', /^Expected only tensors 0\/dense\/kernel, 0\/dense\/bias, got "1\/dense\/kernel" too\./],
      ];
      for (const [state, tensor, message] of cases) {
        // A good first tensor must not be written when a later one fails.
        state[0] = { ...state[0]!, data: state[0]!.data instanceof Float32Array ? state[0]!.data.map(() => 9) : state[0]!.data };
        const err = caught(() => net.setParams(state));
        expect(err).toBeInstanceOf(IncompatibleState);
        expect((err as IncompatibleState).tensor).toBe(tensor);
        expect(err.message).toMatch(message);
        expect(Array.from(net.params)).toEqual(Array.from(before));
      }
    } finally {
      net.dispose();
    }
  });

  it('polyakFrom blends by tau, uploads the result, tau 1 copies and tau 0 keeps', () => {
    const a = createTfjsNet(LINEAR);
    const b = createTfjsNet({ ...LINEAR, seed: 9 });
    try {
      const pa = a.params.slice();
      const pb = b.params.slice();
      a.polyakFrom(b, 0);
      expect(Array.from(a.params)).toEqual(Array.from(pa));
      a.polyakFrom(b, 0.25);
      pa.forEach((v, i) => expect(a.params[i]).toBeCloseTo(v + 0.25 * (pb[i]! - v), 6));
      // The variables were updated too.
      const y = a.predict(new Float32Array([1, 1, 1]), 1);
      linear(a.params, [1, 1, 1]).forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
      a.polyakFrom(b, 1);
      expect(Array.from(a.params)).toEqual(Array.from(pb));
      expect(Array.from(a.predict(new Float32Array([1, 1, 1]), 1))).toEqual(Array.from(b.predict(new Float32Array([1, 1, 1]), 1)));
      expect(() => a.polyakFrom(b, -0.1)).toThrow(new InvalidConfig('Expected tau in [0, 1], got -0.1.'));
      expect(() => a.polyakFrom(b, 1.5)).toThrow(InvalidConfig);
      const wide = createTfjsNet({ ...LINEAR, layers: [{ kind: 'dense', units: 3 }] });
      try {
        const err = caught(() => a.polyakFrom(wide, 0.5));
        expect(err).toBeInstanceOf(InvalidConfig);
        expect(err.message).toBe('Expected a source network with the same layers as [{"kind":"dense","units":2}], got [{"kind":"dense","units":3}]. Build the target with clone().');
      } finally {
        wide.dispose();
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('clone copies parameters, starts with zero gradients and is independent', () => {
    const a = createTfjsNet(DEEP);
    const x = new Float32Array(a.inputSize).map((_, i) => Math.cos(i));
    a.forward(x, 1);
    a.backward(new Float32Array([1, -1, 0.5]), 1);
    const c = a.clone();
    try {
      expect(c.engine).toBe('tfjs');
      expect(Array.from(c.params)).toEqual(Array.from(a.params));
      expect(c.grads.every((v) => v === 0)).toBe(true);
      expect(a.grads.some((v) => v !== 0)).toBe(true);
      expect(Array.from(c.predict(x, 1))).toEqual(Array.from(a.predict(x, 1)));
      const before = Array.from(a.predict(x, 1));
      c.params.fill(0.01);
      c.paramsChanged();
      expect(Array.from(a.predict(x, 1))).toEqual(before);
    } finally {
      a.dispose();
      c.dispose();
    }
  });

  it('a predict between forward and backward does not change the gradients', () => {
    const a = createTfjsNet(DEEP);
    const b = a.clone();
    try {
      const rng = new Rng(4);
      const x = new Float32Array(2 * a.inputSize).map(() => rng.uniform(-1, 1));
      const other = x.map(() => rng.uniform(-1, 1));
      const dOut = new Float32Array(6).map(() => rng.uniform(-1, 1));
      a.forward(x, 2);
      a.backward(dOut, 2);
      b.forward(x, 2);
      b.predict(other, 2);
      b.backward(dOut, 2);
      expect(Array.from(b.grads)).toEqual(Array.from(a.grads));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('rejects bad arguments with typed errors', () => {
    expect(() => createTfjsNet({ input: 0, layers: [{ kind: 'dense', units: 1 }], seed: 0 })).toThrow(InvalidConfig);
    const net = createTfjsNet(LINEAR);
    const x = new Float32Array(6);
    expect(() => net.backward(new Float32Array(2), 1)).toThrow(new InvalidConfig('Expected a forward() before backward(), got no pending forward.'));
    expect(() => net.predict(x, 0)).toThrow(new InvalidConfig('Expected n to be a positive integer, got 0.'));
    expect(() => net.predict(x, 3)).toThrow(new InvalidConfig('Expected x to be a Float32Array of n * inputSize = 9 floats, got Float32Array(6) [0, 0, 0, 0, 0, 0].'));
    expect(() => net.predict(x, 2, new Float32Array(3))).toThrow(/^Expected out to be a Float32Array of n \* outputSize = 4 floats, got Float32Array\(3\)/);
    net.forward(x, 2);
    expect(() => net.backward(new Float32Array(4), 1)).toThrow(new InvalidConfig("Expected n to be the last forward's 2 rows, got 1."));
    expect(() => net.backward(new Float32Array(3), 2)).toThrow(/^Expected dOut to be a Float32Array of n \* outputSize = 4 floats/);
    expect(() => net.backward(new Float32Array(4), 2, new Float32Array(5))).toThrow(/^Expected dIn to be a Float32Array of n \* inputSize = 6 floats/);
    net.dispose();
    expect(() => net.predict(x, 1)).toThrow(new InvalidConfig('Expected a live network, got one that was disposed.'));
  });

  it('leaks no tensors across predict, forward, backward, paramsChanged, polyakFrom, setParams and clone', () => {
    const start = tf.memory().numTensors;
    const a: Net = createTfjsNet(DEEP);
    const b: Net = createTfjsNet({ ...DEEP, seed: 5 });
    const held = tf.memory().numTensors;
    // One variable per parameter tensor, nothing else.
    expect(held - start).toBe(2 * a.paramShapes().length);
    const rng = new Rng(8);
    const x = new Float32Array(4 * a.inputSize).map(() => rng.uniform(-1, 1));
    const dOut = new Float32Array(4 * a.outputSize).map(() => rng.uniform(-1, 1));
    const dIn = new Float32Array(x.length);
    for (let i = 0; i < 20; i++) {
      a.predict(x, 4);
      a.forward(x, 4);
      // The pending forward keeps exactly its input.
      expect(tf.memory().numTensors).toBe(held + 1);
      a.forward(x, 4);
      a.backward(dOut, 4, i % 2 ? dIn : undefined);
      a.params[i] = a.params[i]! + 0.01;
      a.paramsChanged();
      b.polyakFrom(a, 0.1);
      b.setParams(a.getParams());
      const c = a.clone();
      c.predict(x, 1);
      c.forward(x, 1);
      c.dispose();
    }
    expect(tf.memory().numTensors).toBe(held);
    a.forward(x, 1);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
