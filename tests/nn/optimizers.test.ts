import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../../core/errors.js';
import { IncompatibleState } from '../../nn/errors.js';
import { adam, clipGradNorm, globalGradNorm, rmsprop, sgd } from '../../nn/optimizers.js';
import type { Optimizer } from '../../nn/types.js';
import { LinearNet, vectorNet } from './fixtures.js';

/** The gradients fed at steps 1, 2, 3 to a two-parameter net starting at [1, -2]. */
const GRADS = [[0.5, -1], [-1, 2], [0.25, 0]] as const;

/** Runs `opt` over the GRADS schedule on `net` and returns the params after each step. */
function run(net: LinearNet, opt: Optimizer, steps: number = GRADS.length): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    net.grads.set(GRADS[t]!);
    opt.step();
    out.push([...net.params]);
  }
  return out;
}

function expectClose(actual: readonly number[][], expected: readonly number[][], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) => row.forEach((v, i) => expect(v, `step ${t + 1}, param ${i}`).toBeCloseTo(expected[t]![i]!, digits)));
}

describe('update rules against hand-computed values', () => {
  it('adam: bias-corrected steps 1, 2 and 3', () => {
    // Step 1: m = 0.1 g, v = 0.001 g^2, so m-hat / sqrt(v-hat) = sign(g): p moves by lr against the gradient.
    // Step 2 (param 0): m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975, bc1 = 0.19,
    // bc2 = 0.001999: p = 0.9 + 0.1 (0.055 / 0.19) / sqrt(0.00124975 / 0.001999) = 0.93661035.
    const net = vectorNet([1, -2]);
    expectClose(run(net, adam([net], { learningRate: 0.1 })), [
      [0.9, -1.9],
      [0.93661035, -1.93661035],
      [0.95027942, -1.96491026],
    ]);
  });

  it('adam: beta1, beta2 and eps are used where tfjs uses them (eps outside the square root)', () => {
    // Step 1, param 0: m = 0.25, v = 0.0625, m-hat = 0.5, v-hat = 0.25: p = 1 - 0.1 * 0.5 / (0.5 + 0.1) = 0.91666667.
    const net = vectorNet([1, -2]);
    expectClose(run(net, adam([net], { learningRate: 0.1, beta1: 0.5, beta2: 0.75, eps: 0.1 }), 2), [
      [0.91666667, -1.90909091],
      [0.9707936, -1.96631522],
    ]);
  });

  it('rmsprop: tfjs rule, eps inside the square root', () => {
    // Step 1, param 0: ms = 0.1 * 0.25 = 0.025: p = 1 - 0.1 * 0.5 / sqrt(0.025 + 1e-7) = 0.68377287.
    const net = vectorNet([1, -2]);
    expectClose(run(net, rmsprop([net], { learningRate: 0.1 })), [
      [0.68377287, -1.68377239],
      [0.96948704, -1.96948665],
      [0.89624223, -1.96948665],
    ], 5);
    // decay 0.5, eps 0.5: ms = 0.125, p = 1 - 0.05 / sqrt(0.625) = 0.93675445.
    const net2 = vectorNet([1, -2]);
    expectClose(run(net2, rmsprop([net2], { learningRate: 0.1, decay: 0.5, eps: 0.5 }), 2), [
      [0.93675445, -1.9],
      [1.0337687, -2.02060454],
    ]);
  });

  it('sgd: plain, heavy-ball momentum and nesterov (torch rules)', () => {
    const plain = vectorNet([1, -2]);
    expectClose(run(plain, sgd([plain], { learningRate: 0.1 })), [[0.95, -1.9], [1.05, -2.1], [1.025, -2.1]]);
    // Momentum 0.9: buf = g, then 0.9 * 0.5 - 1 = -0.55, then 0.9 * -0.55 + 0.25 = -0.245.
    const heavy = vectorNet([1, -2]);
    expectClose(run(heavy, sgd([heavy], { learningRate: 0.1, momentum: 0.9 })), [[0.95, -1.9], [1.005, -2.01], [1.0295, -2.109]]);
    // Nesterov: p -= lr (g + 0.9 buf); step 1: 0.5 + 0.45 = 0.95.
    const nest = vectorNet([1, -2]);
    expectClose(run(nest, sgd([nest], { learningRate: 0.1, momentum: 0.9, nesterov: true })), [[0.905, -1.81], [1.0545, -2.109], [1.05155, -2.1981]]);
  });

  it('a learning rate set between steps is the one used (schedules)', () => {
    const net = vectorNet([1, -2]);
    const opt = sgd([net], { learningRate: 0.1 });
    opt.learningRate = 0.5;
    expect(opt.learningRate).toBe(0.5);
    net.grads.set([1, 1]);
    opt.step();
    expect([...net.params]).toEqual([0.5, -2.5]);
    opt.learningRate = 0;
    net.grads.set([1, 1]);
    opt.step();
    expect([...net.params]).toEqual([0.5, -2.5]);
  });
});

describe('step bookkeeping', () => {
  for (const make of [
    (n: LinearNet[]) => adam(n, { learningRate: 0.01 }),
    (n: LinearNet[]) => rmsprop(n, { learningRate: 0.01 }),
    (n: LinearNet[]) => sgd(n, { learningRate: 0.01, momentum: 0.5 }),
  ]) {
    it(`${make([vectorNet([0, 0])]).kind}: notifies each net once, zeroes grads, counts steps, returns the norm`, () => {
      const a = vectorNet([1, 2]);
      const b = new LinearNet(2, 1, [1, 1, 1]);
      const opt = make([a, b]);
      expect(opt.steps).toBe(0);
      a.grads.set([3, 0]);
      b.grads.set([0, 4, 0]);
      expect(opt.step()).toBeCloseTo(5, 6);
      expect(opt.steps).toBe(1);
      expect([a.changed, b.changed, a.zeroed, b.zeroed]).toEqual([1, 1, 1, 1]);
      expect([...a.grads, ...b.grads]).toEqual([0, 0, 0, 0, 0]);
      // Both nets moved against their gradients; untouched coordinates did not move.
      expect(a.params[0]).toBeLessThan(1);
      expect(b.params[1]).toBeLessThan(1);
      expect([a.params[1], b.params[0], b.params[2]]).toEqual([2, 1, 1]);
    });
  }
});

describe('global-norm clipping (torch clip_grad_norm_)', () => {
  it('globalGradNorm is the L2 norm over all nets together', () => {
    const a = vectorNet([0, 0]);
    const b = vectorNet([0, 0, 0, 0]);
    a.grads.set([1, -2]);
    b.grads.set([0, 2, 0, -4]);
    expect(globalGradNorm([a, b])).toBeCloseTo(5, 6);
    expect(globalGradNorm([a])).toBeCloseTo(Math.sqrt(5), 6);
  });

  it('clipGradNorm scales by max / (norm + 1e-6) across two nets and returns the pre-clip norm', () => {
    const a = vectorNet([0, 0]);
    const b = vectorNet([0, 0]);
    a.grads.set([3, 0]);
    b.grads.set([0, 4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    const s = 1 / (5 + 1e-6);
    expect(a.grads[0]).toBeCloseTo(3 * s, 7);
    expect(b.grads[1]).toBeCloseTo(4 * s, 7);
    // Below the max: unchanged. At a norm of exactly max, the 1e-6 makes the factor just below 1 (torch too).
    expect(clipGradNorm([a, b], 2)).toBeCloseTo(1, 6);
    expect(a.grads[0]).toBeCloseTo(3 * s, 7);
    a.grads.set([0, 0]);
    b.grads.set([0, 0]);
    expect(clipGradNorm([a, b], 1)).toBe(0);
    expect([...a.grads, ...b.grads]).toEqual([0, 0, 0, 0]);
  });

  it('step clips the global norm of all its nets before the update, and not when under the max', () => {
    const a = vectorNet([1, 1]);
    const b = vectorNet([1, 1]);
    const opt = sgd([a, b], { learningRate: 1, maxGradNorm: 1 });
    a.grads.set([3, 0]);
    b.grads.set([0, 4]);
    expect(opt.step()).toBeCloseTo(5, 6);
    // Each coordinate moved by its share of a unit-norm step: 0.6 and 0.8.
    expect([...a.params, ...b.params].map((v) => Number(v.toFixed(5)))).toEqual([0.4, 1, 1, 0.2]);
    a.grads.set([0.3, 0]);
    b.grads.set([0, 0.4]);
    expect(opt.step()).toBeCloseTo(0.5, 6);
    expect([...a.params, ...b.params].map((v) => Number(v.toFixed(5)))).toEqual([0.1, 1, 1, -0.2]);
  });

  it('without maxGradNorm nothing is clipped', () => {
    const a = vectorNet([0, 0]);
    const opt = sgd([a], { learningRate: 1, maxGradNorm: null });
    a.grads.set([30, 40]);
    expect(opt.step()).toBeCloseTo(50, 5);
    expect([...a.params]).toEqual([-30, -40]);
  });

  for (const make of [
    (n: LinearNet, max: number | null) => adam([n], { learningRate: 0.1, maxGradNorm: max }),
    (n: LinearNet, max: number | null) => rmsprop([n], { learningRate: 0.1, maxGradNorm: max }),
    (n: LinearNet, max: number | null) => sgd([n], { learningRate: 0.1, maxGradNorm: max }),
    (n: LinearNet, max: number | null) => sgd([n], { learningRate: 0.1, momentum: 0.9, maxGradNorm: max }),
  ]) {
    it(`${make(vectorNet([0, 0]), null).kind}: a clipped step equals an unclipped step on the rescaled gradient`, () => {
      const clipped = vectorNet([1, -2]);
      const plain = vectorNet([1, -2]);
      const a = make(clipped, 1);
      const b = make(plain, null);
      for (const g of [[3, 4], [-6, 8], [0.3, 0.4]]) {
        const norm = Math.hypot(g[0]!, g[1]!);
        const s = Math.min(1, 1 / (norm + 1e-6));
        clipped.grads.set(g);
        plain.grads.set(g.map((v) => v * s));
        expect(a.step()).toBeCloseTo(norm, 5);
        b.step();
        clipped.params.forEach((v, i) => expect(v, `param ${i}`).toBeCloseTo(plain.params[i]!, 6));
      }
    });
  }

  it('adam sees the clipped gradient (its second moment holds the clipped square)', () => {
    const a = vectorNet([0, 0]);
    const opt = adam([a], { learningRate: 0.1, maxGradNorm: 1 });
    a.grads.set([3, 4]);
    opt.step();
    const v = opt.getState().slots.find((s) => s.name === '0/v')!.data;
    const s = 1 / (5 + 1e-6);
    expect(v[0]).toBeCloseTo(0.001 * (3 * s) ** 2, 9);
    expect(v[1]).toBeCloseTo(0.001 * (4 * s) ** 2, 9);
  });
});

describe('state', () => {
  it('a restored optimiser continues exactly like the original', () => {
    for (const make of [
      (n: LinearNet) => adam([n], { learningRate: 0.1 }),
      (n: LinearNet) => rmsprop([n], { learningRate: 0.1 }),
      (n: LinearNet) => sgd([n], { learningRate: 0.1, momentum: 0.9 }),
    ]) {
      const a = vectorNet([1, -2]);
      const optA = make(a);
      run(a, optA, 2);
      const state = optA.getState();
      expect(state.steps).toBe(2);
      const b = vectorNet([...a.params]);
      const optB = make(b);
      optB.setState(state);
      expect(optB.steps).toBe(2);
      // A fresh optimiser from the same params would take a different third step (bias correction, momentum).
      const c = vectorNet([...a.params]);
      const optC = make(c);
      for (const [net, opt] of [[a, optA], [b, optB], [c, optC]] as const) {
        net.grads.set(GRADS[2]!);
        opt.step();
      }
      expect([...b.params], optA.kind).toEqual([...a.params]);
      expect([...c.params], optA.kind).not.toEqual([...a.params]);
    }
  });

  it('says which kind it is', () => {
    const net = vectorNet([1, 2]);
    expect([adam([net], { learningRate: 1 }).kind, rmsprop([net], { learningRate: 1 }).kind, sgd([net], { learningRate: 1 }).kind, sgd([net], { learningRate: 1, momentum: 0.5 }).kind])
      .toEqual(['adam', 'rmsprop', 'sgd', 'sgd']);
  });

  it('names slots <net index>/<slot> with one entry per parameter, and returns copies', () => {
    const a = vectorNet([1, 2]);
    const b = vectorNet([1, 2, 3, 4]);
    const opt = adam([a, b], { learningRate: 0.1 });
    a.grads.set([1, 1]);
    b.grads.set([1, 1, 1, 1]);
    opt.step();
    const st = opt.getState();
    expect(st.slots.map((s) => [s.name, s.shape])).toEqual([['0/m', [2]], ['0/v', [2]], ['1/m', [4]], ['1/v', [4]]]);
    expect(st.slots[0]!.data[0]).toBeCloseTo(0.1, 7);
    st.slots[0]!.data[0] = 99;
    expect(opt.getState().slots[0]!.data[0]).toBeCloseTo(0.1, 7);
    expect(rmsprop([a], { learningRate: 1 }).getState().slots.map((s) => s.name)).toEqual(['0/ms']);
    expect(sgd([a], { learningRate: 1, momentum: 0.5 }).getState().slots.map((s) => s.name)).toEqual(['0/momentum']);
    expect(sgd([a], { learningRate: 1 }).getState()).toEqual({ steps: 0, slots: [] });
  });

  it('a mismatched state throws IncompatibleState naming the slot and changes nothing', () => {
    const a = vectorNet([1, 2]);
    const opt = adam([a], { learningRate: 0.1 });
    const good = () => opt.getState().slots.map((s) => ({ ...s, data: s.data.map(() => 7) }));
    const bad: [string, { steps: number; slots: { name: string; shape: number[]; data: Float32Array }[] }][] = [
      ['0/v', { steps: 3, slots: good().filter((s) => s.name !== '0/v') }],
      ['0/m', { steps: 3, slots: good().map((s) => (s.name === '0/m' ? { ...s, shape: [3], data: new Float32Array(3) } : s)) }],
      ['0/m', { steps: 3, slots: good().map((s) => (s.name === '0/m' ? { ...s, shape: [1, 2] } : s)) }],
      ['0/m', { steps: 3, slots: good().map((s) => (s.name === '0/m' ? { ...s, shape: [2, 1] } : s)) }],
      ['0/v', { steps: 3, slots: good().map((s) => (s.name === '0/v' ? { ...s, shape: [5] } : s)) }],
      ['0/v', { steps: 3, slots: good().map((s) => (s.name === '0/v' ? { ...s, data: [7, 7] as never } : s)) }],
      ['0/v', { steps: 3, slots: good().map((s) => (s.name === '0/v' ? { ...s, data: new Float32Array(1) } : s)) }],
      ['1/m', { steps: 3, slots: [...good(), { name: '1/m', shape: [2], data: new Float32Array(2) }] }],
      ['steps', { steps: -1, slots: good() }],
      ['steps', { steps: 1.5, slots: good() }],
    ];
    for (const [tensor, state] of bad) {
      let err: unknown;
      try {
        opt.setState(state);
      } catch (e) {
        err = e;
      }
      expect(err, tensor).toBeInstanceOf(IncompatibleState);
      expect((err as IncompatibleState).tensor).toBe(tensor);
      expect((err as Error).message).toMatch(/^Expected .*, got /);
    }
    expect(() => opt.setState(null as never)).toThrow(new IncompatibleState('(state)', 'Expected an optimiser state { steps, slots }, got null.'));
    expect(() => opt.setState({ steps: 0 } as never)).toThrow('Expected an optimiser state { steps, slots }, got {"steps":0}.');
    expect(opt.steps).toBe(0);
    expect(opt.getState().slots.every((s) => s.data.every((v) => v === 0))).toBe(true);
    opt.setState({ steps: 3, slots: good() });
    expect(opt.steps).toBe(3);
    expect(opt.getState().slots.every((s) => s.data.every((v) => v === 7))).toBe(true);
  });

  it('says what a mismatched slot holds', () => {
    const opt = adam([vectorNet([1, 2])], { learningRate: 0.1 });
    const slots = opt.getState().slots;
    expect(() => opt.setState({ steps: 0, slots: [slots[0]!, { name: '0/v', shape: [3], data: new Float32Array(3) }] }))
      .toThrow("Expected adam slot '0/v' of shape [2], got shape [3] with 3 values.");
    expect(() => opt.setState({ steps: 0, slots: [slots[0]!, { name: '0/v', shape: [2] } as never] }))
      .toThrow("Expected adam slot '0/v' of shape [2], got shape [2] with undefined values.");
    expect(() => opt.setState({ steps: 0, slots: [...slots, { name: '1/m', shape: [2], data: new Float32Array(2) }] }))
      .toThrow("Expected only adam slots 0/m, 0/v, got '1/m' too.");
  });

  it('reads the message of a missing slot', () => {
    const opt = rmsprop([vectorNet([1, 2])], { learningRate: 0.1 });
    expect(() => opt.setState({ steps: 0, slots: [] })).toThrow("Expected rmsprop slot '0/ms' of shape [2], got none.");
    expect(() => opt.setState({ steps: 0, slots: [{ name: '0/x', shape: [2], data: new Float32Array(2) }, ...opt.getState().slots] }))
      .toThrow("Expected only rmsprop slots 0/ms, got '0/x' too.");
    const plain = sgd([vectorNet([1, 2])], { learningRate: 0.1 });
    expect(() => plain.setState({ steps: 0, slots: [{ name: '0/momentum', shape: [2], data: new Float32Array(2) }] }))
      .toThrow("Expected only sgd slots none, got '0/momentum' too.");
  });
});

describe('validation', () => {
  const net = vectorNet([1, 2]);
  const cases: [string, () => unknown, string][] = [
    ['no nets', () => adam([], { learningRate: 0.1 }), 'Expected a non-empty array of networks, got [].'],
    ['same net twice', () => sgd([net, net], { learningRate: 0.1 }), 'Expected distinct networks, got nets[0] again at nets[1].'],
    ['lr 0', () => adam([net], { learningRate: 0 }), 'Expected learningRate to be a finite number > 0, got 0.'],
    ['lr NaN', () => rmsprop([net], { learningRate: NaN }), 'Expected learningRate to be a finite number > 0, got NaN.'],
    ['lr Infinity', () => sgd([net], { learningRate: Infinity }), 'Expected learningRate to be a finite number > 0, got Infinity.'],
    ['beta1 1', () => adam([net], { learningRate: 0.1, beta1: 1 }), 'Expected beta1 to be a number in [0, 1), got 1.'],
    ['beta2 -0.1', () => adam([net], { learningRate: 0.1, beta2: -0.1 }), 'Expected beta2 to be a number in [0, 1), got -0.1.'],
    ['eps 0', () => adam([net], { learningRate: 0.1, eps: 0 }), 'Expected eps to be a finite number > 0, got 0.'],
    ['decay 1', () => rmsprop([net], { learningRate: 0.1, decay: 1 }), 'Expected decay to be a number in [0, 1), got 1.'],
    ['momentum 1', () => sgd([net], { learningRate: 0.1, momentum: 1 }), 'Expected momentum to be a number in [0, 1), got 1.'],
    ['nesterov without momentum', () => sgd([net], { learningRate: 0.1, nesterov: true }), 'Expected momentum > 0 with nesterov: true, got momentum 0.'],
    ['nesterov not boolean', () => sgd([net], { learningRate: 0.1, momentum: 0.5, nesterov: 1 as never }), 'Expected nesterov to be a boolean, got 1.'],
    ['maxGradNorm 0', () => adam([net], { learningRate: 0.1, maxGradNorm: 0 }), 'Expected maxGradNorm to be a finite number > 0, got 0.'],
    ['clip max -1', () => clipGradNorm([net], -1), 'Expected max to be a finite number > 0, got -1.'],
    ['params/grads lengths', () => adam([{ params: new Float32Array(2), grads: new Float32Array(3) } as never], { learningRate: 0.1 }), 'Expected nets[0] to be a Net with params and grads of equal length'],
    ['options missing', () => adam([net], undefined as never), 'Expected an options object, got undefined.'],
    ['options not an object', () => sgd([net], 5 as never), 'Expected an options object, got 5.'],
    ['a string beta1', () => adam([net], { learningRate: 0.1, beta1: '0.5' as never }), 'Expected beta1 to be a number in [0, 1), got "0.5".'],
    ['rmsprop eps 0', () => rmsprop([net], { learningRate: 0.1, eps: -1 }), 'Expected eps to be a finite number > 0, got -1.'],
    ['a null net', () => adam([null as never], { learningRate: 0.1 }), 'Expected nets[0] to be a Net with params and grads of equal length, got null.'],
    ['Float64 params', () => adam([{ params: new Float64Array(2), grads: new Float32Array(2) } as never], { learningRate: 0.1 }), 'Expected nets[0] to be a Net'],
    ['Float64 grads', () => adam([{ params: new Float32Array(2), grads: new Float64Array(2) } as never], { learningRate: 0.1 }), 'Expected nets[0] to be a Net'],
    ['clip over no nets', () => clipGradNorm([], 1), 'Expected a non-empty array of networks, got [].'],
  ];
  for (const [what, f, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(f).toThrow(InvalidConfig);
      expect(f).toThrow(message);
    });
  }

  it('accepts the ends of the ranges that are valid', () => {
    const a = vectorNet([1, -2]);
    // beta1 = 0 and beta2 = 0: m = g and v = g^2, so each step is lr g / (|g| + eps).
    const opt = adam([a], { learningRate: 0.1, beta1: 0, beta2: 0, eps: 1e-8 });
    a.grads.set([0.5, -4]);
    opt.step();
    expectClose([[...a.params]], [[0.9, -1.9]]);
    const b = vectorNet([1, -2]);
    expectClose(run(b, sgd([b], { learningRate: 0.1, momentum: 0, nesterov: false }), 1), [[0.95, -1.9]]);
    const c = vectorNet([1, -2]);
    // decay 0: ms = g^2, a step of lr g / sqrt(g^2 + eps).
    expectClose(run(c, rmsprop([c], { learningRate: 0.1, decay: 0 }), 1), [[0.9, -1.9]], 5);
  });

  it('rejects a negative or NaN learning rate set later, and keeps the old one', () => {
    const opt = adam([net], { learningRate: 0.1 });
    expect(() => { opt.learningRate = -1; }).toThrow('Expected learningRate to be a finite number >= 0, got -1.');
    expect(() => { opt.learningRate = NaN; }).toThrow(InvalidConfig);
    expect(opt.learningRate).toBe(0.1);
  });

  it('keeps its own copy of the nets array', () => {
    const a = vectorNet([1, 2]);
    const list = [a];
    const opt = sgd(list, { learningRate: 1 });
    const b = vectorNet([1, 2]);
    list.push(b);
    b.grads.set([1, 1]);
    opt.step();
    expect([...b.params]).toEqual([1, 2]);
  });
});

describe('agreement with tfjs optimisers (cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Five steps of least squares on a 3 -> 2 linear map, ours and tfjs's; returns both parameter vectors. */
  function compare(ours: (n: LinearNet) => Optimizer, theirs: () => tf.Optimizer): { mine: Float32Array; ref: Float32Array } {
    const init = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.05, -0.05];
    const x = new Float32Array([1, 2, 3, -1, 0.5, 0, 0.2, -0.3, 1.5, 2, -2, 1]);
    const y = new Float32Array([1, 0, -1, 2, 0.5, 0.5, 3, -3]);
    const net = new LinearNet(3, 2, init);
    const opt = ours(net);
    const dOut = new Float32Array(8);
    for (let s = 0; s < 5; s++) {
      const pred = net.forward(x, 4);
      // Mean squared error over all 8 outputs: dL/dPred = 2 (pred - y) / 8.
      for (let i = 0; i < 8; i++) dOut[i] = (2 * (pred[i]! - y[i]!)) / 8;
      net.backward(dOut, 4);
      opt.step();
    }
    const ref = tf.tidy(() => {
      const w = tf.variable(tf.tensor2d(init.slice(0, 6), [3, 2]));
      const b = tf.variable(tf.tensor1d(init.slice(6)));
      const o = theirs();
      const xs = tf.tensor2d(x, [4, 3]);
      const ys = tf.tensor2d(y, [4, 2]);
      for (let s = 0; s < 5; s++) o.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(xs, w), b), ys))) as tf.Scalar, false, [w, b]);
      const flat = new Float32Array([...w.dataSync(), ...b.dataSync()]);
      o.dispose();
      w.dispose();
      b.dispose();
      return flat;
    });
    return { mine: net.params, ref };
  }

  const cases: [string, (n: LinearNet) => Optimizer, () => tf.Optimizer][] = [
    ['adam', (n) => adam([n], { learningRate: 0.05 }), () => tf.train.adam(0.05, 0.9, 0.999, 1e-8)],
    ['adam (beta 0.8/0.99, eps 1e-3)', (n) => adam([n], { learningRate: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-3 }), () => tf.train.adam(0.05, 0.8, 0.99, 1e-3)],
    ['rmsprop', (n) => rmsprop([n], { learningRate: 0.01 }), () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false)],
    ['sgd momentum', (n) => sgd([n], { learningRate: 0.05, momentum: 0.9 }), () => tf.train.momentum(0.05, 0.9, false)],
    ['sgd nesterov', (n) => sgd([n], { learningRate: 0.05, momentum: 0.9, nesterov: true }), () => tf.train.momentum(0.05, 0.9, true)],
  ];
  for (const [name, ours, theirs] of cases) {
    it(`${name} matches tfjs over five steps`, () => {
      const { mine, ref } = compare(ours, theirs);
      const init = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.05, -0.05];
      mine.forEach((v, i) => {
        expect(v, `param ${i}`).toBeCloseTo(ref[i]!, 5);
        // The problem is not trivial: every parameter moved.
        expect(Math.abs(v - init[i]!), `param ${i} moved`).toBeGreaterThan(1e-3);
      });
    });
  }
});

describe('on the real engines', () => {
  it('a step on plain and tfjs nets reaches their forward passes (paramsChanged) and matches a manual update', async () => {
    await tf.setBackend('cpu');
    const { createNet } = await import('../../nn/net.js');
    const spec = { input: 3, layers: [{ kind: 'dense' as const, units: 4, activation: 'tanh' as const }, { kind: 'dense' as const, units: 2 }], seed: 3 };
    const x = new Float32Array([0.5, -1, 2, 1, 0.25, -0.5]);
    for (const engine of ['plain', 'tfjs'] as const) {
      const net = createNet(spec, { engine });
      const before = net.params.slice();
      net.forward(x, 2);
      net.backward(new Float32Array([1, -1, 0.5, 2]), 2);
      const grads = net.grads.slice();
      sgd([net], { learningRate: 0.1 }).step();
      // The parameters are exactly p - 0.1 g, and the network computes with them.
      net.params.forEach((v, i) => expect(v, `${engine} param ${i}`).toBeCloseTo(before[i]! - 0.1 * grads[i]!, 6));
      const fresh = createNet(spec, { engine });
      fresh.setParams(net.getParams());
      expect([...net.predict(x, 2)], engine).toEqual([...fresh.predict(x, 2)]);
      expect([...net.grads].every((g) => g === 0), engine).toBe(true);
      net.dispose();
      fresh.dispose();
    }
  });
});
