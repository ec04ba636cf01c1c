import { describe, expect, it } from 'vitest';
import {
  assertContains,
  box,
  contains,
  describeSpace,
  dict,
  discrete,
  flatdim,
  flatten,
  flattenSpace,
  InvalidSpace,
  multiBinary,
  multiDiscrete,
  Rng,
  sample,
  spaceFromJSON,
  spacesEqual,
  spaceToJSON,
  tuple,
  unflatten,
  type Space,
} from '../../core/index.js';

describe('Box', () => {
  it('rounds float32 bounds like numpy and keeps per-element bounds', () => {
    const s = box({ low: [-4.8, -Infinity], high: [4.8, Infinity] });
    expect(s.shape).toEqual([2]);
    expect(s.low[0]).toBe(Math.fround(-4.8));
    expect(s.high[1]).toBe(Infinity);
    expect(describeSpace(s)).toBe('Box([-4.8, -inf], [4.8, inf], [2], float32)');
  });

  it('contains checks length, bounds, NaN and integer-ness', () => {
    const s = box({ low: -1, high: 1, shape: [2] });
    expect(contains(s, new Float32Array([0, 1]))).toBe(true);
    expect(contains(s, [0.5, -0.5])).toBe(true);
    expect(contains(s, new Float32Array([0, 1.5]))).toBe(false);
    expect(contains(s, new Float32Array([0, NaN]))).toBe(false);
    expect(contains(s, new Float32Array(3))).toBe(false);
    const pixels = box({ low: 0, high: 255, shape: [2, 2, 3], dtype: 'uint8' });
    expect(contains(pixels, new Uint8Array(12))).toBe(true);
    expect(contains(pixels, new Float32Array(12).fill(0.5))).toBe(false);
  });

  it('explains a mismatch naming expected and found', () => {
    const s = box({ low: -2, high: 2, shape: [1] });
    expect(() => assertContains(s, new Float32Array([3]), 'action')).toThrow(InvalidSpace);
    expect(() => assertContains(s, new Float32Array([3]), 'action')).toThrow(
      'Invalid action: Expected a Float32Array of shape [1] in Box(-2, 2, [1], float32), got 3 at element 0, outside [-2, 2].',
    );
    expect(() => assertContains(s, new Float32Array(2))).toThrow(
      'Invalid value: Expected a Float32Array of shape [1] in Box(-2, 2, [1], float32), got 2 elements instead of 1: Float32Array(2) [0, 0].',
    );
  });

  it('rejects inconsistent construction with typed errors', () => {
    expect(() => box({ low: 1, high: 0, shape: [1] })).toThrow('Expected Box low[0] <= high[0], got low 1 and high 0.');
    expect(() => box({ low: 0, high: 1 })).toThrow('Expected a Box shape when low and high are both scalars, got none: pass { shape: [...] }.');
    expect(() => box({ low: [0, 0], high: [1, 1, 1] })).toThrow('Expected Box high to have 2 elements (the product of the shape), got 3.');
    expect(() => box({ low: 0, high: Infinity, shape: [1], dtype: 'uint8' })).toThrow(InvalidSpace);
    expect(() => box({ low: 0, high: 1, shape: [1], dtype: 'float16' as 'float32' })).toThrow(
      'Expected Box dtype to be one of float32, float64, uint8, int32, got "float16".',
    );
  });

  it('samples inside bounded, half-bounded and unbounded boxes, reproducibly', () => {
    const s = box({ low: [-1, 0, -Infinity, -Infinity], high: [1, Infinity, 5, Infinity] });
    const a = new Rng(7);
    const b = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const x = sample(s, a);
      expect(contains(s, x)).toBe(true);
      expect(Array.from(sample(s, b))).toEqual(Array.from(x));
    }
    const ints = box({ low: 3, high: 5, shape: [1000], dtype: 'int32' });
    const xs = sample(ints, a);
    expect(new Set(xs)).toEqual(new Set([3, 4, 5]));
  });
});

describe('Discrete', () => {
  it('contains integers in [start, start + n)', () => {
    const s = discrete(3, { start: -1 });
    expect([-1, 0, 1].every((x) => contains(s, x))).toBe(true);
    expect(contains(s, 2)).toBe(false);
    expect(contains(s, 0.5)).toBe(false);
    expect(contains(s, '1')).toBe(false);
    expect(() => assertContains(discrete(2), 2, 'action')).toThrow('Invalid action: Expected an integer in [0, 1] for Discrete(2), got 2.');
    expect(() => discrete(0)).toThrow('Expected Discrete n to be a positive integer, got 0.');
  });

  it('samples uniformly and honours an action mask', () => {
    const rng = new Rng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) counts[sample(discrete(4), rng)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(1800);
    const mask = new Int8Array([0, 1, 0, 1]);
    for (let i = 0; i < 100; i++) expect([1, 3]).toContain(sample(discrete(4), rng, { mask }));
    expect(() => sample(discrete(4), rng, { mask: new Int8Array(3) })).toThrow(
      'Expected an action mask of length 4 for Discrete(4), got length 3.',
    );
  });
});

describe('MultiDiscrete, MultiBinary, Tuple, Dict', () => {
  it('check membership with messages that locate the problem', () => {
    const md = multiDiscrete([2, 3]);
    expect(contains(md, new Int32Array([1, 2]))).toBe(true);
    expect(() => assertContains(md, new Int32Array([1, 3]))).toThrow(
      'Invalid value: Expected 2 integers for MultiDiscrete([2, 3]), got 3 at element 1, outside [0, 2].',
    );
    const mb = multiBinary(3);
    expect(contains(mb, new Uint8Array([0, 1, 1]))).toBe(true);
    expect(contains(mb, new Uint8Array([0, 2, 1]))).toBe(false);
    const t = tuple([discrete(2), box({ low: 0, high: 1, shape: [1] })]);
    expect(contains(t, [1, new Float32Array([0.5])])).toBe(true);
    expect(() => assertContains(t, [1, new Float32Array([2])])).toThrow('Invalid value: At tuple index 1: Expected a Float32Array');
    const d = dict({ pos: box({ low: -1, high: 1, shape: [2] }), mode: discrete(3) });
    expect(contains(d, { pos: new Float32Array(2), mode: 2 })).toBe(true);
    expect(() => assertContains(d, { pos: new Float32Array(2) })).toThrow(
      'Invalid value: Expected key "mode" in the value for Dict(pos: Box(-1, 1, [2], float32), mode: Discrete(3)), got keys pos.',
    );
  });

  it('sample gives members for every kind', () => {
    const rng = new Rng(3);
    const spaces: Space[] = [multiDiscrete([2, 5, 7], { start: [1, 0, -3] }), multiBinary(9), tuple([discrete(2), multiBinary(2)]), dict({ a: discrete(4), b: box({ low: 0, high: 1, shape: [2, 2] }) })];
    for (const s of spaces) for (let i = 0; i < 50; i++) expect(contains(s, sample(s, rng))).toBe(true);
  });
});

describe('flatten / unflatten / flatdim', () => {
  it('one-hot encodes discrete parts and round-trips', () => {
    const s = dict({ a: discrete(3, { start: 1 }), b: box({ low: -1, high: 1, shape: [2] }), c: multiDiscrete([2, 2]), d: multiBinary(2) });
    expect(flatdim(s)).toBe(3 + 2 + 4 + 2);
    const value = { a: 2, b: new Float32Array([0.25, -0.5]), c: new Int32Array([1, 0]), d: new Uint8Array([1, 0]) };
    const flat = flatten(s, value);
    expect(Array.from(flat)).toEqual([0, 1, 0, 0.25, -0.5, 0, 1, 1, 0, 1, 0]);
    const back = unflatten(s, flat);
    expect(back.a).toBe(2);
    expect(Array.from(back.b)).toEqual([0.25, -0.5]);
    expect(Array.from(back.c)).toEqual([1, 0]);
    expect(Array.from(back.d)).toEqual([1, 0]);
    const fs = flattenSpace(s);
    expect(fs.shape).toEqual([11]);
    expect(contains(fs, flat)).toBe(true);
  });

  it('writes into a caller buffer at an offset and checks its room', () => {
    const out = new Float32Array(6);
    flatten(discrete(3), 1, out, 3);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 1, 0]);
    expect(() => flatten(discrete(3), 1, out, 4)).toThrow('Expected an output buffer with 3 free elements for Discrete(3), got 2.');
    expect(() => unflatten(discrete(3), [1, 0])).toThrow('Expected 3 flat elements for Discrete(3), got 2.');
  });
});

describe('JSON round trip', () => {
  it('survives JSON.stringify with infinite bounds', () => {
    const spaces = [
      box({ low: [-Infinity, 0], high: [Infinity, 1], dtype: 'float64' }),
      discrete(5, { start: 2 }),
      multiDiscrete([3, 4]),
      multiBinary(4),
      tuple([discrete(2), dict({ x: box({ low: 0, high: 255, shape: [2, 2, 3], dtype: 'uint8' }) })]),
    ];
    for (const s of spaces) {
      const back = spaceFromJSON(JSON.parse(JSON.stringify(spaceToJSON(s))));
      expect(spacesEqual(back, s)).toBe(true);
      expect(back).toEqual(s);
    }
    expect(() => spaceFromJSON({ kind: 'cube' })).toThrow(
      'Expected a space kind (box, discrete, multi-discrete, multi-binary, tuple, dict), got "cube".',
    );
    expect(() => spaceFromJSON({ kind: 'box', shape: [1], low: ['x'], high: [1] })).toThrow('Expected Box low[0] to be a number, "inf" or "-inf", got "x".');
  });
});
