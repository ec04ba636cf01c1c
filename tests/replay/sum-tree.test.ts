import { describe, expect, it } from 'vitest';
import { InvalidConfig, Rng } from '../../core/index.js';
import { MinTree, SumTree } from '../../replay/index.js';

function prefixFind(values: number[], mass: number): number {
  let acc = 0;
  for (let i = 0; i < values.length; i++) {
    acc += values[i]!;
    if (mass < acc) return i;
  }
  return values.length - 1;
}

describe('SumTree', () => {
  it('keeps every inner node equal to the sum of its children and the root equal to the sum of the leaves', () => {
    const rng = new Rng(7);
    const tree = new SumTree(13); // not a power of two: base 16, three padding leaves
    expect(tree.base).toBe(16);
    const values = new Array<number>(13).fill(0);
    for (let k = 0; k < 500; k++) {
      const i = rng.int(13);
      const v = rng.float() * 10;
      tree.set(i, v);
      values[i] = v;
    }
    for (let node = 1; node < tree.base; node++) {
      expect(tree.nodes[node]).toBe(tree.nodes[2 * node]! + tree.nodes[2 * node + 1]!);
    }
    expect(tree.total()).toBeCloseTo(values.reduce((a, b) => a + b, 0), 10);
    for (let i = 0; i < 13; i++) expect(tree.get(i)).toBe(values[i]);
  });

  it('find(mass) returns the leaf whose prefix-sum interval holds mass', () => {
    const rng = new Rng(3);
    const values = [0.5, 0, 2, 1.25, 0, 0, 3, 0.25, 1];
    const tree = new SumTree(values.length);
    values.forEach((v, i) => tree.set(i, v));
    for (let k = 0; k < 2000; k++) {
      const mass = rng.float() * tree.total();
      const i = tree.find(mass);
      expect(i).toBe(prefixFind(values, mass));
      expect(values[i]).toBeGreaterThan(0);
    }
    // Interval ends: prefix(2) = 0.5 starts leaf 2; exactly the total lands on the last non-zero leaf.
    expect(tree.find(0)).toBe(0);
    expect(tree.find(0.5)).toBe(2);
    expect(tree.find(tree.total())).toBe(8);
    expect(tree.find(tree.total() * 2)).toBe(8);
  });

  it('never descends into an empty subtree, even with a mass past the total', () => {
    const tree = new SumTree(8);
    tree.set(0, 1);
    tree.set(1, 2);
    expect(tree.find(2.9999999)).toBe(1);
    expect(tree.find(3)).toBe(1);
    expect(tree.find(100)).toBe(1);
  });

  it('rebuild() recomputes the inner nodes from leaves written directly', () => {
    const tree = new SumTree(4);
    tree.nodes.set([1, 2, 3, 4], tree.base);
    tree.rebuild();
    expect(tree.total()).toBe(10);
    expect(tree.find(3.5)).toBe(2);
    tree.clear();
    expect(tree.total()).toBe(0);
  });

  it('rejects negative or non-finite values and out-of-range leaves', () => {
    const tree = new SumTree(4);
    expect(() => tree.set(0, -1)).toThrow(new InvalidConfig('Expected a SumTree value to be a finite number >= 0, got -1 at leaf 0.'));
    expect(() => tree.set(1, NaN)).toThrow('Expected a SumTree value to be a finite number >= 0, got NaN at leaf 1.');
    expect(() => tree.set(4, 1)).toThrow('Expected a SumTree leaf index in [0, 3], got 4.');
    expect(() => new SumTree(0)).toThrow('Expected SumTree capacity to be an integer in [1, 2^30], got 0.');
  });
});

describe('MinTree', () => {
  it('tracks the minimum of the set leaves (unset leaves are +Infinity)', () => {
    const tree = new MinTree(5);
    expect(tree.min()).toBe(Infinity);
    tree.set(3, 2);
    tree.set(0, 5);
    expect(tree.min()).toBe(2);
    tree.set(3, 7);
    expect(tree.min()).toBe(5);
    tree.set(4, 0.5);
    expect(tree.min()).toBe(0.5);
    for (let node = 1; node < tree.base; node++) {
      expect(tree.nodes[node]).toBe(Math.min(tree.nodes[2 * node]!, tree.nodes[2 * node + 1]!));
    }
    tree.clear();
    expect(tree.min()).toBe(Infinity);
  });
});

describe('tree sizes', () => {
  it('rounds the capacity up to a power of two for the leaf offset, and takes capacity 1', () => {
    expect(new SumTree(1).base).toBe(1);
    expect(new SumTree(4).base).toBe(4);
    expect(new SumTree(5).base).toBe(8);
    expect(new MinTree(4).base).toBe(4);
    expect(new MinTree(9).base).toBe(16);
    const one = new SumTree(1);
    one.set(0, 2.5);
    expect(one.total()).toBe(2.5);
    expect(one.find(1)).toBe(0);
    const min = new MinTree(1);
    min.set(0, 3);
    expect(min.min()).toBe(3);
  });

  it('refuses capacities that are not integers in [1, 2^30], naming the tree', () => {
    expect(() => new SumTree(2.5)).toThrow(new InvalidConfig('Expected SumTree capacity to be an integer in [1, 2^30], got 2.5.'));
    expect(() => new SumTree(-1)).toThrow(InvalidConfig);
    expect(() => new SumTree(2 ** 30 + 1)).toThrow('Expected SumTree capacity to be an integer in [1, 2^30], got 1073741825.');
    expect(() => new MinTree(0)).toThrow(new InvalidConfig('Expected MinTree capacity to be an integer in [1, 2^30], got 0.'));
    expect(() => new MinTree(2 ** 30 + 1)).toThrow(InvalidConfig);
  });
});

describe('SumTree bounds', () => {
  it('rejects an infinite value and every index outside [0, capacity) or not an integer', () => {
    const tree = new SumTree(5); // base 8: leaves 5..7 exist in memory but are not settable
    expect(() => tree.set(0, Infinity)).toThrow(new InvalidConfig('Expected a SumTree value to be a finite number >= 0, got Infinity at leaf 0.'));
    expect(() => tree.set(-1, 1)).toThrow(new InvalidConfig('Expected a SumTree leaf index in [0, 4], got -1.'));
    expect(() => tree.set(5, 1)).toThrow('Expected a SumTree leaf index in [0, 4], got 5.');
    expect(() => tree.set(1.5, 1)).toThrow('Expected a SumTree leaf index in [0, 4], got 1.5.');
    tree.set(0, 0); // zero is a valid value
    tree.set(4, 2);
    expect(tree.total()).toBe(2);
  });
});

describe('MinTree validation, get and rebuild', () => {
  it('rejects NaN and every index outside [0, capacity) or not an integer; -Infinity and Infinity are values', () => {
    const tree = new MinTree(5);
    expect(() => tree.set(2, NaN)).toThrow(new InvalidConfig('Expected a MinTree value to be a number, got NaN at leaf 2.'));
    expect(() => tree.set(-1, 1)).toThrow(new InvalidConfig('Expected a MinTree leaf index in [0, 4], got -1.'));
    expect(() => tree.set(5, 1)).toThrow('Expected a MinTree leaf index in [0, 4], got 5.');
    expect(() => tree.set(0.5, 1)).toThrow('Expected a MinTree leaf index in [0, 4], got 0.5.');
    expect(tree.min()).toBe(Infinity);
    tree.set(4, 3);
    tree.set(0, Infinity);
    expect(tree.min()).toBe(3);
  });

  it('get(i) reads leaf i', () => {
    const tree = new MinTree(6);
    [4, 1.5, 9, 2, 7, 3].forEach((v, i) => tree.set(i, v));
    expect([0, 1, 2, 3, 4, 5].map((i) => tree.get(i))).toEqual([4, 1.5, 9, 2, 7, 3]);
    expect(tree.get(7)).toBe(Infinity); // a padding leaf
  });

  it('rebuild() recomputes every inner node, the root included, from leaves written directly', () => {
    const tree = new MinTree(6); // base 8
    tree.nodes.set([4, 1.5, 9, 2, 7, 3], tree.base);
    tree.rebuild();
    expect(tree.min()).toBe(1.5);
    for (let node = 1; node < tree.base; node++) {
      expect(tree.nodes[node], `node ${node}`).toBe(Math.min(tree.nodes[2 * node]!, tree.nodes[2 * node + 1]!));
    }
    // Leaves are untouched and a later set() sees the rebuilt nodes.
    expect(tree.get(0)).toBe(4);
    tree.set(1, 8);
    expect(tree.min()).toBe(2);
  });

  it('takes the smaller child at every level, whichever side it is on', () => {
    const tree = new MinTree(4);
    tree.set(0, 5);
    tree.set(1, 6);
    expect(tree.nodes[2]).toBe(5);
    tree.set(3, 1);
    tree.set(2, 2);
    expect(tree.nodes[3]).toBe(1);
    expect(tree.min()).toBe(1);
  });
});
