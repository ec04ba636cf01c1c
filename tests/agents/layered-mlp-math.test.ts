/**
 * The Thompson agents' layered Q-network against a float64 MLP written out here: the sparse scan of one-hot rows,
 * the sparse first layer, dropout masks between layers (per row and shared), the backward pass against central
 * differences (dense and sparse first layer, with masks), and haiku's truncated-normal init.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { applyMask, LayeredMlp, SparseRows, type LayerMasks } from '../../agents/layered-mlp.js';

type Act = 'tanh' | 'relu' | 'elu';
const act = (a: Act, z: number): number => (a === 'tanh' ? Math.tanh(z) : a === 'relu' ? Math.max(0, z) : z > 0 ? z : Math.exp(z) - 1);

/** The float64 forward pass of `mlp` with `params[l]` as layer l's flat parameters (kernel in x out, then bias). */
function reference(mlp: LayeredMlp, params: Float64Array[], x: ArrayLike<number>, n: number, activation: Act, masks: LayerMasks | null = null): Float64Array {
  const w = mlp.widths;
  let h = Float64Array.from(x);
  for (let l = 0; l + 1 < w.length; l++) {
    const [kernel, bias] = mlp.nets[l]!.paramShapes();
    const [inW, outW] = [w[l]!, w[l + 1]!];
    const p = params[l]!;
    const next = new Float64Array(n * outW);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < outW; j++) {
        let z = p[bias!.offset + j]!;
        for (let k = 0; k < inW; k++) z += h[i * inW + k]! * p[kernel!.offset + k * outW + j]!;
        const last = l + 2 === w.length;
        let y = last ? z : act(activation, z);
        if (!last && masks) y *= masks.masks[l]![masks.perRow ? i * outW + j : j]!;
        next[i * outW + j] = y;
      }
    }
    h = next;
  }
  return h;
}

const paramsOf = (mlp: LayeredMlp): Float64Array[] => mlp.nets.map((net) => Float64Array.from(net.params));

/** n one-hot-ish rows over dim inputs: row i has one or two nonzeros (values not 1, to catch a dropped value). */
function sparseBatch(n: number, dim: number): Float32Array {
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    x[i * dim + ((3 * i) % dim)] = 0.5 + i;
    if (i % 2 === 1) x[i * dim + ((3 * i + 1) % dim)] = -1.25;
  }
  return x;
}

function denseBatch(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.uniform(-1, 1));
}

function randomMasks(widths: readonly number[], n: number, perRow: boolean, seed: number): LayerMasks {
  const rng = new Rng(seed);
  const masks = widths.slice(1, -1).map((w) => Float32Array.from({ length: perRow ? n * w : w }, () => (rng.float() < 0.7 ? 1 / 0.7 : 0)));
  return { masks, perRow };
}

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void => {
  expect(got.length).toBeGreaterThanOrEqual(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `entry ${i}: ${got[i]} vs ${want[i]}`).toBeLessThan(tol * (1 + Math.abs(want[i]!)));
};

describe('SparseRows.scan', () => {
  it('lists each row nonzeros (column, value) between start[i] and start[i + 1]', () => {
    const x = Float32Array.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3, 0, 0, 4]);
    const r = new SparseRows().scan(x, 2, 8);
    expect(r.sparse).toBe(true);
    expect(Array.from(r.start.subarray(0, 3))).toEqual([0, 1, 3]);
    expect(Array.from(r.index.subarray(0, 3))).toEqual([1, 4, 7]);
    expect(Array.from(r.value.subarray(0, 3))).toEqual([2, -3, 4]);
  });

  it('counts rows as sparse up to a quarter of nonzero entries, dense past it', () => {
    // 2 rows x 4 = 8 entries: two nonzeros are sparse, three are not.
    expect(new SparseRows().scan(Float32Array.from([1, 0, 0, 0, 0, 0, 5, 0]), 2, 4).sparse).toBe(true);
    expect(new SparseRows().scan(Float32Array.from([1, 0, 0, 0, 0, 7, 5, 0]), 2, 4).sparse).toBe(false);
    expect(new SparseRows().scan(Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0]), 2, 4).sparse).toBe(true);
    // One more row (12 entries, limit 3) makes three nonzeros sparse again, with grown buffers.
    const r = new SparseRows();
    r.scan(Float32Array.from([1, 0, 0, 0]), 1, 4);
    r.scan(Float32Array.from([1, 0, 0, 0, 0, 7, 5, 0, 0, 0, 0, 0]), 3, 4);
    expect(r.sparse).toBe(true);
    expect(Array.from(r.start.subarray(0, 4))).toEqual([0, 1, 3, 3]);
    expect(Array.from(r.index.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(Array.from(r.value.subarray(0, 3))).toEqual([1, 7, 5]);
    // A dense scan after a sparse one says so.
    expect(r.scan(Float32Array.from([1, 2, 3, 4]), 1, 4).sparse).toBe(false);
  });
});

describe('applyMask', () => {
  it('scales each row by its own mask row, or every row by one shared row', () => {
    const h = Float32Array.from([1, 2, 3, 4, 5, 6]);
    applyMask(h, 2, Float32Array.from([0, 2, 1, 3, 0, 0.5]), true);
    expect(Array.from(h)).toEqual([0, 4, 3, 12, 0, 3]);
    const g = Float32Array.from([1, 2, 3, 4, 5, 6]);
    applyMask(g, 2, Float32Array.from([2, 0, -1]), false);
    expect(Array.from(g)).toEqual([2, 0, -3, 8, 0, -6]);
    // Only the n x w entries: a longer array keeps the rest.
    const longer = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    applyMask(longer, 2, Float32Array.from([2, 2, 2, 2, 2, 2]), true);
    expect(Array.from(longer)).toEqual([2, 4, 6, 8, 10, 12, 7, 8]);
    applyMask(longer, 2, Float32Array.from([0.5, 0.5, 0.5]), false);
    expect(Array.from(longer)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('LayeredMlp forward and predict', () => {
  for (const activation of ['tanh', 'relu', 'elu'] as const) {
    it(`matches the float64 MLP (${activation}), sparse first layer or dense, with and without dropout masks`, () => {
      const n = 5, dim = 12;
      const mlp = new LayeredMlp(dim, [7, 6], 3, activation, 11);
      const p = paramsOf(mlp);
      for (const x of [sparseBatch(n, dim), denseBatch(n, dim, 2)]) {
        const rows = new SparseRows().scan(x, n, dim);
        for (const masks of [null, randomMasks(mlp.widths, n, true, 5), randomMasks(mlp.widths, n, false, 6)]) {
          const want = reference(mlp, p, x, n, activation, masks);
          const shared = masks && !masks.perRow ? masks : null;
          if (masks === null || shared) {
            close(mlp.predict(x, rows, n, new Float32Array(n * 3), shared), want);
            close(mlp.predict(x, null, n, new Float32Array(n * 3), shared), want);
          }
          close(mlp.forward(x, rows, n, masks).slice(), want);
          close(mlp.forward(x, null, n, masks).slice(), want);
        }
      }
    });
  }

  it('writes the output rows into the given array and returns it', () => {
    const mlp = new LayeredMlp(4, [5], 2, 'tanh', 1);
    const out = new Float32Array(6);
    const x = denseBatch(3, 4, 1);
    expect(mlp.predict(x, null, 3, out)).toBe(out);
    close(out, reference(mlp, paramsOf(mlp), x, 3, 'tanh'));
  });
});

describe('LayeredMlp backward', () => {
  /** Central differences of sum(dOut * f(x)) in every parameter of every layer, in float64. */
  function numericGrads(mlp: LayeredMlp, x: Float32Array, n: number, dOut: Float64Array, activation: Act, masks: LayerMasks | null): Float64Array[] {
    const p = paramsOf(mlp);
    const objective = () => reference(mlp, p, x, n, activation, masks).reduce((s, v, i) => s + v * dOut[i]!, 0);
    return p.map((layer) => layer.map((v, i) => {
      const h = 1e-5;
      layer[i] = v + h;
      const up = objective();
      layer[i] = v - h;
      const down = objective();
      layer[i] = v;
      return (up - down) / (2 * h);
    }));
  }

  const cases = [
    { name: 'a dense first layer', sparse: false, masks: null },
    { name: 'the sparse first layer', sparse: true, masks: null },
    { name: 'the sparse first layer and per-row masks', sparse: true, masks: 'perRow' },
    { name: 'a dense first layer and one shared mask', sparse: false, masks: 'shared' },
  ] as const;
  for (const c of cases) {
    it(`adds dLoss/dParams of every layer through ${c.name} (central differences)`, () => {
      const n = 4, dim = 10, activation = 'tanh';
      const mlp = new LayeredMlp(dim, [6, 5], 3, activation, 7);
      const x = c.sparse ? sparseBatch(n, dim) : denseBatch(n, dim, 3);
      const rows = new SparseRows().scan(x, n, dim);
      expect(rows.sparse).toBe(c.sparse);
      const masks = c.masks === null ? null : randomMasks(mlp.widths, n, c.masks === 'perRow', 9);
      const dOut = Float64Array.from({ length: n * 3 }, (_, i) => Math.sin(i + 1));
      for (const net of mlp.nets) net.zeroGrad();
      mlp.forward(x, rows, n, masks); // dense rows take the ordinary path, forward and back
      // A predict between forward and backward uses its own buffers: the gradient is still the forward's.
      mlp.predict(denseBatch(n, dim, 99), null, n, new Float32Array(n * 3));
      mlp.backward(Float32Array.from(dOut), n);
      const want = numericGrads(mlp, x, n, dOut, activation, masks);
      mlp.nets.forEach((net, l) => close(net.grads, want[l]!, 2e-3));
      // A second backward adds to the gradients.
      mlp.forward(x, rows, n, masks); // dense rows take the ordinary path, forward and back
      mlp.backward(Float32Array.from(dOut), n);
      mlp.nets.forEach((net, l) => close(net.grads, want[l]!.map((g) => 2 * g), 2e-3));
    });
  }

  it('passes no gradient to units a mask dropped', () => {
    const n = 2, dim = 8;
    const mlp = new LayeredMlp(dim, [4], 2, 'tanh', 3);
    const masks: LayerMasks = { masks: [Float32Array.from([0, 0, 0, 0, 2, 2, 2, 2])], perRow: true };
    const x = sparseBatch(n, dim);
    mlp.forward(x, new SparseRows().scan(x, n, dim), n, masks);
    for (const net of mlp.nets) net.zeroGrad();
    mlp.backward(Float32Array.from([1, 0, 0, 0]), n); // only row 0's output, whose hidden units are all dropped
    for (const net of [mlp.nets[0]!]) expect(Array.from(net.grads).every((g) => g === 0)).toBe(true);
  });
});

describe('LayeredMlp init and targets', () => {
  it("draws haiku's init: truncated normal within 2 std of std 1/sqrt(fan_in), in order, and zero biases", () => {
    const mlp = new LayeredMlp(50, [40], 30, 'relu', 1, new Rng(17));
    const rng = new Rng(17);
    for (let l = 0; l < 2; l++) {
      const net = mlp.nets[l]!;
      const [kernel, bias] = net.paramShapes();
      const std = 1 / Math.sqrt(mlp.widths[l]!);
      const want = new Float32Array(kernel!.size);
      for (let i = 0; i < want.length; i++) {
        let z = rng.normal();
        while (Math.abs(z) > 2) z = rng.normal();
        want[i] = z * std;
      }
      expect(Array.from(net.params.subarray(kernel!.offset, kernel!.offset + kernel!.size))).toEqual(Array.from(want));
      expect(Array.from(net.params.subarray(bias!.offset, bias!.offset + bias!.size)).every((b) => b === 0)).toBe(true);
      const max = Math.max(...Array.from(want, Math.abs));
      expect(max).toBeLessThanOrEqual(2 * std + 1e-7);
      expect(max).toBeGreaterThan(1.8 * std);
    }
    // The engine saw the new parameters: predict agrees with the float64 MLP on them.
    const x = denseBatch(2, 50, 4);
    close(mlp.predict(x, null, 2, new Float32Array(60)), reference(mlp, paramsOf(mlp), x, 2, 'relu'));
  });

  it('blends a target towards its source by tau (1 copies)', () => {
    const a = new LayeredMlp(3, [4], 2, 'tanh', 1);
    const b = new LayeredMlp(3, [4], 2, 'tanh', 2);
    const before = paramsOf(a);
    a.polyakFrom(b, 0.25);
    a.nets.forEach((net, l) => close(net.params, before[l]!.map((v, i) => v + 0.25 * (b.nets[l]!.params[i]! - v)), 1e-6));
    a.polyakFrom(b, 1);
    a.nets.forEach((net, l) => expect(Array.from(net.params)).toEqual(Array.from(b.nets[l]!.params)));
  });
});
