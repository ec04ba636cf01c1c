import { beforeAll, describe, expect, it } from 'vitest';
import { allocatedBytes } from '../../bench/_alloc.js';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/rng.js';
import { InvalidConfig, InvalidObservation } from '../../core/errors.js';
import { BackendUnavailable, describeBackend, initBackend } from '../../agents/nn/backend.js';
import { qNetwork, resolveQNetworkConfig } from '../../agents/nn/q-network.js';
import type { NamedArray, QNetworkConfig } from '../../agents/nn/q-network.js';
import { IncompatibleState, initParams } from '../../agents/nn/params.js';
import { PlainQ } from '../../agents/nn/plain-mlp.js';
import { convValid } from '../../agents/nn/tfjs-q.js';
import { chooseEngine } from '../../agents/nn/engine-choice.js';

type Cfg = Partial<QNetworkConfig> & { obsDim: number; numActions: number };

function batch(rng: Rng, cfg: Cfg, b: number) {
  const obs = new Float32Array(b * cfg.obsDim).map(() => rng.uniform(-2, 2));
  const actions = new Int32Array(b).map(() => rng.int(cfg.numActions));
  const targets = new Float32Array(b).map(() => rng.uniform(-3, 3));
  const weights = new Float32Array(b).map(() => rng.uniform(0.2, 1));
  return { obs, actions, targets, weights };
}

/**
 * An independent tfjs reference: the same MLP from named params, tfjs's own losses (huberLoss, meanSquaredError)
 * and autodiff. Returns the loss and the gradients in param order.
 */
function reference(
  c: QNetworkConfig, params: NamedArray[], obs: Float32Array, actions: Int32Array, targets: Float32Array, b: number,
  weights?: Float32Array,
): { loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const vars = params.map((p) => tf.variable(tf.tensor(p.data, p.shape)));
    const x = tf.tensor2d(obs.slice(0, b * c.obsDim), [b, c.obsDim]);
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor2D = x;
      for (let l = 0; l < c.hidden.length; l++) {
        const z = tf.add(tf.matMul(h, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]!) as tf.Tensor2D;
        h = c.activation === 'relu' ? tf.relu(z) : tf.tanh(z);
      }
      const L = c.hidden.length;
      let q = tf.add(tf.matMul(h, vars[2 * L] as tf.Tensor2D), vars[2 * L + 1]!) as tf.Tensor2D;
      if (c.dueling) {
        const v = tf.slice(q, [0, 0], [b, 1]);
        const a = tf.slice(q, [0, 1], [b, c.numActions]);
        q = tf.add(v, tf.sub(a, tf.mean(a, 1, true)));
      }
      const qa = tf.sum(tf.mul(q, tf.oneHot(tf.tensor1d(actions.slice(0, b), 'int32'), c.numActions)), 1);
      const t = tf.tensor1d(targets.slice(0, b));
      const w = weights ? tf.tensor1d(weights.slice(0, b)) : undefined;
      // Per-sample losses (weighted by tfjs), then the plain mean: PER's mean(w * loss).
      const red = tf.Reduction.NONE;
      return tf.mean(c.loss === 'huber' ? tf.losses.huberLoss(t, qa, w, 1, red) : tf.losses.meanSquaredError(t, qa, w, red));
    }, vars);
    const out = { loss: value.dataSync()[0]!, grads: vars.map((v) => (grads[v.name]!.dataSync() as Float32Array).slice()) };
    vars.forEach((v) => v.dispose());
    return out;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('config', () => {
  it('fills SB3 DQN defaults', () => {
    const c = resolveQNetworkConfig({ obsDim: 4, numActions: 2 });
    expect(c).toMatchObject({ hidden: [64, 64], activation: 'relu', optimizer: 'adam', learningRate: 1e-4, loss: 'huber', maxGradNorm: 10 });
  });
  it('rejects bad fields with Expected/got messages', () => {
    expect(() => qNetwork({ obsDim: 4, numActions: 2, hidden: [64, -1] })).toThrow(
      new InvalidConfig('Expected hidden to be an array of positive integers, got [64, -1].'),
    );
    expect(() => qNetwork({ obsDim: 0, numActions: 2 })).toThrow('Expected obsDim to be a positive integer, got 0.');
    expect(() => qNetwork({ obsDim: 4, numActions: 2, optimizer: 'sgd' as 'adam' })).toThrow(
      "Expected optimizer to be one of 'adam', 'rmsprop', got \"sgd\".",
    );
    expect(() => qNetwork({ obsDim: 4, numActions: 2, maxGradNorm: -1 })).toThrow(
      'Expected maxGradNorm to be a positive number or null, got -1.',
    );
    expect(() => qNetwork({ obsDim: 10, numActions: 2, conv: { inputShape: [6, 6, 1] } })).toThrow(
      'Expected obsDim to equal the product of conv.inputShape (36), got 10.',
    );
    expect(() => qNetwork({ obsDim: 9, numActions: 2, conv: { inputShape: [3, 3, 1] } })).toThrow(
      'Expected conv.inputShape to be at least 5x5 pixels, got [3, 3, 1].',
    );
    expect(() => qNetwork({ obsDim: 36, numActions: 2, conv: { inputShape: [6, 6, 1] }, engine: 'plain' })).toThrow(
      "Expected engine 'tfjs' or 'auto' with a conv torso, got 'plain'.",
    );
  });
  it('checks input sizes at call time', () => {
    const q = qNetwork({ obsDim: 4, numActions: 2, engine: 'plain' });
    expect(() => q.predict(new Float32Array(7), 2)).toThrow(InvalidObservation);
    expect(() => q.predict(new Float32Array(7), 2)).toThrow('Expected obs to be a Float32Array of batchSize * obsDim = 8 floats');
  });
  it('auto picks plain for MLPs (with or without layer norm) where SIMD exists, tfjs for conv torsos', () => {
    const small = resolveQNetworkConfig({ obsDim: 4, numActions: 2 });
    const wide = resolveQNetworkConfig({ obsDim: 4, numActions: 2, hidden: [256, 256], batchSize: 64 });
    // With the SIMD kernel the plain engine wins every MLP measured.
    expect(chooseEngine(small, 'wasm', true)).toBe('plain');
    expect(chooseEngine(wide, 'wasm', true)).toBe('plain');
    // JS loops only: tfjs-wasm above batch x MACs 500k; tfjs-cpu never; native tfjs above 5M.
    expect(chooseEngine(small, 'wasm', false)).toBe('plain');
    expect(chooseEngine({ ...small, batchSize: 256 }, 'wasm', false)).toBe('tfjs');
    expect(chooseEngine(wide, 'cpu', false)).toBe('plain');
    expect(chooseEngine(wide, 'tensorflow', true)).toBe('plain');
    expect(chooseEngine({ ...wide, batchSize: 256 }, 'tensorflow', true)).toBe('tfjs');
    expect(chooseEngine(resolveQNetworkConfig({ obsDim: 4, numActions: 2, layerNorm: true }), 'wasm', true)).toBe('plain');
    expect(chooseEngine(resolveQNetworkConfig({ obsDim: 64, numActions: 2, conv: { inputShape: [8, 8, 1] } }))).toBe('tfjs');
    expect(qNetwork({ obsDim: 4, numActions: 2 }).engine).toBe('plain');
  });
});

describe('plain engine against tfjs', () => {
  const cases: { name: string; cfg: Cfg; b: number; weighted: boolean }[] = [
    { name: 'relu huber, batch 7', cfg: { obsDim: 4, numActions: 2, hidden: [16, 12], activation: 'relu', loss: 'huber' }, b: 7, weighted: false },
    { name: 'tanh mse dueling weighted, batch 8', cfg: { obsDim: 5, numActions: 3, hidden: [9], activation: 'tanh', loss: 'mse', dueling: true }, b: 8, weighted: true },
    { name: 'relu huber dueling, batch 13, three layers', cfg: { obsDim: 3, numActions: 4, hidden: [10, 7, 6], dueling: true }, b: 13, weighted: true },
  ];
  for (const tc of cases) for (const plainKernel of ['simd', 'js'] as const) {
    it(`gradients and loss match tfjs autodiff (${tc.name}, ${plainKernel} kernel)`, () => {
      const c = resolveQNetworkConfig({ ...tc.cfg, engine: 'plain', seed: 3, plainKernel });
      const q = new PlainQ(c);
      expect(q.kernel).toBe(plainKernel);
      const { obs, actions, targets, weights } = batch(new Rng(11), c, tc.b);
      const w = tc.weighted ? weights : undefined;
      const td = new Float32Array(tc.b);
      const loss = q.computeGradients(obs, actions, targets, tc.b, w ? { weights: w, tdErrorsOut: td } : { tdErrorsOut: td });
      const ref = reference(c, q.getState().params, obs, actions, targets, tc.b, w);
      expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5);
      q.gradients().forEach((g, i) => expect(maxAbsDiff(g.data, ref.grads[i]!), g.name).toBeLessThan(1e-5));
      const qv = q.predict(obs, tc.b);
      for (let r = 0; r < tc.b; r++) expect(td[r]).toBeCloseTo(Math.abs(qv[r * c.numActions + actions[r]!]! - targets[r]!), 5);
    });
  }

  it('gives the same Q-values on the SIMD and JS kernels, one row or many', () => {
    const simd = qNetwork({ obsDim: 6, numActions: 3, hidden: [80, 72], engine: 'plain', plainKernel: 'simd', seed: 4 });
    const js = qNetwork({ obsDim: 6, numActions: 3, hidden: [80, 72], engine: 'plain', plainKernel: 'js', seed: 4 });
    const { obs } = batch(new Rng(9), simd.config, 9);
    for (const b of [1, 2, 4, 9]) expect(maxAbsDiff(simd.predict(obs, b), js.predict(obs, b)), `batch ${b}`).toBeLessThan(1e-5);
    expect(simd.act(obs.subarray(6, 12))).toBe(js.act(obs.subarray(6, 12)));
  });

  it('allocates no buffers per act, predict (with out) and fit after a warm-up', () => {
    for (const plainKernel of ['simd', 'js'] as const) {
      const q = qNetwork({ obsDim: 4, numActions: 2, hidden: [64, 64], engine: 'plain', plainKernel });
      const target = q.clone();
      const { obs, actions, targets, weights } = batch(new Rng(5), q.config, 32);
      const td = new Float32Array(32);
      const out = new Float32Array(64);
      const opts = { weights, tdErrorsOut: td };
      const one = obs.subarray(0, 4);
      const parts = {
        act: () => q.act(one),
        predict: () => target.predict(obs, 32, out),
        fit: () => q.fit(obs, actions, targets, 32, opts),
      };
      for (let i = 0; i < 3000; i++) for (const f of Object.values(parts)) f();
      // Bytes allocated per call, GCs included (bench/_alloc.ts), median of 3 bursts. Measured here: act ~5,
      // predict ~0, fit ~16 or, in some processes' JIT state, ~448 (boxed floats, the same every burst). A
      // Float32Array(64) is ~300 bytes and a batch-sized buffer (32 x 64 floats) over 8 kB.
      const perCall = (f: () => void): number => {
        const bursts = [0, 1, 2].map(() => allocatedBytes(() => { for (let i = 0; i < 1000; i++) f(); }) / 1000);
        return bursts.sort((a, b) => a - b)[1]!;
      };
      expect(perCall(parts.act), `${plainKernel} act`).toBeLessThan(64);
      expect(perCall(parts.predict), `${plainKernel} predict`).toBeLessThan(64);
      expect(perCall(parts.fit), `${plainKernel} fit`).toBeLessThan(1000);
    }
  });

  for (const [optimizer, plainKernel] of [['adam', 'simd'], ['rmsprop', 'js']] as const) {
    it(`${optimizer} steps with global-norm clipping match tf.train.${optimizer} (${plainKernel} kernel)`, () => {
      const c = resolveQNetworkConfig({ obsDim: 4, numActions: 2, hidden: [8, 8], optimizer, learningRate: 0.01, maxGradNorm: 0.5, seed: 5, plainKernel });
      const q = new PlainQ(c);
      const lr = c.learningRate;
      const opt = optimizer === 'adam' ? tf.train.adam(lr, 0.9, 0.999, 1e-8) : tf.train.rmsprop(lr, 0.9, 0, 1e-7);
      const refVars = q.getState().params.map((p, i) => tf.variable(tf.tensor(p.data, p.shape), true, `ref_${optimizer}_${i}`));
      const rng = new Rng(2);
      for (let step = 0; step < 4; step++) {
        const { obs, actions, targets } = batch(rng, c, 6);
        const cur = refVars.map((v, i) => ({ name: `p${i}`, shape: v.shape, data: v.dataSync() as Float32Array }));
        const ref = reference(c, cur, obs, actions, targets, 6);
        const norm = Math.sqrt(ref.grads.reduce((s, g) => s + g.reduce((t, x) => t + x * x, 0), 0));
        const coef = Math.min(1, 0.5 / (norm + 1e-6));
        tf.tidy(() => opt.applyGradients(Object.fromEntries(refVars.map((v, i) => [v.name, tf.mul(tf.tensor(ref.grads[i]!, v.shape), coef)]))));
        q.fit(obs, actions, targets, 6);
      }
      q.getState().params.forEach((p, i) => expect(maxAbsDiff(p.data, refVars[i]!.dataSync()), p.name).toBeLessThan(1e-5));
      opt.dispose();
      refVars.forEach((v) => v.dispose());
    });
  }
});

describe('tfjs engine', () => {
  const cfg: Cfg = { obsDim: 4, numActions: 3, hidden: [16, 16], dueling: true, learningRate: 1e-3, seed: 9 };

  for (const [matMul, optimizer] of [['stock', 'adam'], ['transposed', 'rmsprop']] as const) {
    it(`matches the plain engine step for step (${matMul} matMul, ${optimizer})`, () => {
      const p = qNetwork({ ...cfg, optimizer, engine: 'plain' });
      const t = qNetwork({ ...cfg, optimizer, engine: 'tfjs', tfjsMatMul: matMul });
      expect(t.engine).toBe('tfjs');
      const rng = new Rng(4);
      for (let s = 0; s < 5; s++) {
        const { obs, actions, targets, weights } = batch(rng, p.config, 10);
        const tdP = new Float32Array(10);
        const tdT = new Float32Array(10);
        const lp = p.fit(obs, actions, targets, 10, { weights, tdErrorsOut: tdP });
        const lt = t.fit(obs, actions, targets, 10, { weights, tdErrorsOut: tdT });
        expect(Math.abs(lp - lt)).toBeLessThan(1e-4);
        expect(maxAbsDiff(tdP, tdT)).toBeLessThan(1e-4);
      }
      const obs = batch(rng, p.config, 5).obs;
      expect(maxAbsDiff(p.predict(obs, 5), t.predict(obs, 5))).toBeLessThan(1e-4);
      expect(t.act(obs.subarray(0, 4))).toBe(p.act(obs.subarray(0, 4)));
      const sp = p.getState();
      const st = t.getState();
      expect(st.step).toBe(5);
      st.optimizer.forEach((o, i) => expect(maxAbsDiff(o.data, sp.optimizer[i]!.data), o.name).toBeLessThan(1e-4));
      t.dispose();
    });
  }

  it('does not leak tensors across act, predict, fit, updateFrom, getState and setState', () => {
    const start = tf.memory().numTensors;
    const q = qNetwork({ ...cfg, engine: 'tfjs' });
    // 6 parameters and 2 flat Adam slots per network, nothing else.
    expect(tf.memory().numTensors - start).toBe(8);
    const target = q.clone();
    const rng = new Rng(1);
    const { obs, actions, targets, weights } = batch(rng, q.config, 32);
    const td = new Float32Array(32);
    q.fit(obs, actions, targets, 32);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      q.act(obs.subarray(0, 4));
      q.predict(obs, 32);
      q.fit(obs, actions, targets, 32, { weights, tdErrorsOut: td });
      target.updateFrom(q, i % 2 === 0 ? 1 : 0.01);
      q.setState(q.getState());
    }
    expect(tf.memory().numTensors).toBe(before);
    target.dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('conv gradient (conv of transposed input and dy) matches tfjs stock conv2d gradients', () => {
    const rng = new Rng(12);
    for (const [h, k, stride] of [[12, 4, 2], [9, 3, 1], [20, 8, 4]] as const) {
      const x = tf.tensor4d(Array.from({ length: 2 * h * (h + 1) * 3 }, () => rng.uniform(-1, 1)), [2, h, h + 1, 3]);
      const w = tf.tensor4d(Array.from({ length: k * k * 3 * 5 }, () => rng.uniform(-1, 1)), [k, k, 3, 5]);
      const mine = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(convValid(a as tf.Tensor4D, b as tf.Tensor4D, stride))))([x, w]);
      const stock = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'valid'))))([x, w]);
      mine.forEach((g, i) => expect(maxAbsDiff(g.dataSync(), stock[i]!.dataSync())).toBeLessThan(1e-3));
      tf.dispose([x, w, ...mine, ...stock]);
    }
  });

  it('trains a conv torso on pixel observations', () => {
    const q = qNetwork({ obsDim: 10 * 10 * 2, numActions: 2, hidden: [16], conv: { inputShape: [10, 10, 2] }, learningRate: 3e-3, seed: 1 });
    expect(q.engine).toBe('tfjs');
    // Action 0 is worth the mean brightness, action 1 its negative.
    const rng = new Rng(8);
    const b = 16;
    const { obs, actions } = batch(rng, q.config, b);
    obs.forEach((_, i) => (obs[i] = rng.float()));
    const targets = new Float32Array(b).map((_, r) => {
      const m = obs.subarray(r * 200, (r + 1) * 200).reduce((s, x) => s + x, 0) / 200;
      return actions[r] === 0 ? m : -m;
    });
    const first = q.fit(obs, actions, targets, b);
    let last = first;
    for (let i = 0; i < 40; i++) last = q.fit(obs, actions, targets, b);
    expect(last).toBeLessThan(first * 0.2);
    expect(q.predict(obs, b).length).toBe(b * 2);
    q.dispose();
  });

  for (const activation of ['relu', 'tanh'] as const) {
    it(`layer norm: the plain engine matches the tfjs engine step for step (${activation})`, () => {
      const c: Cfg = { obsDim: 5, numActions: 3, hidden: [12, 9], layerNorm: true, activation, dueling: true, learningRate: 1e-2, seed: 6 };
      const p = qNetwork({ ...c, engine: 'plain' });
      const t = qNetwork({ ...c, engine: 'tfjs' });
      const rng = new Rng(10);
      for (let s = 0; s < 4; s++) {
        const { obs, actions, targets } = batch(rng, p.config, 9);
        expect(Math.abs(p.fit(obs, actions, targets, 9) - t.fit(obs, actions, targets, 9))).toBeLessThan(1e-4);
      }
      const { obs } = batch(rng, p.config, 6);
      expect(maxAbsDiff(p.predict(obs, 6), t.predict(obs, 6))).toBeLessThan(1e-4);
      t.dispose();
    });
  }

  it('trains with layer normalisation', () => {
    const q = qNetwork({ obsDim: 4, numActions: 2, hidden: [16, 16], layerNorm: true, learningRate: 1e-2, seed: 2, engine: 'tfjs' });
    expect(q.engine).toBe('tfjs');
    const { obs, actions, targets } = batch(new Rng(3), q.config, 16);
    const first = q.fit(obs, actions, targets, 16);
    let last = first;
    for (let i = 0; i < 100; i++) last = q.fit(obs, actions, targets, 16);
    expect(last).toBeLessThan(first * 0.3);
    q.dispose();
  });
});

describe('state, clones and target updates', () => {
  it('restores a state so that training continues identically', () => {
    const q = qNetwork({ obsDim: 4, numActions: 2, hidden: [8], engine: 'plain', learningRate: 1e-2 });
    const rng = new Rng(6);
    const b1 = batch(rng, q.config, 8);
    const b2 = batch(rng, q.config, 8);
    q.fit(b1.obs, b1.actions, b1.targets, 8);
    const saved = q.getState();
    const copy = qNetwork({ obsDim: 4, numActions: 2, hidden: [8], engine: 'plain', learningRate: 1e-2, seed: 99 });
    copy.setState(saved);
    expect(copy.fit(b2.obs, b2.actions, b2.targets, 8)).toBe(q.fit(b2.obs, b2.actions, b2.targets, 8));
    expect(copy.getState()).toEqual(q.getState());
  });

  it('moves a state from the plain engine to the tfjs engine', () => {
    const p = qNetwork({ obsDim: 4, numActions: 2, hidden: [8], engine: 'plain', seed: 1 });
    const t = qNetwork({ obsDim: 4, numActions: 2, hidden: [8], engine: 'tfjs', seed: 2 });
    const { obs } = batch(new Rng(0), p.config, 4);
    t.setState(p.getState());
    expect(maxAbsDiff(t.predict(obs, 4), p.predict(obs, 4))).toBeLessThan(1e-5);
    t.dispose();
  });

  it('names the tensor whose shape does not match', () => {
    const q = qNetwork({ obsDim: 4, numActions: 2, hidden: [8] });
    const other = qNetwork({ obsDim: 4, numActions: 2, hidden: [6] });
    expect(() => q.setState(other.getState())).toThrow(IncompatibleState);
    expect(() => q.setState(other.getState())).toThrow("Expected tensor 'hidden0/kernel' of shape [4, 8], got shape [4, 6] with 24 values.");
  });

  it('clone copies parameters; updateFrom copies (tau 1) or averages (Polyak)', () => {
    for (const engine of ['plain', 'tfjs'] as const) {
      const q = qNetwork({ obsDim: 4, numActions: 2, hidden: [8], engine, seed: 1 });
      const other = qNetwork({ obsDim: 4, numActions: 2, hidden: [8], engine, seed: 2 });
      const { obs } = batch(new Rng(0), q.config, 4);
      const c = q.clone();
      expect(maxAbsDiff(c.predict(obs, 4), q.predict(obs, 4))).toBe(0);
      c.updateFrom(other, 0.25);
      const a = q.getState().params;
      const b = other.getState().params;
      c.getState().params.forEach((p, i) => {
        const mid = a[i]!.data.map((x, k) => x + 0.25 * (b[i]!.data[k]! - x));
        expect(maxAbsDiff(p.data, mid)).toBeLessThan(1e-6);
      });
      c.updateFrom(other, 1);
      expect(maxAbsDiff(c.predict(obs, 4), other.predict(obs, 4))).toBe(0);
      expect(() => c.updateFrom(qNetwork({ obsDim: 4, numActions: 2, hidden: [9] }), 1)).toThrow(InvalidConfig);
      [q, other, c].forEach((n) => n.dispose());
    }
  });

  it('initialises like torch Linear: uniform within 1/sqrt(fan_in), same seed same weights', () => {
    const c = resolveQNetworkConfig({ obsDim: 16, numActions: 2, hidden: [32] });
    const [k0] = initParams(c);
    expect(Math.max(...k0!.data.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...k0!.data.map(Math.abs))).toBeGreaterThan(0.2);
    expect(initParams(c)[0]!.data).toEqual(k0!.data);
  });
});

describe('backend', () => {
  it('describes a backend in one line', () => {
    expect(describeBackend({ name: 'wasm', simd: true, threads: false, tfjsVersion: '4.22.0', nodeBindings: false })).toBe(
      'tfjs 4.22.0 on wasm (SIMD on, threads off)',
    );
  });
  it('loads wasm with SIMD and rejects unknown or unavailable backends by name', async () => {
    const info = await initBackend('wasm');
    expect(info).toMatchObject({ name: 'wasm', simd: true, threads: false, tfjsVersion: '4.22.0', nodeBindings: false });
    await expect(initBackend('gpu' as 'cpu')).rejects.toThrow("Expected backend to be one of 'auto', 'tensorflow', 'wasm', 'cpu', got \"gpu\".");
    try {
      const native = await initBackend('tensorflow');
      expect(native.nodeBindings).toBe(true); // tfjs-node is installed and works here
    } catch (err) {
      expect(err).toBeInstanceOf(BackendUnavailable);
      expect((err as Error).message).toMatch(/^Expected backend 'tensorflow' to load, got an error.*Available here: wasm, cpu\./);
    }
    expect((await initBackend('cpu')).name).toBe('cpu');
  });
  it('lets RXGYM_BACKEND override auto, and checks its value', async () => {
    const saved = process.env['RXGYM_BACKEND'];
    try {
      process.env['RXGYM_BACKEND'] = 'cpu';
      expect(await initBackend()).toMatchObject({ name: 'cpu', simd: null, threads: null, nodeBindings: false });
      process.env['RXGYM_BACKEND'] = 'cuda';
      await expect(initBackend('auto')).rejects.toThrow(InvalidConfig);
      await expect(initBackend('auto')).rejects.toThrow('Expected RXGYM_BACKEND to be one of');
    } finally {
      if (saved === undefined) delete process.env['RXGYM_BACKEND'];
      else process.env['RXGYM_BACKEND'] = saved;
    }
  });
});
