/**
 * The plain engine's Net behaviour besides its gradients: accumulation, zeroGrad, clone, polyakFrom, parameter
 * round trips, predict beside a pending forward, the DQN-compatible initialisation, zero allocation per call,
 * createNet and the engine 'auto' rules.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocatedBytes } from '../../bench/_alloc.js';
import { InvalidConfig } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import {
  IncompatibleState, NATIVE_WORK_LIMIT, PLAIN_JS_WORK_LIMIT, PlainNet, chooseEngine, createNet, macsPerSample, type NetSpec,
} from '../../nn/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const MLP: NetSpec = {
  input: 4,
  layers: [{ kind: 'dense', units: 64, activation: 'relu' }, { kind: 'dense', units: 64, activation: 'relu' }, { kind: 'dense', units: 2 }],
  seed: 3,
};
const NORMED: NetSpec = {
  input: 3,
  layers: [{ kind: 'dense', units: 8, activation: 'tanh' }, { kind: 'layerNorm', affine: true }, { kind: 'activation', fn: 'elu' }, { kind: 'dense', units: 2 }],
  seed: 1,
};

function rows(rng: Rng, n: number, width: number): Float32Array {
  return new Float32Array(n * width).map(() => rng.uniform(-1, 1));
}

describe.each(['simd', 'js'] as const)('PlainNet (%s kernel)', (kernel) => {
  const make = (spec: NetSpec) => new PlainNet(spec, { kernel });

  it('accumulates gradients over backward calls until zeroGrad', () => {
    const rng = new Rng(1);
    const net = make(NORMED);
    const [x1, x2] = [rows(rng, 5, 3), rows(rng, 5, 3)];
    const [d1, d2] = [rows(rng, 5, 2), rows(rng, 5, 2)];
    net.forward(x1, 5);
    net.backward(d1, 5);
    const g1 = net.grads.slice();
    net.zeroGrad();
    net.forward(x2, 5);
    net.backward(d2, 5);
    const g2 = net.grads.slice();
    expect(g2.some((v) => v !== 0)).toBe(true);
    net.zeroGrad();
    expect(net.grads.every((v) => v === 0)).toBe(true);
    net.forward(x1, 5);
    net.backward(d1, 5);
    net.forward(x2, 5);
    net.backward(d2, 5);
    net.grads.forEach((v, i) => expect(v).toBeCloseTo(g1[i]! + g2[i]!, 5));
    // Two backward calls through one forward add too.
    net.zeroGrad();
    net.forward(x1, 5);
    net.backward(d1, 5);
    net.backward(d1, 5);
    net.grads.forEach((v, i) => expect(v).toBeCloseTo(2 * g1[i]!, 5));
  });

  it('lets predict run between a forward and its backward', () => {
    const rng = new Rng(2);
    const net = make(NORMED);
    const x = rows(rng, 4, 3);
    const d = rows(rng, 4, 2);
    net.forward(x, 4);
    const dIn = new Float32Array(12);
    net.backward(d, 4, dIn);
    const want = net.grads.slice();
    const wantIn = dIn.slice();
    net.zeroGrad();
    const y = net.forward(x, 4).slice();
    // The same batch size and another, and the caller reusing its input array.
    expect(net.predict(x, 4)).toEqual(y);
    net.predict(rows(rng, 4, 3), 4);
    net.predict(rows(rng, 1, 3), 1);
    x.fill(9);
    net.backward(d, 4, dIn);
    expect(net.grads).toEqual(want);
    expect(dIn).toEqual(wantIn);
  });

  it('clones with the same parameters, zero gradients and no shared state', () => {
    const rng = new Rng(3);
    const net = make(MLP);
    const x = rows(rng, 3, 4);
    net.forward(x, 3);
    net.backward(rows(rng, 3, 2), 3);
    const c = net.clone();
    expect(c).toBeInstanceOf(PlainNet);
    expect(c.params).toEqual(net.params);
    expect(c.grads.every((v) => v === 0)).toBe(true);
    expect(c.predict(x, 3)).toEqual(net.predict(x, 3));
    const before = net.predict(x, 3);
    c.params.fill(0.1);
    c.paramsChanged();
    expect(net.predict(x, 3)).toEqual(before);
    expect(c.predict(x, 1)[0]).toBeCloseTo(0.1 + 64 * 0.1 * Math.max(0, 0.1 + 64 * 0.1 * Math.max(0, 0.1 + 0.1 * (x[0]! + x[1]! + x[2]! + x[3]!))), 4);
  });

  it('polyakFrom copies with tau 1 and blends with tau 0.5 (and refreshes the transposed kernels)', () => {
    const x = new Float32Array([0.5, -1, 2, 0.25]);
    const target = make(MLP);
    const src = make({ ...MLP, seed: 4 });
    target.polyakFrom(src, 1);
    expect(target.params).toEqual(src.params);
    expect(target.predict(x, 1)).toEqual(src.predict(x, 1));
    target.params.fill(1);
    src.params.fill(3);
    target.paramsChanged();
    src.paramsChanged();
    target.polyakFrom(src, 0.5);
    expect(target.params.every((v) => v === 2)).toBe(true);
    // All params 2: hidden units 2 + 2 sum(x) = 5.5, then 2 + 64 * 2 * 5.5 = 706, output 2 + 64 * 2 * 706.
    expect(Array.from(target.predict(x, 1))).toEqual([90370, 90370]);
    target.polyakFrom(src, 0.25);
    expect(target.params.every((v) => v === 2.25)).toBe(true);
    expect(() => target.polyakFrom(src, 1.5)).toThrow(/Expected tau in \[0, 1\], got 1.5\./);
    expect(() => target.polyakFrom(make(NORMED), 0.5)).toThrow(InvalidConfig);
  });

  it('round-trips getParams/setParams and names the tensor that does not fit', () => {
    const a = make(NORMED);
    const b = make({ ...NORMED, seed: 9 });
    const saved = a.getParams();
    expect(saved.map((p) => [p.name, p.shape])).toEqual([
      ['0/dense/kernel', [3, 8]], ['0/dense/bias', [8]], ['1/layerNorm/gain', [8]], ['1/layerNorm/bias', [8]],
      ['3/dense/kernel', [8, 2]], ['3/dense/bias', [2]],
    ]);
    saved[0]!.data[0] = 42; // copies, not views
    expect(a.params[0]).not.toBe(42);
    b.setParams(a.getParams());
    expect(b.params).toEqual(a.params);
    const x = new Float32Array([0.1, 0.2, 0.3]);
    expect(b.predict(x, 1)).toEqual(a.predict(x, 1));
    const wrong = a.getParams();
    wrong[2] = { name: '1/layerNorm/gain', shape: [7], data: new Float32Array(7) };
    expect(() => b.setParams(wrong)).toThrow(IncompatibleState);
    try {
      b.setParams(wrong);
    } catch (err) {
      expect((err as IncompatibleState).tensor).toBe('1/layerNorm/gain');
      expect((err as Error).message).toMatch(/Expected tensor '1\/layerNorm\/gain' of shape \[8\], got shape \[7\] with 7 values\./);
    }
    expect(() => b.setParams(a.getParams().slice(1))).toThrow(/Expected tensor '0\/dense\/kernel' of shape \[3, 8\], got none\./);
    expect(() => b.setParams([...a.getParams(), { name: 'extra', shape: [1], data: new Float32Array(1) }])).toThrow(/got "extra" too/);
  });

  it('allocates nothing per predict, forward and backward call after warm-up', () => {
    const rng = new Rng(5);
    const cases = [MLP, NORMED].flatMap((spec) => [1, 32].map((n) => {
      const net = make(spec);
      const x = rows(rng, n, net.inputSize);
      const d = rows(rng, n, net.outputSize);
      const out = new Float32Array(n * net.outputSize);
      const dIn = new Float32Array(n * net.inputSize);
      const parts = {
        predict: () => net.predict(x, n, out),
        forward: () => net.forward(x, n),
        backward: () => net.backward(d, n, dIn),
        backwardNoInput: () => net.backward(d, n),
      };
      return { what: `${spec.layers.length} layers, batch ${n}`, parts, every: n === 1 ? 1 : 10 };
    }));
    // Warm every case up before measuring any: a code path first taken later deoptimises the shared loops, and
    // until V8 reoptimises them every float is boxed (~2.4 kB a call). Batches of 32 warm up in fewer calls.
    for (let i = 0; i < 3000; i++) for (const c of cases) if (i % c.every === 0) for (const f of Object.values(c.parts)) f();
    // Bytes per call, GCs included (bench/_alloc.ts), median of 3 bursts of 1000 (batch 32: 100) calls; the
    // measurement itself costs ~10 kB a burst. A Float32Array(64) is ~300 bytes, a 32 x 64 buffer over 8 kB.
    for (const c of cases) {
      for (const [name, f] of Object.entries(c.parts)) {
        const bursts = [0, 1, 2].map(() => allocatedBytes(() => { for (let i = 0; i < 1000; i += c.every) f(); }) / (1000 / c.every));
        expect(bursts.sort((a, b) => a - b)[1], `${kernel} ${name}, ${c.what}`).toBeLessThan(64);
      }
    }
  });
});

describe('PlainNet', () => {
  it('checks its arguments', () => {
    const net = new PlainNet(MLP);
    expect(() => net.backward(new Float32Array(2), 1)).toThrow(/Expected a forward\(\) before backward\(\), got none\./);
    net.forward(new Float32Array(8), 2);
    expect(() => net.backward(new Float32Array(2), 1)).toThrow(/Expected n to equal the last forward's 2 rows, got 1\./);
    expect(() => net.predict(new Float32Array(7), 2)).toThrow(/Expected x to be a Float32Array of at least n x 4 = 8 floats, got Float32Array\(7\)/);
    expect(() => net.predict(new Float32Array(8), 0)).toThrow(/Expected n \(rows\) to be a positive integer, got 0\./);
    expect(() => net.predict(new Float32Array(8), 2, new Float32Array(3))).toThrow(/Expected out to be a Float32Array of at least n x 2 = 4 floats/);
    expect(() => net.backward(new Float32Array(4), 2, new Float32Array(3))).toThrow(/Expected dIn to be a Float32Array of at least n x 4 = 8 floats/);
    expect(() => new PlainNet({ input: [8, 8, 1], layers: [{ kind: 'convTorso' }, { kind: 'dense', units: 2 }], seed: 0 }))
      .toThrow(/got a convTorso at spec.layers\[0\]\. Conv torsos run on the tfjs engine only/);
    expect(() => new PlainNet(MLP, { kernel: 'fast' as 'js' })).toThrow(/Expected kernel to be one of 'auto', 'simd', 'js', got "fast"\./);
  });

  it('gives the same outputs on both kernels', () => {
    const x = rows(new Rng(6), 9, 3);
    const a = new PlainNet(NORMED, { kernel: 'simd' }).predict(x, 9);
    const b = new PlainNet(NORMED, { kernel: 'js' }).predict(x, 9);
    b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
  });
});

describe('engine choice', () => {
  const conv: NetSpec = { input: [8, 8, 1], layers: [{ kind: 'convTorso' }, { kind: 'dense', units: 2 }], seed: 0 };
  const big: NetSpec = { input: 8, layers: [{ kind: 'dense', units: 256 }, { kind: 'dense', units: 256 }, { kind: 'dense', units: 4 }], seed: 0 };

  it('follows the documented rules', () => {
    expect(macsPerSample(MLP)).toBe(4 * 64 + 64 * 64 + 64 * 2); // 4480
    expect(macsPerSample(big)).toBe(8 * 256 + 256 * 256 + 256 * 4); // 68608
    // Conv torsos: tfjs everywhere.
    for (const backend of ['tensorflow', 'wasm', 'cpu']) expect(chooseEngine(conv, 32, backend, true)).toBe('tfjs');
    // With SIMD, or on the cpu backend: plain for every MLP.
    expect(chooseEngine(big, 4096, 'wasm', true)).toBe('plain');
    expect(chooseEngine(big, 4096, 'cpu', false)).toBe('plain');
    // wasm without SIMD: tfjs above 500k batch x MACs (4480 x 111 = 497k stays plain; x 112 = 502k goes).
    expect(4480 * 111).toBeLessThan(PLAIN_JS_WORK_LIMIT);
    expect(chooseEngine(MLP, 111, 'wasm', false)).toBe('plain');
    expect(chooseEngine(MLP, 112, 'wasm', false)).toBe('tfjs');
    // tfjs-node: tfjs above 5M (68608 x 72 = 4.94M plain; x 73 = 5.01M tfjs), regardless of SIMD.
    expect(68608 * 72).toBeLessThan(NATIVE_WORK_LIMIT);
    expect(chooseEngine(big, 72, 'tensorflow', true)).toBe('plain');
    expect(chooseEngine(big, 73, 'tensorflow', true)).toBe('tfjs');
  });

  it('createNet resolves auto with the real batch size and checks its options', () => {
    // Before initBackend(), auto assumes wasm; SIMD loads here, so MLPs run plain at any batch size.
    expect(createNet(big, { batchSize: 4096 }).engine).toBe('plain');
    expect(createNet(MLP, { engine: 'plain' })).toBeInstanceOf(PlainNet);
    expect(() => createNet(MLP, { engine: 'gpu' as 'plain' })).toThrow(/Expected engine to be one of 'auto', 'plain', 'tfjs', got "gpu"\./);
    expect(() => createNet(MLP, { batchSize: 0 })).toThrow(/Expected batchSize to be a positive integer, got 0\./);
    expect(() => createNet({ ...MLP, layers: [] })).toThrow(InvalidConfig);
  });

  it('createNet builds tfjs networks for conv torsos and on request', () => {
    const c = createNet(conv);
    expect(c.engine).toBe('tfjs');
    c.dispose();
    const t = createNet(MLP, { engine: 'tfjs' });
    expect(t.engine).toBe('tfjs');
    expect(t.params).toEqual(new PlainNet(MLP).params);
    t.dispose();
  });
});
